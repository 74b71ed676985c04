// Markdown as docling-core's MarkdownDocSerializer writes it with default parameters:
// body layer only, blocks joined by blank lines, "#" * (level + 1) headings, lists joined
// by newlines and indented 4 spaces per level, captions before their table or picture,
// GitHub pipe tables as tabulate draws them, underscores and HTML escaped outside code.
#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "docling/export/exporters.h"

namespace fourbrain::docling {
namespace {

// Appends `text` to `out`, with `separator` first unless `out` is empty.
void append(std::string* out, std::string_view separator, std::string_view text) {
  if (!out->empty()) out->append(separator);
  out->append(text);
}

size_t display_width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

void replace_all(std::string* s, std::string_view from, std::string_view to) {
  for (size_t pos = s->find(from); pos != std::string::npos; pos = s->find(from, pos + to.size())) {
    s->replace(pos, from.size(), to);
  }
}

std::string escape(std::string text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '_' && (i == 0 || text[i - 1] != '\\')) out += '\\';
    out += text[i];
  }
  replace_all(&out, "&", "&amp;");
  replace_all(&out, "<", "&lt;");
  replace_all(&out, ">", "&gt;");
  return out;
}

// tabulate's numeric test for a column: every non-empty value parses as a number.
bool is_number(const std::string& s) {
  if (s.empty()) return false;
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && !std::isspace(static_cast<unsigned char>(s[0]));
}

// docling-core's TableData._count_column_header_rows: the leading rows where a column
// header cell starts and no unflagged body text starts outside the leading column; 1 when
// no cell is flagged at all (row 0 is then the header).
int count_header_rows(const TableItem& table, const std::vector<std::vector<int>>& grid) {
  int first_col = table.cells.empty() ? 0 : table.num_cols;
  for (const TableCellData& c : table.cells) first_col = std::min(first_col, c.start_col);
  bool flagged_below_row0 = false, leading_col_flagged_below = false;
  for (const TableCellData& c : table.cells) {
    flagged_below_row0 |= c.column_header && c.end_row > 1;
    leading_col_flagged_below |= c.column_header && c.start_col == first_col && c.start_row > 0;
  }
  int n = 0;
  for (int r = 0; r < table.num_rows; ++r) {
    bool header_starts = false, body_text = false;
    for (int c = 0; c < table.num_cols; ++c) {
      int k = grid[r][c];
      if (k < 0) continue;  // an empty grid cell: unflagged, no text
      const TableCellData& cell = table.cells[k];
      if (cell.start_row != r) continue;
      header_starts |= cell.column_header;
      bool has_text = cell.text.find_first_not_of(" \t\n") != std::string::npos;
      body_text |= !cell.column_header && has_text && cell.start_col != first_col;
    }
    if (!header_starts || ((r > 0 || leading_col_flagged_below) && body_text)) break;
    ++n;
  }
  // No header block: row 0 still is the header, unless flags start further down.
  if (n == 0) return flagged_below_row0 ? 0 : 1;
  return n;
}

std::string pipe_table(const TableItem& table) {
  if (table.num_rows == 0 || table.num_cols == 0) return {};
  auto grid = table.grid();
  std::vector<std::vector<std::string>> rows(table.num_rows, std::vector<std::string>(table.num_cols));
  for (int r = 0; r < table.num_rows; ++r) {
    for (int c = 0; c < table.num_cols; ++c) {
      if (grid[r][c] < 0) continue;
      std::string text = table.cells[grid[r][c]].text;
      replace_all(&text, "\n", " ");
      replace_all(&text, "|", "&#124;");
      rows[r][c] = text;
    }
  }
  int header_rows = count_header_rows(table, grid);
  // Stacked header rows fold into one, per column, repeated texts (row spans) once.
  std::vector<std::string> header(table.num_cols);
  for (int c = 0; c < table.num_cols; ++c) {
    std::string last;
    for (int r = 0; r < header_rows; ++r) {
      const std::string& text = rows[r][c];
      if (text.empty() || (!header[c].empty() && text == last)) continue;
      append(&header[c], " - ", text);
      last = text;
    }
  }
  std::vector<std::vector<std::string>> body(rows.begin() + header_rows, rows.end());
  std::vector<size_t> width(table.num_cols);
  std::vector<bool> right(table.num_cols, false);
  for (int c = 0; c < table.num_cols; ++c) {
    width[c] = display_width(header[c]) + 2;
    bool numeric = !body.empty(), any = false;
    for (const auto& row : body) {
      width[c] = std::max(width[c], display_width(row[c]));
      if (!row[c].empty()) {
        any = true;
        numeric &= is_number(row[c]);
      }
    }
    right[c] = numeric && any;
  }
  auto format_row = [&](const std::vector<std::string>& row) {
    std::string line = "|";
    for (int c = 0; c < table.num_cols; ++c) {
      std::string pad(width[c] - display_width(row[c]), ' ');
      line += ' ' + (right[c] ? pad + row[c] : row[c] + pad) + " |";
    }
    return line;
  };
  std::string out = format_row(header) + "\n|";
  for (int c = 0; c < table.num_cols; ++c) out += std::string(width[c] + 2, '-') + "|";
  for (const auto& row : body) out += "\n" + format_row(row);
  return out;
}

class MarkdownWriter {
 public:
  explicit MarkdownWriter(const DoclingDocument& doc) : doc_(doc) {}

  std::string run() {
    std::vector<std::string> blocks;
    for (const NodeRef& ref : doc_.body) {
      std::string block = item(ref, 0);
      if (!block.empty()) blocks.push_back(std::move(block));
    }
    std::string out;
    for (const std::string& block : blocks) append(&out, "\n\n", block);
    return out;
  }

