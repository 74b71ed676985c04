#include "docling/assemble/assembler.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

#include "docling/assemble/document_rules.h"

namespace fourbrain::docling {
namespace {

bool word_char_before(const std::string& s, size_t end) {
  return end > 0 && (std::isalnum(static_cast<unsigned char>(s[end - 1])) || (s[end - 1] & 0x80));
}

size_t utf8_length(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// A code block's lines with their indentation rebuilt from their left edges.
std::string code_text(const LayoutCluster& c) {
  double left = 1e9;
  for (const BBox& b : c.line_boxes) left = std::min(left, b.l);
  double char_width = 0.6 * std::max(c.font_size, 1.0);
  std::string out;
  for (size_t i = 0; i < c.lines.size(); ++i) {
    if (i > 0) out += '\n';
    if (i < c.line_boxes.size()) {
      int indent = static_cast<int>(std::lround((c.line_boxes[i].l - left) / char_width));
      out.append(static_cast<size_t>(std::clamp(indent, 0, 80)), ' ');
    }
    out += c.lines[i];
  }
  return out;
}

Provenance prov_of(const LayoutCluster& c, int page_no, size_t chars) {
  return Provenance{page_no, c.bbox, chars};
}

// Index of the table or picture on the page a caption belongs to (closest vertically, and
// overlapping horizontally), or -1.
int caption_target(const PageLayout& layout, size_t caption) {
  const BBox& cap = layout.clusters[caption].bbox;
  int best = -1;
  double best_distance = 1e9;
  for (size_t k = 0; k < layout.clusters.size(); ++k) {
    const LayoutCluster& o = layout.clusters[k];
    if (o.label != Label::kTable && o.label != Label::kPicture) continue;
    if (o.bbox.r < cap.l || o.bbox.l > cap.r) continue;
    double distance = cap.t >= o.bbox.b ? cap.t - o.bbox.b : (o.bbox.t >= cap.b ? o.bbox.t - cap.b : 0);
    if (distance < best_distance) {
      best_distance = distance;
      best = static_cast<int>(k);
    }
  }
  return best_distance < 72 ? best : -1;  // within an inch
}

class Builder {
 public:
  explicit Builder(DoclingDocument* doc) : doc_(doc) {}

  void add_page(const PageLayout& layout) {
    std::map<int, std::vector<size_t>> captions_of;  // object cluster -> caption clusters
    std::vector<bool> attached(layout.clusters.size(), false);
    for (size_t k = 0; k < layout.clusters.size(); ++k) {
      if (layout.clusters[k].label != Label::kCaption) continue;
      int target = caption_target(layout, k);
      if (target >= 0) {
        captions_of[target].push_back(k);
        attached[k] = true;
      }
    }
    for (size_t k = 0; k < layout.clusters.size(); ++k) {
      const LayoutCluster& c = layout.clusters[k];
      if (attached[k]) continue;
      if (c.label == Label::kTable || c.label == Label::kPicture) {
        end_lists();
        add_object(layout, c, captions_of[static_cast<int>(k)]);
      } else if (c.label == Label::kPageHeader || c.label == Label::kPageFooter) {
        TextItem item = text_item(c, layout.page_no);
        item.layer = ContentLayer::kFurniture;
        doc_->add_text(std::move(item), NodeRef{});
      } else if (c.label == Label::kListItem) {
        add_list_item(c, layout.page_no);
      } else {
        end_lists();
        doc_->add_text(text_item(c, layout.page_no), NodeRef{});
      }
    }
  }

 private:
  TextItem text_item(const LayoutCluster& c, int page_no) {
    TextItem item;
    item.label = c.label;
    if (c.label == Label::kCode) {
      item.orig = item.text = code_text(c);
    } else {
      std::string raw;
      for (const std::string& line : c.lines) {
        if (!raw.empty()) raw += ' ';
        raw += line;
      }
      item.orig = raw;
      // Without a formula model the LaTeX is unknown: Docling leaves text empty, keeps orig.
      item.text = c.label == Label::kFormula ? std::string() : normalize_text(join_lines(c.lines));
    }
    item.level = c.heading_level > 0 ? c.heading_level : 1;
    item.prov.push_back(prov_of(c, page_no, utf8_length(item.orig)));
    return item;
  }

  void add_object(const PageLayout& layout, const LayoutCluster& c, const std::vector<size_t>& captions) {
    NodeRef ref;
    Provenance prov = prov_of(c, layout.page_no, 0);
    if (c.label == Label::kTable) {
      TableItem table;
      table.num_rows = c.table ? c.table->num_rows : 0;
      table.num_cols = c.table ? c.table->num_cols : 0;
      if (c.table) table.cells = c.table->cells;
      for (TableCellData& cell : table.cells) cell.text = normalize_text(cell.text);
      table.prov.push_back(prov);
      ref = doc_->add_table(std::move(table), NodeRef{});
    } else {
      PictureItem picture;
      picture.prov.push_back(prov);
      ref = doc_->add_picture(std::move(picture), NodeRef{});
      // Text drawn into the picture: its children, as Docling keeps a picture's text.
      for (size_t i = 0; i < c.lines.size(); ++i) {
        TextItem item;
        item.label = Label::kText;
        item.orig = c.lines[i];
        item.text = normalize_text(c.lines[i]);
        const BBox& box = i < c.line_boxes.size() ? c.line_boxes[i] : c.bbox;
        item.prov.push_back(Provenance{layout.page_no, box, utf8_length(item.orig)});
        doc_->add_text(std::move(item), ref);
      }
    }
    for (size_t k : captions) {
      NodeRef cap = doc_->add_text(text_item(layout.clusters[k], layout.page_no), ref);
      if (ref.kind == NodeRef::Kind::kTable) {
        doc_->tables[ref.index].captions.push_back(cap);
      } else {
        doc_->pictures[ref.index].captions.push_back(cap);
      }
    }
  }

  // Items indented deeper than the open list's items start a nested list under the
  // previous item, as Docling nests them.
  void add_list_item(const LayoutCluster& c, int page_no) {
    double indent = c.bbox.l;
    while (!lists_.empty() && indent < lists_.back().indent - 6) lists_.pop_back();
    if (lists_.empty() || indent > lists_.back().indent + 6) {
      NodeRef parent = lists_.empty() ? NodeRef{} : lists_.back().last_item;
      NodeRef group = doc_->add_group(GroupItem{}, parent);
      lists_.push_back({group, indent, NodeRef{}});
    }
    TextItem item = text_item(c, page_no);
    item.enumerated = c.enumerated;
    item.marker = c.list_marker;
    lists_.back().last_item = doc_->add_text(std::move(item), lists_.back().group);
  }

  void end_lists() { lists_.clear(); }

  struct OpenList {
    NodeRef group;
    double indent = 0;
    NodeRef last_item;
  };
  DoclingDocument* doc_;
  std::vector<OpenList> lists_;
};

}  // namespace

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) {
    if (line.empty()) continue;
    if (out.empty()) {
      out = line;
      continue;
    }
    // "exam-" + "ple": a hyphen (or soft hyphen) between word characters ends a broken word.
    size_t hyphen = 0;
    if (out.back() == '-') hyphen = 1;
    else if (out.size() >= 2 && out.compare(out.size() - 2, 2, "\xC2\xAD") == 0) hyphen = 2;
    else if (out.size() >= 3 && out.compare(out.size() - 3, 3, "\xE2\x80\x90") == 0) hyphen = 3;
    if (hyphen > 0 && word_char_before(out, out.size() - hyphen) &&
        std::isalnum(static_cast<unsigned char>(line[0]))) {
      out.erase(out.size() - hyphen);
      out.append(line.data(), line.size());
    } else {
      out += ' ';
      out += line;
    }
  }
  return out;
}

