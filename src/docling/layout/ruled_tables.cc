// Tables drawn with ruling lines: lines that touch form a component; a component with at
// least two horizontal and two vertical lines is a grid. Boundaries between neighbouring
// grid cells that no line covers are merged cells (row and column spans).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "docling/layout/tables.h"

namespace fourbrain::docling {
namespace {

constexpr double kTouch = 2.5;      // points: lines this close touch
constexpr double kMinGap = 4.0;     // boundaries closer than this are one boundary
constexpr double kMinLength = 8.0;  // shorter segments are not rules

struct UnionFind {
  std::vector<int> parent;
  explicit UnionFind(size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  int find(int x) { return parent[x] == x ? x : parent[x] = find(parent[x]); }
  void unite(int a, int b) { parent[find(a)] = find(b); }
};

// Sorted positions with near-duplicates (within kMinGap) merged to their mean.
std::vector<double> cluster_positions(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  std::vector<double> out;
  double sum = 0;
  int n = 0;
  for (double v : values) {
    if (n > 0 && v - sum / n > kMinGap) {
      out.push_back(sum / n);
      sum = 0;
      n = 0;
    }
    sum += v;
    ++n;
  }
  if (n > 0) out.push_back(sum / n);
  return out;
}

// Does some segment among `lines` lie on the boundary (fixed coordinate `at`) and cover at
// least half of [from, to]?
bool covered(const std::vector<RuleLine>& lines, bool horizontal, double at, double from,
             double to) {
  double covered_length = 0;
  for (const RuleLine& l : lines) {
    double fixed = horizontal ? l.y0 : l.x0;
    if (std::fabs(fixed - at) > kTouch + 1) continue;
    double a = horizontal ? l.x0 : l.y0, b = horizontal ? l.x1 : l.y1;
    covered_length += std::max(0.0, std::min(b, to) - std::max(a, from));
  }
  return covered_length >= 0.5 * (to - from);
}

bool touches(const RuleLine& a, const RuleLine& b) {
  auto within = [](double v, double lo, double hi) { return v >= lo - kTouch && v <= hi + kTouch; };
  if (a.horizontal() && b.horizontal()) {
    return std::fabs(a.y0 - b.y0) <= kTouch && b.x0 <= a.x1 + kTouch && b.x1 >= a.x0 - kTouch;
  }
  if (a.vertical() && b.vertical()) {
    return std::fabs(a.x0 - b.x0) <= kTouch && b.y0 <= a.y1 + kTouch && b.y1 >= a.y0 - kTouch;
  }
  const RuleLine& h = a.horizontal() ? a : b;
  const RuleLine& v = a.horizontal() ? b : a;
  return within(v.x0, h.x0, h.x1) && within(h.y0, v.y0, v.y1);
}

std::optional<DetectedTable> grid_table(const std::vector<RuleLine>& lines) {
  std::vector<double> ys, xs;
  for (const RuleLine& l : lines) (l.horizontal() ? ys : xs).push_back(l.horizontal() ? l.y0 : l.x0);
  ys = cluster_positions(ys);
  xs = cluster_positions(xs);
  if (ys.size() < 2 || xs.size() < 2) return std::nullopt;
  int rows = static_cast<int>(ys.size()) - 1, cols = static_cast<int>(xs.size()) - 1;
  // Merge neighbouring grid cells that no rule separates.
  UnionFind uf(static_cast<size_t>(rows) * cols);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      if (c + 1 < cols && !covered(lines, false, xs[c + 1], ys[r], ys[r + 1])) {
        uf.unite(r * cols + c, r * cols + c + 1);
      }
      if (r + 1 < rows && !covered(lines, true, ys[r + 1], xs[c], xs[c + 1])) {
        uf.unite(r * cols + c, (r + 1) * cols + c);
      }
    }
  }
  DetectedTable table;
  table.bbox = {xs.front(), ys.front(), xs.back(), ys.back()};
  table.structure.num_rows = rows;
  table.structure.num_cols = cols;
  std::vector<int> cell_of_root(static_cast<size_t>(rows) * cols, -1);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      int root = uf.find(r * cols + c);
      int& index = cell_of_root[root];
      if (index < 0) {
        index = static_cast<int>(table.structure.cells.size());
        TableCellData cell;
        cell.bbox = {xs[c], ys[r], xs[c + 1], ys[r + 1]};
        cell.start_row = r;
        cell.end_row = r + 1;
        cell.start_col = c;
        cell.end_col = c + 1;
        table.structure.cells.push_back(std::move(cell));
      }
      TableCellData& cell = table.structure.cells[index];
      cell.start_row = std::min(cell.start_row, r);
      cell.end_row = std::max(cell.end_row, r + 1);
      cell.start_col = std::min(cell.start_col, c);
      cell.end_col = std::max(cell.end_col, c + 1);
      cell.bbox = cell.bbox.united({xs[c], ys[r], xs[c + 1], ys[r + 1]});
    }
  }
  return table;
}

