// Internals of kernels/cpu/attention: the task description shared by the planner
// (attention.cc) and the two task implementations (portable and AVX-512).
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/cpu/attention.h"

namespace fourbrain::kernels::cpu::attention_detail {

// Queries of one sequence handled by one task. A task owns a (sequence, kv head) pair's
// keys and values for its whole query range, so it loads them once; long sequences are cut
// into several tasks so the threads stay balanced.
constexpr int32_t kTaskQueries = 256;
// Query rows (query positions x query heads of one kv head) per inner block: large enough
// to reuse each key/value row many times, small enough for the tiles to stay in L1/L2.
constexpr int kBlockRows = 64;
// Keys per step of the online softmax.
constexpr int kKeyBlock = 64;

struct Task {
  int64_t token_begin;  // first token of the sequence
  int32_t seq_len;
  int32_t kv_head;
  int32_t q_begin;  // query positions [q_begin, q_end) within the sequence
  int32_t q_end;
};

// Query positions per inner block for a given number of query heads per kv head.
inline int queries_per_block(int n_rep) { return n_rep >= kBlockRows ? 1 : kBlockRows / n_rep; }

// Per-thread scratch, grown on demand and reused across calls.
struct Workspace {
  std::vector<float> floats;
};

void run_task_portable(const AttentionArgs& args, const Task& task, Workspace& ws);
void run_task_avx512(const AttentionArgs& args, const Task& task, Workspace& ws);

}  // namespace fourbrain::kernels::cpu::attention_detail
