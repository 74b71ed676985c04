// The four Unicode normalisation forms as HF's normalizers compute them (the
// unicode-normalization-alignments crate, Unicode 9.0 tables), via utf8proc: characters HF's
// tables do not know (CharClasses' kHfNfcUnknown; for NFKC/NFKD also HfUnicode's
// kCompatUnknown) pass through untouched and cut the text into chunks that utf8proc
// normalises separately, which is what HF's older tables do with them (they are starters
// that compose with nothing). ASCII text is returned as is.
//
// Stateless, thread-safe. Input must be valid UTF-8; fails only if utf8proc does (Internal).
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace fourbrain::formats::tokenizer {

enum class UnicodeForm { kNfc, kNfd, kNfkc, kNfkd };

// Normalises `text` into *out (replacing its contents).
Status hf_normalize_form(std::string_view text, UnicodeForm form, std::string* out);

}  // namespace fourbrain::formats::tokenizer
