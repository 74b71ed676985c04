#include "server/http/multipart.h"

#include <cctype>
#include <map>

namespace fourbrain::server::http {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A header value "main; key=value; key2="quoted \" value"" into its main value (lower
// case) and parameters (keys lower case).
struct HeaderValue {
  std::string main;
  std::map<std::string, std::string> params;
};

Result<HeaderValue> parse_header_value(std::string_view value) {
  HeaderValue out;
  size_t i = value.find(';');
  out.main = lower(trim(value.substr(0, i)));
  while (i != std::string_view::npos && i < value.size()) {
    ++i;  // past ';'
    const size_t eq = value.find('=', i);
    const size_t semi = value.find(';', i);
    if (eq == std::string_view::npos || (semi != std::string_view::npos && semi < eq)) {
      if (!trim(value.substr(i, semi == std::string_view::npos ? semi : semi - i)).empty()) {
        return invalid_argument("header parameter without '=' in '" + std::string(value) + "'");
      }
      i = semi;
      continue;
    }
    const std::string key = lower(trim(value.substr(i, eq - i)));
    size_t j = eq + 1;
    while (j < value.size() && (value[j] == ' ' || value[j] == '\t')) ++j;
    std::string v;
    if (j < value.size() && value[j] == '"') {
      for (++j; j < value.size() && value[j] != '"'; ++j) {
        if (value[j] == '\\' && j + 1 < value.size()) ++j;
        v += value[j];
      }
      if (j >= value.size()) {
        return invalid_argument("unterminated quoted string in '" + std::string(value) + "'");
      }
      i = value.find(';', j + 1);
    } else {
      i = value.find(';', j);
      v = std::string(trim(value.substr(j, i == std::string_view::npos ? i : i - j)));
    }
    out.params[key] = std::move(v);
  }
  return out;
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

// RFC 5987 ext-value: charset'lang'percent-encoded (filename*=UTF-8''na%C3%AFve.pdf).
std::string decode_ext_value(const std::string& v) {
  const size_t q = v.find('\'', v.find('\'') + 1);
  if (v.find('\'') == std::string::npos || q == std::string::npos) return v;
  std::string out;
  for (size_t i = q + 1; i < v.size(); ++i) {
    if (v[i] == '%' && i + 2 < v.size() && hex(v[i + 1]) >= 0 && hex(v[i + 2]) >= 0) {
      out += static_cast<char>(hex(v[i + 1]) * 16 + hex(v[i + 2]));
      i += 2;
    } else {
      out += v[i];
    }
  }
  return out;
}

// The end of a delimiter line that starts at `pos` (just after "--boundary"): past its
// CRLF (or LF), with transport padding allowed; npos if the line holds more than that.
size_t delimiter_line_end(std::string_view body, size_t pos) {
  while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
  if (body.substr(pos, 2) == "\r\n") return pos + 2;
  if (body.substr(pos, 1) == "\n") return pos + 1;
  return std::string_view::npos;
}

Status parse_part_headers(std::string_view headers, MultipartPart& part) {
  bool has_disposition = false;
  size_t pos = 0;
  while (pos < headers.size()) {
    size_t eol = headers.find('\n', pos);
    if (eol == std::string_view::npos) eol = headers.size();
    std::string_view line = headers.substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = eol + 1;
    if (line.empty()) continue;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      return invalid_argument("multipart part header without ':': '" + std::string(line) + "'");
    }
    const std::string name = lower(trim(line.substr(0, colon)));
    const std::string_view value = trim(line.substr(colon + 1));
    if (name == "content-disposition") {
      auto parsed = parse_header_value(value);
      if (!parsed.is_ok()) return parsed.status();
      const HeaderValue& h = parsed.value();
      if (h.main != "form-data") {
        return invalid_argument("multipart part disposition is '" + h.main +
                                "', expected form-data");
      }
      auto it = h.params.find("name");
      if (it == h.params.end()) return invalid_argument("multipart part without a name");
      part.name = it->second;
      if (auto f = h.params.find("filename*"); f != h.params.end()) {
        part.filename = decode_ext_value(f->second);
      } else if (auto f2 = h.params.find("filename"); f2 != h.params.end()) {
        part.filename = f2->second;
      }
      has_disposition = true;
    } else if (name == "content-type") {
      part.content_type = std::string(value);
    }
  }
  if (!has_disposition) return invalid_argument("multipart part without Content-Disposition");
  return Status::ok();
}

}  // namespace

