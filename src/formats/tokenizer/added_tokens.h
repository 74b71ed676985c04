// Added tokens (special or not, e.g. "<|im_end|>", "<think>") and how they are cut out of
// the text before anything else, as HF's AddedVocabulary does with split_special_tokens
// off: leftmost match first, the longest at that position, non-overlapping, then the
// token's single_word / lstrip / rstrip flags (Rust's char classes, approximated by
// \p{L}|\p{N} for "alphanumeric" and White_Space for "whitespace").
//
// AddedTokenMatcher is immutable after construction, so split() is thread-safe. It never
// fails: text that matches nothing comes back as one text span.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fourbrain::formats::tokenizer {

struct AddedToken {
  std::string content;
  int32_t id = -1;
  bool special = false;  // dropped by decode(skip_special_tokens=true)
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = false;  // matched in normalised text rather than raw text
};

class AddedTokenMatcher {
 public:
  struct Span {
    size_t begin = 0;
    size_t end = 0;
    int32_t id = -1;  // -1: text between tokens
  };

  AddedTokenMatcher() = default;
  // Matches the tokens' `content` as given (callers normalise it for normalized tokens).
  explicit AddedTokenMatcher(std::vector<AddedToken> tokens);

  bool empty() const { return tokens_.empty(); }
  // Appends the spans of `text` in order: text gaps (id -1) and tokens.
  void split(std::string_view text, std::vector<Span>* out) const;

 private:
  // Leftmost-longest match at or after `from`; false if none.
  bool find(std::string_view text, size_t from, size_t* begin, size_t* index) const;

  std::vector<AddedToken> tokens_;
  std::vector<std::vector<uint32_t>> by_first_byte_;  // [256]: longest content first
  std::vector<unsigned char> first_bytes_;            // distinct first bytes
};

}  // namespace fourbrain::formats::tokenizer
