// Decoders of the WordPiece and Unigram pipelines: turn the tokens of decode()'s ids back
// into text as HF's decoders do, each rewriting the token list in turn (decode_chain) before
// the pieces are concatenated: WordPiece ("##" joins, else a space; optional cleanup of
// " ." and the like), Metaspace ("▁" to space, dropped in the first token), ByteFallback
// (<0xNN> runs to their UTF-8 text, U+FFFD per byte if invalid), Fuse, Replace, Strip and
// Sequence.
//
// Immutable after construction: decode_chain is thread-safe and never fails.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "formats/tokenizer/piece_splitter.h"

namespace fourbrain::formats::tokenizer {

class TokenDecoder {
 public:
  virtual ~TokenDecoder() = default;
  virtual void decode_chain(std::vector<std::string>* tokens) const = 0;
};

std::unique_ptr<TokenDecoder> make_wordpiece_decoder(std::string prefix, bool cleanup);
std::unique_ptr<TokenDecoder> make_metaspace_decoder(std::string replacement, PrependScheme scheme);
std::unique_ptr<TokenDecoder> make_byte_fallback_decoder();
std::unique_ptr<TokenDecoder> make_fuse_decoder();
// `content` of Strip is one character; up to `start` leading and `stop` trailing copies go.
std::unique_ptr<TokenDecoder> make_strip_decoder(std::string content, size_t start, size_t stop);
Result<std::unique_ptr<TokenDecoder>> make_replace_decoder(std::string_view pattern, bool is_regex,
                                                           std::string content);
std::unique_ptr<TokenDecoder> make_decoder_sequence(
    std::vector<std::unique_ptr<TokenDecoder>> steps);

}  // namespace fourbrain::formats::tokenizer
