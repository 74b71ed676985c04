#include "kernels/cpu/attention.h"

#include <omp.h>

#include <algorithm>
#include <vector>

#include "kernels/cpu/attention_internal.h"
#include "kernels/cpu/isa.h"

namespace fourbrain::kernels::cpu {
namespace attention_detail {
namespace {

// Work of a task in query-key pairs; only used to order tasks.
int64_t task_cost(const Task& t, bool causal) {
  const int64_t rows = t.q_end - t.q_begin;
  const int64_t keys = causal ? (t.q_begin + t.q_end) / 2 + 1 : t.seq_len;
  return rows * keys;
}

std::vector<Task> plan_tasks(const AttentionArgs& args) {
  std::vector<Task> tasks;
  for (int64_t s = 0; s < args.n_seqs; ++s) {
    const int32_t begin = args.cu_seqlens[s];
    const int32_t len = args.cu_seqlens[s + 1] - begin;
    for (int g = 0; g < args.n_kv_heads; ++g) {
      for (int32_t q = 0; q < len; q += kTaskQueries) {
        tasks.push_back(Task{begin, len, g, q, std::min(len, q + kTaskQueries)});
      }
    }
  }
  // Longest first, then dynamic hand-out: the classic greedy bound on the makespan.
  std::stable_sort(tasks.begin(), tasks.end(), [&](const Task& a, const Task& b) {
    return task_cost(a, args.causal) > task_cost(b, args.causal);
  });
  return tasks;
}

}  // namespace

}  // namespace attention_detail

void attention(const AttentionArgs& args) {
  using namespace attention_detail;
  const std::vector<Task> tasks = plan_tasks(args);
  const bool fast = has_avx512() && args.head_dim % 16 == 0;
  const int64_t n_tasks = static_cast<int64_t>(tasks.size());
#pragma omp parallel if (n_tasks > 1)
  {
    thread_local Workspace ws;
#pragma omp for schedule(dynamic, 1)
    for (int64_t i = 0; i < n_tasks; ++i) {
      if (fast) {
        run_task_avx512(args, tasks[static_cast<size_t>(i)], ws);
      } else {
        run_task_portable(args, tasks[static_cast<size_t>(i)], ws);
      }
    }
  }
}

}  // namespace fourbrain::kernels::cpu
