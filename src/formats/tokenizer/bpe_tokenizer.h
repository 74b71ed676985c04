// BpeTokenizer: the Tokenizer (tokenizer.h) for byte-level BPE models such as Qwen2/Qwen3,
// assembled from a TokenizerSpec. encode() runs HF's pipeline: added tokens on the raw
// text, NFC per remaining segment, added tokens marked "normalized" on the normalised
// segment, the split pattern, BPE over the byte-level alphabet, then the template. With
// max_length, truncation stops encoding as soon as enough ids exist (the ids of a prefix of
// the text never depend on what follows it), so long inputs cost only what is kept.
//
// Immutable after create(): encode/decode are thread-safe (scratch buffers and the word
// cache are per thread). encode() fails only on invalid UTF-8 (InvalidArgument).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "formats/tokenizer/added_tokens.h"
#include "formats/tokenizer/bpe.h"
#include "formats/tokenizer/pretokenizer.h"
#include "formats/tokenizer/tokenizer.h"
#include "formats/tokenizer/tokenizer_spec.h"

namespace fourbrain::formats::tokenizer {

class BpeTokenizer final : public Tokenizer {
 public:
  static Result<std::unique_ptr<BpeTokenizer>> create(TokenizerSpec spec);

  Result<std::vector<int32_t>> encode(std::string_view text, bool add_special_tokens = true,
                                      size_t max_length = 0) const override;
  std::string decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const override;
  std::string id_to_token(int32_t id) const override;
  std::optional<int32_t> token_to_id(std::string_view token) const override;
  const std::vector<int32_t>& template_suffix_ids() const override { return suffix_; }
  size_t vocab_size() const override { return id_limit_; }

  const std::vector<int32_t>& template_prefix_ids() const { return prefix_; }

 private:
  explicit BpeTokenizer(BpeModel model) : model_(std::move(model)) {}

  // Appends the ids of `text` (no template) to *ids, stopping once it holds `limit` ids.
  Status encode_text(std::string_view text, size_t limit, std::vector<int32_t>* ids) const;
  void encode_pieces(std::string_view segment, size_t limit, WordCache* cache,
                     std::vector<int32_t>* ids) const;

  BpeModel model_;
  std::unique_ptr<PreTokenizer> pre_tokenizer_;  // null: a segment is one piece
  bool nfc_ = false;
  AddedTokenMatcher raw_added_;          // matched before normalisation
  AddedTokenMatcher normalized_added_;   // matched in each normalised segment
  std::vector<AddedToken> added_by_id_;  // [id_limit_]; id -1 where none
  TokenMap added_to_id_;
  std::vector<int32_t> prefix_;
  std::vector<int32_t> suffix_;
  size_t id_limit_ = 0;
};

}  // namespace fourbrain::formats::tokenizer
