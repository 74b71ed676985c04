// The first layout analyzer: rules over the page's own cells. Order of work: tables from
// rules, pictures from images, tables from alignment, then paragraphs from the PDF parser's
// text blocks, split where a line's font changes or a list item starts, and labelled by
// font size and weight, numbering, monospace and position. Reading order is the parser's
// flow order (it handles columns); tables and pictures go where their content or position
// puts them.
#include <algorithm>
#include <cmath>
#include <map>

#include "docling/layout/layout.h"
#include "docling/layout/tables.h"
#include "docling/layout/text_rules.h"

namespace fourbrain::docling {
namespace {

// One visual line of a text block: the parser's line, all its cells.
struct Line {
  std::vector<int> cells;
  BBox bbox;
  std::string text;
  double font_size = 0;
  bool bold = true;
  bool monospace = true;
  int flow = 0, block = 0;
};

std::vector<Line> text_lines(const PageContent& page, const std::vector<bool>& used) {
  std::vector<Line> lines;
  for (size_t i = 0; i < page.cells.size(); ++i) {
    if (used[i]) continue;
    const TextCell& c = page.cells[i];
    bool same_line = !lines.empty() && lines.back().flow == c.flow &&
                     lines.back().block == c.block &&
                     page.cells[lines.back().cells.back()].line == c.line;
    if (!same_line) {
      lines.push_back({});
      lines.back().bbox = c.bbox;
      lines.back().font_size = c.font_size;
      lines.back().flow = c.flow;
      lines.back().block = c.block;
    } else {
      lines.back().text += ' ';
    }
    Line& line = lines.back();
    line.cells.push_back(static_cast<int>(i));
    line.bbox = line.bbox.united(c.bbox);
    line.text += c.text;
    line.bold &= c.bold;
    line.monospace &= c.monospace;
  }
  return lines;
}

bool style_changes(const Line& a, const Line& b) {
  return std::fabs(a.font_size - b.font_size) > 0.6 || a.bold != b.bold || a.monospace != b.monospace;
}

struct Paragraph {
  std::vector<const Line*> lines;
};

// Splits the lines of one parser block into paragraphs.
std::vector<Paragraph> split_block(const std::vector<const Line*>& block) {
  std::vector<Paragraph> out;
  for (const Line* line : block) {
    bool start = out.empty();
    if (!start) {
      const Line* prev = out.back().lines.back();
      double gap = line->bbox.t - prev->bbox.b;
      start = style_changes(*prev, *line) || parse_list_marker(line->text).has_value() ||
              looks_like_caption(line->text) ||
              gap > 0.8 * std::max(line->font_size, prev->font_size) ||
              line->bbox.t < prev->bbox.t;  // a jump back up: another column
    }
    if (start) out.push_back({});
    out.back().lines.push_back(line);
  }
  return out;
}

LayoutCluster label_paragraph(const Paragraph& para, const PageContent& page,
                              const DocumentStats& stats, bool page_has_objects) {
  LayoutCluster cluster;
  const Line& first = *para.lines.front();
  cluster.bbox = first.bbox;
  cluster.font_size = first.font_size;
  cluster.bold = first.bold;
  bool monospace = true;
  size_t chars = 0;
  for (const Line* line : para.lines) {
    cluster.bbox = cluster.bbox.united(line->bbox);
    cluster.cells.insert(cluster.cells.end(), line->cells.begin(), line->cells.end());
    cluster.lines.push_back(line->text);
    cluster.line_boxes.push_back(line->bbox);
    monospace &= line->monospace;
    chars += line->text.size();
  }
  const std::string& text = first.text;
  if (monospace) {
    cluster.label = Label::kCode;
    return cluster;
  }
  bool formula = para.lines.size() <= 3;
  for (const Line* line : para.lines) formula &= looks_like_formula(line->text);
  if (formula) {
    cluster.label = Label::kFormula;
    return cluster;
  }
  double size = first.font_size;
  bool larger = size >= stats.body_font_size + 0.9;
  bool smaller = size <= stats.body_font_size - 0.9;
  bool emphasised = first.bold && !stats.body_bold;
  int depth = heading_number_depth(text);
  bool short_text = para.lines.size() <= 3 && chars <= 200;
  bool ends_like_sentence = !text.empty() && (para.lines.back()->text.back() == '.' && depth == 0);
  if (short_text && !ends_like_sentence && (larger || (emphasised && chars <= 150))) {
    cluster.label = Label::kSectionHeader;
    cluster.heading_level = depth;
    return cluster;
  }
  if (auto marker = parse_list_marker(text)) {
    cluster.label = Label::kListItem;
    cluster.list_marker = marker->marker;
    cluster.enumerated = marker->enumerated;
    cluster.lines[0] = text.substr(marker->text_start);
    return cluster;
  }
  if (page_has_objects && looks_like_caption(text)) {
    cluster.label = Label::kCaption;
    return cluster;
  }
  if (smaller && cluster.bbox.t > 0.6 * page.height && starts_with_footnote_mark(text)) {
    cluster.label = Label::kFootnote;
    return cluster;
  }
  cluster.label = Label::kText;
  return cluster;
}

// A footnote's mark is often set apart (superscript, or a tab after it), so the parser
// makes it a line of its own: a short mark in a small font, followed by text on the same
// line to its right, joins that text as a footnote.
void join_footnote_marks(const DocumentStats& stats, std::vector<LayoutCluster>* clusters) {
  std::vector<LayoutCluster> out;
  for (size_t k = 0; k < clusters->size(); ++k) {
    LayoutCluster& c = (*clusters)[k];
    bool mark = c.lines.size() == 1 && c.lines[0].size() <= 3 && starts_with_footnote_mark(c.lines[0]) &&
                c.font_size <= stats.body_font_size - 0.9;
    if (mark && k + 1 < clusters->size()) {
      LayoutCluster& next = (*clusters)[k + 1];
      bool same_line = next.bbox.t < c.bbox.b && next.bbox.t + next.font_size > c.bbox.t &&
                       next.bbox.l >= c.bbox.r - 1 && next.bbox.l - c.bbox.r < 3 * next.font_size;
      if (same_line && (next.label == Label::kText || next.label == Label::kFootnote)) {
        next.label = Label::kFootnote;
        next.lines[0] = c.lines[0] + " " + next.lines[0];
        next.bbox = next.bbox.united(c.bbox);
        next.line_boxes[0] = next.line_boxes[0].united(c.bbox);
        next.cells.insert(next.cells.begin(), c.cells.begin(), c.cells.end());
        continue;
      }
    }
    out.push_back(std::move(c));
  }
  *clusters = std::move(out);
}

// Consecutive monospace paragraphs of one column are one code block.
void merge_code(std::vector<LayoutCluster>* clusters) {
  std::vector<LayoutCluster> out;
  for (LayoutCluster& c : *clusters) {
    if (!out.empty() && c.label == Label::kCode && out.back().label == Label::kCode &&
        c.bbox.t >= out.back().bbox.t && c.bbox.t - out.back().bbox.b < 2.5 * c.font_size &&
        c.bbox.l < out.back().bbox.r && c.bbox.r > out.back().bbox.l) {
      LayoutCluster& prev = out.back();
      prev.bbox = prev.bbox.united(c.bbox);
      prev.cells.insert(prev.cells.end(), c.cells.begin(), c.cells.end());
      prev.lines.insert(prev.lines.end(), c.lines.begin(), c.lines.end());
      prev.line_boxes.insert(prev.line_boxes.end(), c.line_boxes.begin(), c.line_boxes.end());
      continue;
    }
    out.push_back(std::move(c));
  }
  *clusters = std::move(out);
}

// The text inside a picture (drawn into it and recognised, or PDF text over it), one entry
// per line, for the picture's children.
void add_picture_text(const PageContent& page, LayoutCluster* picture) {
  for (int i : picture->cells) {
    const TextCell& cell = page.cells[i];
    bool same_line = !picture->lines.empty() && i > 0 && page.cells[i - 1].line == cell.line &&
                     page.cells[i - 1].flow == cell.flow && page.cells[i - 1].block == cell.block &&
                     picture->cells.front() != i;
    if (same_line) {
      picture->lines.back() += " " + cell.text;
      picture->line_boxes.back() = picture->line_boxes.back().united(cell.bbox);
    } else {
      picture->lines.push_back(cell.text);
      picture->line_boxes.push_back(cell.bbox);
    }
  }
}

// Image placements merged where they overlap; tiny ones (rules drawn as images, dots) dropped.
std::vector<BBox> picture_regions(const PageContent& page) {
  std::vector<BBox> boxes;
  for (const BBox& b : page.images) {
    BBox clipped{std::max(0.0, b.l), std::max(0.0, b.t), std::min(page.width, b.r),
                 std::min(page.height, b.b)};
    if (clipped.width() < 10 || clipped.height() < 10) continue;
    bool merged = false;
    for (BBox& existing : boxes) {
      if (existing.overlap_area(clipped) > 0) {
        existing = existing.united(clipped);
        merged = true;
        break;
      }
    }
    if (!merged) boxes.push_back(clipped);
  }
  return boxes;
}

class HeuristicLayoutAnalyzer : public LayoutAnalyzer {
 public:
  std::string name() const override { return "heuristic"; }

