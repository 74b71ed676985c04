// GPT-2's byte-level alphabet (`bytes_to_unicode`): every byte is shown as one printable
// code point, so BPE vocabularies are strings of those. Printable bytes ('!'..'~',
// U+00A1..U+00AC, U+00AE..U+00FF) stand for themselves; the other 68 bytes map to U+0100..
// in byte order (space -> U+0120 'Ġ', '\n' -> U+010A 'Ċ').
//
// Pure functions over constant tables: thread-safe, no failures.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace fourbrain::formats::tokenizer {

char32_t byte_to_unicode(uint8_t byte);

// The byte that `cp` stands for, or -1 if `cp` is not in the alphabet.
int unicode_to_byte(char32_t cp);

// UTF-8 of the byte-level form of `bytes` ("hi there" -> "hiĠthere").
std::string byte_level_encode(std::string_view bytes);

// Appends the bytes a byte-level token spells. If some character of the token is outside
// the alphabet, appends the token's own UTF-8 instead, as HF's ByteLevel decoder does (that
// is how added tokens such as "<|im_end|>" or non-Latin contents come out).
void byte_level_decode_token(std::string_view token, std::string* out);

}  // namespace fourbrain::formats::tokenizer