Result<std::string> multipart_boundary(std::string_view content_type) {
  auto parsed = parse_header_value(content_type);
  if (!parsed.is_ok()) return parsed.status();
  if (parsed.value().main != "multipart/form-data") {
    return invalid_argument("expected Content-Type multipart/form-data, got '" +
                            std::string(content_type) + "'");
  }
  auto it = parsed.value().params.find("boundary");
  if (it == parsed.value().params.end() || it->second.empty()) {
    return invalid_argument("Content-Type multipart/form-data has no boundary parameter");
  }
  if (it->second.size() > 200) return invalid_argument("multipart boundary is too long");
  return it->second;
}

Result<std::vector<MultipartPart>> parse_multipart(std::string_view content_type,
                                                   std::string_view body) {
  auto boundary = multipart_boundary(content_type);
  if (!boundary.is_ok()) return boundary.status();
  const std::string delimiter = "--" + boundary.value();
  // The first delimiter: at the start of the body or of a line of the preamble.
  size_t pos = body.rfind(delimiter, 0) == 0 ? 0 : std::string_view::npos;
  if (pos == std::string_view::npos) {
    const size_t at = body.find("\n" + delimiter);
    if (at != std::string_view::npos) pos = at + 1;
  }
  if (pos == std::string_view::npos) {
    return invalid_argument("multipart body has no delimiter line for its boundary");
  }
  std::vector<MultipartPart> parts;
  for (;;) {
    pos += delimiter.size();
    if (body.substr(pos, 2) == "--") return parts;  // the close delimiter; epilogue ignored
    const size_t start = delimiter_line_end(body, pos);
    if (start == std::string_view::npos) {
      return invalid_argument("multipart delimiter line is not followed by CRLF");
    }
    // Headers end at the first empty line.
    size_t headers_end = std::string_view::npos, content = 0;
    if (body.substr(start, 2) == "\r\n" || body.substr(start, 1) == "\n") {
      headers_end = start;  // no headers at all
      content = start + (body[start] == '\r' ? 2 : 1);
    } else if (size_t crlf = body.find("\r\n\r\n", start); crlf != std::string_view::npos) {
      headers_end = crlf, content = crlf + 4;
    }
    if (size_t lf = body.find("\n\n", start); lf != std::string_view::npos && lf < headers_end) {
      headers_end = lf, content = lf + 2;
    }
    if (headers_end == std::string_view::npos) {
      return invalid_argument("multipart part headers do not end with an empty line");
    }
    MultipartPart part;
    FB_RETURN_IF_ERROR(parse_part_headers(body.substr(start, headers_end - start), part));
    // The content runs to the next delimiter line, whose line break belongs to it.
    size_t next = content;
    for (;;) {
      next = body.find("\n" + delimiter, next);
      if (next == std::string_view::npos) {
        return invalid_argument("multipart body ends without its closing boundary");
      }
      const size_t after = next + 1 + delimiter.size();
      if (body.substr(after, 2) == "--" ||
          delimiter_line_end(body, after) != std::string_view::npos) {
        break;
      }
      next = after;  // the boundary text inside content, not a delimiter line
    }
    size_t end = next;
    if (end > content && body[end - 1] == '\r') --end;
    part.data = body.substr(content, end - content);
    parts.push_back(std::move(part));
    pos = next + 1;
  }
}

}  // namespace fourbrain::server::http
