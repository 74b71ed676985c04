#include "docling/layout/text_rules.h"

#include <gtest/gtest.h>

namespace fourbrain::docling {
namespace {

TEST(ListMarker, BulletsAndEnumerators) {
  auto bullet = parse_list_marker("\u2022 Headings are recognised");
  ASSERT_TRUE(bullet.has_value());
  EXPECT_EQ(bullet->marker, "\u2022");
  EXPECT_FALSE(bullet->enumerated);
  EXPECT_EQ(std::string("\u2022 Headings are recognised").substr(bullet->text_start), "Headings are recognised");

  for (const char* text : {"1. Parse", "12) Parse", "(a) Parse", "b) Parse", "iv. Parse"}) {
    auto m = parse_list_marker(text);
    ASSERT_TRUE(m.has_value()) << text;
    EXPECT_TRUE(m->enumerated) << text;
    EXPECT_EQ(std::string(text).substr(m->text_start), "Parse") << text;
  }
  for (const char* text : {"1.5 million", "Hello world", "2024. was", "-", "(a Parse", "1234. x"}) {
    EXPECT_FALSE(parse_list_marker(text).has_value() && parse_list_marker(text)->marker != "1.5")
        << text;
  }
  EXPECT_FALSE(parse_list_marker("1.5 million").has_value());
  EXPECT_FALSE(parse_list_marker("Hello world").has_value());
}

TEST(HeadingNumbers, Depth) {
  EXPECT_EQ(heading_number_depth("1 Introduction"), 1);
  EXPECT_EQ(heading_number_depth("2.1 Ordered steps"), 2);
  EXPECT_EQ(heading_number_depth("3.1.1 Open questions"), 3);
  EXPECT_EQ(heading_number_depth("4. Results"), 1);
  EXPECT_EQ(heading_number_depth("Introduction"), 0);
  EXPECT_EQ(heading_number_depth("2024 10 pages"), 0);  // a number then a number: not a heading
  EXPECT_EQ(heading_number_depth("12"), 0);
}

TEST(Captions, NeedTheLabelNumberToEnd) {
  EXPECT_TRUE(looks_like_caption("Table 1: Throughput of three models"));
  EXPECT_TRUE(looks_like_caption("Figure 12. A chart"));
  EXPECT_TRUE(looks_like_caption("Fig. 3 - Layout"));
  EXPECT_TRUE(looks_like_caption("Table 2.1: Nested numbering"));
  EXPECT_FALSE(looks_like_caption("Table 1 has a two-row header."));
  EXPECT_FALSE(looks_like_caption("Figure 1 is a small generated image."));
  EXPECT_FALSE(looks_like_caption("Tables are hard"));
}

TEST(PageNumbers, CommonForms) {
  for (const char* text : {"12", "Page 3", "Page 2 of 3", "- 4 -", "3 / 10", "iv"}) {
    EXPECT_TRUE(looks_like_page_number(text)) << text;
  }
  for (const char* text : {"Chapter one", "Page header text", "123456"}) {
    EXPECT_FALSE(looks_like_page_number(text)) << text;
  }
}

TEST(Formulas, SignsWithFewWords) {
  EXPECT_TRUE(looks_like_formula("E = mc2"));
  EXPECT_TRUE(looks_like_formula("a\u00b2 + b\u00b2 = c\u00b2"));
  EXPECT_TRUE(looks_like_formula("\u2211 x_i \u2264 n max(x)"));
  EXPECT_FALSE(looks_like_formula("We set the learning rate to x = 3 for every run."));
  EXPECT_FALSE(looks_like_formula("No signs here at all"));
  EXPECT_FALSE(looks_like_formula(""));
}

TEST(FootnoteMarks, DigitsAndSymbols) {
  EXPECT_TRUE(starts_with_footnote_mark("1 The corpus"));
  EXPECT_TRUE(starts_with_footnote_mark("\u2020 Deceased"));
  EXPECT_FALSE(starts_with_footnote_mark("The corpus"));
}

}  // namespace
}  // namespace fourbrain::docling
