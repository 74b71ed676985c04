// Unit tests of the WordPiece / Unigram normalisers: BertNormalizer (accents, CJK, control
// characters), the Unicode forms, Lowercase, Replace, Strip, Prepend, the precompiled
// charsmap (a small one SentencePiece built from a rule table, with HF's outputs), and the
// bookkeeping Metaspace "first" needs. The corpus test checks them against HF at scale.
#include "formats/tokenizer/text_normalizer.h"

#include <gtest/gtest.h>

#include "formats/tokenizer/precompiled_charsmap.h"
#include "formats/tokenizer/utf8.h"

namespace fourbrain::formats::tokenizer {
namespace {

std::string run(const TextNormalizer& n, std::string text, size_t* n_first = nullptr) {
  size_t first = 1;
  EXPECT_TRUE(n.normalize(&text, n_first != nullptr ? n_first : &first).is_ok());
  return text;
}

TEST(BertNormalizerTest, LowercaseStripsAccents) {
  auto n = make_bert_normalizer(BertNormalizerOptions());
  EXPECT_EQ(run(*n, "H\u00e9llo W\u00f6rld \u00c5NGSTR\u00d6M"), "hello world angstrom");
  EXPECT_EQ(run(*n, "\u0130"), "i");  // NFD gives I + U+0307, the mark goes, then lowercase
}

TEST(BertNormalizerTest, CasedKeepsAccents) {
  BertNormalizerOptions o;
  o.lowercase = false;
  o.strip_accents = false;
  EXPECT_EQ(run(*make_bert_normalizer(o), "H\u00e9llo"), "H\u00e9llo");
  o.strip_accents = true;  // cased, yet accents go (BERT's strip_accents=True)
  EXPECT_EQ(run(*make_bert_normalizer(o), "H\u00e9llo"), "Hello");
}

TEST(BertNormalizerTest, CleansControlCharacters) {
  auto n = make_bert_normalizer(BertNormalizerOptions());
  // NUL, U+FFFD, C0 controls and format characters (ZWSP) go; \t \n \r and other white
  // space become a plain space.
  constexpr char kText[] =
      "a\0b\x01"
      "c\xEF\xBF\xBD"
      "d\u200be";
  EXPECT_EQ(run(*n, std::string(kText, sizeof(kText) - 1)), "abcde");
  EXPECT_EQ(run(*n, "a\tb\nc\rd\u00a0e\u3000f"), "a b c d e f");
  EXPECT_EQ(run(*n, "\u0890x"), "\u0890x");  // a Cf newer than HF's tables stays
}

TEST(BertNormalizerTest, SpacesAroundCjkIdeographs) {
  auto n = make_bert_normalizer(BertNormalizerOptions());
  EXPECT_EQ(run(*n, "ab\u4e2d\u6587c"), "ab \u4e2d  \u6587 c");
  // Kana and hangul are not "Chinese" (hangul syllables do decompose under strip_accents).
  EXPECT_EQ(run(*n, "\u3042\ud55c"), "\u3042\u1112\u1161\u11ab");
  BertNormalizerOptions o;
  o.handle_chinese_chars = false;
  EXPECT_EQ(run(*make_bert_normalizer(o), "ab\u4e2dc"), "ab\u4e2dc");
}

TEST(BertNormalizerTest, MarksAreHfsNotUtf8procs) {
  auto n = make_bert_normalizer(BertNormalizerOptions());
  // U+0B48 decomposes to U+0B47 (Mc, kept by BERT's Mn filter) + U+0B56 (Mn, dropped).
  EXPECT_EQ(run(*n, "\u0b48"), "\u0b47");
  // StripAccents uses every mark instead.
  EXPECT_EQ(run(*make_strip_accents(), "\u0b47x\u0301"), "x");
}

TEST(UnicodeFormTest, FormsAndLowercase) {
  EXPECT_EQ(run(*make_form_normalizer(UnicodeForm::kNfkc), "\ufb01ne \u2460 \uff21"), "fine 1 A");
  EXPECT_EQ(run(*make_form_normalizer(UnicodeForm::kNfd), "\u00e9"), "e\u0301");
  EXPECT_EQ(run(*make_form_normalizer(UnicodeForm::kNfc), "e\u0301"), "\u00e9");
  EXPECT_EQ(run(*make_form_normalizer(UnicodeForm::kNfkd), "\u00bd"), "1\u20442");
  // HF's tables (Unicode 9.0) do not know U+32FF (Reiwa), so NFKC leaves it alone.
  EXPECT_EQ(run(*make_form_normalizer(UnicodeForm::kNfkc), "\u32ff"), "\u32ff");
  EXPECT_EQ(run(*make_lowercase(), "ABC \u0391\u03a3 \u0130"), "abc \u03b1\u03c3 i\u0307");
}

TEST(ReplaceTest, RegexAndLiteral) {
  auto spaces = make_replace(" {2,}", true, " ");
  ASSERT_TRUE(spaces.is_ok());
  EXPECT_EQ(run(**spaces, "a  b     c d"), "a b c d");
  auto literal = make_replace("``", false, "\"");
  ASSERT_TRUE(literal.is_ok());
  EXPECT_EQ(run(**literal, "``x`` `"), "\"x\" `");
  auto start = make_replace("\\A\u2581", true, "\u2581\u2581");
  ASSERT_TRUE(start.is_ok());
  EXPECT_EQ(run(**start, "\u2581a\u2581b"), "\u2581\u2581a\u2581b");
  EXPECT_EQ(run(**start, ""), "");  // HF finds no match in an empty string
  auto bad = make_replace("(", true, "");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

TEST(NormalizerTest, StripPrependSequence) {
  EXPECT_EQ(run(*make_strip(true, true), " \u3000a b\t "), "a b");
  EXPECT_EQ(run(*make_strip(false, true), "  a  "), "  a");
  EXPECT_EQ(run(*make_prepend("\u2581"), "ab"), "\u2581ab");
  EXPECT_EQ(run(*make_prepend("\u2581"), ""), "");
  std::vector<std::unique_ptr<TextNormalizer>> steps;
  steps.push_back(make_form_normalizer(UnicodeForm::kNfkc));
  steps.push_back(make_lowercase());
  EXPECT_EQ(run(*make_sequence(std::move(steps)), "\uff21B"), "ab");
}

TEST(NormalizerTest, TracksWhereTheFirstCharacterGoes) {
  size_t n = 1;
  run(*make_strip(true, true), "  a", &n);
  EXPECT_EQ(n, 0u);  // removed: Metaspace "first" no longer prepends
  n = 1;
  run(*make_form_normalizer(UnicodeForm::kNfkc), "\u02d9x", &n);
  EXPECT_EQ(n, 2u);  // U+02D9 became " \u0307": both stem from it
  run(*make_strip(true, true), " \u0307x", &n);
  EXPECT_EQ(n, 1u);
  n = 1;
  // " \u0308\u0300" + U+0328: canonical reordering puts U+0328 (from the second
  // character) right after the space.
  run(*make_form_normalizer(UnicodeForm::kNfkc), "\u1fed\u0328x", &n);
  EXPECT_EQ(n, 1u);
  n = 0;
  run(*make_lowercase(), "ABC", &n);
  EXPECT_EQ(n, 0u);
}

// SentencePiece's charsmap for the rules A->a, B->b, U+FB01->fi, U+2460->1, U+200B->"",
// e+U+0301->U+00E9, U+3000->" " (tools: normalization_rule_tsv; outputs from HF).
constexpr char kTinyCharsmap[] =
    "AAQAAAAAAQBBCQAAQhkAAAUAAIAHAACAzAgCAIEFAAAMAACAgCgCAIsNAAAAAACAoB0AAAMAAICADAIAgAUAAAEAAICs"
    "AAIAgQ0AAAkAAIASAAAAFQAAABQAAAAXAAAAFgAAABkAAACRyAIAGwAAABoAAAAdAAAAHAAAAB8AAAAeAAAAIQAAACAA"
    "AAAjAAAAIgAAACUAAABlsAMAJwAAACYAAAApAAAAKAAAACsAAAAqAAAALQAAACwAAAAvAAAALgAAADEAAAAwAAAAMwAA"
    "ADIAAAA1AAAANAAAADcAAAA2AAAAOQAAADgAAAA7AAAAOgAAAD0AAAA8AAAAPwAAAD4AAABBAAAAQAAAAEMAAABCAAAA"
    "RQAAAEQAAABHAAAARgAAAEkAAABIAAAASwAAAEoAAABNAAAATAAAAE8AAABOAAAAUQAAAFAAAABTAAAAUgAAAFUAAABU"
    "AAAAVwAAAFYAAABZAAAAWAAAAFsAAABaAAAAXQAAAFwAAABfAAAAXgAAAGEAAABgAAAAYwAAAGIAAABlAAAAZAAAAGcA"
    "AABmAAAAaQAAAGgAAABrAAAAagAAAG0AAABsAAAAbwAAAG4AAABxAAAAcAAAAHMAAAByAAAAdQAAAHQAAAB3AAAAdgAA"
    "AHkAAAB4AAAAewAAAHoAAAB9AAAAfAAAAH8AAAB+AAAAgQAAAIAAAACDAAAAggAAAIUAAACEAAAAhwAAAIYAAACJAAAA"
    "iAAAAIsAAACKAAAAjQAAAIwAAACPAAAAjgAAAJEAAACQAAAAkwAAAJIAAACVAAAAlAAAAJcAAACWAAAAmQAAAJgAAACb"
    "AAAAmgAAAJ0AAACcAAAAnwAAAJ4AAAChAAAAoAAAAOKoAADjuAAApQAAAKQAAACnAAAApgAAAKkAAACoAAAAqwAAAKoA"
    "AACtAAAArAAAAK8AAADvTAAAsQAAALAAAACzAAAAsgAAALUAAAC0AAAAtwAAALYAAAC5AAAAuAAAALsAAAC6AAAAvQAA"
    "ALwAAAC/AAAAvgAAAMEAAADAAAAAwwAAAMIAAADFAAAAxAAAAMcAAADGAAAAyQAAAMgAAADLAAAAygAAAM0AAADMAAAA"
    "zwAAAM4AAADRAAAA0AAAANMAAADSAAAA1QAAANQAAADXAAAA1gAAANkAAADYAAAA2wAAANoAAADdAAAA3AAAAN8AAADe"
    "AAAA4QAAAOAAAADjAAAA4gAAAOUAAADkAAAA5wAAAOYAAADpAAAA6AAAAOsAAADqAAAA7QAAAOwAAADvAAAA7gAAAPEA"
    "AADwAAAA8wAAAPIAAAD1AAAA9AAAAPcAAAD2AAAA+QAAAPgAAAD7AAAA+gAAAP0AAAD8AAAA/wAAAP4AAAAAIAAxAGEA"
    "YgBmaQDDqQA=";

TEST(PrecompiledCharsmapTest, MatchesHfOnHandPickedStrings) {
  auto map = PrecompiledCharsmap::parse(kTinyCharsmap);
  ASSERT_TRUE(map.is_ok()) << map.status().to_string();
  auto n = make_precompiled(std::move(*map));
  EXPECT_EQ(run(*n, "ABC"), "abC");
  EXPECT_EQ(run(*n, "\ufb01ne"), "fine");
  EXPECT_EQ(run(*n, "\u2460\u2461"), "1\u2461");
  EXPECT_EQ(run(*n, "a\u200bb"), "ab");
  EXPECT_EQ(run(*n, "e\u0301"), "\u00e9");
  EXPECT_EQ(run(*n, "x\u3000y"), "x y");
  // HF's quirk: a grapheme under 6 bytes is replaced whole by its shortest matching prefix.
  EXPECT_EQ(run(*n, "e\u0301\u0302"), "\u00e9");
  EXPECT_EQ(run(*n, "A\u0301"), "a");
  EXPECT_EQ(run(*n, "Ae\u0301"), "a\u00e9");
}

TEST(PrecompiledCharsmapTest, RejectsBadData) {
  EXPECT_EQ(PrecompiledCharsmap::parse("not base64!").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(PrecompiledCharsmap::parse("").status().code(), StatusCode::kInvalidArgument);
  // A header announcing a trie larger than the data.
  EXPECT_EQ(PrecompiledCharsmap::parse("AAEAAA==").status().code(), StatusCode::kInvalidArgument);
  // An empty trie finds nothing and changes nothing.
  auto empty = PrecompiledCharsmap::parse("AAAAAA==");
  ASSERT_TRUE(empty.is_ok());
  EXPECT_EQ(run(*make_precompiled(std::move(*empty)), "abc"), "abc");
}

std::string base64(const std::string& bytes) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) v |= static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[v & 63] : '=';
  }
  return out;
}

TEST(PrecompiledCharsmapTest, GarbageTriesStayInBounds) {
  // Random units must never make a lookup read outside the trie or the string pool, nor
  // produce invalid UTF-8 (run under ASan in the sanitizer build).
  uint32_t state = 12345;
  auto next = [&] { return state = state * 1664525u + 1013904223u; };
  for (int round = 0; round < 200; ++round) {
    const size_t n_units = 1 + next() % 64;
    std::string bytes(4, '\0');
    const uint32_t size = static_cast<uint32_t>(4 * n_units);
    for (int k = 0; k < 4; ++k) bytes[k] = static_cast<char>(size >> (8 * k));
    for (size_t u = 0; u < n_units; ++u) {
      const uint32_t unit = next() % 4 == 0 ? next() : (next() % 512) | ((next() % 64) << 10);
      for (int k = 0; k < 4; ++k) bytes.push_back(static_cast<char>(unit >> (8 * k)));
    }
    bytes += std::string("a\0\xC3\xA9\0xyz", 8);
    auto map = PrecompiledCharsmap::parse(base64(bytes));
    ASSERT_TRUE(map.is_ok()) << map.status().to_string();
    auto n = make_precompiled(std::move(*map));
    for (const char* text : {"abc", "\u00e9\u0301x", "\x01\x02\xC3\xA9", "\u4e2d\u6587"}) {
      const std::string out = run(*n, text);
      EXPECT_EQ(find_invalid_utf8(out), std::string::npos);
    }
  }
}

TEST(Base64Test, DecodesStandardPadding) {
  std::string out;
  EXPECT_TRUE(base64_decode("aGVsbG8=", &out));
  EXPECT_EQ(out, "hello");
  EXPECT_TRUE(base64_decode("aGk=", &out) && out == "hi");
  EXPECT_TRUE(base64_decode("aGkh", &out) && out == "hi!");
  EXPECT_FALSE(base64_decode("aGk", &out));
  EXPECT_FALSE(base64_decode("a=Gk", &out));
}

}  // namespace
}  // namespace fourbrain::formats::tokenizer
