#include <algorithm>
#include <map>

#include "docling/chunk/chunker.h"
#include "formats/json_writer.h"

namespace fourbrain::docling {
namespace {

void add_pages(const std::vector<Provenance>& prov, Chunk* chunk) {
  for (const Provenance& p : prov) {
    if (std::find(chunk->pages.begin(), chunk->pages.end(), p.page_no) == chunk->pages.end()) {
      chunk->pages.push_back(p.page_no);
    }
  }
  std::sort(chunk->pages.begin(), chunk->pages.end());
}

// A list as Markdown lines, nested lists indented.
void list_text(const DoclingDocument& doc, const GroupItem& group, int depth, Chunk* chunk) {
  for (const NodeRef& child : group.children) {
    if (child.kind == NodeRef::Kind::kGroup) {
      list_text(doc, doc.groups[child.index], depth + 1, chunk);
      continue;
    }
    if (child.kind != NodeRef::Kind::kText) continue;
    const TextItem& item = doc.texts[child.index];
    if (!chunk->text.empty()) chunk->text += '\n';
    chunk->text += std::string(static_cast<size_t>(depth) * 4, ' ');
    chunk->text += item.enumerated && !item.marker.empty() ? item.marker : "-";
    chunk->text += ' ';
    chunk->text += item.text;
    chunk->items.push_back(child);
    add_pages(item.prov, chunk);
    for (const NodeRef& nested : item.children) {
      if (nested.kind == NodeRef::Kind::kGroup) list_text(doc, doc.groups[nested.index], depth + 1, chunk);
    }
  }
}

class HierarchicalChunker {
 public:
  explicit HierarchicalChunker(const DoclingDocument& doc) : doc_(doc) {}

  std::vector<Chunk> run() {
    for (const NodeRef& ref : doc_.body) visit(ref);
    return std::move(chunks_);
  }

 private:
  void visit(const NodeRef& ref) {
    switch (ref.kind) {
      case NodeRef::Kind::kText: return text(ref);
      case NodeRef::Kind::kGroup: {
        const GroupItem& g = doc_.groups[ref.index];
        if (g.layer != ContentLayer::kBody) return;
        Chunk chunk = start_chunk();
        list_text(doc_, g, 0, &chunk);
        finish(std::move(chunk));
        return;
      }
      case NodeRef::Kind::kTable: return table(ref);
      case NodeRef::Kind::kPicture: {
        const PictureItem& p = doc_.pictures[ref.index];
        if (p.captions.empty()) return;  // nothing to embed without text
        Chunk chunk = start_chunk();
        add_captions(p.captions, &chunk);
        chunk.text = chunk.captions.front();
        chunk.items.push_back(ref);
        add_pages(p.prov, &chunk);
        finish(std::move(chunk));
        return;
      }
      case NodeRef::Kind::kBody: return;
    }
  }

  void text(const NodeRef& ref) {
    const TextItem& t = doc_.texts[ref.index];
    if (t.layer != ContentLayer::kBody) return;
    if (t.label == Label::kTitle || t.label == Label::kSectionHeader) {
      int level = t.label == Label::kTitle ? 0 : t.level;
      headings_.erase(headings_.lower_bound(level), headings_.end());
      headings_[level] = t.text;
      return;
    }
    if (t.text.empty()) return;
    Chunk chunk = start_chunk();
    chunk.text = t.text;
    chunk.items.push_back(ref);
    add_pages(t.prov, &chunk);
    finish(std::move(chunk));
  }

  void table(const NodeRef& ref) {
    const TableItem& t = doc_.tables[ref.index];
    Chunk chunk = start_chunk();
    add_captions(t.captions, &chunk);
    for (const std::string& caption : chunk.captions) {
      if (!chunk.text.empty()) chunk.text += '\n';
      chunk.text += caption;
    }
    auto grid = t.grid();
    for (int r = 0; r < t.num_rows; ++r) {
      std::string row = "|";
      for (int c = 0; c < t.num_cols; ++c) {
        row += ' ';
        if (grid[r][c] >= 0) row += t.cells[grid[r][c]].text;
        row += " |";
      }
      if (!chunk.text.empty()) chunk.text += '\n';
      chunk.text += row;
    }
    chunk.items.push_back(ref);
    add_pages(t.prov, &chunk);
    finish(std::move(chunk));
  }

  void add_captions(const std::vector<NodeRef>& captions, Chunk* chunk) {
    for (const NodeRef& c : captions) chunk->captions.push_back(doc_.texts[c.index].text);
  }

  Chunk start_chunk() const {
    Chunk chunk;
    for (const auto& [level, text] : headings_) chunk.headings.push_back(text);
    return chunk;
  }

  void finish(Chunk chunk) {
    if (!chunk.text.empty()) chunks_.push_back(std::move(chunk));
  }

  const DoclingDocument& doc_;
  std::map<int, std::string> headings_;  // level -> text; the title is level 0
  std::vector<Chunk> chunks_;
};

}  // namespace

std::vector<Chunk> hierarchical_chunks(const DoclingDocument& doc) {
  return HierarchicalChunker(doc).run();
}

std::string contextualize(const Chunk& chunk) {
  std::string out;
  for (const std::string& h : chunk.headings) {
    out += h;
    out += '\n';
  }
  out += chunk.text;
  return out;
}

std::string chunks_to_json(const std::vector<Chunk>& chunks, bool with_tokens) {
  formats::JsonWriter w;
  w.begin_object().key("chunks").begin_array();
  for (const Chunk& c : chunks) {
    w.begin_object();
    w.key("text").value(c.text);
    w.key("contextualized_text").value(contextualize(c));
    w.key("headings").begin_array();
    for (const std::string& h : c.headings) w.value(h);
    w.end_array().key("captions").begin_array();
    for (const std::string& cap : c.captions) w.value(cap);
    w.end_array().key("doc_items").begin_array();
    for (const NodeRef& r : c.items) w.value(r.path());
    w.end_array().key("page_numbers").begin_array();
    for (int p : c.pages) w.value(p);
    w.end_array();
    if (with_tokens) w.key("num_tokens").value(static_cast<uint64_t>(c.n_tokens));
    w.end_object();
  }
  w.end_array().end_object();
  return w.str();
}

}  // namespace fourbrain::docling
