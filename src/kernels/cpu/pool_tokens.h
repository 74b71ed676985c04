// Pooling of per-token rows into one row per sequence of a ragged batch, as
// sentence-transformers' Pooling module does for unpadded input: the mean of the sequence's
// rows, its first row (CLS / <s>) or its last row (last-token pooling).
//
// Means accumulate in double and divide once, so the result does not depend on how rows
// are blocked or threaded. An empty sequence gives a zero row for kMean; kFirst/kLast need
// non-empty sequences (ops/ validates). Sequences are split over the OpenMP threads.
// Thread-safe on disjoint outputs; never fails.
#pragma once

#include <cstdint>

namespace fourbrain::kernels::cpu {

enum class TokenPooling { kMean, kFirst, kLast };

// out [n_seqs, width] from x [n_tokens, width] and cu_seqlens [n_seqs + 1].
void pool_tokens(const float* x, int64_t width, const int32_t* cu_seqlens, int64_t n_seqs,
                 TokenPooling mode, float* out);

}  // namespace fourbrain::kernels::cpu
