// TokenizerSpec: everything a byte-level BPE tokenizer is made of, as read from the
// HuggingFace files, before the fast structures are built (bpe_tokenizer.h). Two readers
// fill it: tokenizer.json (hf_tokenizer_json.cc) and the older vocab.json + merges.txt +
// tokenizer_config.json (+ added_tokens.json) set (hf_vocab_files.cc).
//
// Readers return InvalidArgument for malformed files (naming file and key or line),
// NotFound for missing files, and Unsupported for pipeline pieces this tokenizer does not
// implement (naming the piece), so a model never loads with a silently different tokenizer.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "formats/tokenizer/added_tokens.h"
#include "formats/tokenizer/bpe.h"

namespace fourbrain::formats::tokenizer {

struct TokenizerSpec {
  TokenMap vocab;
  std::vector<std::pair<std::string, std::string>> merges;  // rank order
  bool ignore_merges = false;
  std::vector<AddedToken> added_tokens;
  bool nfc = false;           // normalizer: NFC or nothing
  std::string split_pattern;  // Split regex (Isolated); empty: the whole text is one piece
  // Post-processor for a single sequence: ids around the text.
  std::vector<int32_t> template_prefix;
  std::vector<int32_t> template_suffix;
};

Result<TokenizerSpec> read_tokenizer_json(const std::string& path);
Result<TokenizerSpec> read_vocab_files(const std::string& dir);

}  // namespace fourbrain::formats::tokenizer
