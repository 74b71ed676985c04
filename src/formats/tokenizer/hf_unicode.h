// Character properties that HF `tokenizers` uses in its BERT and SentencePiece-style
// pipelines, reproduced exactly from utf8proc plus small tables of differences (HF takes
// them from several Rust crates of different ages, and two different "mark" sets):
//   kBertRemoved: BertNormalizer(clean_text) drops it (Cc but \t \n \r, Cf, Co, U+0000,
//     U+FFFD, as the `unicode_categories` crate's old tables see them).
//   kBertPunct: BertPreTokenizer isolates it (ASCII punctuation and the crate's P*).
//   kHfMark: StripAccents drops it (unicode-normalization's is_combining_mark: every mark).
//   kBertMark: BertNormalizer(strip_accents) drops it (the crate's Mn, Unicode of its time).
//   kChinese: BertNormalizer(handle_chinese_chars) puts spaces around it (CJK ideographs).
//   kCompatUnknown: utf8proc compatibility-decomposes it, HF's NFK* (Unicode 9.0) leaves it.
// hf_lowercase gives Rust's char::to_lowercase (newer Unicode than utf8proc, and U+0130 maps
// to two characters). White space is CharClasses' kSpace (= Rust's char::is_whitespace).
// The tables come from tools/tokenizer/hf_unicode_tables.py; the corpus test checks every
// code point against HF.
//
// Built once on first use, immutable afterwards: thread-safe, never fails.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fourbrain::formats::tokenizer {

enum HfUnicodeBits : uint8_t {
  kBertRemoved = 1,
  kBertPunct = 2,
  kHfMark = 4,
  kChinese = 8,
  kCompatUnknown = 16,
  kLowerException = 32,  // hf_lowercase must consult the exception table
  kBertMark = 64,
};

class HfUnicode {
 public:
  static const HfUnicode& get();

  uint8_t of(char32_t cp) const {
    if (cp > 0x10FFFF) return 0;
    return blocks_[(static_cast<uint32_t>(stage1_[cp >> 8]) << 8) | (cp & 0xFF)];
  }

 private:
  HfUnicode();

  std::vector<uint16_t> stage1_;  // [0x1100] block index per 256 code points
  std::vector<uint8_t> blocks_;   // deduplicated 256-entry blocks
};

// Appends Rust's char::to_lowercase(cp) to *out.
void hf_lowercase(char32_t cp, std::string* out);

}  // namespace fourbrain::formats::tokenizer
