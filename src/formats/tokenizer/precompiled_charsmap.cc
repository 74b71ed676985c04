#include "formats/tokenizer/precompiled_charsmap.h"

#include <utf8proc.h>

#include "formats/tokenizer/utf8.h"

namespace fourbrain::formats::tokenizer {
namespace {

// Darts-clone unit layout.
bool has_leaf(uint32_t unit) { return (unit >> 8) & 1; }
uint32_t value_of(uint32_t unit) { return unit & ((1u << 31) - 1); }
uint32_t label_of(uint32_t unit) { return unit & ((1u << 31) | 0xFF); }
size_t offset_of(uint32_t unit) { return (unit >> 10) << ((unit & (1u << 9)) >> 6); }

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

bool base64_decode(std::string_view in, std::string* out) {
  out->clear();
  if (in.size() % 4 != 0) return false;
  out->reserve(in.size() / 4 * 3);
  for (size_t i = 0; i < in.size(); i += 4) {
    const bool last = i + 4 == in.size();
    const int n_pad = last ? (in[i + 3] == '=') + (in[i + 2] == '=' && in[i + 3] == '=') : 0;
    uint32_t bits = 0;
    for (int k = 0; k < 4; ++k) {
      const int v = k >= 4 - n_pad ? 0 : base64_value(in[i + k]);
      if (v < 0) return false;
      bits = (bits << 6) | static_cast<uint32_t>(v);
    }
    out->push_back(static_cast<char>(bits >> 16));
    if (n_pad < 2) out->push_back(static_cast<char>((bits >> 8) & 0xFF));
    if (n_pad < 1) out->push_back(static_cast<char>(bits & 0xFF));
  }
  return true;
}

Result<PrecompiledCharsmap> PrecompiledCharsmap::parse(std::string_view base64) {
  std::string bytes;
  if (!base64_decode(base64, &bytes)) return invalid_argument("precompiled_charsmap is not base64");
  auto u32_at = [&](size_t pos) {
    const auto* b = reinterpret_cast<const uint8_t*>(bytes.data() + pos);
    return uint32_t(b[0]) | (uint32_t(b[1]) << 8) | (uint32_t(b[2]) << 16) | (uint32_t(b[3]) << 24);
  };
  if (bytes.size() < 4) return invalid_argument("precompiled_charsmap is shorter than its header");
  const size_t n_units = u32_at(0) / 4;
  if (n_units > (bytes.size() - 4) / 4) {
    return invalid_argument("precompiled_charsmap: the trie is larger than the data");
  }
  PrecompiledCharsmap map;
  map.units_.resize(n_units);
  for (size_t i = 0; i < n_units; ++i) map.units_[i] = u32_at(4 + 4 * i);
  map.pool_ = bytes.substr(4 + 4 * n_units);
  if (find_invalid_utf8(map.pool_) != std::string_view::npos) {
    return invalid_argument("precompiled_charsmap: the replacement strings are not UTF-8");
  }
  return map;
}

bool PrecompiledCharsmap::transform(std::string_view key, std::string_view* replacement) const {
  if (units_.empty()) return false;
  size_t pos = offset_of(units_[0]);
  for (char ch : key) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == 0) return false;
    pos ^= c;
    if (pos >= units_.size()) return false;
    const uint32_t unit = units_[pos];
    if (label_of(unit) != c) return false;
    pos ^= offset_of(unit);
    if (!has_leaf(unit)) continue;
    if (pos >= units_.size()) return false;
    // The shortest match wins (HF takes the first result of common_prefix_search).
    const size_t begin = value_of(units_[pos]);
    if (begin > pool_.size()) return false;
    if (begin < pool_.size() && (static_cast<unsigned char>(pool_[begin]) & 0xC0) == 0x80) {
      return false;  // not at a character boundary: Rust would panic; we find nothing
    }
    size_t end = pool_.find('\0', begin);
    if (end == std::string::npos) end = pool_.size();
    *replacement = std::string_view(pool_).substr(begin, end - begin);
    return true;
  }
  return false;
}

void PrecompiledCharsmap::normalize(std::string_view text, std::string* out) const {
  out->clear();
  out->reserve(text.size());
  utf8proc_int32_t state = 0;
  size_t cluster = 0;  // start of the current grapheme cluster
  auto flush = [&](size_t end) {
    const std::string_view grapheme = text.substr(cluster, end - cluster);
    std::string_view norm;
    if (grapheme.size() < 6 && transform(grapheme, &norm)) {
      out->append(norm);
      return;
    }
    for (size_t p = 0; p < grapheme.size();) {
      int len;
      decode_utf8(grapheme.data() + p, &len);
      const std::string_view c = grapheme.substr(p, len);
      if (transform(c, &norm)) {
        out->append(norm);
      } else {
        out->append(c);
      }
      p += len;
    }
  };
  char32_t previous = 0;
  for (size_t p = 0; p < text.size();) {
    int len;
    const char32_t cp = decode_utf8(text.data() + p, &len);
    if (p > 0 && utf8proc_grapheme_break_stateful(static_cast<utf8proc_int32_t>(previous),
                                                  static_cast<utf8proc_int32_t>(cp), &state)) {
      flush(p);
      cluster = p;
    }
    previous = cp;
    p += len;
  }
  if (!text.empty()) flush(text.size());
}

}  // namespace fourbrain::formats::tokenizer
