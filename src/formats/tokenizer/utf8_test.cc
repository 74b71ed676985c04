#include "formats/tokenizer/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace fourbrain::formats::tokenizer {
namespace {

using namespace std::string_view_literals;

TEST(Utf8Test, AcceptsValidText) {
  for (std::string_view s :
       {""sv, "plain ascii"sv, "caf\xc3\xa9"sv, "\xe4\xb8\xad\xe6\x96\x87"sv, "\xf0\x9f\x98\x80"sv,
        "\xf4\x8f\xbf\xbf"sv, "a\0b"sv, "\xef\xbf\xbd"sv, "\xed\x9f\xbf"sv, "\xee\x80\x80"sv}) {
    EXPECT_EQ(find_invalid_utf8(s), std::string_view::npos) << s;
  }
}

TEST(Utf8Test, FindsFirstInvalidByte) {
  struct Case {
    std::string_view text;
    size_t offset;
  };
  for (const Case& c : {Case{"\x80"sv, 0},
                        {"ab\xc0\xaf"sv, 2},  // overlong '/'
                        {"\xc1\xbf"sv, 0},
                        {"\xe0\x80\xaf"sv, 0},      // overlong
                        {"x\xed\xa0\x80"sv, 1},     // surrogate U+D800
                        {"\xf4\x90\x80\x80"sv, 0},  // above U+10FFFF
                        {"\xf5\x80\x80\x80"sv, 0},
                        {"\xff"sv, 0},
                        {"\xfe"sv, 0},
                        {"ok\xe2\x82"sv, 2},  // truncated at the end
                        {"\xf0\x9f\x98"sv, 0},
                        {"a\xc3"sv, 1},
                        {"\xc3(x"sv, 0},
                        {"12345678\x80"sv, 8}}) {  // after the 8-byte ASCII fast path
    EXPECT_EQ(find_invalid_utf8(c.text), c.offset) << "case at " << c.offset;
  }
}

TEST(Utf8Test, DecodesAndEncodes) {
  for (char32_t cp : {U'\0', U'A', U'\u00e9', U'\u4e2d', U'\U0001F600', U'\U0010FFFF'}) {
    std::string s;
    append_utf8(cp, &s);
    int len = 0;
    EXPECT_EQ(decode_utf8(s.data(), &len), cp);
    EXPECT_EQ(static_cast<size_t>(len), s.size());
  }
}

TEST(Utf8Test, LossyReplacesMaximalSubparts) {
  // As Rust's String::from_utf8_lossy (and Python's errors="replace").
  EXPECT_EQ(utf8_lossy("ok"), "ok");
  EXPECT_EQ(utf8_lossy("a\xf0\x9f\x98"
                       "b"),
            "a\xef\xbf\xbd"
            "b");  // one for the prefix
  EXPECT_EQ(utf8_lossy("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // surrogate
  EXPECT_EQ(utf8_lossy("\xc3"), "\xef\xbf\xbd");
  EXPECT_EQ(utf8_lossy("\xff\xfe"), "\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(utf8_lossy("\xe4\xb8\xad\xe6"), "\xe4\xb8\xad\xef\xbf\xbd");
}

}  // namespace
}  // namespace fourbrain::formats::tokenizer
