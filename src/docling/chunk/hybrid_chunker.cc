// The hybrid chunker: hierarchical chunks fitted to a token budget. Splitting packs whole
// sentences (then words) greedily, estimating a piece's tokens as the sum of its parts and
// checking each finished piece exactly; tables split by rows with the header row repeated.
#include <algorithm>

#include "docling/chunk/chunker.h"
#include "formats/tokenizer/tokenizer.h"

namespace fourbrain::docling {
namespace {

std::vector<std::string> split_sentences(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    bool end = (text[i] == '.' || text[i] == '!' || text[i] == '?' || text[i] == '\n') &&
               (text[i + 1] == ' ' || text[i + 1] == '\n');
    if (end) {
      out.push_back(text.substr(start, i + 1 - start));
      start = i + 2;
    }
  }
  if (start < text.size()) out.push_back(text.substr(start));
  return out;
}

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

class HybridSplitter {
 public:
  HybridSplitter(const TokenCounter& count, size_t max_tokens) : count_(count), max_(max_tokens) {}

  // Pieces of `parts` (joined by `sep`) that each fit `budget` tokens; a part alone over the
  // budget is split by `split_part` (or kept whole when it cannot be split further).
  std::vector<std::string> pack(const std::vector<std::string>& parts, const std::string& sep,
                                size_t budget, bool words_level) {
    std::vector<std::string> out;
    std::string current;
    size_t current_tokens = 0;
    for (const std::string& part : parts) {
      size_t tokens = count_(part);
      if (tokens > budget) {
        if (!current.empty()) out.push_back(std::move(current));
        current.clear();
        current_tokens = 0;
        if (words_level) {
          out.push_back(part);  // one word over the budget: nothing finer to split at
        } else {
          for (std::string& p : pack(split_words(part), " ", budget, true)) out.push_back(std::move(p));
        }
        continue;
      }
      if (!current.empty() && current_tokens + tokens + 1 > budget) {
        out.push_back(std::move(current));
        current.clear();
        current_tokens = 0;
      }
      if (!current.empty()) current += sep;
      current += part;
      current_tokens += tokens + (current_tokens ? 1 : 0);
    }
    if (!current.empty()) out.push_back(std::move(current));
    return out;
  }

  size_t count(const std::string& text) const { return count_(text); }
  size_t max() const { return max_; }

 private:
  const TokenCounter& count_;
  size_t max_;
};

bool is_table_chunk(const DoclingDocument& doc, const Chunk& c) {
  return c.items.size() == 1 && c.items[0].kind == NodeRef::Kind::kTable &&
         doc.tables[c.items[0].index].num_rows > 1;
}

// The number of leading rows that are column headers (at least 1).
size_t header_row_count(const TableItem& t) {
  auto grid = t.grid();
  int header_rows = 0;
  while (header_rows < t.num_rows - 1) {
    bool all = true;
    for (int col = 0; col < t.num_cols; ++col) {
      int k = grid[header_rows][col];
      all &= k >= 0 && t.cells[k].column_header;
    }
    if (!all) break;
    ++header_rows;
  }
  return static_cast<size_t>(std::max(header_rows, 1));
}

std::vector<Chunk> split_chunk(const DoclingDocument& doc, const Chunk& chunk, HybridSplitter& s) {
  Chunk context = chunk;
  context.text.clear();
  size_t heading_tokens = s.count(contextualize(context));
  size_t budget = s.max() > heading_tokens + 8 ? s.max() - heading_tokens : 8;
  std::vector<std::string> pieces;
  if (is_table_chunk(doc, chunk)) {
    // Lines: the captions, the header rows (repeated at the top of every piece), the body
    // rows. The captions lead the first piece where they fit.
    std::vector<std::string> rows;
    size_t start = 0;
    while (start <= chunk.text.size()) {
      size_t end = chunk.text.find('\n', start);
      if (end == std::string::npos) end = chunk.text.size();
      rows.push_back(chunk.text.substr(start, end - start));
      start = end + 1;
    }
    size_t n_captions = std::min(chunk.captions.size(), rows.size());
    std::string captions;
    for (size_t i = 0; i < n_captions; ++i) captions += (i ? "\n" : "") + rows[i];
    rows.erase(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(n_captions));
    size_t head_lines = std::min(header_row_count(doc.tables[chunk.items[0].index]), rows.size() - 1);
    std::string header;
    for (size_t i = 0; i < head_lines; ++i) header += (i ? "\n" : "") + rows[i];
    rows.erase(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(head_lines));
    size_t header_tokens = s.count(header);
    size_t row_budget = budget > header_tokens + 8 ? budget - header_tokens : 8;
    for (std::string& body : s.pack(rows, "\n", row_budget, true)) pieces.push_back(header + "\n" + body);
    if (!captions.empty() && !pieces.empty() && s.count(captions + "\n" + pieces[0]) <= budget) {
      pieces[0] = captions + "\n" + pieces[0];
    }
  } else {
    pieces = s.pack(split_sentences(chunk.text), " ", budget, false);
  }
  std::vector<Chunk> out;
  for (std::string& piece : pieces) {
    Chunk c = chunk;
    c.text = std::move(piece);
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

TokenCounter token_counter(const formats::Tokenizer& tokenizer) {
  return [&tokenizer](const std::string& text) {
    auto ids = tokenizer.encode(text, /*add_special_tokens=*/false);
    return ids.is_ok() ? ids->size() : text.size();
  };
}

std::vector<Chunk> hybrid_chunks(const DoclingDocument& doc, const TokenCounter& count_tokens,
                                 const HybridChunkOptions& options) {
  HybridSplitter splitter(count_tokens, std::max<size_t>(options.max_tokens, 16));
  std::vector<Chunk> fitted;
  for (const Chunk& chunk : hierarchical_chunks(doc)) {
    size_t tokens = count_tokens(contextualize(chunk));
    if (tokens <= splitter.max()) {
      fitted.push_back(chunk);
      fitted.back().n_tokens = tokens;
      continue;
    }
    for (Chunk& piece : split_chunk(doc, chunk, splitter)) {
      piece.n_tokens = count_tokens(contextualize(piece));
      fitted.push_back(std::move(piece));
    }
  }
  if (!options.merge_peers) return fitted;
  std::vector<Chunk> merged;
  for (Chunk& chunk : fitted) {
    if (!merged.empty() && merged.back().headings == chunk.headings &&
        merged.back().captions.empty() && chunk.captions.empty() &&
        merged.back().n_tokens + chunk.n_tokens <= splitter.max()) {
      Chunk candidate = merged.back();
      candidate.text += "\n";
      candidate.text += chunk.text;
      size_t tokens = count_tokens(contextualize(candidate));
      if (tokens <= splitter.max()) {
        candidate.items.insert(candidate.items.end(), chunk.items.begin(), chunk.items.end());
        for (int p : chunk.pages) {
          if (std::find(candidate.pages.begin(), candidate.pages.end(), p) == candidate.pages.end()) {
            candidate.pages.push_back(p);
          }
        }
        std::sort(candidate.pages.begin(), candidate.pages.end());
        candidate.n_tokens = tokens;
        merged.back() = std::move(candidate);
        continue;
      }
    }
    merged.push_back(std::move(chunk));
  }
  return merged;
}

}  // namespace fourbrain::docling
