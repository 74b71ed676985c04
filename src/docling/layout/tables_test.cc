#include "docling/layout/tables.h"

#include <gtest/gtest.h>

namespace fourbrain::docling {
namespace {

TextCell cell(const std::string& text, double l, double t, double r, double b) {
  TextCell c;
  c.text = text;
  c.bbox = {l, t, r, b};
  c.font_size = 10;
  return c;
}

// A 3x3 grid whose top-left two cells are merged (no rule between them).
TEST(RuledTables, GridWithMergedCell) {
  PageContent page;
  page.width = 600;
  page.height = 800;
  for (double y : {100.0, 120.0, 140.0, 160.0}) page.lines.push_back({100, y, 400, y});
  page.lines.push_back({100, 100, 100, 160});
  page.lines.push_back({200, 120, 200, 160});  // missing between row 0's first two cells
  page.lines.push_back({300, 100, 300, 160});
  page.lines.push_back({400, 100, 400, 160});
  page.cells = {cell("Merged", 120, 104, 180, 116), cell("C", 320, 104, 380, 116),
                cell("a", 110, 124, 130, 136),      cell("b", 210, 124, 230, 136),
                cell("c", 310, 124, 330, 136),      cell("x", 110, 144, 130, 156),
                cell("outside", 450, 300, 500, 310)};
  auto tables = find_ruled_tables(page);
  ASSERT_EQ(tables.size(), 1u);
  const TableStructure& t = tables[0].structure;
  EXPECT_EQ(t.num_rows, 3);
  EXPECT_EQ(t.num_cols, 3);
  EXPECT_EQ(t.cells.size(), 8u);  // 9 grid cells, two merged
  const TableCellData& merged = t.cells[0];
  EXPECT_EQ(merged.text, "Merged");
  EXPECT_EQ(merged.col_span(), 2);
  EXPECT_EQ(merged.row_span(), 1);
  EXPECT_TRUE(merged.column_header);
  EXPECT_EQ(tables[0].cells.size(), 6u);  // "outside" is not in the table
}

TEST(RuledTables, ABoxAroundOneParagraphIsNotATable) {
  PageContent page;
  page.width = 600;
  page.height = 800;
  page.lines = {{100, 100, 400, 100}, {100, 200, 400, 200}, {100, 100, 100, 200}, {400, 100, 400, 200}};
  page.cells = {cell("Just a framed note", 110, 110, 300, 122)};
  EXPECT_TRUE(find_ruled_tables(page).empty());
}

TEST(AlignedTables, ColumnsWithoutRules) {
  PageContent page;
  page.width = 600;
  page.height = 800;
  const char* rows[4][3] = {{"Option", "Default", "Meaning"},
                            {"--to", "json", "Output format"},
                            {"-o", "stdout", "Where to write"},
                            {"--pages", "all", "Page range"}};
  for (int r = 0; r < 4; ++r) {
    double y = 100 + 16 * r;
    page.cells.push_back(cell(rows[r][0], 70, y, 110, y + 11));
    page.cells.push_back(cell(rows[r][1], 200, y, 240, y + 11));
    page.cells.push_back(cell(rows[r][2], 330, y, 420, y + 11));
  }
  page.cells.push_back(cell("A paragraph line that runs across the whole text width of the page",
                            70, 200, 530, 211));
  std::vector<bool> used(page.cells.size(), false);
  auto tables = find_aligned_tables(page, used);
  ASSERT_EQ(tables.size(), 1u);
  EXPECT_EQ(tables[0].structure.num_rows, 4);
  EXPECT_EQ(tables[0].structure.num_cols, 3);
  EXPECT_EQ(tables[0].structure.cells[5].text, "Output format");
  EXPECT_EQ(tables[0].cells.size(), 12u);
}

TEST(AlignedTables, TwoTextColumnsAreNotATable) {
  PageContent page;
  page.width = 600;
  page.height = 800;
  for (int r = 0; r < 10; ++r) {
    double y = 100 + 14 * r;
    page.cells.push_back(cell("left column running text, a long line", 70, y, 290, y + 11));
    page.cells.push_back(cell("right column running text, a long line", 310, y, 530, y + 11));
  }
  std::vector<bool> used(page.cells.size(), false);
  EXPECT_TRUE(find_aligned_tables(page, used).empty());
}

}  // namespace
}  // namespace fourbrain::docling
