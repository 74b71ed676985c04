// Where the first characters of a text go under a Unicode normalisation form, by HF's rules:
// HF's NFD/NFKD/NFC/NFKC (unicode-normalization-alignments) emit (character, change) pairs
// (the first character of a decomposition replaces its source, the others are inserted; a
// composed character absorbs the marks it takes), canonical reordering moves the pairs with
// their characters, and NormalizedString then aligns the result by position: each replacing
// character takes the next source character's origin, each inserted one the origin of the
// source character consumed last.
//
// Only Metaspace(prepend_scheme="first") needs this (does the first piece still start at
// the text's first character?), so only the start of the text is looked at.
//
// Stateless, thread-safe, never fails: on anything unexpected it answers conservatively.
#pragma once

#include <cstddef>
#include <string_view>

#include "formats/tokenizer/unicode_forms.h"

namespace fourbrain::formats::tokenizer {

// How many leading characters of `out` (= form(text)) stem from the first n characters of
// `text` (n > 0).
size_t leading_run_after_form(std::string_view text, size_t n, UnicodeForm form,
                              std::string_view out);

}  // namespace fourbrain::formats::tokenizer
