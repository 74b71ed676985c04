// The URL half of api/http_fetch.h: parsing http URLs, the allow-list, redirect targets and
// the caller's headers. No I/O.
#include <algorithm>
#include <cctype>

#include "api/http_fetch.h"

namespace fourbrain::api {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view strip_brackets(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

bool host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
}

bool token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// "host[:port]" of an authority without userinfo.
Status parse_authority(std::string_view authority, std::string_view url, HttpUrl& out) {
  std::string_view host = authority, port;
  if (!authority.empty() && authority[0] == '[') {  // IPv6 literal
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return invalid_argument("url '" + std::string(url) + "' has an unclosed '[' in its host");
    }
    host = authority.substr(1, close - 1);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && rest[0] != ':') {
      return invalid_argument("url '" + std::string(url) + "' has junk after its IPv6 host");
    }
    if (!rest.empty()) port = rest.substr(1);
    const bool ok = !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
      return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
    });
    if (!ok) return invalid_argument("url '" + std::string(url) + "' has a bad IPv6 host");
  } else {
    if (const size_t colon = authority.find(':'); colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
    }
    if (host.empty() || !std::all_of(host.begin(), host.end(), host_char)) {
      return invalid_argument("url '" + std::string(url) + "' has no valid host name");
    }
  }
  out.host = std::string(host);
  if (!port.empty()) {
    uint32_t p = 0;
    bool digits = port.size() <= 5;
    for (char c : port) {
      digits = digits && std::isdigit(static_cast<unsigned char>(c));
      if (digits) p = p * 10 + static_cast<uint32_t>(c - '0');
    }
    if (!digits || p == 0 || p > 65535) {
      return invalid_argument("url '" + std::string(url) + "' has a bad port '" +
                              std::string(port) + "'");
    }
    out.port = static_cast<uint16_t>(p);
  }
  return Status::ok();
}

}  // namespace

Result<HttpUrl> parse_http_url(std::string_view url) {
  const std::string text(url);
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '\\') {
      return invalid_argument("url '" + text + "' has a space, control character or backslash");
    }
  }
  const size_t colon = url.find(':');
  const std::string scheme = colon == std::string_view::npos ? "" : lower(url.substr(0, colon));
  if (scheme.empty() || url.substr(colon, 3) != "://") {
    return invalid_argument("source url '" + text + "' is not an absolute http:// URL");
  }
  if (scheme == "https") {
    return unsupported("https sources are not supported ('" + text +
                       "'); serve the file over http from an allowed host, or send it as "
                       "kind 'file' with base64_string");
  }
  if (scheme != "http") {
    return unsupported("source url '" + text + "': scheme '" + scheme +
                       "' is not supported (http only)");
  }
  const std::string_view rest = url.substr(colon + 3);
  const size_t end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, end);
  if (authority.find('@') != std::string_view::npos) {
    return invalid_argument("source url '" + text +
                            "' has user information (user:password@); send credentials in "
                            "'headers' instead");
  }
  HttpUrl out;
  FB_RETURN_IF_ERROR(parse_authority(authority, url, out));
  std::string_view target = end == std::string_view::npos ? "" : rest.substr(end);
  target = target.substr(0, target.find('#'));
  out.target.assign(target);
  if (out.target.empty() || out.target[0] != '/') out.target.insert(0, 1, '/');  // "?q"
  return out;
}

bool host_allowed(std::string_view host, const std::vector<std::string>& allow) {
  const std::string want = lower(strip_brackets(host));
  return std::any_of(allow.begin(), allow.end(), [&](const std::string& entry) {
    return !want.empty() && lower(strip_brackets(entry)) == want;
  });
}

Result<HttpUrl> allowed_http_url(std::string_view url, const std::vector<std::string>& allow) {
  if (allow.empty()) {
    return invalid_argument(
        "http sources are disabled on this server (start it with --docling-http-allow HOST,...)"
        "; send the file itself (kind 'file' with base64_string)");
  }
  FB_ASSIGN_OR_RETURN(HttpUrl parsed, parse_http_url(url));
  if (!host_allowed(parsed.host, allow)) {
    return invalid_argument("host '" + parsed.host + "' of url '" + std::string(url) +
                            "' is not in --docling-http-allow");
  }
  return parsed;
}

Status check_http_headers(const HttpHeaders& headers) {
  for (const auto& [name, value] : headers) {
    if (name.empty() || !std::all_of(name.begin(), name.end(), token_char)) {
      return invalid_argument("http source header name '" + name + "' is not a valid token");
    }
    for (char c : value) {
      if (c == '\r' || c == '\n' || c == '\0') {
        return invalid_argument("http source header '" + name + "' has a CR, LF or NUL");
      }
    }
  }
  return Status::ok();
}

Result<HttpUrl> resolve_redirect(const HttpUrl& base, std::string_view location) {
  if (location.empty()) return invalid_argument("a redirect without a Location");
  if (location.substr(0, 2) == "//") return parse_http_url("http:" + std::string(location));
  const size_t colon = location.find(':');
  const size_t first_delim = location.find_first_of("/?#");
  if (colon != std::string_view::npos && colon < first_delim) return parse_http_url(location);
  HttpUrl out = base;
  std::string_view target = location.substr(0, location.find('#'));
  if (target.empty()) return out;
  if (target[0] == '/') {
    out.target = std::string(target);
  } else {
    std::string path = base.target.substr(0, base.target.find('?'));
    if (target[0] == '?') {
      out.target = path + std::string(target);
    } else {
      out.target = path.substr(0, path.rfind('/') + 1) + std::string(target);
    }
  }
  return out;
}

}  // namespace fourbrain::api
