#include "api/bytes_tensor.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace fourbrain::api {

Result<std::vector<std::string_view>> split_bytes_elements(std::string_view data, size_t expected) {
  std::vector<std::string_view> out;
  // `expected` comes from the request's shape: every element needs its 4-byte prefix, so the
  // data bounds how many there can be (a huge shape must not reserve gigabytes; found by
  // tools/fuzz/infer_request_fuzzer).
  out.reserve(std::min(expected, data.size() / 4));
  size_t pos = 0;
  while (pos < data.size()) {
    if (data.size() - pos < 4) {
      return invalid_argument("BYTES data ends inside an element's 4-byte length prefix");
    }
    uint32_t len = 0;
    std::memcpy(&len, data.data() + pos, 4);  // little-endian hosts only (x86-64, arm64)
    pos += 4;
    if (len > data.size() - pos) {
      return invalid_argument("BYTES element " + std::to_string(out.size()) + " claims " +
                              std::to_string(len) + " bytes but only " +
                              std::to_string(data.size() - pos) + " remain");
    }
    out.push_back(data.substr(pos, len));
    pos += len;
  }
  if (out.size() != expected) {
    return invalid_argument("expected " + std::to_string(expected) + " string elements, got " +
                            std::to_string(out.size()));
  }
  return out;
}

void append_bytes_element(std::string& out, std::string_view element) {
  const auto len = static_cast<uint32_t>(element.size());
  char prefix[4];
  std::memcpy(prefix, &len, 4);
  out.append(prefix, 4);
  out.append(element);
}

}  // namespace fourbrain::api
