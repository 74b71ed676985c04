#include "server/http/http_server.h"

#include <sys/socket.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <chrono>
#include <thread>
#include <vector>

#include "base/log.h"
#include "server/common/metrics.h"
#include "server/http/router.h"

namespace fourbrain::server::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr size_t kHeaderLimit = 64 * 1024;

class ServerImpl;

// One client connection. Lives on one io_context thread; everything below runs there,
// except the reply callback, which posts back to it.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, ServerImpl& owner, bool metrics)
      : socket_(std::move(socket)), owner_(owner), metrics_(metrics) {}
  void start() { read_header(); }

 private:
  void read_header();
  void on_header(beast::error_code ec);
  void read_body();
  void on_body(beast::error_code ec);
  void dispatch();
  void send(HttpReply reply);
  void fail_request(int status, const std::string& message);
  void watch_for_hangup();

  tcp::socket socket_;
  ServerImpl& owner_;
  const bool metrics_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bool keep_alive_ = true;
  unsigned http_version_ = 11;
  bool watching_ = false;
  std::shared_ptr<api::InferTicket> ticket_;
  std::string request_id_, target_;
  std::chrono::steady_clock::time_point started_;
};

class ServerImpl final : public HttpServer {
 public:
  ServerImpl(api::Server& server, const HttpOptions& options)
      : server_(server), options_(options), router_(server, [this](std::function<void()> task) {
          net::post(control_, std::move(task));
        }) {
    const int n =
        options.threads > 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
    for (int i = 0; i < n; ++i) contexts_.push_back(std::make_unique<net::io_context>(1));
    http_acceptor_ = std::make_unique<tcp::acceptor>(*contexts_[0]);
    metrics_acceptor_ = std::make_unique<tcp::acceptor>(*contexts_[0]);
  }

  Status bind(tcp::acceptor& acceptor, uint16_t port, uint16_t& bound) {
    beast::error_code ec;
    const auto address = net::ip::make_address(options_.host, ec);
    if (ec) return invalid_argument("--host '" + options_.host + "': " + ec.message());
    const tcp::endpoint endpoint(address, port);
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      return unavailable("cannot listen on " + options_.host + ":" + std::to_string(port) + ": " +
                         ec.message());
    }
    bound = acceptor.local_endpoint().port();
    return Status::ok();
  }

  Status open() {
    FB_RETURN_IF_ERROR(bind(*http_acceptor_, options_.http_port, http_port_));
    if (options_.allow_metrics) {
      FB_RETURN_IF_ERROR(bind(*metrics_acceptor_, options_.metrics_port, metrics_port_));
    }
    return Status::ok();
  }

  uint16_t http_port() const override { return http_port_; }
  uint16_t metrics_port() const override { return metrics_port_; }

  void serve() override {
    accept(*http_acceptor_, false);
    if (options_.allow_metrics) accept(*metrics_acceptor_, true);
    net::signal_set signals(*contexts_[0], SIGINT, SIGTERM);
    signals.async_wait([this](beast::error_code ec, int signal) {
      if (!ec) begin_shutdown(signal);
    });
    log_event(LogLevel::kInfo, "http_listening",
              {{"host", options_.host},
               {"http_port", std::to_string(http_port_)},
               {"metrics_port", options_.allow_metrics ? std::to_string(metrics_port_) : "off"},
               {"threads", std::to_string(contexts_.size())}});
    std::vector<std::thread> threads;
    std::vector<net::executor_work_guard<net::io_context::executor_type>> guards;
    for (auto& ctx : contexts_) guards.push_back(net::make_work_guard(*ctx));
    for (size_t i = 1; i < contexts_.size(); ++i) {
      threads.emplace_back([ctx = contexts_[i].get()] { ctx->run(); });
    }
    contexts_[0]->run();
    for (auto& t : threads) t.join();
    if (drainer_.joinable()) drainer_.join();
    control_.join();
    log_event(LogLevel::kInfo, "shutdown_done",
              {{"accepted", std::to_string(server_.accepted_requests())},
               {"answered", std::to_string(server_.answered_requests())},
               {"unwritten", std::to_string(outstanding_.load())}});
  }

  api::Server& api() { return server_; }
  Router& router() { return router_; }
  const HttpOptions& options() const { return options_; }
  std::string next_request_id() { return std::to_string(++request_counter_); }
  void reply_pending() { outstanding_.fetch_add(1); }
  void reply_written() { outstanding_.fetch_sub(1); }

 private:
  void accept(tcp::acceptor& acceptor, bool metrics) {
    net::io_context& target = *contexts_[next_context_++ % contexts_.size()];
    acceptor.async_accept(
        target, [this, &acceptor, metrics](beast::error_code ec, tcp::socket socket) {
          if (ec) {
            if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
            log_event(LogLevel::kWarning, "accept_failed", {{"error", ec.message()}});
          } else {
            socket.set_option(tcp::no_delay(true), ec);
            std::make_shared<Session>(std::move(socket), *this, metrics)->start();
          }
          accept(acceptor, metrics);
        });
  }

  void begin_shutdown(int signal) {
    log_event(LogLevel::kInfo, "signal", {{"signal", signal == SIGINT ? "SIGINT" : "SIGTERM"}});
    server_.begin_shutdown();  // readiness false; new inferences refused
    beast::error_code ec;
    http_acceptor_->close(ec);
    metrics_acceptor_->close(ec);
    drainer_ = std::thread([this] {
      server_.wait_idle();  // every accepted request answered...
      const auto deadline =
          std::chrono::steady_clock::now() + std::chrono::seconds(options_.exit_timeout_seconds);
      while (outstanding_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));  // ...and written
      }
      for (auto& ctx : contexts_) ctx->stop();
    });
  }

  api::Server& server_;
  const HttpOptions options_;
  net::thread_pool control_{1};
  Router router_;
  std::vector<std::unique_ptr<net::io_context>> contexts_;
  std::unique_ptr<tcp::acceptor> http_acceptor_, metrics_acceptor_;
  uint16_t http_port_ = 0, metrics_port_ = 0;
  size_t next_context_ = 0;
  std::atomic<uint64_t> request_counter_{0};
  std::atomic<int64_t> outstanding_{0};
  std::thread drainer_;
};

