#include "formats/tokenizer/char_classes.h"

#include <utf8proc.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include "formats/tokenizer/utf8.h"

namespace fourbrain::formats::tokenizer {
namespace {

constexpr char32_t kNumCodePoints = 0x110000;
// No canonical decomposition lies above the CJK compatibility supplement (U+2FA1D).
constexpr char32_t kDecompositionLimit = 0x30000;

struct Range {
  char32_t first, last;
  uint8_t bits;
};

// Letters and numbers assigned in Unicode 15.1 and 16.0, which Oniguruma in HF tokenizers
// (Unicode 16) knows and utf8proc 2.8 (Unicode 15.0) does not (tools/tokenizer/
// unicode_tables.py; tokenizer_corpus_test checks every code point against Oniguruma).
constexpr Range kNewerLettersNumbers[] = {
    {0x1C89, 0x1C8A, kLetter},   {0xA7CB, 0xA7CD, kLetter},   {0xA7DA, 0xA7DC, kLetter},
    {0x105C0, 0x105F3, kLetter}, {0x10D40, 0x10D49, kNumber}, {0x10D4A, 0x10D65, kLetter},
    {0x10D6F, 0x10D85, kLetter}, {0x10EC2, 0x10EC4, kLetter}, {0x11380, 0x11389, kLetter},
    {0x1138B, 0x1138B, kLetter}, {0x1138E, 0x1138E, kLetter}, {0x11390, 0x113B5, kLetter},
    {0x113B7, 0x113B7, kLetter}, {0x113D1, 0x113D1, kLetter}, {0x113D3, 0x113D3, kLetter},
    {0x116D0, 0x116E3, kNumber}, {0x11BC0, 0x11BE0, kLetter}, {0x11BF0, 0x11BF9, kNumber},
    {0x13460, 0x143FA, kLetter}, {0x16100, 0x1611D, kLetter}, {0x16130, 0x16139, kNumber},
    {0x16D40, 0x16D6C, kLetter}, {0x16D70, 0x16D79, kNumber}, {0x18CFF, 0x18CFF, kLetter},
    {0x1CCF0, 0x1CCF9, kNumber}, {0x1E5D0, 0x1E5ED, kLetter}, {0x1E5F0, 0x1E5F0, kLetter},
    {0x1E5F1, 0x1E5FA, kNumber}, {0x2EBF0, 0x2EE5D, kLetter},
};

// Characters that utf8proc normalises and HF's NFC (unicode-normalization-alignments, with
// Unicode 9.0 tables) leaves alone: marks added since Unicode 10, and the parts of U+11938
// (tools/tokenizer/unicode_tables.py; checked by nfc_probes.txt in tokenizer_corpus_test).
constexpr Range kUnknownToHfNfc[] = {
    {0x7FD, 0x7FD, 0},     {0x898, 0x89F, 0},     {0x8CA, 0x8D3, 0},     {0x9FE, 0x9FE, 0},
    {0xC3C, 0xC3C, 0},     {0xD3B, 0xD3C, 0},     {0xEBA, 0xEBA, 0},     {0x1715, 0x1715, 0},
    {0x1ABF, 0x1ACE, 0},   {0x1DF6, 0x1DFA, 0},   {0xA82C, 0xA82C, 0},   {0x10D24, 0x10D27, 0},
    {0x10EAB, 0x10EAC, 0}, {0x10EFD, 0x10EFF, 0}, {0x10F46, 0x10F50, 0}, {0x10F82, 0x10F85, 0},
    {0x11070, 0x11070, 0}, {0x1133B, 0x1133B, 0}, {0x1145E, 0x1145E, 0}, {0x11839, 0x1183A, 0},
    {0x11930, 0x11930, 0}, {0x11935, 0x11935, 0}, {0x11938, 0x11938, 0}, {0x1193D, 0x1193E, 0},
    {0x11943, 0x11943, 0}, {0x119E0, 0x119E0, 0}, {0x11A34, 0x11A34, 0}, {0x11A47, 0x11A47, 0},
    {0x11A99, 0x11A99, 0}, {0x11D42, 0x11D42, 0}, {0x11D44, 0x11D45, 0}, {0x11D97, 0x11D97, 0},
    {0x11F41, 0x11F42, 0}, {0x16FF0, 0x16FF1, 0}, {0x1E08F, 0x1E08F, 0}, {0x1E130, 0x1E136, 0},
    {0x1E2AE, 0x1E2AE, 0}, {0x1E2EC, 0x1E2EF, 0}, {0x1E4EC, 0x1E4EF, 0},
};

// Oniguruma's \s for Unicode encodings, which is exactly White_Space.
constexpr Range kWhiteSpace[] = {
    {0x09, 0x0D, kSpace},     {0x20, 0x20, kSpace},     {0x85, 0x85, kSpace},
    {0xA0, 0xA0, kSpace},     {0x1680, 0x1680, kSpace}, {0x2000, 0x200A, kSpace},
    {0x2028, 0x2029, kSpace}, {0x202F, 0x202F, kSpace}, {0x205F, 0x205F, kSpace},
    {0x3000, 0x3000, kSpace},
};

uint8_t category_bits(char32_t cp) {
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
      return kLetter;
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
      return kNumber;
    default:
      return 0;
  }
}

// True if NFC maps the single character `cp` to itself.
bool nfc_maps_to_itself(char32_t cp) {
  std::string s;
  append_utf8(cp, &s);
  utf8proc_uint8_t* out = nullptr;
  const utf8proc_ssize_t n = utf8proc_map(
      reinterpret_cast<const utf8proc_uint8_t*>(s.data()), static_cast<utf8proc_ssize_t>(s.size()),
      &out, static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  const bool same =
      n == static_cast<utf8proc_ssize_t>(s.size()) && std::memcmp(out, s.data(), s.size()) == 0;
  std::free(out);
  return same;
}

// Marks kNfcInert. A character is not inert if it has a non-zero combining class, if NFC
// changes it, or if it appears after the first position of some canonical decomposition
// (a superset of the second halves of compositions, which is safe: it only sends more text
// to the full normaliser).
void mark_nfc_inert(std::vector<uint8_t>* bits) {
  std::vector<bool> not_inert(kNumCodePoints, false);
  utf8proc_int32_t decomposition[32];
  for (char32_t cp = 0; cp < kDecompositionLimit; ++cp) {
    if (cp >= 0xD800 && cp < 0xE000) continue;
    const auto c = static_cast<utf8proc_int32_t>(cp);
    if (utf8proc_get_property(c)->combining_class != 0) not_inert[cp] = true;
    const utf8proc_ssize_t n =
        utf8proc_decompose_char(c, decomposition, 32, UTF8PROC_DECOMPOSE, nullptr);
    if (n == 1 && decomposition[0] == c) continue;
    if (!nfc_maps_to_itself(cp)) not_inert[cp] = true;
    for (utf8proc_ssize_t i = 1; i < n; ++i) not_inert[decomposition[i]] = true;
  }
  for (char32_t cp = 0; cp < kNumCodePoints; ++cp) {
    if (!not_inert[cp]) (*bits)[cp] |= kNfcInert;
  }
}

}  // namespace

const CharClasses& CharClasses::get() {
  static const CharClasses* const classes = new CharClasses();
  return *classes;
}

CharClasses::CharClasses() {
  std::vector<uint8_t> bits(kNumCodePoints, 0);
  for (char32_t cp = 0; cp < kNumCodePoints; ++cp) {
    if (cp < 0xD800 || cp >= 0xE000) bits[cp] = category_bits(cp);
  }
  for (const Range& r : kNewerLettersNumbers) {
    for (char32_t cp = r.first; cp <= r.last; ++cp) bits[cp] = r.bits;
  }
  for (const Range& r : kWhiteSpace) {
    for (char32_t cp = r.first; cp <= r.last; ++cp) bits[cp] |= r.bits;
  }
  mark_nfc_inert(&bits);
  for (const Range& r : kUnknownToHfNfc) {
    for (char32_t cp = r.first; cp <= r.last; ++cp) bits[cp] |= kNfcInert | kHfNfcUnknown;
  }
  for (char32_t cp = 0xD800; cp < 0xE000; ++cp) bits[cp] = 0;

  // Two-stage table: identical 256-entry blocks are stored once.
  stage1_.resize(kNumCodePoints >> 8);
  std::map<std::string, uint16_t> seen;
  for (size_t block = 0; block < stage1_.size(); ++block) {
    std::string key(reinterpret_cast<const char*>(&bits[block << 8]), 256);
    auto [it, inserted] = seen.emplace(key, static_cast<uint16_t>(seen.size()));
    if (inserted) blocks_.insert(blocks_.end(), key.begin(), key.end());
    stage1_[block] = it->second;
  }
}

}  // namespace fourbrain::formats::tokenizer
