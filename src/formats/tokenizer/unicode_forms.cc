#include "formats/tokenizer/unicode_forms.h"

#include <utf8proc.h>

#include <cstdlib>

#include "formats/tokenizer/char_classes.h"
#include "formats/tokenizer/hf_unicode.h"
#include "formats/tokenizer/normalizer.h"
#include "formats/tokenizer/utf8.h"

namespace fourbrain::formats::tokenizer {
namespace {

utf8proc_option_t options_of(UnicodeForm form) {
  int options = UTF8PROC_STABLE;
  switch (form) {
    case UnicodeForm::kNfc:
      options |= UTF8PROC_COMPOSE;
      break;
    case UnicodeForm::kNfd:
      options |= UTF8PROC_DECOMPOSE;
      break;
    case UnicodeForm::kNfkc:
      options |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT;
      break;
    case UnicodeForm::kNfkd:
      options |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT;
      break;
  }
  return static_cast<utf8proc_option_t>(options);
}

Status append_form(std::string_view text, utf8proc_option_t options, std::string* out) {
  if (text.empty()) return Status::ok();
  utf8proc_uint8_t* buffer = nullptr;
  const utf8proc_ssize_t n =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                   static_cast<utf8proc_ssize_t>(text.size()), &buffer, options);
  if (n < 0) return internal_error(std::string("normalisation failed: ") + utf8proc_errmsg(n));
  out->append(reinterpret_cast<const char*>(buffer), static_cast<size_t>(n));
  std::free(buffer);
  return Status::ok();
}

bool is_ascii(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

}  // namespace

Status hf_normalize_form(std::string_view text, UnicodeForm form, std::string* out) {
  out->clear();
  if (is_ascii(text)) {
    out->assign(text);
    return Status::ok();
  }
  if (form == UnicodeForm::kNfc) return nfc_normalize(text, out);  // the Qwen path's version
  const bool compat = form == UnicodeForm::kNfkc || form == UnicodeForm::kNfkd;
  const utf8proc_option_t options = options_of(form);
  const CharClasses& classes = CharClasses::get();
  const HfUnicode& hf = HfUnicode::get();
  size_t chunk = 0;  // start of the text not yet normalised
  for (size_t p = 0; p < text.size();) {
    if (static_cast<unsigned char>(text[p]) < 0x80) {
      ++p;
      continue;
    }
    int len;
    const char32_t cp = decode_utf8(text.data() + p, &len);
    if ((classes.of(cp) & kHfNfcUnknown) || (compat && (hf.of(cp) & kCompatUnknown))) {
      FB_RETURN_IF_ERROR(append_form(text.substr(chunk, p - chunk), options, out));
      out->append(text.substr(p, len));
      chunk = p + len;
    }
    p += len;
  }
  return append_form(text.substr(chunk), options, out);
}

}  // namespace fourbrain::formats::tokenizer
