#include "api/document_pipeline.h"

#include <algorithm>
#include <chrono>

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

// "http://host:port/path" -> "host"; "" when the URL is not http(s).
std::string url_host(const std::string& url, bool* https) {
  const std::string http = "http://", secure = "https://";
  size_t start = 0;
  if (url.rfind(http, 0) == 0) {
    start = http.size(), *https = false;
  } else if (url.rfind(secure, 0) == 0) {
    start = secure.size(), *https = true;
  } else {
    return "";
  }
  std::string host = url.substr(start, url.find_first_of("/?#", start) - start);
  if (auto at = host.rfind('@'); at != std::string::npos) host = host.substr(at + 1);
  if (!host.empty() && host[0] == '[') return host.substr(0, host.find(']') + 1);
  return host.substr(0, host.find(':'));
}

Status check_source(const DocumentSource& source, const DocumentServiceOptions& options) {
  const std::string& name = source.filename;
  if (!source.url.empty()) {
    bool https = false;
    const std::string host = url_host(source.url, &https);
    if (host.empty()) return invalid_argument("source url '" + source.url + "' is not http(s)");
    if (options.http_allow.empty()) {
      return invalid_argument(
          "http sources are disabled on this server (start it with --docling-http-allow HOST,...)"
          "; send the file itself (kind 'file' with base64_string)");
    }
    if (std::find(options.http_allow.begin(), options.http_allow.end(), host) ==
        options.http_allow.end()) {
      return invalid_argument("host '" + host + "' of source url '" + source.url +
                              "' is not in --docling-http-allow");
    }
    return unsupported(
        "fetching http sources is not implemented yet; send the file itself (kind "
        "'file' with base64_string)");
  }
  if (source.bytes.empty()) return invalid_argument("file '" + name + "' is empty");
  if (source.bytes.size() > options.max_file_bytes) {
    return invalid_argument("file '" + name + "' is " + std::to_string(source.bytes.size()) +
                            " bytes; the limit is " + std::to_string(options.max_file_bytes));
  }
  if (!looks_like_pdf(source.bytes)) {
    return invalid_argument("file '" + name +
                            "' is not a PDF (no %PDF- header); only PDF input is supported");
  }
  return Status::ok();
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
  const bool chunking = request.chunking.kind != ChunkerKind::kNone;
  const bool exports = !chunking || request.chunking.include_converted_document;
  for (const DocumentSource& source : request.sources) {
    docling::ConvertOptions convert = convert_options(source, request.options, options);
    auto converted =
        options.converter_exe.empty()
            ? docling::convert_pdf(source.bytes, convert)
            : docling::convert_pdf_sandboxed(options.converter_exe, source.bytes, convert,
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
