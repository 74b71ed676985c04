// What a PDF page holds, as the layout analysis needs it: text cells with their fonts,
// ruling lines, filled rectangles and image regions, all in the page's displayed frame
// (rotation applied), in PDF points with the origin at the TOP-LEFT corner. Plain data;
// the PDF parser fills it (docling/pdf/pdf_reader.h), so can OCR (docling/ocr/).
#pragma once

#include <string>
#include <vector>

namespace fourbrain::docling {

// Top-left origin, points: l <= r, t <= b.
struct BBox {
  double l = 0, t = 0, r = 0, b = 0;

  double width() const { return r - l; }
  double height() const { return b - t; }
  double area() const { return width() * height(); }
  bool empty() const { return r <= l || b <= t; }
  BBox united(const BBox& other) const;
  // Area of the intersection (0 when disjoint).
  double overlap_area(const BBox& other) const;
  // Fraction of this box's area inside `other`.
  double fraction_inside(const BBox& other) const;
  bool contains(double x, double y) const { return x >= l && x <= r && y >= t && y <= b; }
};

// One run of text on one line: a line of a paragraph, or one cell of a table row (a line
// is split where the gap between words is wide).
struct TextCell {
  std::string text;  // UTF-8, words joined by single spaces
  BBox bbox;
  std::string font_name;  // subset prefix ("ABCDEF+") removed
  double font_size = 0;
  bool bold = false;
  bool italic = false;
  bool monospace = false;
  double confidence = 1.0;  // 1 for PDF text; the recognizer's score for OCR words
  bool from_ocr = false;
  // Where the parser's own text-flow analysis put it: cells of one block belong together;
  // flows/blocks come in the parser's reading order.
  int flow = 0;
  int block = 0;
  int line = 0;
};

// A straight ruling segment (table borders, separators).
struct RuleLine {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  bool horizontal() const;
  bool vertical() const;
};

struct PageContent {
  int page_no = 0;  // 1-based
  double width = 0;  // displayed size in points (crop box, rotation applied)
  double height = 0;
  int rotation = 0;  // the page's /Rotate, degrees
  std::vector<TextCell> cells;
  std::vector<RuleLine> lines;
  std::vector<BBox> filled_rects;  // non-thin filled rectangles (cell shading, boxes)
  std::vector<BBox> images;        // where raster images are drawn
};

// A rendered page: 8-bit grey or RGB pixels, rows top to bottom.
struct PageImage {
  int width = 0;
  int height = 0;
  int channels = 0;  // 1 or 3
  double scale = 1;  // pixels per point
  std::vector<unsigned char> pixels;
};

}  // namespace fourbrain::docling
