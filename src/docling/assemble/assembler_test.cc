#include "docling/assemble/assembler.h"

#include <gtest/gtest.h>

namespace fourbrain::docling {
namespace {

TEST(JoinLines, RemovesHyphenBetweenWordParts) {
  EXPECT_EQ(join_lines({"incomprehensi-", "bilities here"}), "incomprehensibilities here");
  EXPECT_EQ(join_lines({"soft\u00ad", "hyphen"}), "softhyphen");
  EXPECT_EQ(join_lines({"a line", "and the next"}), "a line and the next");
  // A dash that is not between word characters stays, with a space.
  EXPECT_EQ(join_lines({"pages 1 -", "10"}), "pages 1 - 10");
  EXPECT_EQ(join_lines({"well-", "(known)"}), "well- (known)");
}

TEST(NormalizeText, StraightensQuotesLikeDocling) {
  EXPECT_EQ(normalize_text("  \u201cquoted\u201d and \u2018single\u2019  "), "\"quoted\" and 'single'");
  EXPECT_EQ(normalize_text("a\u2044b"), "a/b");
  EXPECT_EQ(normalize_text("\u2022 item"), "\u00b7 item");
}

// One page: a title, a numbered heading, a paragraph; two pages with a repeated header.
TEST(Assemble, FurnitureTitleAndLevels) {
  std::vector<PageContent> pages(2);
  std::vector<PageLayout> layouts(2);
  for (int p = 0; p < 2; ++p) {
    pages[p].page_no = p + 1;
    pages[p].width = 600;
    pages[p].height = 800;
    layouts[p].page_no = p + 1;
    LayoutCluster header;
    header.label = Label::kText;
    header.bbox = {50, 20, 300, 32};
    header.lines = {"Corpus report " + std::to_string(p + 1)};
    header.font_size = 9;
    layouts[p].clusters.push_back(header);
  }
  LayoutCluster title;
  title.label = Label::kSectionHeader;
  title.bbox = {100, 100, 500, 130};
  title.lines = {"A Report"};
  title.font_size = 24;
  LayoutCluster h1 = title;
  h1.lines = {"1 Introduction"};
  h1.font_size = 14;
  h1.heading_level = 1;
  h1.bbox = {50, 200, 300, 216};
  LayoutCluster h2 = h1;
  h2.lines = {"1.1 Scope"};
  h2.heading_level = 2;
  h2.bbox = {50, 300, 300, 316};
  LayoutCluster para;
  para.label = Label::kText;
  para.bbox = {50, 400, 550, 450};
  para.lines = {"Some text that is long-", "winded."};
  para.font_size = 10;
  layouts[0].clusters.insert(layouts[0].clusters.end(), {title, h1, h2, para});

  AssemblyInput input;
  for (const PageContent& p : pages) input.pages.push_back(&p);
  input.layouts = layouts;
  input.stats.body_font_size = 10;
  DoclingDocument doc;
  assemble_document(std::move(input), &doc);
  ASSERT_EQ(doc.texts.size(), 6u);
  EXPECT_EQ(doc.texts[0].label, Label::kPageHeader);
  EXPECT_EQ(doc.texts[0].layer, ContentLayer::kFurniture);
  EXPECT_EQ(doc.texts[1].label, Label::kTitle);
  EXPECT_EQ(doc.texts[2].level, 1);
  EXPECT_EQ(doc.texts[3].level, 2);
  EXPECT_EQ(doc.texts[4].text, "Some text that is longwinded.");
  EXPECT_EQ(doc.texts[4].orig, "Some text that is long- winded.");
  EXPECT_EQ(doc.texts[5].label, Label::kPageHeader);
  EXPECT_EQ(doc.body.size(), 6u);
}

}  // namespace
}  // namespace fourbrain::docling
