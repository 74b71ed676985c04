// Reading Docling's JSON back into a DoclingDocument: what the sandboxed converter's worker
// sends, and what a user posts for chunking. Items and labels this converter does not make
// are read as the nearest it knows (any other text label as text); references are checked.
#include <cstdlib>

#include "docling/export/exporters.h"
#include "formats/json.h"

namespace fourbrain::docling {
namespace {

using formats::JsonValue;

Label label_from(std::string_view name) {
  static const Label kAll[] = {Label::kTitle,      Label::kSectionHeader, Label::kText,
                               Label::kListItem,   Label::kCaption,       Label::kFootnote,
                               Label::kPageHeader, Label::kPageFooter,    Label::kCode,
                               Label::kFormula,    Label::kTable,         Label::kPicture};
  for (Label l : kAll) {
    if (name == label_name(l)) return l;
  }
  return Label::kText;
}

class Reader {
 public:
  explicit Reader(DoclingDocument* doc) : doc_(doc) {}

  Status read(const JsonValue& root) {
    if (!root.is_object()) return invalid_argument("a DoclingDocument must be a JSON object");
    if (auto name = root.find("name"); name && name->is_string()) doc_->name = name->as_string();
    if (auto origin = root.find("origin"); origin && origin->is_object()) {
      if (auto f = origin->find("filename"); f && f->is_string()) doc_->filename = f->as_string();
      if (auto m = origin->find("mimetype"); m && m->is_string()) doc_->mimetype = m->as_string();
      if (auto h = origin->find("binary_hash"); h && h->is_uint64()) doc_->binary_hash = h->as_uint64();
    }
    FB_RETURN_IF_ERROR(read_pages(root));
    FB_RETURN_IF_ERROR(for_items(root, "groups", [&](const JsonValue& g) { return group(g); }));
    FB_RETURN_IF_ERROR(for_items(root, "texts", [&](const JsonValue& t) { return text(t); }));
    FB_RETURN_IF_ERROR(for_items(root, "tables", [&](const JsonValue& t) { return table(t); }));
    FB_RETURN_IF_ERROR(for_items(root, "pictures", [&](const JsonValue& p) { return picture(p); }));
    auto body = root.find("body");
    if (!body || !body->is_object()) return invalid_argument("DoclingDocument has no body");
    FB_ASSIGN_OR_RETURN(doc_->body, refs(*body, "children"));
    return check_refs();
  }

 private:
  template <typename Fn>
  Status for_items(const JsonValue& root, const char* key, Fn fn) {
    auto items = root.find(key);
    if (!items) return Status::ok();
    if (!items->is_array()) return invalid_argument(std::string("'") + key + "' must be an array");
    for (size_t i = 0; i < items->size(); ++i) {
      JsonValue item = items->at(i);
      if (!item.is_object()) return invalid_argument(std::string(key) + "[" + std::to_string(i) + "] is not an object");
      Status s = fn(item);
      if (!s.is_ok()) return invalid_argument(std::string(key) + "[" + std::to_string(i) + "]: " + s.message());
    }
    return Status::ok();
  }

  Status read_pages(const JsonValue& root) {
    auto pages = root.find("pages");
    if (!pages || !pages->is_object()) return Status::ok();
    Status status = Status::ok();
    pages->for_each_member([&](std::string_view, const JsonValue& p) {
      if (!status.is_ok() || !p.is_object()) return;
      PageInfo info;
      auto no = p.get_int("page_no");
      auto size = p.find("size");
      if (!no.is_ok() || !size || !size->is_object()) {
        status = invalid_argument("a page needs page_no and size");
        return;
      }
      info.page_no = static_cast<int>(*no);
      info.width = size->get_double("width").value_or(0);
      info.height = size->get_double("height").value_or(0);
      doc_->pages.push_back(info);
    });
    return status;
  }

  static Result<NodeRef> ref(std::string_view path) {
    static const std::pair<const char*, NodeRef::Kind> kKinds[] = {
        {"#/texts/", NodeRef::Kind::kText},   {"#/groups/", NodeRef::Kind::kGroup},
        {"#/tables/", NodeRef::Kind::kTable}, {"#/pictures/", NodeRef::Kind::kPicture}};
    if (path == "#/body") return NodeRef{};
    for (const auto& [prefix, kind] : kKinds) {
      std::string_view p(prefix);
      if (path.substr(0, p.size()) != p) continue;
      std::string digits(path.substr(p.size()));
      char* end = nullptr;
      long index = std::strtol(digits.c_str(), &end, 10);
      if (digits.empty() || *end != '\0' || index < 0 || index > (1 << 24)) break;
      return NodeRef{kind, static_cast<int>(index)};
    }
    return invalid_argument("bad reference '" + std::string(path) + "'");
  }

