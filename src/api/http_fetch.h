// HTTP sources of document conversion (docling-serve's {"kind": "http", "url", "headers"}):
// the URL checked against the server's allow-list, then fetched with a small HTTP/1.1
// client (Boost.Beast) that follows at most a few redirects, re-checking each target.
//
// Only http:// is fetched: https:// and other schemes are Unsupported (no TLS client here),
// and URLs with userinfo (user:pass@) are refused. The allow-list matches the host exactly
// as written in the URL, case-insensitively ("127.0.0.1", "docs.example.com", "::1"); no
// DNS lookup takes part in the check.
//
// Plain functions; thread-safe. fetch_http() blocks the calling thread (a DocumentService
// worker, never an I/O thread) for at most `time_limit` in all (resolve, connect, request,
// every redirect). Failures are values: InvalidArgument for everything the source's owner
// can fix (host not allowed, connection refused, timeout, a non-2xx answer naming its status,
// too many redirects, a body over the limit, whose message contains kOverSizeLimit so that
// frontends can answer 413); no exception escapes.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace fourbrain::api {

// Part of the message of every "document too large" error (files and fetched bodies).
inline constexpr std::string_view kOverSizeLimit = "over the size limit";

struct HttpUrl {
  std::string host;  // as written, without the brackets of an IPv6 literal
  uint16_t port = 80;
  std::string target = "/";  // path and query; the fragment dropped
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// InvalidArgument: not a URL, userinfo, a bad host or port; Unsupported: https or another
// scheme.
Result<HttpUrl> parse_http_url(std::string_view url);

// Whether `host` is one of `allow` (exact, case-insensitive; "[::1]" and "::1" are one).
bool host_allowed(std::string_view host, const std::vector<std::string>& allow);

// parse_http_url() and host_allowed(), with messages that name the flag to change.
Result<HttpUrl> allowed_http_url(std::string_view url, const std::vector<std::string>& allow);

// Header names and values a client may send to the origin: no CR, LF or NUL, a token name.
Status check_http_headers(const HttpHeaders& headers);

// The target of a redirect: absolute ("http://h/p"), scheme-relative ("//h/p"),
// absolute-path ("/p") or relative ("p", resolved against `base`'s path).
Result<HttpUrl> resolve_redirect(const HttpUrl& base, std::string_view location);

struct HttpFetchOptions {
  std::vector<std::string> allow;  // hosts every URL (redirects too) must name
  std::chrono::milliseconds time_limit{30000};
  size_t max_bytes = size_t{200} << 20;  // of the body
  int max_redirects = 3;
};

struct HttpFetched {
  std::string body;
  std::string content_type;
  std::string final_url;  // after redirects
};

// GETs `url` with the caller's headers (Host, Content-Length and the like are ours; the
// caller's headers are dropped when a redirect changes the host, as browsers drop
// credentials). A 2xx answer is the result.
Result<HttpFetched> fetch_http(std::string_view url, const HttpHeaders& headers,
                               const HttpFetchOptions& options);

}  // namespace fourbrain::api
