// Compares the tokenizer with HF `tokenizers` on the committed corpus, using the reference
// that tools/tokenizer/generate_testdata.sh writes into $FOURBRAIN_TESTDATA (skipped, with
// a message, when that is not set). Every record must give identical ids: embedding and
// reranker tokenizers, with and without special tokens, truncated, and through the
// vocab.json + merges.txt path; decode must give back what HF decodes.
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "base/file.h"
#include "formats/json.h"
#include "formats/tokenizer/char_classes.h"
#include "formats/tokenizer/normalizer.h"
#include "formats/tokenizer/tokenizer.h"

namespace fourbrain::formats {
namespace {

struct Record {
  std::string src;
  std::string text;
  std::vector<int32_t> emb, plain, rer;
  size_t trunc_max_length = 0;  // 0: no truncation reference
  std::vector<int32_t> trunc_emb, trunc_plain, trunc_rer;
  std::string trunc_dec;
  std::optional<std::string> dec, dec_skip;
};

std::vector<int32_t> ids_of(const JsonValue& list) {
  std::vector<int32_t> ids;
  for (size_t i = 0; i < list.size(); ++i) ids.push_back(static_cast<int32_t>(list.at(i).as_int()));
  return ids;
}

std::string show(const std::vector<int32_t>& ids) {
  std::ostringstream s;
  for (size_t i = 0; i < ids.size() && i < 40; ++i) s << (i ? " " : "") << ids[i];
  if (ids.size() > 40) s << " ... (" << ids.size() << " ids)";
  return s.str();
}

class TokenizerCorpusTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const char* dir = std::getenv("FOURBRAIN_TESTDATA");
    if (dir == nullptr || !file_exists(join_path(dir, "tokenizer_reference.jsonl"))) return;
    dir_ = dir;
    auto emb = Tokenizer::load(join_path(dir, "qwen3-embedding"));
    auto rer = Tokenizer::load(join_path(dir, "qwen3-reranker"));
    auto files = Tokenizer::load(join_path(dir, "qwen3-files"));
    ASSERT_TRUE(emb.is_ok()) << emb.status().to_string();
    ASSERT_TRUE(rer.is_ok()) << rer.status().to_string();
    ASSERT_TRUE(files.is_ok()) << files.status().to_string();
    emb_ = std::move(emb).value().release();
    rer_ = std::move(rer).value().release();
    files_ = std::move(files).value().release();

    auto text = read_file(join_path(dir, "tokenizer_reference.jsonl"));
    ASSERT_TRUE(text.is_ok()) << text.status().to_string();
    records_ = new std::vector<Record>();
    std::istringstream in(*text);
    std::string line;
    while (std::getline(in, line)) {
      auto j = JsonValue::parse(line, "tokenizer_reference.jsonl");
      ASSERT_TRUE(j.is_ok()) << j.status().to_string();
      Record r;
      r.src = *j->get_string("src");
      r.text = *j->get_string("text");
      r.emb = ids_of(*j->find("emb"));
      r.plain = ids_of(*j->find("plain"));
      r.rer = ids_of(*j->find("rer"));
      if (auto t = j->find("trunc")) {
        r.trunc_max_length = static_cast<size_t>(*t->get_int("max_length"));
        r.trunc_emb = ids_of(*t->find("emb"));
        r.trunc_plain = ids_of(*t->find("plain"));
        r.trunc_rer = ids_of(*t->find("rer"));
        r.trunc_dec = *t->get_string("dec");
      }
      if (j->find("dec")) r.dec = *j->get_string("dec");
      if (j->find("dec_skip")) r.dec_skip = *j->get_string("dec_skip");
      records_->push_back(std::move(r));
    }
  }

  void SetUp() override {
    if (dir_.empty()) {
      GTEST_SKIP() << "FOURBRAIN_TESTDATA is not set or has no tokenizer_reference.jsonl; run "
                      "tools/tokenizer/generate_testdata.sh OUT_DIR PYTHON and set it to OUT_DIR";
    }
  }

  // Runs `encode` on every record and compares with `want`; reports the first mismatches.
  template <typename Encode, typename Want>
  static void compare_all(const char* what, Encode encode, Want want) {
    size_t mismatches = 0, compared = 0;
    for (const Record& r : *records_) {
      const std::vector<int32_t>* expected = want(r);
      if (expected == nullptr) continue;
      ++compared;
      auto got = encode(r);
      ASSERT_TRUE(got.is_ok()) << what << " line " << r.src << ": " << got.status().to_string();
      if (*got == *expected) continue;
      if (++mismatches <= 5) {
        ADD_FAILURE() << what << ", corpus line " << r.src << ": text \"" << r.text.substr(0, 200)
                      << "\"\n  got  " << show(*got) << "\n  want " << show(*expected);
      }
    }
    EXPECT_EQ(mismatches, 0u) << what << ": " << mismatches << " of " << compared << " differ";
    EXPECT_GT(compared, 0u);
  }

  static std::string dir_;
  static const Tokenizer* emb_;
  static const Tokenizer* rer_;
  static const Tokenizer* files_;
  static std::vector<Record>* records_;
};