// The first row is the column header, and so is every row that a first-row cell spans
// down into (a two-row header with merged cells).
void mark_header_rows(TableStructure* table) {
  if (table->num_rows < 2) return;
  int header_rows = 1;
  for (const TableCellData& c : table->cells) {
    if (c.start_row == 0) header_rows = std::max(header_rows, c.end_row);
  }
  if (header_rows >= table->num_rows) header_rows = 1;
  for (TableCellData& c : table->cells) c.column_header = c.start_row < header_rows;
}

}  // namespace

std::vector<DetectedTable> find_ruled_tables(const PageContent& page) {
  std::vector<RuleLine> rules;
  for (const RuleLine& l : page.lines) {
    double length = l.horizontal() ? l.x1 - l.x0 : l.y1 - l.y0;
    if ((l.horizontal() || l.vertical()) && length >= kMinLength) rules.push_back(l);
  }
  if (rules.size() < 4 || rules.size() > 20000) return {};
  // Components of touching lines.
  UnionFind uf(rules.size());
  for (size_t i = 0; i < rules.size(); ++i) {
    for (size_t j = i + 1; j < rules.size(); ++j) {
      const RuleLine& a = rules[i];
      const RuleLine& b = rules[j];
      if (touches(a, b)) uf.unite(static_cast<int>(i), static_cast<int>(j));
    }
  }
  std::vector<std::vector<RuleLine>> components(rules.size());
  for (size_t i = 0; i < rules.size(); ++i) components[uf.find(static_cast<int>(i))].push_back(rules[i]);

  std::vector<DetectedTable> tables;
  std::vector<bool> used(page.cells.size(), false);
  for (const auto& component : components) {
    if (component.size() < 4) continue;
    auto table = grid_table(component);
    if (!table) continue;
    // A frame around the whole page, or a box around one paragraph, is not a table.
    if (table->structure.num_rows * table->structure.num_cols < 2) continue;
    table->cells = fill_table_text(page, used, &table->structure);
    int filled = 0;
    for (const TableCellData& c : table->structure.cells) filled += c.text.empty() ? 0 : 1;
    if (filled < 2) continue;
    for (int i : table->cells) used[i] = true;
    mark_header_rows(&table->structure);
    tables.push_back(std::move(*table));
  }
  return tables;
}

std::vector<int> fill_table_text(const PageContent& page, const std::vector<bool>& used,
                                 TableStructure* table) {
  std::vector<std::vector<int>> members(table->cells.size());
  std::vector<int> taken;
  for (size_t i = 0; i < page.cells.size(); ++i) {
    if (used[i]) continue;
    const BBox& b = page.cells[i].bbox;
    double cx = (b.l + b.r) / 2, cy = (b.t + b.b) / 2;
    for (size_t k = 0; k < table->cells.size(); ++k) {
      if (table->cells[k].bbox.contains(cx, cy)) {
        members[k].push_back(static_cast<int>(i));
        taken.push_back(static_cast<int>(i));
        break;
      }
    }
  }
  for (size_t k = 0; k < table->cells.size(); ++k) {
    auto& m = members[k];
    std::sort(m.begin(), m.end(), [&](int a, int b) {
      const BBox& x = page.cells[a].bbox;
      const BBox& y = page.cells[b].bbox;
      if (std::fabs(x.t - y.t) > 0.5 * std::min(x.height(), y.height())) return x.t < y.t;
      return x.l < y.l;
    });
    std::string text;
    for (int i : m) {
      if (!text.empty()) text += ' ';
      text += page.cells[i].text;
    }
    table->cells[k].text = text;
  }
  std::sort(taken.begin(), taken.end());
  return taken;
}

}  // namespace fourbrain::docling
