// DoclingDocument: the converted document, with the structure of docling-core's model
// (schema 1.10.0): texts, groups, tables and pictures, each addressed as "#/texts/N" and
// so on, a body tree whose children are in reading order, and per-item provenance (page,
// box, character span). export/ writes it as Docling's JSON, Markdown or plain text.
//
// Plain data, built by assemble/ and read by export/ and chunk/; copyable; not
// thread-safe. Boxes here are top-left page coordinates; the JSON writer converts to
// Docling's bottom-left convention for item provenance.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "docling/pdf/page_content.h"

namespace fourbrain::docling {

// docling-core's DocItemLabel values that this converter produces.
enum class Label {
  kTitle,
  kSectionHeader,
  kText,
  kListItem,
  kCaption,
  kFootnote,
  kPageHeader,
  kPageFooter,
  kCode,
  kFormula,
  kTable,
  kPicture,
};
const char* label_name(Label label);

enum class ContentLayer { kBody, kFurniture };

struct NodeRef {
  enum class Kind { kBody, kText, kGroup, kTable, kPicture };
  Kind kind = Kind::kBody;
  int index = 0;
  std::string path() const;  // "#/body", "#/texts/3", ...
  bool operator==(const NodeRef&) const = default;
};

struct Provenance {
  int page_no = 0;
  BBox bbox;  // top-left page coordinates
  size_t charspan_end = 0;
};

struct TextItem {
  Label label = Label::kText;
  std::string orig;  // the text as the page has it
  std::string text;  // normalised (hyphenation joined, quotes straightened)
  int level = 1;     // section headers: 1 = top level
  bool enumerated = false;  // list items
  std::string marker;       // list items: "-", "1.", "(a)"...
  ContentLayer layer = ContentLayer::kBody;
  NodeRef parent;
  std::vector<NodeRef> children;
  std::vector<Provenance> prov;
};

struct GroupItem {
  std::string name = "list";
  std::string label = "list";
  ContentLayer layer = ContentLayer::kBody;
  NodeRef parent;
  std::vector<NodeRef> children;
};

struct TableCellData {
  BBox bbox;
  int start_row = 0, end_row = 1;  // half-open
  int start_col = 0, end_col = 1;
  std::string text;
  bool column_header = false;
  bool row_header = false;
  int row_span() const { return end_row - start_row; }
  int col_span() const { return end_col - start_col; }
};

struct TableItem {
  int num_rows = 0;
  int num_cols = 0;
  std::vector<TableCellData> cells;
  std::vector<NodeRef> captions;
  std::vector<NodeRef> footnotes;
  NodeRef parent;
  std::vector<NodeRef> children;
  std::vector<Provenance> prov;
  // num_rows x num_cols, each entry the index of the cell covering it (-1: none).
  std::vector<std::vector<int>> grid() const;
};

struct PictureItem {
  std::vector<NodeRef> captions;
  NodeRef parent;
  std::vector<NodeRef> children;
  std::vector<Provenance> prov;
};

struct PageInfo {
  int page_no = 0;
  double width = 0;
  double height = 0;
};

struct DoclingDocument {
  std::string name;  // file stem
  std::string filename;
  std::string mimetype = "application/pdf";
  uint64_t binary_hash = 0;  // low 64 bits of the file's SHA-256, as Docling computes it
  std::vector<TextItem> texts;
  std::vector<GroupItem> groups;
  std::vector<TableItem> tables;
  std::vector<PictureItem> pictures;
  std::vector<NodeRef> body;  // the body's children, reading order
  std::vector<PageInfo> pages;

  NodeRef add_text(TextItem item, NodeRef parent);
  NodeRef add_group(GroupItem item, NodeRef parent);
  NodeRef add_table(TableItem item, NodeRef parent);
  NodeRef add_picture(PictureItem item, NodeRef parent);
  // The children of `node` (the body's or an item's).
  const std::vector<NodeRef>& children_of(NodeRef node) const;
  const PageInfo* page(int page_no) const;
};

}  // namespace fourbrain::docling