std::string TokenizerCorpusTest::dir_;
const Tokenizer* TokenizerCorpusTest::emb_ = nullptr;
const Tokenizer* TokenizerCorpusTest::rer_ = nullptr;
const Tokenizer* TokenizerCorpusTest::files_ = nullptr;
std::vector<Record>* TokenizerCorpusTest::records_ = nullptr;

TEST_F(TokenizerCorpusTest, CorpusIsLarge) { EXPECT_GE(records_->size(), 20000u); }

TEST_F(TokenizerCorpusTest, EmbeddingMatchesHf) {
  compare_all(
      "embedding", [](const Record& r) { return emb_->encode(r.text); },
      [](const Record& r) { return &r.emb; });
  compare_all(
      "embedding without special tokens",
      [](const Record& r) { return emb_->encode(r.text, false); },
      [](const Record& r) { return &r.plain; });
}

TEST_F(TokenizerCorpusTest, RerankerMatchesHf) {
  compare_all(
      "reranker", [](const Record& r) { return rer_->encode(r.text); },
      [](const Record& r) { return &r.rer; });
}

TEST_F(TokenizerCorpusTest, VocabFilesPathMatchesHf) {
  compare_all(
      "vocab.json + merges.txt", [](const Record& r) { return files_->encode(r.text); },
      [](const Record& r) { return &r.rer; });
  compare_all(
      "vocab.json + merges.txt without special tokens",
      [](const Record& r) { return files_->encode(r.text, false); },
      [](const Record& r) { return &r.plain; });
}

TEST_F(TokenizerCorpusTest, TruncationMatchesHf) {
  auto has = [](const Record& r, const std::vector<int32_t>& v) {
    return r.trunc_max_length > 0 ? &v : nullptr;
  };
  compare_all(
      "truncated embedding",
      [](const Record& r) { return emb_->encode(r.text, true, r.trunc_max_length); },
      [&](const Record& r) { return has(r, r.trunc_emb); });
  compare_all(
      "truncated without special tokens",
      [](const Record& r) { return emb_->encode(r.text, false, r.trunc_max_length); },
      [&](const Record& r) { return has(r, r.trunc_plain); });
  compare_all(
      "truncated reranker",
      [](const Record& r) { return rer_->encode(r.text, true, r.trunc_max_length); },
      [&](const Record& r) { return has(r, r.trunc_rer); });
}

TEST_F(TokenizerCorpusTest, DecodeMatchesHf) {
  size_t mismatches = 0;
  for (const Record& r : *records_) {
    const std::string& want = r.dec ? *r.dec : r.text;
    const std::string& want_skip = r.dec_skip ? *r.dec_skip : want;
    const bool ok =
        emb_->decode(r.plain, false) == want && emb_->decode(r.plain, true) == want_skip;
    if (!ok && ++mismatches <= 5) ADD_FAILURE() << "decode differs, corpus line " << r.src;
  }
  EXPECT_EQ(mismatches, 0u);
}

TEST_F(TokenizerCorpusTest, CharClassesMatchOniguruma) {
  auto text = read_file(join_path(dir_, "char_classes.txt"));
  ASSERT_TRUE(text.is_ok()) << text.status().to_string();
  const auto& classes = tokenizer::CharClasses::get();
  std::istringstream in(*text);
  std::string first, last, cls;
  size_t n_checked = 0, n_wrong = 0;
  while (in >> first >> last >> cls) {
    for (char32_t cp = std::stoul(first, nullptr, 16); cp <= std::stoul(last, nullptr, 16); ++cp) {
      const uint8_t bits =
          classes.of(cp) & (tokenizer::kLetter | tokenizer::kNumber | tokenizer::kSpace);
      const uint8_t want = cls == "L"   ? tokenizer::kLetter
                           : cls == "N" ? tokenizer::kNumber
                           : cls == "S" ? tokenizer::kSpace
                                        : 0;
      ++n_checked;
      if (bits != want && ++n_wrong <= 10) {
        ADD_FAILURE() << "U+" << std::hex << static_cast<uint32_t>(cp) << ": HF says " << cls
                      << ", we have bits " << int(bits);
      }
    }
  }
  EXPECT_EQ(n_checked, 0x110000u);
  EXPECT_EQ(n_wrong, 0u);
}

std::string from_hex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

TEST_F(TokenizerCorpusTest, NfcMatchesHf) {
  auto text = read_file(join_path(dir_, "nfc_probes.txt"));
  ASSERT_TRUE(text.is_ok()) << text.status().to_string();
  std::istringstream in(*text);
  std::string in_hex, out_hex, normalized;
  size_t n_probes = 0, n_wrong = 0;
  while (in >> in_hex >> out_hex) {
    const std::string input = from_hex(in_hex);
    ++n_probes;
    if (tokenizer::is_quick_nfc(input)) {
      normalized = input;
    } else {
      ASSERT_TRUE(tokenizer::nfc_normalize(input, &normalized).is_ok());
    }
    if (normalized != from_hex(out_hex) && ++n_wrong <= 10) {
      ADD_FAILURE() << "NFC of " << in_hex << ": got " << normalized << ", HF " << out_hex;
    }
  }
  EXPECT_GT(n_probes, 10000u);
  EXPECT_EQ(n_wrong, 0u);
}

}  // namespace
}  // namespace fourbrain::formats