void Session::read_header() {
  parser_.emplace();
  parser_->header_limit(kHeaderLimit);
  parser_->body_limit(owner_.options().max_input_bytes);
  bhttp::async_read_header(
      socket_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
}

void Session::on_header(beast::error_code ec) {
  if (ec) {
    if (ec == bhttp::error::body_limit) {
      return fail_request(413, "request body exceeds the limit of " +
                                   std::to_string(owner_.options().max_input_bytes) + " bytes");
    }
    if (ec != bhttp::error::end_of_stream && ec != net::error::eof &&
        ec != net::error::connection_reset && ec != net::error::operation_aborted) {
      return fail_request(400, "malformed HTTP request: " + ec.message());
    }
    return;  // the client closed the connection
  }
  const auto& req = parser_->get();
  if (beast::iequals(req[bhttp::field::expect], "100-continue")) {
    auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_,
                                                                     req.version());
    bhttp::async_write(socket_, *cont,
                       [self = shared_from_this(), cont](beast::error_code ec, size_t) {
                         if (!ec) self->read_body();
                       });
    return;
  }
  read_body();
}

void Session::read_body() {
  bhttp::async_read(
      socket_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, size_t) { self->on_body(ec); });
}

void Session::on_body(beast::error_code ec) {
  if (ec == bhttp::error::body_limit) {
    return fail_request(413, "request body exceeds the limit of " +
                                 std::to_string(owner_.options().max_input_bytes) + " bytes");
  }
  if (ec) {
    if (ec != net::error::eof && ec != bhttp::error::end_of_stream &&
        ec != bhttp::error::partial_message && ec != net::error::connection_reset) {
      fail_request(400, "malformed HTTP request: " + ec.message());
    }
    return;
  }
  dispatch();
}

void Session::fail_request(int status, const std::string& message) {
  keep_alive_ = false;
  owner_.reply_pending();
  send(error_reply(status, message));
}