  Result<PageLayout> analyze(const PageContent& page, const DocumentStats& stats) const override {
    std::vector<bool> used(page.cells.size(), false);
    // Objects (tables, pictures) with the position in reading order they take.
    struct Placed {
      LayoutCluster cluster;
      double order = 0;
    };
    std::vector<Placed> objects;
    auto add_table = [&](DetectedTable& t) {
      for (int i : t.cells) used[i] = true;
      LayoutCluster c;
      c.label = Label::kTable;
      c.bbox = t.bbox;
      c.cells = t.cells;
      c.table = std::move(t.structure);
      objects.push_back({std::move(c), -1});
    };
    for (DetectedTable& t : find_ruled_tables(page)) add_table(t);
    for (const BBox& box : picture_regions(page)) {
      LayoutCluster c;
      c.label = Label::kPicture;
      c.bbox = box;
      for (size_t i = 0; i < page.cells.size(); ++i) {
        if (!used[i] && page.cells[i].bbox.fraction_inside(box) > 0.5) {
          used[i] = true;
          c.cells.push_back(static_cast<int>(i));
        }
      }
      add_picture_text(page, &c);
      objects.push_back({std::move(c), -1});
    }
    for (DetectedTable& t : find_aligned_tables(page, used)) add_table(t);

    std::vector<Line> lines = text_lines(page, used);
    std::vector<LayoutCluster> clusters;
    for (size_t i = 0; i < lines.size();) {
      std::vector<const Line*> block;
      size_t j = i;
      while (j < lines.size() && lines[j].flow == lines[i].flow && lines[j].block == lines[i].block) {
        block.push_back(&lines[j++]);
      }
      for (const Paragraph& p : split_block(block)) {
        clusters.push_back(label_paragraph(p, page, stats, !objects.empty()));
      }
      i = j;
    }
    merge_code(&clusters);
    join_footnote_marks(stats, &clusters);
    place_objects(page, &objects, clusters);

    PageLayout layout;
    layout.page_no = page.page_no;
    size_t next_object = 0;
    std::sort(objects.begin(), objects.end(),
              [](const Placed& a, const Placed& b) { return a.order < b.order; });
    for (size_t k = 0; k <= clusters.size(); ++k) {
      while (next_object < objects.size() && objects[next_object].order < static_cast<double>(k)) {
        layout.clusters.push_back(std::move(objects[next_object++].cluster));
      }
      if (k < clusters.size()) layout.clusters.push_back(std::move(clusters[k]));
    }
    return layout;
  }

