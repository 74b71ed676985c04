// HttpServer: the network side of the HTTP frontend, on Boost.Beast/Asio.
//
// One io_context per I/O thread; the acceptor hands connections out round-robin, so a
// connection lives on one thread and needs no locks. HTTP/1.1 keep-alive, request size
// limits (413 past --http-max-input-size), and a watch on each connection while its
// inference is pending, so that a client that hangs up has its request dropped before
// compute. The metrics port serves GET /metrics (Prometheus text).
//
// Lifecycle: serve() blocks until SIGINT/SIGTERM, then: readiness turns false, the
// listeners close, every accepted request is answered and written, and serve() returns.
// Beast is confined to http_server.cc; this header is plain.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "api/server.h"
#include "base/status.h"

namespace fourbrain::server::http {

struct HttpOptions {
  std::string host = "0.0.0.0";
  uint16_t http_port = 8000;     // 0: any free port
  uint16_t metrics_port = 8002;  // 0: any free port
  bool allow_metrics = true;
  int threads = 0;                           // I/O threads; 0: one per core
  size_t max_input_bytes = size_t{1} << 26;  // 64 MiB, Triton's default
  int exit_timeout_seconds = 30;             // longest wait for in-flight requests at exit
};

class HttpServer {
 public:
  // Binds both ports; fails with the reason (port in use, bad address).
  static Result<std::unique_ptr<HttpServer>> start(api::Server& server, const HttpOptions& options);
  virtual ~HttpServer() = default;

  virtual uint16_t http_port() const = 0;
  virtual uint16_t metrics_port() const = 0;
  // Serves until SIGINT or SIGTERM, then shuts down gracefully.
  virtual void serve() = 0;
};

}  // namespace fourbrain::server::http
