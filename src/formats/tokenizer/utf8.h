// UTF-8 helpers for the tokenizer: strict validation (exactly what Rust's `str` accepts, so
// our InvalidArgument matches what HF could never be given), fast decoding of text already
// validated, and lossy conversion as Rust's String::from_utf8_lossy does it (used by decode).
//
// Pure functions, no state: thread-safe. decode_utf8 requires valid input (no checks).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace fourbrain::formats::tokenizer {

// Byte offset of the first byte of the first invalid sequence, or npos if `text` is valid
// (no overlongs, no surrogates, nothing above U+10FFFF, nothing truncated).
size_t find_invalid_utf8(std::string_view text);

// Decodes the code point starting at p; *len receives its byte length (1..4).
inline char32_t decode_utf8(const char* p, int* len) {
  const auto* s = reinterpret_cast<const uint8_t*>(p);
  if (s[0] < 0x80) {
    *len = 1;
    return s[0];
  }
  if (s[0] < 0xE0) {
    *len = 2;
    return (char32_t(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
  }
  if (s[0] < 0xF0) {
    *len = 3;
    return (char32_t(s[0] & 0x0F) << 12) | (char32_t(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
  }
  *len = 4;
  return (char32_t(s[0] & 0x07) << 18) | (char32_t(s[1] & 0x3F) << 12) |
         (char32_t(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
}

void append_utf8(char32_t cp, std::string* out);

// Replaces every maximal invalid subsequence with U+FFFD, as from_utf8_lossy does.
std::string utf8_lossy(std::string_view bytes);

}  // namespace fourbrain::formats::tokenizer
