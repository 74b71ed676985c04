#include "core/ragged_batch.h"

#include <algorithm>

namespace fourbrain {

RaggedBatch RaggedBatch::from_sequences(std::span<const std::vector<int32_t>> sequences) {
  RaggedBatch batch;
  size_t total = 0;
  for (const auto& seq : sequences) total += seq.size();
  batch.token_ids.reserve(total);
  batch.positions.reserve(total);
  batch.cu_seqlens.reserve(sequences.size() + 1);
  batch.cu_seqlens.push_back(0);
  for (const auto& seq : sequences) {
    batch.token_ids.insert(batch.token_ids.end(), seq.begin(), seq.end());
    for (size_t i = 0; i < seq.size(); ++i) batch.positions.push_back(static_cast<int32_t>(i));
    batch.cu_seqlens.push_back(static_cast<int32_t>(batch.token_ids.size()));
    batch.max_seqlen = std::max(batch.max_seqlen, static_cast<int32_t>(seq.size()));
  }
  return batch;
}

}  // namespace fourbrain
