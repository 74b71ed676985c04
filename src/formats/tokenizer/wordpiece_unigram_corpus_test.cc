// Compares the WordPiece and Unigram tokenizers with HF `tokenizers` on the committed corpus,
// using the references tools/tokenizer/generate_testdata.sh writes into
// $FOURBRAIN_TESTDATA/wordpiece_unigram (skipped, with a message, when that is not there).
// For every tokenizer directory and every text: ids with and without special tokens,
// truncated at 8/16/32, decode with and without special tokens; for every pair: ids and type
// ids, untruncated and truncated longest-first. Every record must match; the first
// mismatches are reported with their text. The Unicode tables (hf_unicode.h) and the
// normalisers are checked on every code point and on random strings.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "base/file.h"
#include "formats/json.h"
#include "formats/tokenizer/char_classes.h"
#include "formats/tokenizer/hf_unicode.h"
#include "formats/tokenizer/precompiled_charsmap.h"
#include "formats/tokenizer/text_normalizer.h"
#include "formats/tokenizer/tokenizer.h"
#include "formats/tokenizer/utf8.h"

namespace fourbrain::formats {
namespace {

using namespace tokenizer;  // NOLINT: test-local brevity

std::string data_dir() {
  const char* dir = std::getenv("FOURBRAIN_TESTDATA");
  if (dir == nullptr) return "";
  const std::string path = join_path(dir, "wordpiece_unigram");
  return file_exists(join_path(path, "texts.jsonl")) ? path : "";
}

#define REQUIRE_DATA()                                                               \
  if (data_dir().empty())                                                            \
  GTEST_SKIP() << "FOURBRAIN_TESTDATA is not set or has no wordpiece_unigram/; run " \
                  "tools/tokenizer/generate_testdata.sh OUT_DIR PYTHON and set it to OUT_DIR"

std::vector<int32_t> ids_of(const JsonValue& list) {
  std::vector<int32_t> ids;
  for (size_t i = 0; i < list.size(); ++i) ids.push_back(static_cast<int32_t>(list.at(i).as_int()));
  return ids;
}

std::string show(const std::vector<int32_t>& ids) {
  std::ostringstream s;
  for (size_t i = 0; i < ids.size() && i < 48; ++i) s << (i ? " " : "") << ids[i];
  if (ids.size() > 48) s << " ... (" << ids.size() << " ids)";
  return s.str();
}

std::vector<JsonValue> read_jsonl(const std::string& path) {
  std::vector<JsonValue> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    auto j = JsonValue::parse(line, path);
    EXPECT_TRUE(j.is_ok()) << j.status().to_string();
    if (!j.is_ok()) break;
    out.push_back(*j);
  }
  return out;
}

const std::vector<std::string>& texts() {
  static const auto* texts = [] {
    auto* t = new std::vector<std::string>();
    for (const JsonValue& j : read_jsonl(join_path(data_dir(), "texts.jsonl"))) {
      t->emplace_back(j.as_string());
    }
    return t;
  }();
  return *texts;
}

// Counts mismatches of one kind and reports the first few.
struct Tally {
  std::string what;
  size_t compared = 0, mismatches = 0;
  void check(bool ok, const std::string& detail) {
    ++compared;
    if (!ok && ++mismatches <= 4) ADD_FAILURE() << what << ": " << detail;
  }
  ~Tally() {
    EXPECT_EQ(mismatches, 0u) << what << ": " << mismatches << " of " << compared << " differ";
    std::printf("  %-28s %zu compared, %zu differ\n", what.c_str(), compared, mismatches);
  }
};

std::string ids_detail(const std::string& text, const Result<std::vector<int32_t>>& got,
                       const std::vector<int32_t>& want) {
  return "text \"" + text.substr(0, 160) + "\"\n  got  " +
         (got.is_ok() ? show(*got) : got.status().to_string()) + "\n  want " + show(want);
}

class CorpusTest : public ::testing::TestWithParam<const char*> {};

TEST_P(CorpusTest, MatchesHf) {
  REQUIRE_DATA();
  const std::string name = GetParam();
  auto loaded = Tokenizer::load(join_path(join_path(data_dir(), ".."), name));
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().to_string();
  const Tokenizer& tok = **loaded;
  const std::vector<std::string>& all = texts();
  const std::vector<JsonValue> refs = read_jsonl(join_path(data_dir(), name + ".jsonl"));
  ASSERT_EQ(refs.size(), all.size());
  std::printf("%s:\n", name.c_str());
  {
    Tally ids{"ids"}, plain{"ids without specials"}, trunc{"truncated"},
        trunc_plain{"truncated without specials"}, dec{"decode"}, dec_skip{"decode skipping"};
    for (size_t i = 0; i < all.size(); ++i) {
      const std::string& text = all[i];
      const JsonValue& r = refs[i];
      const std::vector<int32_t> want = ids_of(*r.find("ids"));
      auto got = tok.encode(text, true);
      ids.check(got.is_ok() && *got == want, ids_detail(text, got, want));
      const std::vector<int32_t> want_plain = ids_of(*r.find("plain"));
      auto got_plain = tok.encode(text, false);
      plain.check(got_plain.is_ok() && *got_plain == want_plain,
                  ids_detail(text, got_plain, want_plain));
      const JsonValue t = *r.find("t");
      const auto k = static_cast<size_t>(t.find("max_length")->as_int());
      const std::vector<int32_t> want_t = ids_of(*t.find("ids"));
      auto got_t = tok.encode(text, true, k);
      trunc.check(got_t.is_ok() && *got_t == want_t,
                  "max_length " + std::to_string(k) + ", " + ids_detail(text, got_t, want_t));
      const std::vector<int32_t> want_tp = ids_of(*t.find("plain"));
      auto got_tp = tok.encode(text, false, k);
      trunc_plain.check(
          got_tp.is_ok() && *got_tp == want_tp,
          "max_length " + std::to_string(k) + ", " + ids_detail(text, got_tp, want_tp));
      const std::string want_dec(r.find("dec")->as_string());
      const std::string got_dec = tok.decode(want, false);
      dec.check(got_dec == want_dec,
                "ids " + show(want) + "\n  got  \"" + got_dec + "\"\n  want \"" + want_dec + "\"");
      const std::string want_skip(r.find("dec_skip")->as_string());
      const std::string got_skip = tok.decode(want, true);
      dec_skip.check(got_skip == want_skip, "ids " + show(want) + "\n  got  \"" + got_skip +
                                                "\"\n  want \"" + want_skip + "\"");
    }
  }
  Tally pairs{"pairs"}, pair_types{"pair type ids"}, trunc_pairs{"truncated pairs"};
  for (const JsonValue& r : read_jsonl(join_path(data_dir(), name + ".pairs.jsonl"))) {
    const std::string& a = all.at(r.find("a")->as_int());
    const std::string& b = all.at(r.find("b")->as_int());
    const std::string texts_shown =
        "texts \"" + a.substr(0, 100) + "\" / \"" + b.substr(0, 100) + "\"";
    auto got = tok.encode_pair(a, b, 0);
    ASSERT_TRUE(got.is_ok()) << got.status().to_string();
    const std::vector<int32_t> want = ids_of(*r.find("ids"));
    pairs.check(got->ids == want,
                texts_shown + "\n  got  " + show(got->ids) + "\n  want " + show(want));
    const std::vector<int32_t> want_types = ids_of(*r.find("type_ids"));
    pair_types.check(got->type_ids == want_types, texts_shown + "\n  got  " + show(got->type_ids) +
                                                      "\n  want " + show(want_types));
    const JsonValue t = *r.find("t");
    const auto k = static_cast<size_t>(t.find("max_length")->as_int());
    auto got_t = tok.encode_pair(a, b, k);
    ASSERT_TRUE(got_t.is_ok()) << got_t.status().to_string();
    const std::vector<int32_t> want_t = ids_of(*t.find("ids"));
    const std::vector<int32_t> want_tt = ids_of(*t.find("type_ids"));
    trunc_pairs.check(got_t->ids == want_t && got_t->type_ids == want_tt,
                      "max_length " + std::to_string(k) + ", " + texts_shown + "\n  got  " +
                          show(got_t->ids) + "\n  want " + show(want_t));
  }
}

INSTANTIATE_TEST_SUITE_P(Tokenizers, CorpusTest,
                         ::testing::Values("minilm-tokenizer", "minilm-vocab", "wordpiece-cased",
                                           "wordpiece-cased-vocab", "xlmr-spm", "xlmr-legacy",
                                           "unigram-hf", "unigram-bytefallback"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) c = c == '-' ? '_' : c;
                           return n;
                         });

