#include <cmath>

#include "docling/export/exporters.h"
#include "formats/json_writer.h"

namespace fourbrain::docling {
namespace {

using formats::JsonWriter;

const char* layer_name(ContentLayer layer) {
  return layer == ContentLayer::kFurniture ? "furniture" : "body";
}

double round2(double v) { return std::round(v * 100) / 100; }

void write_ref(JsonWriter& w, const NodeRef& ref) {
  w.begin_object().key("$ref").value(ref.path()).end_object();
}

void write_refs(JsonWriter& w, const char* key, const std::vector<NodeRef>& refs) {
  w.key(key).begin_array();
  for (const NodeRef& r : refs) write_ref(w, r);
  w.end_array();
}

void write_bbox(JsonWriter& w, const BBox& b, double page_height, bool bottom_left) {
  w.begin_object();
  w.key("l").value(round2(b.l));
  w.key("t").value(round2(bottom_left ? page_height - b.t : b.t));
  w.key("r").value(round2(b.r));
  w.key("b").value(round2(bottom_left ? page_height - b.b : b.b));
  w.key("coord_origin").value(bottom_left ? "BOTTOMLEFT" : "TOPLEFT");
  w.end_object();
}

void write_prov(JsonWriter& w, const DoclingDocument& doc, const std::vector<Provenance>& prov) {
  w.key("prov").begin_array();
  for (const Provenance& p : prov) {
    const PageInfo* page = doc.page(p.page_no);
    w.begin_object();
    w.key("page_no").value(p.page_no);
    w.key("bbox");
    write_bbox(w, p.bbox, page ? page->height : 0, true);
    w.key("charspan").begin_array().value(0).value(static_cast<uint64_t>(p.charspan_end)).end_array();
    w.end_object();
  }
  w.end_array();
}

void write_common(JsonWriter& w, NodeRef self, const NodeRef& parent,
                  const std::vector<NodeRef>& children, ContentLayer layer, const char* label) {
  w.key("self_ref").value(self.path());
  w.key("parent");
  write_ref(w, parent);
  write_refs(w, "children", children);
  w.key("content_layer").value(layer_name(layer));
  w.key("label").value(label);
}

void write_cell(JsonWriter& w, const TableCellData* c, int row, int col) {
  w.begin_object();
  if (c != nullptr) {
    w.key("bbox");
    write_bbox(w, c->bbox, 0, false);
  }
  w.key("row_span").value(c ? c->row_span() : 1);
  w.key("col_span").value(c ? c->col_span() : 1);
  w.key("start_row_offset_idx").value(c ? c->start_row : row);
  w.key("end_row_offset_idx").value(c ? c->end_row : row + 1);
  w.key("start_col_offset_idx").value(c ? c->start_col : col);
  w.key("end_col_offset_idx").value(c ? c->end_col : col + 1);
  w.key("text").value(c ? c->text : std::string());
  w.key("column_header").value(c ? c->column_header : false);
  w.key("row_header").value(c ? c->row_header : false);
  w.key("row_section").value(false);
  w.key("fillable").value(false);
  w.end_object();
}

void write_table(JsonWriter& w, const DoclingDocument& doc, int index) {
  const TableItem& t = doc.tables[index];
  w.begin_object();
  write_common(w, {NodeRef::Kind::kTable, index}, t.parent, t.children, ContentLayer::kBody, "table");
  write_prov(w, doc, t.prov);
  write_refs(w, "captions", t.captions);
  write_refs(w, "references", {});
  write_refs(w, "footnotes", t.footnotes);
  w.key("data").begin_object();
  w.key("table_cells").begin_array();
  for (const TableCellData& c : t.cells) write_cell(w, &c, 0, 0);
  w.end_array();
  w.key("num_rows").value(t.num_rows);
  w.key("num_cols").value(t.num_cols);
  w.key("grid").begin_array();
  auto grid = t.grid();
  for (int r = 0; r < t.num_rows; ++r) {
    w.begin_array();
    for (int c = 0; c < t.num_cols; ++c) {
      int k = grid[r][c];
      write_cell(w, k >= 0 ? &t.cells[k] : nullptr, r, c);
    }
    w.end_array();
  }
  w.end_array();
  w.end_object();
  w.key("annotations").begin_array().end_array();
  w.end_object();
}

void write_text(JsonWriter& w, const DoclingDocument& doc, int index) {
  const TextItem& t = doc.texts[index];
  w.begin_object();
  write_common(w, {NodeRef::Kind::kText, index}, t.parent, t.children, t.layer, label_name(t.label));
  write_prov(w, doc, t.prov);
  w.key("orig").value(t.orig);
  w.key("text").value(t.text);
  if (t.label == Label::kSectionHeader) w.key("level").value(t.level);
  if (t.label == Label::kListItem) {
    w.key("enumerated").value(t.enumerated);
    w.key("marker").value(t.marker);
  }
  if (t.label == Label::kCode) {
    write_refs(w, "captions", {});
    write_refs(w, "references", {});
    write_refs(w, "footnotes", {});
    w.key("code_language").value("unknown");
  }
  w.end_object();
}

}  // namespace

std::string to_docling_json(const DoclingDocument& doc) {
  JsonWriter w;
  w.begin_object();
  w.key("schema_name").value("DoclingDocument");
  w.key("version").value("1.10.0");
  w.key("name").value(doc.name);
  w.key("origin").begin_object();
  w.key("mimetype").value(doc.mimetype);
  w.key("binary_hash").value(doc.binary_hash);
  w.key("filename").value(doc.filename);
  w.end_object();
  w.key("furniture").begin_object();
  w.key("self_ref").value("#/furniture");
  write_refs(w, "children", {});
  w.key("content_layer").value("furniture");
  w.key("name").value("_root_");
  w.key("label").value("unspecified");
  w.end_object();
  w.key("body").begin_object();
  w.key("self_ref").value("#/body");
  write_refs(w, "children", doc.body);
  w.key("content_layer").value("body");
  w.key("name").value("_root_");
  w.key("label").value("unspecified");
  w.end_object();
  w.key("groups").begin_array();
  for (size_t i = 0; i < doc.groups.size(); ++i) {
    const GroupItem& g = doc.groups[i];
    w.begin_object();
    w.key("self_ref").value(NodeRef{NodeRef::Kind::kGroup, static_cast<int>(i)}.path());
    w.key("parent");
    write_ref(w, g.parent);
    write_refs(w, "children", g.children);
    w.key("content_layer").value(layer_name(g.layer));
    w.key("name").value(g.name);
    w.key("label").value(g.label);
    w.end_object();
  }
  w.end_array();
  w.key("texts").begin_array();
  for (size_t i = 0; i < doc.texts.size(); ++i) write_text(w, doc, static_cast<int>(i));
  w.end_array();
  w.key("pictures").begin_array();
  for (size_t i = 0; i < doc.pictures.size(); ++i) {
    const PictureItem& p = doc.pictures[i];
    w.begin_object();
    write_common(w, {NodeRef::Kind::kPicture, static_cast<int>(i)}, p.parent, p.children,
                 ContentLayer::kBody, "picture");
    write_prov(w, doc, p.prov);
    write_refs(w, "captions", p.captions);
    write_refs(w, "references", {});
    write_refs(w, "footnotes", {});
    w.key("annotations").begin_array().end_array();
    w.end_object();
  }
  w.end_array();
  w.key("tables").begin_array();
  for (size_t i = 0; i < doc.tables.size(); ++i) write_table(w, doc, static_cast<int>(i));
  w.end_array();
  w.key("key_value_items").begin_array().end_array();
  w.key("form_items").begin_array().end_array();
  w.key("pages").begin_object();
  for (const PageInfo& p : doc.pages) {
    w.key(std::to_string(p.page_no)).begin_object();
    w.key("size").begin_object().key("width").value(p.width).key("height").value(p.height).end_object();
    w.key("page_no").value(p.page_no);
    w.end_object();
  }
  w.end_object();
  w.end_object();
  return w.str();
}

}  // namespace fourbrain::docling
