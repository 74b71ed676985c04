// Tables without rules: runs of at least three consecutive visual rows that each hold two
// or more short cells, whose cells fall into the same column bands. Lines of running text
// are long, so the two columns of a two-column page do not qualify.
#include <algorithm>
#include <cmath>

#include "docling/layout/tables.h"

namespace fourbrain::docling {
namespace {

constexpr int kMinRows = 3;
constexpr double kMaxCellWidthFraction = 0.42;  // of the page's text width

struct Row {
  std::vector<int> cells;  // sorted by x
  double top = 0, bottom = 0;
};

std::vector<Row> visual_rows(const PageContent& page, const std::vector<int>& candidates) {
  std::vector<int> order = candidates;
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    return page.cells[a].bbox.t + page.cells[a].bbox.b < page.cells[b].bbox.t + page.cells[b].bbox.b;
  });
  std::vector<Row> rows;
  for (int i : order) {
    const BBox& b = page.cells[i].bbox;
    double cy = (b.t + b.b) / 2;
    if (!rows.empty()) {
      Row& row = rows.back();
      double row_cy = (row.top + row.bottom) / 2;
      if (std::fabs(cy - row_cy) < 0.5 * std::min(b.height(), row.bottom - row.top)) {
        row.cells.push_back(i);
        row.top = std::min(row.top, b.t);
        row.bottom = std::max(row.bottom, b.b);
        continue;
      }
    }
    rows.push_back({{i}, b.t, b.b});
  }
  for (Row& row : rows) {
    std::sort(row.cells.begin(), row.cells.end(),
              [&](int a, int b) { return page.cells[a].bbox.l < page.cells[b].bbox.l; });
  }
  return rows;
}

// Column bands: the union of the cells' x-intervals, merged where they overlap.
std::vector<std::pair<double, double>> column_bands(const PageContent& page,
                                                    const std::vector<Row>& rows) {
  std::vector<std::pair<double, double>> spans;
  for (const Row& row : rows) {
    for (int i : row.cells) spans.push_back({page.cells[i].bbox.l, page.cells[i].bbox.r});
  }
  std::sort(spans.begin(), spans.end());
  std::vector<std::pair<double, double>> bands;
  for (const auto& s : spans) {
    if (!bands.empty() && s.first <= bands.back().second + 1.0) {
      bands.back().second = std::max(bands.back().second, s.second);
    } else {
      bands.push_back(s);
    }
  }
  return bands;
}

std::optional<DetectedTable> make_table(const PageContent& page, const std::vector<Row>& rows) {
  auto bands = column_bands(page, rows);
  if (bands.size() < 2) return std::nullopt;
  DetectedTable table;
  table.structure.num_rows = static_cast<int>(rows.size());
  table.structure.num_cols = static_cast<int>(bands.size());
  bool first = true;
  for (int r = 0; r < static_cast<int>(rows.size()); ++r) {
    std::vector<std::vector<int>> per_col(bands.size());
    for (int i : rows[r].cells) {
      const BBox& b = page.cells[i].bbox;
      for (size_t c = 0; c < bands.size(); ++c) {
        if (b.l >= bands[c].first - 0.5 && b.r <= bands[c].second + 0.5) {
          per_col[c].push_back(i);
          break;
        }
      }
    }
    for (size_t c = 0; c < bands.size(); ++c) {
      if (per_col[c].empty()) continue;
      TableCellData cell;
      cell.start_row = r;
      cell.end_row = r + 1;
      cell.start_col = static_cast<int>(c);
      cell.end_col = static_cast<int>(c) + 1;
      cell.column_header = r == 0;
      cell.bbox = page.cells[per_col[c][0]].bbox;
      for (int i : per_col[c]) {
        if (!cell.text.empty()) cell.text += ' ';
        cell.text += page.cells[i].text;
        cell.bbox = cell.bbox.united(page.cells[i].bbox);
        table.cells.push_back(i);
      }
      table.bbox = first ? cell.bbox : table.bbox.united(cell.bbox);
      first = false;
      table.structure.cells.push_back(std::move(cell));
    }
  }
  std::sort(table.cells.begin(), table.cells.end());
  return table;
}

}  // namespace

std::vector<DetectedTable> find_aligned_tables(const PageContent& page,
                                               const std::vector<bool>& used) {
  std::vector<int> candidates;
  double text_l = 1e9, text_r = -1e9;
  for (size_t i = 0; i < page.cells.size(); ++i) {
    text_l = std::min(text_l, page.cells[i].bbox.l);
    text_r = std::max(text_r, page.cells[i].bbox.r);
    if (!used[i] && !page.cells[i].monospace) candidates.push_back(static_cast<int>(i));
  }
  double max_width = kMaxCellWidthFraction * (text_r - text_l);
  std::vector<Row> rows = visual_rows(page, candidates);
  auto tabular = [&](const Row& row) {
    if (row.cells.size() < 2) return false;
    for (int i : row.cells) {
      if (page.cells[i].bbox.width() > max_width) return false;
    }
    return true;
  };
  std::vector<DetectedTable> tables;
  size_t r = 0;
  while (r < rows.size()) {
    if (!tabular(rows[r])) {
      ++r;
      continue;
    }
    size_t end = r + 1;
    double line_height = rows[r].bottom - rows[r].top;
    while (end < rows.size() && tabular(rows[end]) &&
           rows[end].top - rows[end - 1].bottom < 2.0 * line_height) {
      ++end;
    }
    if (end - r >= static_cast<size_t>(kMinRows)) {
      std::vector<Row> run(rows.begin() + r, rows.begin() + end);
      if (auto table = make_table(page, run)) tables.push_back(std::move(*table));
    }
    r = end;
  }
  return tables;
}

}  // namespace fourbrain::docling
