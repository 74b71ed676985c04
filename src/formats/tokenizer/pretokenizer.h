// Pre-tokenizers: cut normalised text into the pieces that BPE encodes one by one, as HF's
// Split(pattern, behavior="Isolated") does (every match is a piece, and so is every gap).
//
// Qwen2's pattern
//   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|
//   \s*[\r\n]+|\s+(?!\S)|\s+
// gets a hand-written matcher that reproduces Oniguruma's answer exactly (its \s set, its
// case folding of 's to U+017F, Unicode 16 letters; see char_classes.h) and is several times
// faster than a regex engine. Any other pattern runs on PCRE2 (UTF + UCP), which is close to
// Oniguruma but not verified against it.
//
// Immutable after creation: next_piece_end is thread-safe. Creation fails (InvalidArgument)
// on a pattern PCRE2 can't compile.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace fourbrain::formats::tokenizer {

// The Qwen2/Qwen3 split pattern as it appears in tokenizer.json (unescaped).
extern const char kQwen2SplitPattern[];
// GPT-2's pattern, used by a ByteLevel pre-tokenizer with use_regex=true.
extern const char kGpt2SplitPattern[];

class PreTokenizer {
 public:
  static Result<std::unique_ptr<PreTokenizer>> from_pattern(std::string_view pattern);
  virtual ~PreTokenizer() = default;

  // End of the piece that starts at `pos` (pos < text.size(); text is valid UTF-8). Pieces
  // are never empty, so calling this from 0 with each returned end walks the whole text.
  virtual size_t next_piece_end(std::string_view text, size_t pos) const = 0;
  // True for the hand-written Qwen2 matcher (for tests).
  virtual bool is_exact_qwen2() const { return false; }
};

}  // namespace fourbrain::formats::tokenizer