void Session::dispatch() {
  auto msg = parser_->release();
  keep_alive_ = msg.keep_alive();
  http_version_ = msg.version();
  started_ = std::chrono::steady_clock::now();
  owner_.reply_pending();
  if (metrics_) {
    target_ = std::string(msg.target());
    if (msg.method() != bhttp::verb::get || target_.substr(0, target_.find('?')) != "/metrics") {
      send(error_reply(404, "Not Found"));
    } else {
      send({200, "text/plain; version=0.0.4; charset=utf-8", prometheus_metrics(owner_.api()),
            std::nullopt, "", ""});
    }
    return;
  }
  auto request = std::make_shared<HttpRequest>();
  request->method = std::string(msg.method_string());
  request->target = std::string(msg.target());
  target_ = request->target;
  request_id_ = owner_.next_request_id();
  if (auto it = msg.find("Inference-Header-Content-Length"); it != msg.end()) {
    const std::string v(it->value());
    char* end = nullptr;
    errno = 0;
    const unsigned long long n = std::strtoull(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || errno != 0 || v[0] == '-') {
      send(error_reply(400, "Inference-Header-Content-Length must be a non-negative integer"));
      return;
    }
    request->inference_header_length = static_cast<size_t>(n);
  }
  request->content_type = std::string(msg[bhttp::field::content_type]);
  request->content_encoding = std::string(msg[bhttp::field::content_encoding]);
  request->accept_encoding = std::string(msg[bhttp::field::accept_encoding]);
  request->max_body_bytes = owner_.options().max_input_bytes;
  request->body = std::move(msg.body());
  auto self = shared_from_this();
  auto executor = socket_.get_executor();
  ticket_ = owner_.router().handle(std::move(request), [self, executor](HttpReply reply) {
    net::post(executor,
              [self, reply = std::move(reply)]() mutable { self->send(std::move(reply)); });
  });
  // Only an inference has a ticket; watch its connection until the reply comes.
  if (ticket_) watch_for_hangup();
}

void Session::watch_for_hangup() {
  watching_ = true;
  socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](beast::error_code ec) {
    if (ec || !self->watching_) return;
    self->watching_ = false;
    char c;
    const ssize_t n = ::recv(self->socket_.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
      if (self->ticket_) self->ticket_->cancel();  // the client hung up: skip the compute
      log_event(LogLevel::kVerbose, "client_gone", {{"request_id", self->request_id_}});
    }
    // n > 0: the client pipelined its next request; it is read after this reply.
  });
}

void Session::send(HttpReply reply) {
  if (watching_) {
    watching_ = false;
    beast::error_code ignored;
    socket_.cancel(ignored);
  }
  ticket_.reset();
  if (log_enabled(LogLevel::kVerbose) || reply.status >= 500) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::steady_clock::now() - started_)
                        .count();
    log_event(reply.status >= 500 ? LogLevel::kWarning : LogLevel::kVerbose, "http_request",
              {{"request_id", request_id_},
               {"target", target_},
               {"status", std::to_string(reply.status)},
               {"us", std::to_string(us)}});
  }
  auto res = std::make_shared<bhttp::response<bhttp::string_body>>(
      static_cast<bhttp::status>(reply.status), http_version_);
  if (!reply.content_type.empty()) res->set(bhttp::field::content_type, reply.content_type);
  if (!reply.content_encoding.empty()) {
    res->set(bhttp::field::content_encoding, reply.content_encoding);
  }
  if (!reply.content_disposition.empty()) {
    res->set(bhttp::field::content_disposition, reply.content_disposition);
  }
  if (reply.inference_header_length) {
    res->set("Inference-Header-Content-Length", std::to_string(*reply.inference_header_length));
  }
  const bool keep_alive = keep_alive_ && !owner_.api().shutting_down();
  res->keep_alive(keep_alive);
  res->body() = std::move(reply.body);
  res->prepare_payload();
  bhttp::async_write(socket_, *res,
                     [self = shared_from_this(), res, keep_alive](beast::error_code ec, size_t) {
                       self->owner_.reply_written();
                       if (ec) return;
                       if (!keep_alive) {
                         beast::error_code ignored;
                         self->socket_.shutdown(tcp::socket::shutdown_send, ignored);
                         return;
                       }
                       self->read_header();
                     });
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::start(api::Server& server,
                                                      const HttpOptions& options) {
  auto impl = std::make_unique<ServerImpl>(server, options);
  FB_RETURN_IF_ERROR(impl->open());
  return std::unique_ptr<HttpServer>(std::move(impl));
}

}  // namespace fourbrain::server::http
