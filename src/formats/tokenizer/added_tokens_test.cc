#include "formats/tokenizer/added_tokens.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace fourbrain::formats::tokenizer {
namespace {

// "[text]" for text spans, "<id:matched text>" for tokens.
std::string show(const AddedTokenMatcher& m, std::string_view text) {
  std::vector<AddedTokenMatcher::Span> spans;
  m.split(text, &spans);
  std::string out;
  for (const auto& s : spans) {
    // append() rather than operator+ chains, which trip GCC 12's -Wrestrict.
    if (s.id < 0) {
      out.append("[").append(text.substr(s.begin, s.end - s.begin)).append("]");
    } else {
      out.append("<").append(std::to_string(s.id)).append(":");
      out.append(text.substr(s.begin, s.end - s.begin)).append(">");
    }
  }
  return out;
}

AddedToken token(std::string content, int32_t id) {
  AddedToken t;
  t.content = std::move(content);
  t.id = id;
  return t;
}

TEST(AddedTokensTest, LeftmostThenLongest) {
  const AddedTokenMatcher m({token("ab", 1), token("abcd", 2), token("bcdef", 3)});
  // HF: "abcdefg" -> abcd, ef, g; "xbcdefab" -> x, bcdef, ab.
  EXPECT_EQ(show(m, "abcdefg"), "<2:abcd>[efg]");
  EXPECT_EQ(show(m, "xbcdefab"), "[x]<3:bcdef><1:ab>");
  EXPECT_EQ(show(m, "nothing here"), "[nothing here]");
  EXPECT_EQ(show(m, ""), "");
}

TEST(AddedTokensTest, QwenSpecialTokens) {
  const AddedTokenMatcher m(
      {token("<|im_start|>", 151644), token("<|im_end|>", 151645), token("<think>", 151667)});
  EXPECT_EQ(show(m, "<|im_start|>user\nhi<|im_end|>"),
            "<151644:<|im_start|>>[user\nhi]<151645:<|im_end|>>");
  EXPECT_EQ(show(m, "<|im_<think><|im_end"), "[<|im_]<151667:<think>>[<|im_end]");
  EXPECT_EQ(show(m, "<<think>>"), "[<]<151667:<think>>[>]");
}

TEST(AddedTokensTest, StripAndSingleWordFlags) {
  AddedToken l = token("<L>", 1), r = token("<R>", 2), w = token("<W>", 3);
  l.lstrip = true;
  r.rstrip = true;
  w.single_word = true;
  const AddedTokenMatcher m({l, r, w});
  // Expected spans follow HF's offsets for the same tokens.
  EXPECT_EQ(show(m, "x  <L>y"), "[x]<1:  <L>>[y]");
  EXPECT_EQ(show(m, "x  <R>  y"), "[x  ]<2:<R>  >[y]");
  EXPECT_EQ(show(m, "x <W> y"), "[x ]<3:<W>>[ y]");
  EXPECT_EQ(show(m, "x<W>y"), "[x<W>y]");
  EXPECT_EQ(show(m, "x <W>y"), "[x <W>y]");
  EXPECT_EQ(show(m, "1<W>"), "[1<W>]");
  EXPECT_EQ(show(m, "\xc3\xa9<W> "), "[\xc3\xa9<W> ]");
  EXPECT_EQ(show(m, "<W>"), "<3:<W>>");
}

TEST(AddedTokensTest, DifferentFirstBytes) {
  const AddedTokenMatcher m({token("[CLS]", 1), token("<s>", 2), token("\xe2\x96\x81x", 3)});
  EXPECT_EQ(show(m, "a<s>b[CLS]c\xe2\x96\x81xd"), "[a]<2:<s>>[b]<1:[CLS]>[c]<3:\xe2\x96\x81x>[d]");
}

}  // namespace
}  // namespace fourbrain::formats::tokenizer
