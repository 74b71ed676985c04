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
  for (const auto& seq : sequences) batch.append(seq);
  return batch;
}

void RaggedBatch::append(std::span<const int32_t> sequence) {
  token_ids.insert(token_ids.end(), sequence.begin(), sequence.end());
  for (size_t i = 0; i < sequence.size(); ++i) positions.push_back(static_cast<int32_t>(i));
  cu_seqlens.push_back(static_cast<int32_t>(token_ids.size()));
  max_seqlen = std::max(max_seqlen, static_cast<int32_t>(sequence.size()));
}

}  // namespace fourbrain