  static Result<NodeRef> ref_field(const JsonValue& item, const char* key) {
    auto r = item.find(key);
    if (!r || !r->is_object()) return NodeRef{};
    FB_ASSIGN_OR_RETURN(std::string path, r->get_string("$ref"));
    return ref(path);
  }

  Result<std::vector<NodeRef>> refs(const JsonValue& item, const char* key) {
    std::vector<NodeRef> out;
    auto list = item.find(key);
    if (!list) return out;
    if (!list->is_array()) return invalid_argument(std::string("'") + key + "' must be an array");
    for (size_t i = 0; i < list->size(); ++i) {
      JsonValue r = list->at(i);
      if (!r.is_object()) return invalid_argument(std::string("'") + key + "' holds a non-object");
      FB_ASSIGN_OR_RETURN(std::string path, r.get_string("$ref"));
      FB_ASSIGN_OR_RETURN(NodeRef node, ref(path));
      out.push_back(node);
    }
    all_refs_.insert(all_refs_.end(), out.begin(), out.end());
    return out;
  }

  Result<std::vector<Provenance>> prov(const JsonValue& item) {
    std::vector<Provenance> out;
    auto list = item.find("prov");
    if (!list || !list->is_array()) return out;
    for (size_t i = 0; i < list->size(); ++i) {
      JsonValue p = list->at(i);
      if (!p.is_object()) return invalid_argument("prov holds a non-object");
      Provenance pr;
      FB_ASSIGN_OR_RETURN(int64_t page_no, p.get_int("page_no"));
      pr.page_no = static_cast<int>(page_no);
      auto bbox = p.find("bbox");
      if (!bbox || !bbox->is_object()) return invalid_argument("prov without bbox");
      FB_ASSIGN_OR_RETURN(pr.bbox, read_bbox(*bbox, pr.page_no));
      if (auto span = p.find("charspan"); span && span->is_array() && span->size() == 2 &&
                                          span->at(1).is_integer()) {
        pr.charspan_end = static_cast<size_t>(std::max<int64_t>(0, span->at(1).as_int()));
      }
      out.push_back(pr);
    }
    return out;
  }

  Result<BBox> read_bbox(const JsonValue& b, int page_no) {
    BBox box;
    FB_ASSIGN_OR_RETURN(box.l, b.get_double("l"));
    FB_ASSIGN_OR_RETURN(box.t, b.get_double("t"));
    FB_ASSIGN_OR_RETURN(box.r, b.get_double("r"));
    FB_ASSIGN_OR_RETURN(box.b, b.get_double("b"));
    std::string origin = b.get_string("coord_origin").value_or("TOPLEFT");
    if (origin == "BOTTOMLEFT") {
      const PageInfo* page = doc_->page(page_no);
      double h = page ? page->height : 0;
      box = {box.l, h - box.t, box.r, h - box.b};
    }
    return box;
  }

  ContentLayer layer(const JsonValue& item) {
    return item.get_string("content_layer").value_or("body") == "furniture" ? ContentLayer::kFurniture
                                                                           : ContentLayer::kBody;
  }

  Status group(const JsonValue& g) {
    GroupItem item;
    FB_ASSIGN_OR_RETURN(item.parent, ref_field(g, "parent"));
    FB_ASSIGN_OR_RETURN(item.children, refs(g, "children"));
    item.name = g.get_string("name").value_or("group");
    item.label = g.get_string("label").value_or("unspecified");
    item.layer = layer(g);
    doc_->groups.push_back(std::move(item));
    return Status::ok();
  }

  Status text(const JsonValue& t) {
    TextItem item;
    FB_ASSIGN_OR_RETURN(item.parent, ref_field(t, "parent"));
    FB_ASSIGN_OR_RETURN(item.children, refs(t, "children"));
    FB_ASSIGN_OR_RETURN(item.prov, prov(t));
    item.label = label_from(t.get_string("label").value_or("text"));
    item.text = t.get_string("text").value_or("");
    item.orig = t.get_string("orig").value_or(item.text);
    item.level = static_cast<int>(t.get_int("level").value_or(1));
    item.enumerated = t.get_bool("enumerated").value_or(false);
    item.marker = t.get_string("marker").value_or("");
    item.layer = layer(t);
    doc_->texts.push_back(std::move(item));
    return Status::ok();
  }

