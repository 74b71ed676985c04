// DoclingRoutes: docling-serve's REST API (reference/docling.md §5.1) on the HTTP frontend:
// /v1/convert/{file,source}[/async], /v1/chunk/{hybrid,hierarchical}/{file,source}[/async],
// /v1/status/poll/{id}, /v1/result/{id}, /health, /ready, /version. Bodies become
// api::DocumentRequest values (docling_requests.h); conversions run on the server's
// DocumentService and reply through the callback, never on the I/O thread.
//
// A conversion of several documents, or one with target kind "zip", answers with
// converted_docs.zip (docling_zip.h), sync or through /v1/result; chunkings answer JSON.
// http sources are fetched by the document worker (api/http_fetch.h).
//
// Status codes: bad form, JSON, base64, non-PDF, corrupt PDF, an http source not allowed or
// not fetched 400; a file or fetched body over the limit 413; https sources and unknown
// target kinds 501; unknown task 404; full queue or shutting down 503. Errors are
// {"detail": message}, as FastAPI's.
//
// Thread-safe; `reply` is called exactly once, possibly on a document worker thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "api/server.h"
#include "server/http/router.h"

namespace fourbrain::server::http {

class DoclingRoutes {
 public:
  explicit DoclingRoutes(api::Server& server) : server_(server) {}

  // Whether the path (split into segments) is one of docling-serve's.
  static bool owns(const std::vector<std::string>& seg);
  void handle(std::shared_ptr<HttpRequest> request, const std::vector<std::string>& seg,
              ReplyFn reply);

 private:
  void documents_route(std::shared_ptr<HttpRequest> request, bool file, bool async,
                       api::ChunkerKind chunker, ReplyFn reply);

  api::Server& server_;
};

}  // namespace fourbrain::server::http
