// The SentencePiece "precompiled_charsmap" normaliser (HF's Precompiled normalizer, from the
// spm_precompiled crate), which XLM-RoBERTa, bge-m3 and multilingual-e5 tokenizer.json files
// carry as base64: a little-endian u32 byte size, a Darts-clone double-array trie of that
// size mapping UTF-8 byte strings to offsets, then a pool of NUL-terminated replacement
// strings.
//
// normalize() follows HF exactly, quirks included: the text is cut into extended grapheme
// clusters (utf8proc's rules); a cluster shorter than 6 bytes is first looked up whole, and
// if the *shortest* key that prefixes it matches, the whole cluster becomes that key's
// replacement; otherwise each character is looked up alone and replaced or kept.
//
// Immutable after parse(): normalize() is thread-safe. parse() fails with InvalidArgument on
// bad base64, a truncated trie or a replacement pool that is not UTF-8. A malformed trie
// never reads out of bounds: a lookup that would simply finds nothing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace fourbrain::formats::tokenizer {

class PrecompiledCharsmap {
 public:
  static Result<PrecompiledCharsmap> parse(std::string_view base64);

  // Normalises valid UTF-8 `text` into *out (replacing its contents).
  void normalize(std::string_view text, std::string* out) const;

  // The replacement of the shortest key that prefixes `key` (stopping at a NUL byte), or
  // false if no key does.
  bool transform(std::string_view key, std::string_view* replacement) const;

 private:
  std::vector<uint32_t> units_;  // the double array
  std::string pool_;             // NUL-terminated replacements
};

// Standard base64 (with padding) into bytes; false on anything else.
bool base64_decode(std::string_view in, std::string* out);

}  // namespace fourbrain::formats::tokenizer
