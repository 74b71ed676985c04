// Builds the DoclingDocument from the pages' layouts: decides what only the whole document
// shows (page headers and footers repeated across pages, the title, heading levels), joins
// each region's lines into text the way Docling does (hyphenation, quotes), groups list
// items into (nested) lists, and attaches captions to their table or picture.
//
// Pure function of its inputs; thread-safe. Never fails: whatever the layouts hold ends up
// in the document.
#pragma once

#include <vector>

#include "docling/document.h"
#include "docling/layout/layout.h"

namespace fourbrain::docling {

struct AssemblyInput {
  std::vector<const PageContent*> pages;  // converted pages, ascending page_no
  std::vector<PageLayout> layouts;        // one per entry of `pages`
  DocumentStats stats;
};

// Fills doc->texts, groups, tables, pictures and body; doc->pages must be set by the caller.
void assemble_document(AssemblyInput input, DoclingDocument* doc);

// Docling's text normalisation of a region's lines: lines joined with spaces, a hyphen at a
// line end between two word characters removed, typographic quotes straightened.
std::string join_lines(const std::vector<std::string>& lines);
std::string normalize_text(std::string text);

}  // namespace fourbrain::docling
