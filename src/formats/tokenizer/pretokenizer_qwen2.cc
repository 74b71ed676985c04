// The hand-written matcher for Qwen2's split pattern (see pretokenizer.h). At each position
// the alternatives are tried in the pattern's order, with the backtracking worked out:
//   A1 (?i:'s|'t|'re|'ve|'m|'ll|'d)   A2 [^\r\n\p{L}\p{N}]?\p{L}+   A3 \p{N}
//   A4  ?[^\s\p{L}\p{N}]+[\r\n]*      A5 \s*[\r\n]+                A6 \s+(?!\S)   A7 \s+
// Every character starts some alternative, so there are no gaps between pieces.
#include <array>

#include "formats/tokenizer/char_classes.h"
#include "formats/tokenizer/pretokenizer.h"
#include "formats/tokenizer/utf8.h"

namespace fourbrain::formats::tokenizer {
namespace {

class Qwen2PreTokenizer final : public PreTokenizer {
 public:
  Qwen2PreTokenizer() : classes_(CharClasses::get()) {
    for (char32_t c = 0; c < 128; ++c) ascii_[c] = classes_.of(c);
  }

  bool is_exact_qwen2() const override { return true; }

  size_t next_piece_end(std::string_view text, size_t pos) const override {
    const char* s = text.data();
    const size_t n = text.size();
    int len0;
    const char32_t c0 = decode(s + pos, &len0);
    const uint8_t k0 = class_of(c0);
    const size_t p1 = pos + len0;

    if (c0 == '\'') {  // A1
      const size_t end = contraction_end(s, n, p1);
      if (end != 0) return end;
    }
    if (k0 & kLetter) return letters_end(s, n, p1);  // A2 without the optional char
    if (k0 & kNumber) return p1;                     // A3

    int len1 = 0;
    const char32_t c1 = p1 < n ? decode(s + p1, &len1) : 0;
    const uint8_t k1 = p1 < n ? class_of(c1) : 0;
    const bool c1_other = p1 < n && !(k1 & (kSpace | kLetter | kNumber));
    // A2 with the optional char: anything but CR, LF (letters and numbers handled above).
    if (c0 != '\r' && c0 != '\n' && (k1 & kLetter)) return letters_end(s, n, p1 + len1);
    if (!(k0 & kSpace)) return others_end(s, n, p1);                // A4 without the space
    if (c0 == ' ' && c1_other) return others_end(s, n, p1 + len1);  // A4 with the space
    return whitespace_end(s, n, pos);                               // A5, A6, A7
  }

 private:
  static char32_t decode(const char* p, int* len) {
    if (static_cast<unsigned char>(*p) < 0x80) {
      *len = 1;
      return static_cast<unsigned char>(*p);
    }
    return decode_utf8(p, len);
  }

  uint8_t class_of(char32_t c) const { return c < 128 ? ascii_[c] : classes_.of(c); }

  // A1 after the apostrophe: s t m d re ve ll in any case, and U+017F (long s, which
  // Oniguruma folds to s). Returns 0 if none matches.
  static size_t contraction_end(const char* s, size_t n, size_t p) {
    if (p >= n) return 0;
    const char c = static_cast<char>(s[p] | 0x20);
    if (c == 's' || c == 't' || c == 'm' || c == 'd') return p + 1;
    if (static_cast<unsigned char>(s[p]) == 0xC5 && p + 1 < n &&
        static_cast<unsigned char>(s[p + 1]) == 0xBF) {
      return p + 2;
    }
    if (p + 1 >= n) return 0;
    const char c2 = static_cast<char>(s[p + 1] | 0x20);
    if ((c == 'r' && c2 == 'e') || (c == 'v' && c2 == 'e') || (c == 'l' && c2 == 'l')) {
      return p + 2;
    }
    return 0;
  }

  size_t letters_end(const char* s, size_t n, size_t p) const {
    while (p < n) {
      int len;
      if (!(class_of(decode(s + p, &len)) & kLetter)) break;
      p += len;
    }
    return p;
  }

  // [^\s\p{L}\p{N}]* then [\r\n]*.
  size_t others_end(const char* s, size_t n, size_t p) const {
    while (p < n) {
      int len;
      if (class_of(decode(s + p, &len)) & (kSpace | kLetter | kNumber)) break;
      p += len;
    }
    while (p < n && (s[p] == '\r' || s[p] == '\n')) ++p;
    return p;
  }

  size_t whitespace_end(const char* s, size_t n, size_t pos) const {
    size_t p = pos;
    size_t last_start = pos;  // start of the run's last character
    size_t after_crlf = 0;    // end of the run's last CR or LF
    while (p < n) {
      int len;
      const char32_t c = decode(s + p, &len);
      if (!(class_of(c) & kSpace)) break;
      last_start = p;
      p += len;
      if (c == '\r' || c == '\n') after_crlf = p;
    }
    if (after_crlf != 0) return after_crlf;   // A5: \s* backtracks to the last CR/LF
    if (p == n) return p;                     // A6 at the end of the text
    if (last_start > pos) return last_start;  // A6: leave one space for the next word
    return p;                                 // A7
  }

  const CharClasses& classes_;
  std::array<uint8_t, 128> ascii_{};
};

}  // namespace

std::unique_ptr<PreTokenizer> make_qwen2_pretokenizer() {
  return std::make_unique<Qwen2PreTokenizer>();
}

}  // namespace fourbrain::formats::tokenizer
