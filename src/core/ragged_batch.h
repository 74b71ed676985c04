// RaggedBatch: the one batch layout of the project. Sequences of different lengths are
// packed end to end with no padding: a flat array of token ids plus cumulative offsets
// (cu_seqlens, n_seqs + 1 entries, starting at 0). One sequence therefore computes the
// same result alone or inside any batch.
//
// A plain value type; build it with RaggedBatch::from_sequences.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace fourbrain {

struct RaggedBatch {
  std::vector<int32_t> token_ids;   // [n_tokens]
  std::vector<int32_t> cu_seqlens;  // [n_seqs + 1], cu_seqlens[0] == 0
  std::vector<int32_t> positions;   // [n_tokens], position of each token within its sequence
  int32_t max_seqlen = 0;

  int64_t n_tokens() const { return static_cast<int64_t>(token_ids.size()); }
  int64_t n_seqs() const {
    return cu_seqlens.empty() ? 0 : static_cast<int64_t>(cu_seqlens.size()) - 1;
  }

  static RaggedBatch from_sequences(std::span<const std::vector<int32_t>> sequences);
  // Adds one sequence at the end (cu_seqlens must already hold its leading 0).
  void append(std::span<const int32_t> sequence);
};

}  // namespace fourbrain
