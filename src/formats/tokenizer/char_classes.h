// Per-code-point classes the tokenizer needs, in one two-stage lookup table:
//   kLetter / kNumber: \p{L} / \p{N} as HF's Oniguruma (Unicode 16) sees them. The general
//     categories come from utf8proc, plus a small table of the letters and numbers Unicode
//     15.1/16 added, so that an older utf8proc still gives Oniguruma's answer.
//   kSpace: Oniguruma's \s (= the White_Space property; also Rust's char::is_whitespace).
//   kNfcInert: the character is NFC-stable and can't interact with its neighbours under
//     NFC (canonical combining class 0, NFC maps it to itself, never the second half of a
//     canonical composition), so text made only of such characters is already NFC.
//   kHfNfcUnknown: HF's NFC (Unicode 9.0 tables) does not know the character, although
//     utf8proc would reorder, compose or decompose it (marks added since Unicode 10 and
//     the like). HF leaves it alone, so it is also kNfcInert, and the normaliser must
//     keep utf8proc away from it (normalizer.h).
// Both deviations from utf8proc are small tables derived by tools/tokenizer/unicode_tables.py.
//
// The table is built once on first use (a few milliseconds) and is immutable afterwards:
// lookups are thread-safe and never fail (surrogates and values above U+10FFFF get 0).
#pragma once

#include <cstdint>
#include <vector>

namespace fourbrain::formats::tokenizer {

enum CharClassBits : uint8_t {
  kLetter = 1,
  kNumber = 2,
  kSpace = 4,
  kNfcInert = 8,
  kHfNfcUnknown = 16,
};

class CharClasses {
 public:
  static const CharClasses& get();

  uint8_t of(char32_t cp) const {
    if (cp > 0x10FFFF) return 0;
    return blocks_[(static_cast<uint32_t>(stage1_[cp >> 8]) << 8) | (cp & 0xFF)];
  }

 private:
  CharClasses();

  std::vector<uint16_t> stage1_;  // [0x1100] block index per 256 code points
  std::vector<uint8_t> blocks_;   // deduplicated 256-entry blocks
};

}  // namespace fourbrain::formats::tokenizer
