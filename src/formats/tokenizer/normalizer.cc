#include "formats/tokenizer/normalizer.h"

#include <utf8proc.h>

#include <cstdlib>

#include "formats/tokenizer/char_classes.h"
#include "formats/tokenizer/utf8.h"

namespace fourbrain::formats::tokenizer {
namespace {

Status append_nfc(std::string_view text, std::string* out) {
  if (text.empty()) return Status::ok();
  utf8proc_uint8_t* buffer = nullptr;
  const utf8proc_ssize_t n =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                   static_cast<utf8proc_ssize_t>(text.size()), &buffer,
                   static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  if (n < 0) return internal_error(std::string("NFC failed: ") + utf8proc_errmsg(n));
  out->append(reinterpret_cast<const char*>(buffer), static_cast<size_t>(n));
  std::free(buffer);
  return Status::ok();
}

}  // namespace

bool is_quick_nfc(std::string_view text) {
  const CharClasses& classes = CharClasses::get();
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    if (static_cast<unsigned char>(*p) < 0x80) {
      ++p;
      continue;
    }
    int len;
    const char32_t cp = decode_utf8(p, &len);
    if (!(classes.of(cp) & kNfcInert)) return false;
    p += len;
  }
  return true;
}

Status nfc_normalize(std::string_view text, std::string* out) {
  const CharClasses& classes = CharClasses::get();
  out->clear();
  size_t chunk = 0;  // start of the text not yet normalised
  for (size_t p = 0; p < text.size();) {
    if (static_cast<unsigned char>(text[p]) < 0x80) {
      ++p;
      continue;
    }
    int len;
    const char32_t cp = decode_utf8(text.data() + p, &len);
    if (classes.of(cp) & kHfNfcUnknown) {
      FB_RETURN_IF_ERROR(append_nfc(text.substr(chunk, p - chunk), out));
      out->append(text.substr(p, len));
      chunk = p + len;
    }
    p += len;
  }
  return append_nfc(text.substr(chunk), out);
}

}  // namespace fourbrain::formats::tokenizer
