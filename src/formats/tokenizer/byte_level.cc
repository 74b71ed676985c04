#include "formats/tokenizer/byte_level.h"

#include <array>

#include "formats/tokenizer/utf8.h"

namespace fourbrain::formats::tokenizer {
namespace {

bool is_printable(int b) {
  return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

struct Tables {
  std::array<char32_t, 256> to_unicode{};
  std::array<int16_t, 0x144> to_byte{};  // indexed by code point; all mapped ones are < 0x144

  Tables() {
    to_byte.fill(-1);
    char32_t next = 0x100;
    for (int b = 0; b < 256; ++b) {
      to_unicode[b] = is_printable(b) ? static_cast<char32_t>(b) : next++;
      to_byte[to_unicode[b]] = static_cast<int16_t>(b);
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

char32_t byte_to_unicode(uint8_t byte) { return tables().to_unicode[byte]; }

int unicode_to_byte(char32_t cp) {
  return cp < tables().to_byte.size() ? tables().to_byte[cp] : -1;
}

std::string byte_level_encode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) append_utf8(byte_to_unicode(static_cast<uint8_t>(c)), &out);
  return out;
}

void byte_level_decode_token(std::string_view token, std::string* out) {
  const size_t start = out->size();
  const char* p = token.data();
  const char* end = p + token.size();
  while (p < end) {
    int len;
    const int b = unicode_to_byte(decode_utf8(p, &len));
    if (b < 0) {
      out->resize(start);
      out->append(token);
      return;
    }
    out->push_back(static_cast<char>(b));
    p += len;
  }
}

}  // namespace fourbrain::formats::tokenizer
