#include "formats/tokenizer/byte_level.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace fourbrain::formats::tokenizer {
namespace {

TEST(ByteLevelTest, MatchesGpt2Table) {
  EXPECT_EQ(byte_to_unicode(' '), U'\u0120');   // Ġ
  EXPECT_EQ(byte_to_unicode('\n'), U'\u010A');  // Ċ
  EXPECT_EQ(byte_to_unicode('\t'), U'\u0109');  // ĉ
  EXPECT_EQ(byte_to_unicode(0x00), U'\u0100');
  EXPECT_EQ(byte_to_unicode(0x7F), U'\u0121');
  EXPECT_EQ(byte_to_unicode(0xAD), U'\u0143');  // the last of the 68 remapped bytes
  EXPECT_EQ(byte_to_unicode('!'), U'!');
  EXPECT_EQ(byte_to_unicode(0xE9), U'\u00E9');
}

TEST(ByteLevelTest, IsABijection) {
  std::set<char32_t> seen;
  for (int b = 0; b < 256; ++b) {
    const char32_t cp = byte_to_unicode(static_cast<uint8_t>(b));
    EXPECT_TRUE(seen.insert(cp).second);
    EXPECT_EQ(unicode_to_byte(cp), b);
  }
  EXPECT_EQ(unicode_to_byte(U'\u0144'), -1);
  EXPECT_EQ(unicode_to_byte(U'\u00AD'), -1);  // soft hyphen is remapped, not itself
  EXPECT_EQ(unicode_to_byte(U'\u4E2D'), -1);
}

TEST(ByteLevelTest, EncodesAndDecodes) {
  EXPECT_EQ(byte_level_encode("hi there\n"), "hi\xc4\xa0there\xc4\x8a");
  EXPECT_EQ(byte_level_encode("\xc3\xa9"), "\xc3\x83\xc2\xa9");  // é -> Ã©
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  std::string back;
  byte_level_decode_token(byte_level_encode(all), &back);
  EXPECT_EQ(back, all);
}

TEST(ByteLevelTest, DecodesForeignTokensAsTheirOwnBytes) {
  std::string out = "x";
  byte_level_decode_token("<|im_end|>", &out);
  EXPECT_EQ(out, "x<|im_end|>");
  byte_level_decode_token("\xe4\xb8\xad", &out);  // 中 is not in the alphabet
  EXPECT_EQ(out, "x<|im_end|>\xe4\xb8\xad");
}

}  // namespace
}  // namespace fourbrain::formats::tokenizer