 private:
  // A table goes where the parser's order had its first cell; a picture (or an empty table)
  // after the last text above it in the same column, else before the first text below it.
  template <typename Placed>
  static void place_objects(const PageContent& page, std::vector<Placed>* objects,
                            const std::vector<LayoutCluster>& clusters) {
    auto key = [&](int cell) {
      const TextCell& c = page.cells[cell];
      return std::make_tuple(c.flow, c.block, c.line);
    };
    for (Placed& object : *objects) {
      const BBox& box = object.cluster.bbox;
      if (object.cluster.label == Label::kTable && !object.cluster.cells.empty()) {
        auto first = key(*std::min_element(object.cluster.cells.begin(), object.cluster.cells.end(),
                                           [&](int a, int b) { return key(a) < key(b); }));
        size_t k = 0;
        while (k < clusters.size() && !clusters[k].cells.empty() && key(clusters[k].cells[0]) < first) ++k;
        object.order = static_cast<double>(k) - 0.5;
        continue;
      }
      double order = -0.5;
      double best_bottom = -1e9;
      for (size_t k = 0; k < clusters.size(); ++k) {
        const BBox& c = clusters[k].bbox;
        bool overlaps_x = c.l < box.r && c.r > box.l;
        if (overlaps_x && c.b <= box.t + 2 && c.b > best_bottom) {
          best_bottom = c.b;
          order = static_cast<double>(k) + 0.5;
        }
      }
      if (best_bottom == -1e9) {
        for (size_t k = 0; k < clusters.size(); ++k) {
          if (clusters[k].bbox.t >= box.b - 2) {
            order = static_cast<double>(k) - 0.5;
            break;
          }
          order = static_cast<double>(k) + 0.5;
        }
      }
      object.order = order;
    }
  }
};

}  // namespace

DocumentStats compute_document_stats(const std::vector<const PageContent*>& pages) {
  std::map<int, size_t> chars_by_size;       // size in half points -> characters
  std::map<int, size_t> bold_chars_by_size;
  for (const PageContent* page : pages) {
    for (const TextCell& c : page->cells) {
      int key = static_cast<int>(std::lround(c.font_size * 2));
      chars_by_size[key] += c.text.size();
      if (c.bold) bold_chars_by_size[key] += c.text.size();
    }
  }
  DocumentStats stats;
  size_t best = 0;
  for (const auto& [key, chars] : chars_by_size) {
    if (chars > best) {
      best = chars;
      stats.body_font_size = key / 2.0;
      stats.body_bold = bold_chars_by_size[key] * 2 > chars;
    }
  }
  return stats;
}

std::unique_ptr<LayoutAnalyzer> make_heuristic_layout_analyzer() {
  return std::make_unique<HeuristicLayoutAnalyzer>();
}

}  // namespace fourbrain::docling