bool nfd_stable(char32_t cp) {
  std::string c, nfd;
  append_utf8(cp, &c);
  return hf_normalize_form(c, UnicodeForm::kNfd, &nfd).is_ok() && nfd == c;
}

TEST(HfUnicodeTest, ClassesMatchHfOnEveryCodePoint) {
  REQUIRE_DATA();
  auto text = read_file(join_path(data_dir(), "hf_unicode_classes.txt"));
  ASSERT_TRUE(text.is_ok()) << text.status().to_string();
  const HfUnicode& hf = HfUnicode::get();
  std::istringstream in(*text);
  std::string first, last, cls;
  size_t n_checked = 0, n_wrong = 0;
  while (in >> first >> last >> cls) {
    for (char32_t cp = std::stoul(first, nullptr, 16); cp <= std::stoul(last, nullptr, 16); ++cp) {
      const uint8_t bits = hf.of(cp);
      const bool space = CharClasses::get().of(cp) & kSpace;
      const bool control_space = cp == '\t' || cp == '\n' || cp == '\r';
      char letters[8];  // (a char buffer: GCC 12 warns wrongly about string +=)
      size_t n = 0;
      if (bits & kBertRemoved) letters[n++] = 'R';
      if (!(bits & kBertRemoved) && (space || control_space) && cp != ' ') letters[n++] = 'W';
      if (bits & kBertPunct) letters[n++] = 'P';
      if (bits & kHfMark) letters[n++] = 'M';
      if ((bits & kBertMark) && nfd_stable(cp)) letters[n++] = 'N';
      if (bits & kChinese) letters[n++] = 'C';
      if (space) letters[n++] = 'S';
      if (n == 0) letters[n++] = '-';
      const std::string ours(letters, n);
      ++n_checked;
      if (ours != cls && ++n_wrong <= 10) {
        ADD_FAILURE() << "U+" << std::hex << static_cast<uint32_t>(cp) << ": HF " << cls
                      << ", ours " << ours;
      }
    }
  }
  EXPECT_EQ(n_checked, 0x110000u - 0x800u);
  EXPECT_EQ(n_wrong, 0u);
}

