// Layout analysis: what each region of a page is (title, heading, paragraph, list item,
// table, picture, ...) and in which order the regions are read. One interface, so that a
// learned layout model (Docling's RT-DETR detector, a later step) can replace or refine the
// first implementation, which analyses the cells themselves (make_heuristic_layout_analyzer).
//
// Analyzers are stateless apart from configuration and may be shared between threads.
// Failure: a page they cannot analyse is an error for that page only.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "docling/document.h"
#include "docling/pdf/page_content.h"

namespace fourbrain::docling {

// A table's structure: its grid and cells (text filled from the page's cells).
struct TableStructure {
  int num_rows = 0;
  int num_cols = 0;
  std::vector<TableCellData> cells;
};

// One region of a page. Text regions list their cells' indices in reading order.
struct LayoutCluster {
  Label label = Label::kText;
  BBox bbox;
  std::vector<int> cells;       // indices into PageContent::cells
  std::vector<std::string> lines;  // the region's text, one entry per visual line
  std::vector<BBox> line_boxes;    // one per entry of `lines`
  double font_size = 0;         // of the region's first line
  bool bold = false;
  std::string list_marker;      // list items: the marker, removed from `lines[0]`
  bool enumerated = false;
  int heading_level = 0;        // headings: depth of their numbering ("2.1" = 2); 0 if none
  std::optional<TableStructure> table;
};

// Regions in reading order.
struct PageLayout {
  int page_no = 0;
  std::vector<LayoutCluster> clusters;
};

// What a page-level analysis needs to know about the whole document.
struct DocumentStats {
  double body_font_size = 10;  // the size that carries the most characters
  bool body_bold = false;
};
DocumentStats compute_document_stats(const std::vector<const PageContent*>& pages);

class LayoutAnalyzer {
 public:
  virtual ~LayoutAnalyzer() = default;
  virtual std::string name() const = 0;
  virtual Result<PageLayout> analyze(const PageContent& page, const DocumentStats& stats) const = 0;
};

// Rules over the cells, lines and images that the PDF (or OCR) gives: tables from ruling
// lines and from column alignment, paragraphs from the parser's text blocks split where the
// font or a list marker says so, labels from font size, weight, numbering and position.
std::unique_ptr<LayoutAnalyzer> make_heuristic_layout_analyzer();

}  // namespace fourbrain::docling
