#include "docling/layout/text_rules.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace fourbrain::docling {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_space(char c) { return c == ' ' || c == '\t'; }

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool is_roman(std::string_view s) {
  if (s.empty() || s.size() > 5) return false;
  for (char c : s) {
    if (std::string_view("ivxlcIVXLC").find(c) == std::string_view::npos) return false;
  }
  return true;
}

}  // namespace

std::optional<ListMarker> parse_list_marker(std::string_view text) {
  static constexpr std::array<std::string_view, 18> kBullets = {
      "\u2022", "\u25e6", "\u25aa", "\u25ab", "\u25cf", "\u25cb", "\u25a0", "\u25a1", "\u2013",
      "\u2014", "-",      "*",      "\u00b7", "\u2023", "\u2043", "\u27a2", "\u25ba", "\uf0b7"};
  for (std::string_view bullet : kBullets) {
    if (starts_with(text, bullet) && text.size() > bullet.size() && is_space(text[bullet.size()])) {
      size_t start = bullet.size();
      while (start < text.size() && is_space(text[start])) ++start;
      if (start == text.size()) return std::nullopt;
      return ListMarker{std::string(bullet), false, start};
    }
  }
  // Enumerators: optional "(", 1-3 digits or one letter or a roman numeral, then "." or ")".
  size_t i = 0;
  bool paren = !text.empty() && text[0] == '(';
  if (paren) ++i;
  size_t body_start = i;
  while (i < text.size() && std::isalnum(static_cast<unsigned char>(text[i])) && i - body_start < 5) ++i;
  std::string_view body = text.substr(body_start, i - body_start);
  bool numeric = !body.empty() && body.size() <= 3 &&
                 std::all_of(body.begin(), body.end(), [](char c) { return is_digit(c); });
  bool letter = body.size() == 1 && std::isalpha(static_cast<unsigned char>(body[0]));
  if (!(numeric || letter || is_roman(body))) return std::nullopt;
  if (i >= text.size() || (text[i] != '.' && text[i] != ')')) return std::nullopt;
  if (paren && text[i] != ')') return std::nullopt;
  ++i;
  if (i >= text.size() || !is_space(text[i])) return std::nullopt;
  size_t start = i;
  while (start < text.size() && is_space(text[start])) ++start;
  if (start == text.size()) return std::nullopt;
  return ListMarker{std::string(text.substr(0, i)), true, start};
}

int heading_number_depth(std::string_view text) {
  size_t i = 0;
  int depth = 0;
  while (true) {
    size_t digits = 0;
    while (i < text.size() && is_digit(text[i]) && digits < 3) {
      ++i;
      ++digits;
    }
    if (digits == 0) return 0;
    ++depth;
    if (i < text.size() && text[i] == '.' && i + 1 < text.size() && is_digit(text[i + 1])) {
      ++i;
      continue;
    }
    break;
  }
  if (i < text.size() && text[i] == '.') ++i;
  if (i >= text.size() || !is_space(text[i])) return 0;
  while (i < text.size() && is_space(text[i])) ++i;
  if (i >= text.size() || is_digit(text[i])) return 0;
  return depth;
}

bool looks_like_caption(std::string_view text) {
  for (std::string_view word : {"Figure", "Fig.", "Table", "Tab.", "Listing", "Chart", "Image"}) {
    if (!starts_with(text, word)) continue;
    size_t i = word.size();
    while (i < text.size() && is_space(text[i])) ++i;
    size_t digits = i;
    while (i < text.size() && is_digit(text[i])) ++i;
    if (i == digits) continue;
    // The number ends the label: "Table 1:", "Figure 2.", "Fig. 3 -", "Table 4" alone.
    while (i + 1 < text.size() && text[i] == '.' && is_digit(text[i + 1])) {  // "2.1"
      ++i;
      while (i < text.size() && is_digit(text[i])) ++i;
    }
    if (i == text.size()) return true;
    std::string_view rest = text.substr(i);
    for (std::string_view punct : {":", ".", " -", " \u2013", " \u2014", " |", "\u2013", "\u2014"}) {
      if (starts_with(rest, punct)) return true;
    }
  }
  return false;
}

bool starts_with_footnote_mark(std::string_view text) {
  if (text.empty()) return false;
  if (is_digit(text[0])) return true;
  for (std::string_view mark : {"*", "\u2020", "\u2021", "\u00a7", "\u00b9", "\u00b2", "\u00b3",
                                "\u2070", "\u2074", "\u2075", "\u2076", "\u2077", "\u2078", "\u2079"}) {
    if (starts_with(text, mark)) return true;
  }
  return false;
}

bool looks_like_formula(std::string_view text) {
  if (text.empty() || text.size() > 160) return false;
  bool sign = false;
  for (std::string_view op : {"=", "\u2264", "\u2265", "\u2248", "\u2260", "\u2211", "\u222b",
                              "\u221a", "\u221e", "\u00b1", "\u2202", "\u2207", "\u220f"}) {
    sign |= text.find(op) != std::string_view::npos;
  }
  if (!sign) return false;
  // Words of three or more letters: prose has many, a formula one or two ("sin", "max").
  int words = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t letters = 0;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) {
      ++letters;
      ++i;
    }
    words += letters >= 3;
    if (letters == 0) ++i;
  }
  return words <= 2;
}

bool looks_like_page_number(std::string_view text) {
  std::string s;
  for (char c : text) {
    if (!is_space(c) && c != '-' && c != '|') s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (starts_with(s, "page")) s = s.substr(4);
  size_t slash = s.find_first_of("/");
  if (slash == std::string::npos) slash = s.find("of");
  std::string head = s.substr(0, slash);
  if (head.empty() || head.size() > 5) return false;
  bool digits = std::all_of(head.begin(), head.end(), [](char c) { return is_digit(c); });
  return digits || is_roman(head);
}

}  // namespace fourbrain::docling