std::string normalize_text(std::string text) {
  static const std::pair<const char*, const char*> kReplacements[] = {
      {"\xE2\x81\x84", "/"},  {"\xE2\x80\x99", "'"}, {"\xE2\x80\x98", "'"},
      {"\xE2\x80\x9C", "\""}, {"\xE2\x80\x9D", "\""}, {"\xE2\x80\xA2", "\xC2\xB7"},
      {"\xC2\xAD", ""},
  };
  for (const auto& [from, to] : kReplacements) {
    std::string_view f(from);
    for (size_t pos = text.find(f); pos != std::string::npos; pos = text.find(f, pos)) {
      text.replace(pos, f.size(), to);
      pos += std::string_view(to).size();
    }
  }
  size_t start = text.find_first_not_of(" \t\n");
  size_t end = text.find_last_not_of(" \t\n");
  return start == std::string::npos ? std::string() : text.substr(start, end - start + 1);
}

void assemble_document(AssemblyInput input, DoclingDocument* doc) {
  mark_furniture(input.pages, &input.layouts);
  mark_title(input.pages, input.stats, &input.layouts);
  assign_heading_levels(&input.layouts);
  Builder builder(doc);
  for (const PageLayout& layout : input.layouts) builder.add_page(layout);
}

}  // namespace fourbrain::docling
