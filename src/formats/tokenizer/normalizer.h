// NFC normalisation as HF's "NFC" normalizer does it, via utf8proc, with a quick check
// first: text whose characters are all NFC-inert (char_classes.h) is returned as is, so
// ASCII, CJK and most precomposed text never pays for the full algorithm.
//
// HF's normalizer has Unicode 9.0 tables, utf8proc a newer version: characters HF does not
// know (kHfNfcUnknown) are passed through untouched and cut the text into chunks that
// utf8proc normalises separately, which is exactly what HF's older tables do with them.
//
// Stateless, thread-safe. Input must be valid UTF-8 (the tokenizer validates first).
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace fourbrain::formats::tokenizer {

bool is_quick_nfc(std::string_view text);

// NFC of `text` into *out (replacing its contents). Fails only if utf8proc does (Internal).
Status nfc_normalize(std::string_view text, std::string* out);

}  // namespace fourbrain::formats::tokenizer
