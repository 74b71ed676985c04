#include "models/job_batches.h"

namespace fourbrain::models {

std::vector<std::pair<size_t, size_t>> plan_batches(std::span<const SequenceJob> jobs,
                                                    int64_t max_tokens) {
  std::vector<std::pair<size_t, size_t>> groups;
  size_t begin = 0;
  int64_t tokens = 0;
  for (size_t i = 0; i < jobs.size(); ++i) {
    const auto len = static_cast<int64_t>(jobs[i].ids.size());
    if (i > begin && tokens + len > max_tokens) {
      groups.emplace_back(begin, i);
      begin = i;
      tokens = 0;
    }
    tokens += len;
  }
  if (begin < jobs.size()) groups.emplace_back(begin, jobs.size());
  return groups;
}

RaggedBatch ragged_batch_of(std::span<const SequenceJob> jobs) {
  RaggedBatch batch;
  size_t total = 0;
  for (const SequenceJob& job : jobs) total += job.ids.size();
  batch.token_ids.reserve(total);
  batch.positions.reserve(total);
  batch.cu_seqlens.reserve(jobs.size() + 1);
  batch.cu_seqlens.push_back(0);
  for (const SequenceJob& job : jobs) batch.append(job.ids);
  return batch;
}

}  // namespace fourbrain::models
