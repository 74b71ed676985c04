// Chunking a DoclingDocument for embedding, in the manner of docling-core's chunkers.
//
// Hierarchical: one chunk per body item in reading order (a whole list is one chunk, a
// table one chunk with its caption), each carrying the path of headings above it (title
// first). Headings are context, not chunks. Page furniture is left out.
//
// Hybrid: the hierarchical chunks, then split where a chunk is over `max_tokens` (text at
// sentence, then word boundaries; tables by rows, the header row repeated in every piece)
// and merged where consecutive chunks under the same headings fit together, counting tokens
// with a real tokenizer (the served model's, e.g. Qwen3's).
//
// Pure functions of the document; thread-safe when the token counter is.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "docling/document.h"

namespace fourbrain::formats {
class Tokenizer;
}

namespace fourbrain::docling {

struct Chunk {
  std::string text;                   // the content, without its headings
  std::vector<std::string> headings;  // title and section headers above it, outermost first
  std::vector<std::string> captions;  // of a table or picture in the chunk
  std::vector<NodeRef> items;         // the document items it came from
  std::vector<int> pages;             // page numbers it spans, ascending
  size_t n_tokens = 0;                // of contextualize(chunk); hybrid chunks only
};

// Counts the tokens of a text (no special tokens).
using TokenCounter = std::function<size_t(const std::string&)>;
// Counts with `tokenizer`, which must outlive the counter. A text it cannot encode counts
// as its bytes (an overestimate, so chunks stay under the limit).
TokenCounter token_counter(const formats::Tokenizer& tokenizer);

std::vector<Chunk> hierarchical_chunks(const DoclingDocument& doc);

struct HybridChunkOptions {
  size_t max_tokens = 512;
  bool merge_peers = true;  // merge consecutive undersized chunks with the same headings
};
std::vector<Chunk> hybrid_chunks(const DoclingDocument& doc, const TokenCounter& count_tokens,
                                 const HybridChunkOptions& options);

// What is embedded: the headings, one per line, then the text (docling's contextualize()).
std::string contextualize(const Chunk& chunk);

// {"chunks": [{"text", "contextualized_text", "headings", "captions", "doc_items" (refs),
// "page_numbers", "num_tokens" (hybrid only)}...]}
std::string chunks_to_json(const std::vector<Chunk>& chunks, bool with_tokens);

}  // namespace fourbrain::docling
