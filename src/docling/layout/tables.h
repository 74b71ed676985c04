// Table detection for the heuristic layout analysis: tables drawn with ruling lines
// (grid from the lines, merged cells where a border is missing) and tables whose columns
// are only aligned (no rules). Both fill a TableStructure with each cell's text and mark
// the page cells they used.
#pragma once

#include <vector>

#include "docling/layout/layout.h"

namespace fourbrain::docling {

struct DetectedTable {
  BBox bbox;
  TableStructure structure;
  std::vector<int> cells;  // page cells inside, in reading order
};

// Tables from ruling lines (and thin filled rectangles, which poppler reports as lines).
std::vector<DetectedTable> find_ruled_tables(const PageContent& page);

// Tables from column alignment among the cells not in `used` (true = taken).
std::vector<DetectedTable> find_aligned_tables(const PageContent& page,
                                               const std::vector<bool>& used);

// Fills each cell's text from the page cells whose centres fall inside it; returns the
// indices of the page cells used.
std::vector<int> fill_table_text(const PageContent& page, const std::vector<bool>& used,
                                 TableStructure* table);

}  // namespace fourbrain::docling
