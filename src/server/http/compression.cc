#include "server/http/compression.h"

#include <zlib.h>

#include <cstring>

namespace fourbrain::server::http {
namespace {

bool is_token(std::string_view list, std::string_view token) {
  size_t pos = 0;
  while (pos < list.size()) {
    size_t end = list.find(',', pos);
    if (end == std::string_view::npos) end = list.size();
    std::string_view item = list.substr(pos, end - pos);
    item = item.substr(0, item.find(';'));  // drop ";q=..."
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item == token) return true;
    pos = end + 1;
  }
  return false;
}

}  // namespace

Result<std::string> decompress_body(std::string_view body, std::string_view encoding,
                                    size_t max_bytes) {
  if (encoding != "gzip" && encoding != "deflate") {
    return invalid_argument("Content-Encoding '" + std::string(encoding) +
                            "' is not supported (gzip, deflate)");
  }
  z_stream z{};
  // 15 + 16: gzip wrapper; 15: zlib wrapper (what "deflate" means on the wire).
  if (inflateInit2(&z, encoding == "gzip" ? 15 + 16 : 15) != Z_OK) {
    return internal_error("zlib inflateInit2 failed");
  }
  std::string out;
  char chunk[64 * 1024];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  z.avail_in = static_cast<uInt>(body.size());
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    z.next_out = reinterpret_cast<Bytef*>(chunk);
    z.avail_out = sizeof chunk;
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&z);
      return invalid_argument("the " + std::string(encoding) + " request body is corrupt or " +
                              "truncated");
    }
    out.append(chunk, sizeof chunk - z.avail_out);
    if (out.size() > max_bytes) {
      inflateEnd(&z);
      return invalid_argument("the decompressed request body exceeds the limit of " +
                              std::to_string(max_bytes) + " bytes");
    }
    if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
      inflateEnd(&z);
      return invalid_argument("the " + std::string(encoding) + " request body is truncated");
    }
  }
  inflateEnd(&z);
  return out;
}

std::optional<std::string> response_encoding(std::string_view accept_encoding) {
  if (is_token(accept_encoding, "gzip")) return "gzip";
  if (is_token(accept_encoding, "deflate")) return "deflate";
  return std::nullopt;
}

std::string compress_body(std::string_view body, std::string_view encoding) {
  z_stream z{};
  deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, encoding == "gzip" ? 15 + 16 : 15, 8,
               Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, static_cast<uLong>(body.size())) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  z.avail_in = static_cast<uInt>(body.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);  // the buffer holds deflateBound: one call finishes
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

}  // namespace fourbrain::server::http
