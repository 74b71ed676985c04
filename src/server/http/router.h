// Router: the KServe v2 HTTP/REST routes of Triton (triton.md §1.1), translated to
// api::Server calls and back; docling-serve's routes (/v1/..., /health) go to
// DoclingRoutes. It knows nothing of sockets: the transport (http_server.cc)
// hands it a parsed request and gets the reply through a callback, so routing is testable
// and fuzzable without a network.
//
// Thread-safe. `reply` is called exactly once per request, possibly on another thread (an
// inference answers from a runtime thread, a model load from the blocking runner).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "api/server.h"

namespace fourbrain::server::http {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path, with an optional ?query
  std::string body;
  std::optional<size_t> inference_header_length;
  std::string content_type;                 // of the body (multipart boundary), if any
  std::string content_encoding;             // of the body (gzip, deflate), if any
  std::string accept_encoding;              // what the client takes back
  size_t max_body_bytes = size_t{1} << 26;  // also the limit after decompression
};

struct HttpReply {
  int status = 200;
  std::string content_type;  // empty with an empty body
  std::string body;
  std::optional<size_t> inference_header_length;
  std::string content_encoding;     // set when the body is compressed
  std::string content_disposition;  // a download's ("attachment; filename=...")
};

using ReplyFn = std::function<void(HttpReply)>;
// Runs a task that may block for long (a model load) away from the I/O threads.
using BlockingRunner = std::function<void(std::function<void()>)>;

HttpReply error_reply(const Status& status);
HttpReply error_reply(int http_status, const std::string& message);

class DoclingRoutes;

class Router {
 public:
  Router(api::Server& server, BlockingRunner run_blocking);
  ~Router();

  // Returns the ticket of an accepted inference (to cancel it if the client leaves).
  std::shared_ptr<api::InferTicket> handle(std::shared_ptr<HttpRequest> request, ReplyFn reply);

 private:
  std::shared_ptr<api::InferTicket> infer(std::shared_ptr<HttpRequest> request,
                                          const std::string& model, const std::string& version,
                                          ReplyFn reply);
  void model_route(const HttpRequest& request, const std::string& model, const std::string& version,
                   const std::string& action, ReplyFn& reply);
  void repository_route(std::shared_ptr<HttpRequest> request, const std::string& model,
                        const std::string& action, ReplyFn reply);

  api::Server& server_;
  BlockingRunner run_blocking_;
  std::unique_ptr<DoclingRoutes> docling_;
};

}  // namespace fourbrain::server::http
