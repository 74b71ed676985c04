// The fetching half of api/http_fetch.h: one GET per hop over a private io_context, so
// that a stream deadline bounds resolve, connect, write and read alike, and no I/O thread
// of the server is involved.
#include "api/http_fetch.h"

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <exception>

namespace fourbrain::api {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr size_t kHeaderLimit = 64 * 1024;

struct Hop {
  unsigned status = 0;
  std::string reason, location, content_type, body;
};

std::string host_port(const HttpUrl& url) {
  const bool v6 = url.host.find(':') != std::string::npos;
  std::string h = v6 ? "[" + url.host + "]" : url.host;
  return url.port == 80 ? h : h + ":" + std::to_string(url.port);
}

std::string url_text(const HttpUrl& url) { return "http://" + host_port(url) + url.target; }

bool ours(const std::string& name) {
  std::string l;
  for (char c : name) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return l == "host" || l == "content-length" || l == "transfer-encoding" || l == "connection" ||
         l == "te" || l == "upgrade" || l == "expect";
}

// One request and its response; `error` names the step that failed.
Status fetch_once(const HttpUrl& url, const HttpHeaders& headers, Clock::time_point deadline,
                  size_t max_bytes, Hop& hop) {
  net::io_context ioc;
  tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  beast::flat_buffer buffer;
  bhttp::request<bhttp::empty_body> req{bhttp::verb::get, url.target, 11};
  req.set(bhttp::field::host, host_port(url));
  req.set(bhttp::field::user_agent, "fourbrain");
  req.set(bhttp::field::accept, "application/pdf, */*");
  req.set(bhttp::field::connection, "close");
  for (const auto& [name, value] : headers) {
    if (!ours(name)) req.set(name, value);
  }
  bhttp::response_parser<bhttp::string_body> parser;
  parser.header_limit(kHeaderLimit);
  parser.body_limit(max_bytes);

  beast::error_code error;
  std::string step = "resolve";
  bool done = false;
  auto fail = [&](const char* what, beast::error_code ec) {
    step = what;
    error = ec;
    done = true;
  };
  stream.expires_at(deadline);
  resolver.async_resolve(
      url.host, std::to_string(url.port), [&](beast::error_code ec, tcp::resolver::results_type r) {
        if (ec) return fail("resolve", ec);
        stream.async_connect(r, [&](beast::error_code ec, const tcp::endpoint&) {
          if (ec) return fail("connect", ec);
          bhttp::async_write(stream, req, [&](beast::error_code ec, size_t) {
            if (ec) return fail("send the request", ec);
            bhttp::async_read(stream, buffer, parser, [&](beast::error_code ec, size_t) {
              if (ec) return fail("read the response", ec);
              done = true;
            });
          });
        });
      });
  ioc.run_for(std::max(deadline - Clock::now(), Clock::duration{0}));
  const std::string where = url_text(url);
  if (!done || error == beast::error::timeout) {
    return invalid_argument("fetching '" + where + "' timed out (" + step + ")");
  }
  if (error == bhttp::error::body_limit) {
    return invalid_argument("the document at '" + where + "' is " + std::string(kOverSizeLimit) +
                            " of " + std::to_string(max_bytes) + " bytes");
  }
  if (error) {
    return invalid_argument("could not fetch '" + where + "': " + step +
                            " failed: " + error.message());
  }
  auto& res = parser.get();
  hop.status = res.result_int();
  hop.reason = std::string(res.reason());
  hop.location = std::string(res[bhttp::field::location]);
  hop.content_type = std::string(res[bhttp::field::content_type]);
  hop.body = std::move(res.body());
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return Status::ok();
}

bool is_redirect(unsigned status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

}  // namespace

Result<HttpFetched> fetch_http(std::string_view url, const HttpHeaders& headers,
                               const HttpFetchOptions& options) {
  FB_RETURN_IF_ERROR(check_http_headers(headers));
  FB_ASSIGN_OR_RETURN(HttpUrl current, allowed_http_url(url, options.allow));
  const HttpUrl first = current;
  const Clock::time_point deadline = Clock::now() + options.time_limit;
  for (int redirects = 0;; ++redirects) {
    Hop hop;
    const bool same_host = current.host == first.host && current.port == first.port;
    try {
      FB_RETURN_IF_ERROR(fetch_once(current, same_host ? headers : HttpHeaders{}, deadline,
                                    options.max_bytes, hop));
    } catch (const std::exception& e) {  // Beast throws only on allocation and misuse
      return internal_error("fetching '" + url_text(current) + "': " + e.what());
    }
    if (hop.status >= 200 && hop.status < 300) {
      return HttpFetched{std::move(hop.body), std::move(hop.content_type), url_text(current)};
    }
    const std::string answered = "'" + url_text(current) + "' answered HTTP " +
                                 std::to_string(hop.status) +
                                 (hop.reason.empty() ? "" : " " + hop.reason);
    if (!is_redirect(hop.status))
      return invalid_argument("fetching the source failed: " + answered);
    if (redirects >= options.max_redirects) {
      return invalid_argument(answered + ", more than " + std::to_string(options.max_redirects) +
                              " redirects");
    }
    auto next = resolve_redirect(current, hop.location);
    if (!next.is_ok()) return next.status().with_context(answered);
    if (!host_allowed(next->host, options.allow)) {
      return invalid_argument(answered + ": a redirect to host '" + next->host +
                              "', which is not in --docling-http-allow");
    }
    current = std::move(next).value();
  }
}

}  // namespace fourbrain::api
