#include "formats/tokenizer/added_tokens.h"

#include <algorithm>
#include <cstring>

#include "formats/tokenizer/char_classes.h"
#include "formats/tokenizer/utf8.h"

namespace fourbrain::formats::tokenizer {
namespace {

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// Code point ending just before `pos` (pos > 0).
char32_t char_before(std::string_view text, size_t pos, size_t* begin) {
  size_t b = pos - 1;
  while (b > 0 && is_continuation(text[b])) --b;
  int len;
  *begin = b;
  return decode_utf8(text.data() + b, &len);
}

bool is_word_char(char32_t c) { return CharClasses::get().of(c) & (kLetter | kNumber); }
bool is_space(char32_t c) { return CharClasses::get().of(c) & kSpace; }

}  // namespace

AddedTokenMatcher::AddedTokenMatcher(std::vector<AddedToken> tokens) : by_first_byte_(256) {
  for (AddedToken& t : tokens) {
    if (!t.content.empty()) tokens_.push_back(std::move(t));
  }
  for (uint32_t i = 0; i < tokens_.size(); ++i) {
    const auto b = static_cast<unsigned char>(tokens_[i].content[0]);
    if (by_first_byte_[b].empty()) first_bytes_.push_back(b);
    by_first_byte_[b].push_back(i);
  }
  for (auto& list : by_first_byte_) {
    std::stable_sort(list.begin(), list.end(), [&](uint32_t a, uint32_t b) {
      return tokens_[a].content.size() > tokens_[b].content.size();
    });
  }
}

bool AddedTokenMatcher::find(std::string_view text, size_t from, size_t* begin,
                             size_t* index) const {
  const char* s = text.data();
  const size_t n = text.size();
  for (size_t p = from; p < n; ++p) {
    if (first_bytes_.size() == 1) {  // the usual case ('<'): let memchr skip ahead
      const void* hit = std::memchr(s + p, first_bytes_[0], n - p);
      if (hit == nullptr) return false;
      p = static_cast<const char*>(hit) - s;
    }
    for (uint32_t i : by_first_byte_[static_cast<unsigned char>(s[p])]) {
      const std::string& c = tokens_[i].content;
      if (c.size() <= n - p && std::memcmp(s + p, c.data(), c.size()) == 0) {
        *begin = p;
        *index = i;
        return true;
      }
    }
  }
  return false;
}

void AddedTokenMatcher::split(std::string_view text, std::vector<Span>* out) const {
  const size_t n = text.size();
  size_t start_offset = 0;  // end of what has been emitted
  size_t from = 0;          // where the search goes on (after the last raw match)
  size_t begin, index;
  while (!tokens_.empty() && find(text, from, &begin, &index)) {
    const AddedToken& token = tokens_[index];
    size_t start = begin;
    size_t stop = begin + token.content.size();
    from = stop;
    if (token.single_word) {
      size_t unused;
      const bool word_before = start > 0 && is_word_char(char_before(text, start, &unused));
      int len;
      const bool word_after = stop < n && is_word_char(decode_utf8(text.data() + stop, &len));
      if (word_before || word_after) continue;
    }
    if (token.lstrip) {
      size_t p = start;
      while (p > 0) {
        size_t b;
        if (!is_space(char_before(text, p, &b))) break;
        p = b;
      }
      start = std::max(p, start_offset);
    }
    if (token.rstrip) {
      while (stop < n) {
        int len;
        if (!is_space(decode_utf8(text.data() + stop, &len))) break;
        stop += len;
      }
    }
    if (start_offset < start) out->push_back({start_offset, start, -1});
    out->push_back({start, stop, token.id});
    start_offset = stop;
  }
  if (start_offset < n) out->push_back({start_offset, n, -1});
}

}  // namespace fourbrain::formats::tokenizer
