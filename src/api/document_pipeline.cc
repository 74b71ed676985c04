#include "api/document_pipeline.h"

#include <algorithm>
#include <chrono>

#include "api/http_fetch.h"
#include "docling/chunk/chunker.h"
#include "docling/converter.h"
#include "docling/export/exporters.h"
#include "docling/sandbox.h"
#include "formats/tokenizer/tokenizer.h"

namespace fourbrain::api {
namespace {

constexpr const char* kModule = "fourbrain.docling";

bool looks_like_pdf(const std::string& bytes) {
  // Readers accept junk before the header within the first KiB; so do we.
  return bytes.substr(0, 1024).find("%PDF-") != std::string::npos;
}

// The checks every document's bytes pass: a file's before it queues, a fetched body's after.
Status check_bytes(const std::string& name, const std::string& bytes,
                   const DocumentServiceOptions& options) {
  if (bytes.empty()) return invalid_argument("file '" + name + "' is empty");
  if (bytes.size() > options.max_file_bytes) {
    return invalid_argument("file '" + name + "' is " + std::to_string(bytes.size()) + " bytes, " +
                            std::string(kOverSizeLimit) + " of " +
                            std::to_string(options.max_file_bytes));
  }
  if (!looks_like_pdf(bytes)) {
    return invalid_argument("file '" + name +
                            "' is not a PDF (no %PDF- header); only PDF input is supported");
  }
  return Status::ok();
}

Status check_source(const DocumentSource& source, const DocumentServiceOptions& options) {
  if (source.url.empty()) return check_bytes(source.filename, source.bytes, options);
  FB_RETURN_IF_ERROR(check_http_headers(source.headers));
  return allowed_http_url(source.url, options.http_allow).status();
}

// An http source's bytes, fetched on the calling (worker) thread and checked as a file's.
Result<std::string> fetch_source(const DocumentSource& source,
                                 const DocumentServiceOptions& options) {
  HttpFetchOptions fetch;
  fetch.allow = options.http_allow;
  fetch.time_limit = options.http_time_limit;
  fetch.max_bytes = options.max_file_bytes;
  auto fetched = fetch_http(source.url, source.headers, fetch);
  if (!fetched.is_ok()) return fetched.status().with_context("http source '" + source.url + "'");
  HttpFetched& f = fetched.value();
  Status s = check_bytes(source.filename, f.body, options);
  if (!s.is_ok()) {
    return s.with_context("http source '" + f.final_url + "' (Content-Type '" + f.content_type +
                          "')");
  }
  return std::move(f.body);
}

docling::ConvertOptions convert_options(const DocumentSource& source, const ConvertOptions& o,
                                        const DocumentServiceOptions& limits) {
  docling::ConvertOptions c;
  c.filename = source.filename;
  c.first_page = o.first_page;
  c.last_page = o.last_page;
  c.ocr = !o.do_ocr     ? docling::OcrMode::kOff
          : o.force_ocr ? docling::OcrMode::kForce
                        : docling::OcrMode::kAuto;
  if (!o.ocr_lang.empty()) c.ocr_languages = o.ocr_lang;
  c.max_file_bytes = limits.max_file_bytes;
  c.max_pages = limits.max_pages;
  c.page_time_limit = limits.page_time_limit;
  c.document_time_limit = limits.document_time_limit;
  if (o.document_timeout_s > 0) {
    const auto asked = std::chrono::milliseconds(static_cast<int64_t>(o.document_timeout_s * 1e3));
    c.document_time_limit = std::min(c.document_time_limit, std::max(asked, decltype(asked){1}));
  }
  return c;
}

void add_chunks(const docling::DoclingDocument& doc, const DocumentRequest& request,
                const formats::Tokenizer* tokenizer, const std::string& filename,
                std::vector<DocumentChunk>& out) {
  const bool hybrid = request.chunking.kind == ChunkerKind::kHybrid;
  std::vector<docling::Chunk> chunks;
  if (hybrid) {
    docling::TokenCounter count = [tokenizer](const std::string& text) -> size_t {
      auto ids = tokenizer->encode(text, /*add_special_tokens=*/false);
      return ids.is_ok() ? ids.value().size() : text.size();  // only on invalid UTF-8
    };
    docling::HybridChunkOptions options;
    options.max_tokens = request.chunking.max_tokens;
    options.merge_peers = request.chunking.merge_peers;
    chunks = docling::hybrid_chunks(doc, count, options);
  } else {
    chunks = docling::hierarchical_chunks(doc);
  }
  int index = 0;
  for (const docling::Chunk& c : chunks) {
    DocumentChunk& d = out.emplace_back();
    d.filename = filename;
    d.chunk_index = index++;
    d.text = docling::contextualize(c);
    d.raw_text = c.text;
    d.num_tokens = hybrid ? c.n_tokens : 0;
    d.headings = c.headings;
    d.captions = c.captions;
    for (const docling::NodeRef& ref : c.items) d.doc_items.push_back(ref.path());
    d.page_numbers = c.pages;
  }
}

}  // namespace

Status check_document_request(const DocumentRequest& request, const DocumentServiceOptions& options,
                              bool have_tokenizer) {
  if (request.sources.empty()) return invalid_argument("no source documents were given");
  const ConvertOptions& o = request.options;
  if (o.first_page < 1 || o.last_page < o.first_page) {
    return invalid_argument("page_range must be 1-based and ascending, got [" +
                            std::to_string(o.first_page) + ", " + std::to_string(o.last_page) +
                            "]");
  }
  if (o.document_timeout_s < 0) return invalid_argument("document_timeout must not be negative");
  if (request.chunking.kind == ChunkerKind::kHybrid) {
    if (!have_tokenizer) {
      return unsupported(
          "hybrid chunking needs a tokenizer to count tokens; start the server with "
          "--docling-tokenizer DIR (e.g. the embedding model's checkpoint folder)");
    }
    if (request.chunking.max_tokens < 1) return invalid_argument("max_tokens must be >= 1");
  }
  for (const DocumentSource& source : request.sources) {
    FB_RETURN_IF_ERROR(check_source(source, options));
  }
  return Status::ok();
}

Result<DocumentResponse> process_documents(const DocumentRequest& request,
                                           const DocumentServiceOptions& options,
                                           const formats::Tokenizer* tokenizer) {
  const auto t0 = std::chrono::steady_clock::now();
  DocumentResponse response;
  response.chunked = request.chunking.kind != ChunkerKind::kNone;
  response.zip_target = request.zip_target;
  const bool chunking = request.chunking.kind != ChunkerKind::kNone;
  const bool exports = !chunking || request.chunking.include_converted_document;
  for (const DocumentSource& source : request.sources) {
    std::string fetched;
    if (!source.url.empty()) {
      FB_ASSIGN_OR_RETURN(fetched, fetch_source(source, options));
    }
    const std::string& bytes = source.url.empty() ? source.bytes : fetched;
    docling::ConvertOptions convert = convert_options(source, request.options, options);
    auto converted = options.converter_exe.empty()
                         ? docling::convert_pdf(bytes, convert)
                         : docling::convert_pdf_sandboxed(options.converter_exe, bytes, convert,
                                                          {options.converter_memory_bytes});
    if (!converted.is_ok())
      return converted.status().with_context("file '" + source.filename + "'");
    const docling::ConversionResult& r = converted.value();
    ConvertedDocument& doc = response.documents.emplace_back();
    doc.filename = source.filename;
    doc.status = docling::status_name(r.status);
    doc.seconds = r.seconds;
    doc.pages = r.pages_converted;
    for (const docling::PageError& e : r.errors) {
      doc.errors.push_back(
          {"document_backend", kModule,
           e.page_no > 0 ? "page " + std::to_string(e.page_no) + ": " + e.message : e.message,
           e.page_no});
    }
    if (exports) {
      doc.has_md = request.options.to_md;
      doc.has_json = request.options.to_json;
      doc.has_text = request.options.to_text;
      if (doc.has_md) doc.markdown = docling::to_markdown(r.document);
      if (doc.has_json) doc.json = docling::to_docling_json(r.document);
      if (doc.has_text) doc.text = docling::to_plain_text(r.document);
    }
    if (chunking) add_chunks(r.document, request, tokenizer, source.filename, response.chunks);
  }
  response.processing_time =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return response;
}

}  // namespace fourbrain::api
