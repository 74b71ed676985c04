// The BYTES tensor layout of KServe v2 / Triton: each element a 4-byte little-endian
// length followed by that many bytes, elements back to back (triton.md §1.6).
// Plain functions; parsing never reads past `data` and reports what was wrong.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace fourbrain::api {

// Splits `data` into its elements (views into `data`). InvalidArgument if a length runs
// past the end or if the element count is not `expected`.
Result<std::vector<std::string_view>> split_bytes_elements(std::string_view data, size_t expected);
void append_bytes_element(std::string& out, std::string_view element);

}  // namespace fourbrain::api
