// PipelineTokenizer: the Tokenizer (tokenizer.h) for subword models that run HF's general
// pipeline (WordPiece for BERT-family encoders, Unigram for XLM-RoBERTa / bge-m3 / e5):
// added tokens cut out of the raw text first; each remaining segment normalised
// (text_normalizer.h), searched again for added tokens marked "normalized", split into pieces
// (piece_splitter.h) and encoded piece by piece by the model; then the post-processor's
// template (post_template.h), truncation as HF's (longest-first for pairs), and decoding
// through the decoder chain (token_decoder.h).
//
// Owns all its parts. Immutable after create(): every method is thread-safe (scratch space
// is per thread). encode and encode_pair fail with InvalidArgument on invalid UTF-8 (naming
// the offset) or when the model can't encode a piece (a Unigram model without unk meeting
// an unknown character); encode_pair is Unsupported when the template has no pair form.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "formats/tokenizer/added_tokens.h"
#include "formats/tokenizer/bpe.h"
#include "formats/tokenizer/piece_splitter.h"
#include "formats/tokenizer/post_template.h"
#include "formats/tokenizer/text_normalizer.h"
#include "formats/tokenizer/token_decoder.h"
#include "formats/tokenizer/tokenizer.h"

namespace fourbrain::formats::tokenizer {

// What a pipeline needs from its model (WordPiece, Unigram).
class SubwordModel {
 public:
  virtual ~SubwordModel() = default;
  // Appends the ids of one pre-tokenized piece (valid UTF-8, not empty).
  virtual Status encode_piece(std::string_view piece, std::vector<int32_t>* ids) const = 0;
  virtual std::optional<int32_t> token_to_id(std::string_view token) const = 0;
  // The vocabulary string of `id`, or false if the model has no such id.
  virtual bool id_to_token(int32_t id, std::string_view* token) const = 0;
  // One more than the largest id.
  virtual size_t id_limit() const = 0;
};

struct PipelineSpec {
  std::unique_ptr<TextNormalizer> normalizer;  // null: none
  std::unique_ptr<PieceSplitter> splitter;     // null: a segment is one piece
  PostTemplate post;
  std::unique_ptr<TokenDecoder> decoder;  // null: tokens joined with spaces
  std::vector<AddedToken> added_tokens;
};

class PipelineTokenizer final : public Tokenizer {
 public:
  static Result<std::unique_ptr<PipelineTokenizer>> create(std::unique_ptr<SubwordModel> model,
                                                           PipelineSpec spec);

  Result<std::vector<int32_t>> encode(std::string_view text, bool add_special_tokens = true,
                                      size_t max_length = 0) const override;
  Result<Encoding> encode_pair(std::string_view a, std::string_view b,
                               size_t max_length) const override;
  std::string decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const override;
  std::string id_to_token(int32_t id) const override;
  std::optional<int32_t> token_to_id(std::string_view token) const override;
  const std::vector<int32_t>& template_suffix_ids() const override { return suffix_; }
  size_t vocab_size() const override { return id_limit_; }

  const std::vector<int32_t>& template_prefix_ids() const { return prefix_; }

 private:
  PipelineTokenizer() = default;

  // Appends the ids of `text` (no template), stopping once *ids holds at least `limit`.
  Status encode_text(std::string_view text, size_t limit, std::vector<int32_t>* ids) const;
  Status encode_segment(std::string_view segment, bool at_start, size_t limit,
                        std::vector<int32_t>* ids) const;

  std::unique_ptr<SubwordModel> model_;
  PipelineSpec spec_;
  AddedTokenMatcher raw_added_;          // matched before normalisation
  AddedTokenMatcher normalized_added_;   // matched in each normalised segment
  std::vector<AddedToken> added_by_id_;  // [id_limit_]; id -1 where none; content normalised
  TokenMap added_to_id_;                 // by the contents as written in the file
  std::set<std::string, std::less<>> special_contents_;
  std::vector<int32_t> prefix_;
  std::vector<int32_t> suffix_;
  size_t id_limit_ = 0;
  bool uses_at_start_ = false;  // Metaspace "first": track where the first character goes
};

// InvalidArgument naming the first invalid byte, or OK.
Status check_utf8(std::string_view text);

}  // namespace fourbrain::formats::tokenizer
