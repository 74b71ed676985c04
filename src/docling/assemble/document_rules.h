// Decisions the assembler makes over the whole document before it builds items: which
// regions are page furniture (headers and footers), which heading is the title, and each
// heading's level. They relabel clusters in place.
#pragma once

#include <vector>

#include "docling/layout/layout.h"

namespace fourbrain::docling {

// Short regions in the top or bottom band of a page whose text (digits ignored) repeats on
// at least two pages, or that are a bare page number, become page_header / page_footer.
void mark_furniture(const std::vector<const PageContent*>& pages, std::vector<PageLayout>* layouts);

// The largest-font heading or paragraph in the upper half of the first page with text,
// when it is larger than every section heading, becomes the title.
void mark_title(const std::vector<const PageContent*>& pages, const DocumentStats& stats,
                std::vector<PageLayout>* layouts);

// Section header levels: the depth of a heading's numbering ("2.1" -> 2); unnumbered
// headings take the level of numbered ones in the same style, else the rank of their style
// (larger, then bold, first). Level 1 is the top.
void assign_heading_levels(std::vector<PageLayout>* layouts);

}  // namespace fourbrain::docling
