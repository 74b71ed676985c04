// WordPiece, the subword model of BERT-family encoders (MiniLM, BGE, E5, GTE, cross-encoders),
// token-for-token identical to HF `tokenizers`: each pre-tokenized word is cut greedily into
// the longest vocabulary entries from the left, pieces after the first carrying the
// continuing-subword prefix ("##"); a word with a part no entry matches, or longer than
// max_input_chars_per_word characters, becomes the unknown token as a whole.
//
// Two ways in: tokenizer.json with model.type "WordPiece" (the pipeline around the model is
// read by hf_pipeline_json.h), and the older vocab.txt + tokenizer_config.json
// (do_lower_case, strip_accents, tokenize_chinese_chars) + special_tokens_map.json set, for
// which the pipeline is the one transformers' BertTokenizer builds: BertNormalizer,
// BertPreTokenizer, "[CLS] $A [SEP]" / "[CLS] $A [SEP] $B:1 [SEP]:1", WordPiece decoder.
//
// The model is immutable after create(): thread-safe. Loading fails with InvalidArgument on
// malformed files, NotFound on missing files and Unsupported on pipeline pieces not
// implemented (naming them) or an unknown token missing from the vocabulary (which HF
// would accept until a word needs it).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "formats/json.h"
#include "formats/tokenizer/bpe.h"
#include "formats/tokenizer/pipeline_tokenizer.h"

namespace fourbrain::formats::tokenizer {

class WordPieceModel final : public SubwordModel {
 public:
  static Result<std::unique_ptr<WordPieceModel>> create(TokenMap vocab,
                                                        const std::string& unk_token,
                                                        std::string prefix,
                                                        size_t max_input_chars_per_word);

  Status encode_piece(std::string_view word, std::vector<int32_t>* ids) const override;
  std::optional<int32_t> token_to_id(std::string_view token) const override;
  bool id_to_token(int32_t id, std::string_view* token) const override;
  size_t id_limit() const override { return by_id_.size(); }

 private:
  WordPieceModel() = default;

  TokenMap vocab_;
  std::vector<std::string> by_id_;  // "" where no entry has the id
  std::vector<bool> has_id_;
  int32_t unk_id_ = -1;
  std::string prefix_;
  size_t max_chars_ = 100;
};

// tokenizer.json (already parsed) whose model.type is "WordPiece".
Result<std::unique_ptr<Tokenizer>> load_wordpiece_json(const JsonValue& root);
// A directory with vocab.txt (+ tokenizer_config.json, special_tokens_map.json).
Result<std::unique_ptr<Tokenizer>> load_wordpiece_vocab_files(const std::string& dir);

}  // namespace fourbrain::formats::tokenizer
