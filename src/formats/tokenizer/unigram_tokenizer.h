// Unigram, the SentencePiece subword model of XLM-RoBERTa, bge-m3 and multilingual-e5,
// token-for-token identical to HF `tokenizers`: each piece is segmented by Viterbi over the
// vocabulary's log-probabilities (HF's encode_optimized, ties kept by the first path found);
// a character no piece covers is scored min_score - 10 as the unknown token, runs of
// unknowns fuse into one, and with byte_fallback an unknown run becomes its <0xNN> pieces
// when they all exist.
//
// Scores are read as HF reads them: serde_json's default float parser is not correctly
// rounded (about one score in eight comes out one ulp off), and Viterbi ties depend on the
// exact values, so serde_json_f64 redoes its arithmetic.
//
// Immutable after create(): thread-safe. Loading fails with InvalidArgument on a malformed
// vocabulary (unk_id out of range, a piece that is not a [string, number] pair).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "formats/json.h"
#include "formats/tokenizer/bpe.h"
#include "formats/tokenizer/piece_trie.h"
#include "formats/tokenizer/pipeline_tokenizer.h"

namespace fourbrain::formats::tokenizer {

class UnigramModel final : public SubwordModel {
 public:
  static Result<std::unique_ptr<UnigramModel>> create(
      std::vector<std::pair<std::string, double>> vocab, std::optional<int32_t> unk_id,
      bool byte_fallback);

  Status encode_piece(std::string_view piece, std::vector<int32_t>* ids) const override;
  std::optional<int32_t> token_to_id(std::string_view token) const override;
  bool id_to_token(int32_t id, std::string_view* token) const override;
  size_t id_limit() const override { return vocab_.size(); }

 private:
  UnigramModel() = default;
  // Appends the ids of an unknown run (fused unknown characters).
  void push_unknown(std::string_view run, std::vector<int32_t>* ids) const;

  std::vector<std::pair<std::string, double>> vocab_;
  TokenMap to_id_;  // a repeated piece maps to its last id, as in HF
  PieceTrie trie_;
  int32_t unk_id_ = -1;
  bool byte_fallback_ = false;
  double unk_score_ = 0;
};

// tokenizer.json (already parsed) whose model.type is "Unigram".
Result<std::unique_ptr<Tokenizer>> load_unigram_json(const JsonValue& root);

// The double serde_json (without float_roundtrip) parses from the shortest decimal form of
// `exact`, which is what tokenizers wrote.
double serde_json_f64(double exact);

}  // namespace fourbrain::formats::tokenizer
