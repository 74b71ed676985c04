// A compiled regex (PCRE2, UTF + UCP) that enumerates matches the way HF `tokenizers` sees
// them through the onig crate's find_iter: left to right, non-overlapping, and an empty match
// right where the previous match ended is skipped by advancing one character. Used by the
// Replace normalizer and decoder. PCRE2 is close to Oniguruma for the patterns tokenizer
// files use (" {2,}", "\A +| +\z", "\A▁"), but not verified against it in general.
//
// Immutable after compile(): for_each_match is thread-safe (match data is per thread).
// compile() fails with InvalidArgument, naming the offset, on a pattern PCRE2 rejects.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>

#include "base/status.h"

namespace fourbrain::formats::tokenizer {

class RegexMatcher {
 public:
  static Result<RegexMatcher> compile(std::string_view pattern);

  // Calls fn(begin, end) for each match in `text` (valid UTF-8), in order.
  Status for_each_match(std::string_view text, const std::function<void(size_t, size_t)>& fn) const;
  // The first match at or after `from`: true with [*begin, *end), false if there is none.
  // Internal if PCRE2 fails (e.g. its match limit).
  Result<bool> find(std::string_view text, size_t from, size_t* begin, size_t* end) const;

 private:
  std::shared_ptr<void> code_;  // pcre2_code*, freed by the deleter
};

// Replaces every match in `text` by `content` into *out: matches of `regex` when it is not
// null, else of the literal (an empty literal matches nothing, as in HF). on_match, if
// given, sees each match's [begin, end) first.
Status replace_all(std::string_view text, const RegexMatcher* regex, std::string_view literal,
                   std::string_view content, std::string* out,
                   const std::function<void(size_t, size_t)>& on_match = nullptr);

}  // namespace fourbrain::formats::tokenizer