std::string from_hex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

TEST(HfUnicodeTest, NormalizersMatchHf) {
  REQUIRE_DATA();
  auto json = read_file(join_path(join_path(data_dir(), "../xlmr-spm"), "tokenizer.json"));
  ASSERT_TRUE(json.is_ok());
  auto root = JsonValue::parse(*json, "tokenizer.json");
  ASSERT_TRUE(root.is_ok());
  auto map = PrecompiledCharsmap::parse(
      root->find("normalizer")->find("precompiled_charsmap")->as_string());
  ASSERT_TRUE(map.is_ok()) << map.status().to_string();
  std::map<std::string, std::unique_ptr<TextNormalizer>> forms;
  forms["NFD"] = make_form_normalizer(UnicodeForm::kNfd);
  forms["NFKD"] = make_form_normalizer(UnicodeForm::kNfkd);
  forms["NFKC"] = make_form_normalizer(UnicodeForm::kNfkc);
  forms["LOWER"] = make_lowercase();
  forms["BERT"] = make_bert_normalizer(BertNormalizerOptions());
  forms["PRE"] = make_precompiled(std::move(*map));
  auto text = read_file(join_path(data_dir(), "hf_unicode_probes.txt"));
  ASSERT_TRUE(text.is_ok()) << text.status().to_string();
  std::map<std::string, std::map<std::string, std::string>> singles;  // form -> in -> out
  std::map<std::string, size_t> n_probes, n_wrong;
  std::istringstream in(*text);
  std::string line;
  auto check = [&](const std::string& name, const std::string& input, const std::string& want) {
    std::string got = input;
    size_t n_first = 1;
    ASSERT_TRUE(forms.at(name)->normalize(&got, &n_first).is_ok());
    ++n_probes[name];
    if (got != want && ++n_wrong[name] <= 5) {
      ADD_FAILURE() << name << " of \"" << input.substr(0, 120) << "\": got \""
                    << got.substr(0, 120) << "\", HF \"" << want.substr(0, 120) << "\"";
    }
  };
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string form, in_hex, out_hex;  // out_hex is missing when the output is empty
    fields >> form >> in_hex >> out_hex;
    if (form.back() == '*') {
      check(form.substr(0, form.size() - 1), from_hex(in_hex), from_hex(out_hex));
    } else {
      singles[form][from_hex(in_hex)] = from_hex(out_hex);
    }
  }
  for (const auto& [name, normalizer] : forms) {
    for (char32_t cp = 0; cp < 0x110000; ++cp) {
      if (cp >= 0xD800 && cp < 0xE000) continue;
      std::string c;
      append_utf8(cp, &c);
      auto it = singles[name].find(c);
      check(name, c, it == singles[name].end() ? c : it->second);
    }
    std::printf("  %-6s %zu probes, %zu differ\n", name.c_str(), n_probes[name], n_wrong[name]);
    EXPECT_EQ(n_wrong[name], 0u) << name;
  }
}

}  // namespace
}  // namespace fourbrain::formats
