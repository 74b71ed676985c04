// How a model's run() cuts a list of jobs into forward passes: consecutive groups of at
// most max_batch_tokens tokens, each packed as one ragged batch. Shared by every
// architecture. Plain functions.
#pragma once

#include <span>
#include <utility>
#include <vector>

#include "core/ragged_batch.h"
#include "models/served_model.h"

namespace fourbrain::models {

// Splits jobs into consecutive groups of at most max_tokens tokens each (a longer
// sequence gets a group of its own). Returns [begin, end) index pairs.
std::vector<std::pair<size_t, size_t>> plan_batches(std::span<const SequenceJob> jobs,
                                                    int64_t max_tokens);
// The ragged batch of jobs [begin, end).
RaggedBatch ragged_batch_of(std::span<const SequenceJob> jobs);

}  // namespace fourbrain::models
