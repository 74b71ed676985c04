// The text patterns the heuristic layout analysis reads: list markers, heading numbers,
// caption and footnote openings, page numbers. Pure functions over UTF-8 strings.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace fourbrain::docling {

struct ListMarker {
  std::string marker;  // "•", "-", "1.", "(a)"
  bool enumerated = false;
  size_t text_start = 0;  // byte offset of the item's text after the marker and spaces
};
// A bullet or an enumerator ("1.", "2)", "(a)", "iv.") followed by a space.
std::optional<ListMarker> parse_list_marker(std::string_view text);

// "2.1.3 Title" -> 3; "4 Results" -> 1; "Introduction" -> 0.
int heading_number_depth(std::string_view text);

// "Figure 3: ...", "Fig. 2.", "Table 1 - ...", but not "Table 1 has ...".
bool looks_like_caption(std::string_view text);

// A footnote's opening: a digit, a superscript digit, or * † ‡ §.
bool starts_with_footnote_mark(std::string_view text);

// A display formula set as text: a relation or operator sign ("=", "≤", "∑", "√", ...) and
// hardly any words ("E = mc2", "a² + b² = c²"), not prose that mentions "x = 3".
bool looks_like_formula(std::string_view text);

// "12", "Page 3", "- 4 -", "3 / 10", "iv": a bare page number.
bool looks_like_page_number(std::string_view text);

}  // namespace fourbrain::docling
