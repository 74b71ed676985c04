// HTTP body compression as Triton's HTTP frontend offers it (triton.md §1.6): request bodies
// with Content-Encoding gzip or deflate (zlib format, as tritonclient sends it) are inflated
// before parsing, and inference responses are compressed when Accept-Encoding asks for it.
// Plain functions on zlib; a corrupt or oversized body is an InvalidArgument.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace fourbrain::server::http {

// Inflates a gzip or deflate body; refuses one that would exceed max_bytes.
Result<std::string> decompress_body(std::string_view body, std::string_view encoding,
                                    size_t max_bytes);
// The encoding to answer with for an Accept-Encoding header ("gzip", "deflate" or none).
std::optional<std::string> response_encoding(std::string_view accept_encoding);
std::string compress_body(std::string_view body, std::string_view encoding);

}  // namespace fourbrain::server::http