  Status table(const JsonValue& t) {
    TableItem item;
    FB_ASSIGN_OR_RETURN(item.parent, ref_field(t, "parent"));
    FB_ASSIGN_OR_RETURN(item.children, refs(t, "children"));
    FB_ASSIGN_OR_RETURN(item.prov, prov(t));
    FB_ASSIGN_OR_RETURN(item.captions, refs(t, "captions"));
    FB_ASSIGN_OR_RETURN(item.footnotes, refs(t, "footnotes"));
    auto data = t.find("data");
    if (!data || !data->is_object()) return invalid_argument("table without data");
    FB_ASSIGN_OR_RETURN(int64_t rows, data->get_int("num_rows"));
    FB_ASSIGN_OR_RETURN(int64_t cols, data->get_int("num_cols"));
    if (rows < 0 || cols < 0 || rows * cols > (1 << 22)) return invalid_argument("table size out of range");
    item.num_rows = static_cast<int>(rows);
    item.num_cols = static_cast<int>(cols);
    auto cells = data->find("table_cells");
    if (cells && cells->is_array()) {
      for (size_t i = 0; i < cells->size(); ++i) {
        JsonValue c = cells->at(i);
        if (!c.is_object()) return invalid_argument("table cell is not an object");
        TableCellData cell;
        FB_ASSIGN_OR_RETURN(int64_t sr, c.get_int("start_row_offset_idx"));
        FB_ASSIGN_OR_RETURN(int64_t er, c.get_int("end_row_offset_idx"));
        FB_ASSIGN_OR_RETURN(int64_t sc, c.get_int("start_col_offset_idx"));
        FB_ASSIGN_OR_RETURN(int64_t ec, c.get_int("end_col_offset_idx"));
        if (sr < 0 || er > rows || sr >= er || sc < 0 || ec > cols || sc >= ec) {
          return invalid_argument("table cell " + std::to_string(i) + " lies outside the grid");
        }
        cell.start_row = static_cast<int>(sr);
        cell.end_row = static_cast<int>(er);
        cell.start_col = static_cast<int>(sc);
        cell.end_col = static_cast<int>(ec);
        cell.text = c.get_string("text").value_or("");
        cell.column_header = c.get_bool("column_header").value_or(false);
        cell.row_header = c.get_bool("row_header").value_or(false);
        if (auto b = c.find("bbox"); b && b->is_object()) {
          FB_ASSIGN_OR_RETURN(cell.bbox, read_bbox(*b, 0));
        }
        item.cells.push_back(std::move(cell));
      }
    }
    doc_->tables.push_back(std::move(item));
    return Status::ok();
  }

  Status picture(const JsonValue& p) {
    PictureItem item;
    FB_ASSIGN_OR_RETURN(item.parent, ref_field(p, "parent"));
    FB_ASSIGN_OR_RETURN(item.children, refs(p, "children"));
    FB_ASSIGN_OR_RETURN(item.prov, prov(p));
    FB_ASSIGN_OR_RETURN(item.captions, refs(p, "captions"));
    doc_->pictures.push_back(std::move(item));
    return Status::ok();
  }

  Status check_refs() const {
    for (const NodeRef& r : all_refs_) {
      size_t n = 0;
      switch (r.kind) {
        case NodeRef::Kind::kBody: continue;
        case NodeRef::Kind::kText: n = doc_->texts.size(); break;
        case NodeRef::Kind::kGroup: n = doc_->groups.size(); break;
        case NodeRef::Kind::kTable: n = doc_->tables.size(); break;
        case NodeRef::Kind::kPicture: n = doc_->pictures.size(); break;
      }
      if (static_cast<size_t>(r.index) >= n) return invalid_argument("reference " + r.path() + " points past the end");
    }
    return Status::ok();
  }

  DoclingDocument* doc_;
  std::vector<NodeRef> all_refs_;
};

}  // namespace

Result<DoclingDocument> from_docling_json(std::string_view json) {
  FB_ASSIGN_OR_RETURN(JsonValue root, JsonValue::parse(json, "DoclingDocument"));
  DoclingDocument doc;
  FB_RETURN_IF_ERROR(Reader(&doc).read(root));
  return doc;
}

}  // namespace fourbrain::docling
