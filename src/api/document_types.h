// The values the document-conversion frontends (docling-serve routes, the KServe `docling`
// model) exchange with api::DocumentService: what to convert and how, and what came out,
// in the terms of docling-serve (reference/docling.md §5) but free of any wire format.
//
// Plain values; copyable; no sharing. Frontends fill a DocumentRequest from their wire
// format (form fields, JSON, tensors) and write a DocumentResponse back in theirs.
#pragma once

#include <climits>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace fourbrain::api {

// One input document: its bytes (kind "file"), or a URL to fetch (kind "http").
struct DocumentSource {
  std::string filename = "document.pdf";
  std::string bytes;
  std::string url;  // non-empty: an http source; `bytes` is then empty (fetched by a worker)
  std::vector<std::pair<std::string, std::string>> headers;  // sent with the http request
};

// docling-serve's ConvertDocumentsOptions, the part that means something here.
struct ConvertOptions {
  bool to_md = true;  // to_formats; md only by default, as docling-serve
  bool to_json = false;
  bool to_text = false;
  bool do_ocr = true;      // false: never OCR
  bool force_ocr = false;  // OCR every page, text layer or not
  std::string ocr_lang;    // tesseract languages ("eng", "eng+deu"); "" = eng
  int first_page = 1;      // page_range, 1-based, inclusive
  int last_page = INT_MAX;
  double document_timeout_s = 0;  // > 0: lowers the service's per-document time limit
};

enum class ChunkerKind { kNone, kHierarchical, kHybrid };

struct ChunkOptions {
  ChunkerKind kind = ChunkerKind::kNone;  // kNone: a conversion, not a chunking
  size_t max_tokens = 512;                // hybrid only
  bool merge_peers = true;                // hybrid only
  bool include_converted_document = false;
};

struct DocumentRequest {
  std::vector<DocumentSource> sources;
  ConvertOptions options;
  ChunkOptions chunking;
  bool zip_target = false;  // docling-serve's target kind "zip": the result as an archive
};

// docling-serve's ErrorItem.
struct DocumentError {
  std::string component_type;  // "document_backend", "user_input", ...
  std::string module_name;
  std::string message;
  int page_no = 0;  // 0: not about one page
};

struct DocumentChunk {
  std::string filename;
  int chunk_index = 0;
  std::string text;       // contextualized: headings, then the content
  std::string raw_text;   // the content alone
  size_t num_tokens = 0;  // of `text`; hybrid only
  std::vector<std::string> headings, captions;
  std::vector<std::string> doc_items;  // "#/texts/3", ...
  std::vector<int> page_numbers;
};

// One converted document; the exports asked for are set (has_*).
struct ConvertedDocument {
  std::string filename;
  std::string status;  // "success", "partial_success", "failure"
  std::vector<DocumentError> errors;
  double seconds = 0;
  int pages = 0;
  bool has_md = false, has_json = false, has_text = false;
  std::string markdown;
  std::string json;  // the DoclingDocument, as JSON text
  std::string text;
};

struct DocumentResponse {
  std::vector<ConvertedDocument> documents;  // one per source, in order
  bool chunked = false;                      // a chunking request's result
  std::vector<DocumentChunk> chunks;         // chunking requests only
  double processing_time = 0;                // seconds, queue wait excluded
  bool zip_target = false;                   // the request's, for an async result
};

enum class TaskState { kPending, kStarted, kSuccess, kPartialSuccess, kFailure };
const char* task_state_name(TaskState state);  // "pending", "started", ...

struct TaskStatus {
  std::string task_id;
  std::string task_type;  // "convert" or "chunk"
  TaskState state = TaskState::kPending;
  int position = 0;           // 1-based place in the queue while pending; 0 otherwise
  std::string error_message;  // set on failure
};

}  // namespace fourbrain::api
