#include "docling/document.h"

#include "base/check.h"

namespace fourbrain::docling {

const char* label_name(Label label) {
  switch (label) {
    case Label::kTitle: return "title";
    case Label::kSectionHeader: return "section_header";
    case Label::kText: return "text";
    case Label::kListItem: return "list_item";
    case Label::kCaption: return "caption";
    case Label::kFootnote: return "footnote";
    case Label::kPageHeader: return "page_header";
    case Label::kPageFooter: return "page_footer";
    case Label::kCode: return "code";
    case Label::kFormula: return "formula";
    case Label::kTable: return "table";
    case Label::kPicture: return "picture";
  }
  return "text";
}

std::string NodeRef::path() const {
  switch (kind) {
    case Kind::kBody: return "#/body";
    case Kind::kText: return "#/texts/" + std::to_string(index);
    case Kind::kGroup: return "#/groups/" + std::to_string(index);
    case Kind::kTable: return "#/tables/" + std::to_string(index);
    case Kind::kPicture: return "#/pictures/" + std::to_string(index);
  }
  return "#/body";
}

std::vector<std::vector<int>> TableItem::grid() const {
  std::vector<std::vector<int>> grid(num_rows, std::vector<int>(num_cols, -1));
  for (size_t i = 0; i < cells.size(); ++i) {
    const TableCellData& c = cells[i];
    for (int r = c.start_row; r < c.end_row && r < num_rows; ++r) {
      for (int col = c.start_col; col < c.end_col && col < num_cols; ++col) {
        grid[r][col] = static_cast<int>(i);
      }
    }
  }
  return grid;
}

namespace {
template <typename Item>
NodeRef add_item(DoclingDocument* doc, std::vector<Item>* items, NodeRef::Kind kind, Item item,
                 NodeRef parent) {
  NodeRef ref{kind, static_cast<int>(items->size())};
  item.parent = parent;
  items->push_back(std::move(item));
  switch (parent.kind) {
    case NodeRef::Kind::kBody: doc->body.push_back(ref); break;
    case NodeRef::Kind::kText: doc->texts[parent.index].children.push_back(ref); break;
    case NodeRef::Kind::kGroup: doc->groups[parent.index].children.push_back(ref); break;
    case NodeRef::Kind::kTable: doc->tables[parent.index].children.push_back(ref); break;
    case NodeRef::Kind::kPicture: doc->pictures[parent.index].children.push_back(ref); break;
  }
  return ref;
}
}  // namespace

NodeRef DoclingDocument::add_text(TextItem item, NodeRef parent) {
  return add_item(this, &texts, NodeRef::Kind::kText, std::move(item), parent);
}
NodeRef DoclingDocument::add_group(GroupItem item, NodeRef parent) {
  return add_item(this, &groups, NodeRef::Kind::kGroup, std::move(item), parent);
}
NodeRef DoclingDocument::add_table(TableItem item, NodeRef parent) {
  return add_item(this, &tables, NodeRef::Kind::kTable, std::move(item), parent);
}
NodeRef DoclingDocument::add_picture(PictureItem item, NodeRef parent) {
  return add_item(this, &pictures, NodeRef::Kind::kPicture, std::move(item), parent);
}

const std::vector<NodeRef>& DoclingDocument::children_of(NodeRef node) const {
  switch (node.kind) {
    case NodeRef::Kind::kBody: return body;
    case NodeRef::Kind::kText: return texts.at(node.index).children;
    case NodeRef::Kind::kGroup: return groups.at(node.index).children;
    case NodeRef::Kind::kTable: return tables.at(node.index).children;
    case NodeRef::Kind::kPicture: return pictures.at(node.index).children;
  }
  FB_CHECK(false);
  return body;
}

const PageInfo* DoclingDocument::page(int page_no) const {
  for (const PageInfo& p : pages) {
    if (p.page_no == page_no) return &p;
  }
  return nullptr;
}

}  // namespace fourbrain::docling
