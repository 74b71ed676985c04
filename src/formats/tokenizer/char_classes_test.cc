// Character classes and NFC. The exhaustive comparisons with HF (every code point, every
// normalisation-relevant character) are in tokenizer_corpus_test.cc.
#include "formats/tokenizer/char_classes.h"

#include <gtest/gtest.h>

#include <string>

#include "formats/tokenizer/normalizer.h"

namespace fourbrain::formats::tokenizer {
namespace {

uint8_t of(char32_t cp) { return CharClasses::get().of(cp); }

TEST(CharClassesTest, LettersAndNumbers) {
  for (char32_t c : {U'a', U'Z', U'\u00e9', U'\u4e2d', U'\u017f', U'\u02b0', U'\u1c89'}) {
    EXPECT_TRUE(of(c) & kLetter) << std::hex << uint32_t(c);
  }
  for (char32_t c : {U'0', U'\u0663', U'\u00b2', U'\u216b', U'\U00010D40'}) {
    EXPECT_TRUE(of(c) & kNumber) << std::hex << uint32_t(c);
  }
  for (char32_t c : {U'\u0301', U'\u093f', U'_', U'\U0001F600'}) {
    EXPECT_FALSE(of(c) & (kLetter | kNumber)) << std::hex << uint32_t(c);
  }
}

TEST(CharClassesTest, SpaceIsOnigurumasSet) {
  for (char32_t c : {U'\t', U'\n', U'\v', U'\f', U'\r', U' ', U'\u0085', U'\u00a0', U'\u1680',
                     U'\u2000', U'\u200a', U'\u2028', U'\u2029', U'\u202f', U'\u205f', U'\u3000'}) {
    EXPECT_TRUE(of(c) & kSpace) << std::hex << uint32_t(c);
  }
  for (char32_t c : {U'\x1c', U'\x1f', U'\u180e', U'\u200b', U'\ufeff', U'\0'}) {
    EXPECT_FALSE(of(c) & kSpace) << std::hex << uint32_t(c);
  }
}

TEST(CharClassesTest, NfcInert) {
  for (char32_t c : {U'a', U'\u00e9', U'\u4e2d', U'\uac00', U'\u08d2'}) {
    EXPECT_TRUE(of(c) & kNfcInert) << std::hex << uint32_t(c);
  }
  // A combining mark, a jamo vowel (second half of a Hangul composition), a singleton.
  for (char32_t c : {U'\u0301', U'\u1161', U'\u212b', U'\uf900'}) {
    EXPECT_FALSE(of(c) & kNfcInert) << std::hex << uint32_t(c);
  }
  EXPECT_TRUE(of(U'\u08d2') & kHfNfcUnknown);  // Unicode 11: HF's NFC does not know it
  EXPECT_EQ(of(0xD800), 0);
  EXPECT_EQ(of(0x110000), 0);
}

std::string nfc(const std::string& s) {
  if (is_quick_nfc(s)) return s;
  std::string out;
  EXPECT_TRUE(nfc_normalize(s, &out).is_ok());
  return out;
}

TEST(NormalizerTest, ComposesAndReorders) {
  EXPECT_TRUE(is_quick_nfc("plain \xe4\xb8\xad\xe6\x96\x87 caf\xc3\xa9"));
  EXPECT_FALSE(is_quick_nfc("cafe\xcc\x81"));
  EXPECT_EQ(nfc("cafe\xcc\x81"), "caf\xc3\xa9");
  EXPECT_EQ(nfc("\xe2\x84\xab"), "\xc3\x85");                              // Å (Angstrom) -> Å
  EXPECT_EQ(nfc("\xe1\x84\x80\xe1\x85\xa1\xe1\x86\xa8"), "\xea\xb0\x81");  // jamo -> 각
  EXPECT_EQ(nfc("a\xcc\x81\xcc\xa3"), "\xe1\xba\xa1\xcc\x81");             // reorder, then compose
}

TEST(NormalizerTest, LeavesCharactersHfDoesNotKnowAlone) {
  // U+035F (ccc 233) before U+08D2 (ccc 220): Unicode reorders them, HF's Unicode 9.0
  // tables do not know U+08D2 and keep the order.
  EXPECT_EQ(nfc("\xcd\x9f\xe0\xa3\x92"), "\xcd\x9f\xe0\xa3\x92");
  EXPECT_EQ(nfc("e\xcc\x81\xe0\xa3\x92"
                "e\xcc\x81"),
            "\xc3\xa9\xe0\xa3\x92\xc3\xa9");
}

}  // namespace
}  // namespace fourbrain::formats::tokenizer