 private:
  std::string captions(const std::vector<NodeRef>& refs) {
    std::string out;
    for (const NodeRef& r : refs) append(&out, " ", escape(doc_.texts[r.index].text));
    return out;
  }

  std::string join_blocks(const std::string& a, const std::string& b) {
    if (a.empty()) return b;
    if (b.empty()) return a;
    return a + "\n\n" + b;
  }

  std::string item(const NodeRef& ref, int list_level) {
    switch (ref.kind) {
      case NodeRef::Kind::kText: return text(doc_.texts[ref.index], ref, list_level);
      case NodeRef::Kind::kGroup: return list(doc_.groups[ref.index], list_level);
      case NodeRef::Kind::kTable: {
        const TableItem& t = doc_.tables[ref.index];
        return join_blocks(captions(t.captions), pipe_table(t));
      }
      case NodeRef::Kind::kPicture:
        return join_blocks(captions(doc_.pictures[ref.index].captions), "<!-- image -->");
      case NodeRef::Kind::kBody: return {};
    }
    return {};
  }

  std::string list(const GroupItem& group, int list_level) {
    if (group.layer != ContentLayer::kBody) return {};
    std::string indent(static_cast<size_t>(list_level) * 4, ' ');
    std::string out;
    int position = 0;
    bool first_enumerated = !group.children.empty() &&
                            group.children[0].kind == NodeRef::Kind::kText &&
                            doc_.texts[group.children[0].index].enumerated;
    for (const NodeRef& child : group.children) {
      ++position;
      std::string part;
      if (child.kind == NodeRef::Kind::kText && doc_.texts[child.index].label == Label::kListItem) {
        part = list_item(doc_.texts[child.index], position, first_enumerated, list_level);
      } else {
        part = item(child, list_level + 1);
      }
      if (part.empty()) continue;
      if (part[0] != ' ') part = indent + part;
      append(&out, "\n", part);
    }
    return out;
  }

  std::string list_item(const TextItem& t, int position, bool first_enumerated, int list_level) {
    const std::string& m = t.marker;
    bool valid = m == "-" || m == "*" || m == "+" ||
                 (m.size() >= 2 && m.back() == '.' &&
                  std::all_of(m.begin(), m.end() - 1, [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }));
    bool informative = std::any_of(m.begin(), m.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
    std::string line;
    if (!valid) line = (first_enumerated && m.empty()) ? std::to_string(position) + "." : "-";
    if (!m.empty() && (valid || informative)) append(&line, " ", m);
    line += " " + escape(t.text);
    for (const NodeRef& child : t.children) {
      std::string nested = item(child, list_level + 1);
      if (!nested.empty()) line += "\n" + nested;
    }
    return line;
  }

  std::string text(const TextItem& t, const NodeRef& ref, int list_level) {
    (void)ref;
    if (t.layer != ContentLayer::kBody) return {};
    switch (t.label) {
      case Label::kTitle: return "# " + escape(t.text);
      case Label::kSectionHeader:
        return std::string(static_cast<size_t>(std::min(t.level + 1, 6)), '#') + " " + escape(t.text);
      case Label::kCode: return "```\n" + t.text + "\n```";
      case Label::kFormula:
        return t.text.empty() ? (t.orig.empty() ? "" : "<!-- formula-not-decoded -->") : "$$" + t.text + "$$";
      case Label::kListItem: return list_item(t, 1, false, list_level);
      default: {
        std::string out = escape(t.text);
        replace_all(&out, "\n", "  \n");
        return out;
      }
    }
  }

  const DoclingDocument& doc_;
};

}  // namespace

std::string to_markdown(const DoclingDocument& doc) { return MarkdownWriter(doc).run(); }

namespace {

void plain_text(const DoclingDocument& doc, const NodeRef& ref, std::vector<std::string>* blocks) {
  auto caption_texts = [&](const std::vector<NodeRef>& caps) {
    for (const NodeRef& c : caps) blocks->push_back(doc.texts[c.index].text);
  };
  switch (ref.kind) {
    case NodeRef::Kind::kText: {
      const TextItem& t = doc.texts[ref.index];
      if (t.layer != ContentLayer::kBody) return;
      blocks->push_back(t.text);
      for (const NodeRef& child : t.children) plain_text(doc, child, blocks);
      return;
    }
    case NodeRef::Kind::kGroup:
      for (const NodeRef& child : doc.groups[ref.index].children) plain_text(doc, child, blocks);
      return;
    case NodeRef::Kind::kTable: {
      const TableItem& t = doc.tables[ref.index];
      caption_texts(t.captions);
      auto grid = t.grid();
      std::string rows;
      for (int r = 0; r < t.num_rows; ++r) {
        std::string row;
        for (int c = 0; c < t.num_cols; ++c) {
          row += (c ? "\t" : "") + (grid[r][c] >= 0 ? t.cells[grid[r][c]].text : std::string());
        }
        rows += (r ? "\n" : "") + row;
      }
      blocks->push_back(rows);
      return;
    }
    case NodeRef::Kind::kPicture:
      caption_texts(doc.pictures[ref.index].captions);
      return;
    case NodeRef::Kind::kBody:
      return;
  }
}

}  // namespace

std::string to_plain_text(const DoclingDocument& doc) {
  std::vector<std::string> blocks;
  for (const NodeRef& ref : doc.body) plain_text(doc, ref, &blocks);
  std::string out;
  for (const std::string& b : blocks) {
    if (!b.empty()) append(&out, "\n\n", b);
  }
  return out;
}

}  // namespace fourbrain::docling
