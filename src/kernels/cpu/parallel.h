// A row-parallel loop for the memory-bound kernels: OpenMP static split of rows, run
// serially when the whole job is too small to pay for waking the thread team.
#pragma once

#include <cstdint>

namespace fourbrain::kernels::cpu {

// Below this many elements touched, one thread is faster than forking.
constexpr int64_t kMinParallelElements = 1 << 15;

template <typename Fn>
void parallel_for_rows(int64_t n_rows, int64_t elements_per_row, const Fn& fn) {
  const bool parallel = n_rows > 1 && n_rows * elements_per_row >= kMinParallelElements;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t i = 0; i < n_rows; ++i) fn(i);
}

}  // namespace fourbrain::kernels::cpu
