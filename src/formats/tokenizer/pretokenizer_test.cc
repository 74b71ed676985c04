#include "formats/tokenizer/pretokenizer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace fourbrain::formats::tokenizer {
namespace {

using namespace std::string_view_literals;

std::vector<std::string> split(const PreTokenizer& p, std::string_view text) {
  std::vector<std::string> pieces;
  for (size_t pos = 0; pos < text.size();) {
    const size_t end = p.next_piece_end(text, pos);
    EXPECT_GT(end, pos);
    if (end <= pos) break;
    pieces.emplace_back(text.substr(pos, end - pos));
    pos = end;
  }
  return pieces;
}

struct Case {
  std::string_view text;
  std::vector<std::string> pieces;
  bool pcre2_differs = false;  // Oniguruma-only behaviour (case folding, Unicode 16)
};

// Expected pieces are HF tokenizers' Split(Qwen2 pattern, Isolated) on the same text.
const std::vector<Case>& hf_cases() {
  static const std::vector<Case> cases = {
      {"Hello world!!\n\n", {"Hello", " world", "!!\n\n"}},
      {"a\xc2\xa0"
       "b",
       {"a",
        "\xc2\xa0"
        "b"}},
      {"a\xc2\xa0\xc2\xa0"
       "b",
       {"a", "\xc2\xa0",
        "\xc2\xa0"
        "b"}},
      {"x \xe3\x80\x80\xe3\x80\x80y", {"x", " \xe3\x80\x80", "\xe3\x80\x80y"}},
      {"a\x1c"
       "b",
       {"a",
        "\x1c"
        "b"}},
      {"a\x1c\x1c"
       "b",
       {"a", "\x1c\x1c", "b"}},
      {"it'\xc5\xbf 'S 'LL 'Re '\xc5\xbft",
       {"it", "'\xc5\xbf", " '", "S", " '", "LL", " '", "Re", " '", "\xc5\xbft"},
       true},
      {"'\xc5\xbf"
       "a'Sa",
       {"'\xc5\xbf", "a", "'S", "a"},
       true},
      {"a  \n\n  b", {"a", "  \n\n", " ", " b"}},
      {"a \r\n \tb", {"a", " \r\n", " ", "\tb"}},
      {"  a", {" ", " a"}},
      {"a  ", {"a", "  "}},
      {"1234 ab12", {"1", "2", "3", "4", " ab", "1", "2"}},
      {"\xe0\xa4\xa8\xe0\xa4\xae\xe0\xa4\xb8\xe0\xa5\x8d\xe0\xa4\xa4\xe0\xa5\x87",
       {"\xe0\xa4\xa8\xe0\xa4\xae\xe0\xa4\xb8", "\xe0\xa5\x8d\xe0\xa4\xa4", "\xe0\xa5\x87"}},
      {"x\xcc\x81y", {"x", "\xcc\x81y"}},
      {"don't DON'T we'Ll", {"don", "'t", " DON", "'T", " we", "'Ll"}},
      {"foo   bar\tbaz", {"foo", "  ", " bar", "\tbaz"}},
      {"$x = y;  // c\r\n", {"$x", " =", " y", ";", " ", " //", " c", "\r\n"}},
      {"\r\rx", {"\r\r", "x"}},
      {"\n", {"\n"}},
      {" ", {" "}},
      {"  \xe2\x80\xa8x", {"  ", "\xe2\x80\xa8x"}},
      {"a\xc2\x85\xc2\x85"
       "b",
       {"a", "\xc2\x85",
        "\xc2\x85"
        "b"}},
      {"\xd9\xa3\xd9\xa4 \xc2\xb2", {"\xd9\xa3", "\xd9\xa4", " ", "\xc2\xb2"}},
      {"\xf0\x9f\x98\x80\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd ok",
       {"\xf0\x9f\x98\x80\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd", " ok"}},
      {"<|im_end|>", {"<|", "im", "_end", "|>"}},
      {"x...\n\ny", {"x", "...\n\n", "y"}},
      {" !!", {" !!"}},
      {"a\0b"sv, {"a", std::string("\0b"sv)}},
      {"\xe1\xb2\x89\xe1\xb2\x8a \xf0\x90\xb5\x80",  // Unicode 16 letters and a digit
       {"\xe1\xb2\x89\xe1\xb2\x8a", " ", "\xf0\x90\xb5\x80"},
       true},
  };
  return cases;
}

TEST(PreTokenizerTest, Qwen2PatternMatchesHf) {
  auto p = PreTokenizer::from_pattern(kQwen2SplitPattern);
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  EXPECT_TRUE((*p)->is_exact_qwen2());
  for (const Case& c : hf_cases()) EXPECT_EQ(split(**p, c.text), c.pieces) << c.text;
}

TEST(PreTokenizerTest, Pcre2FallbackAgreesOnPlainText) {
  // The same pattern, wrapped so that it is not recognised, runs on PCRE2.
  auto p = PreTokenizer::from_pattern(std::string("(?:") + kQwen2SplitPattern + ")");
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  EXPECT_FALSE((*p)->is_exact_qwen2());
  for (const Case& c : hf_cases()) {
    if (c.pcre2_differs) continue;
    EXPECT_EQ(split(**p, c.text), c.pieces) << c.text;
  }
}

TEST(PreTokenizerTest, Gpt2PatternAndGaps) {
  auto gpt2 = PreTokenizer::from_pattern(kGpt2SplitPattern);
  ASSERT_TRUE(gpt2.is_ok());
  EXPECT_EQ(split(**gpt2, "Hello world's 123!"),
            (std::vector<std::string>{"Hello", " world", "'s", " 123", "!"}));
  // Text between matches becomes pieces of its own (Isolated); empty matches give nothing.
  auto digits = PreTokenizer::from_pattern("[0-9]+|x*");
  ASSERT_TRUE(digits.is_ok());
  EXPECT_EQ(split(**digits, "ab12cd3"), (std::vector<std::string>{"ab", "12", "cd", "3"}));
}

TEST(PreTokenizerTest, BadPatternIsInvalidArgument) {
  auto p = PreTokenizer::from_pattern("(unclosed");
  ASSERT_FALSE(p.is_ok());
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fourbrain::formats::tokenizer
