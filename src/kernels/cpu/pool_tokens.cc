#include "kernels/cpu/pool_tokens.h"

#include <algorithm>
#include <vector>

#include "kernels/cpu/parallel.h"

namespace fourbrain::kernels::cpu {

void pool_tokens(const float* x, int64_t width, const int32_t* cu_seqlens, int64_t n_seqs,
                 TokenPooling mode, float* out) {
  const int64_t avg_rows = n_seqs > 0 ? std::max<int64_t>(1, cu_seqlens[n_seqs] / n_seqs) : 1;
  parallel_for_rows(n_seqs, avg_rows * width, [&](int64_t s) {
    const int64_t begin = cu_seqlens[s], end = cu_seqlens[s + 1];
    float* dst = out + s * width;
    if (mode == TokenPooling::kFirst || mode == TokenPooling::kLast) {
      const float* row = x + (mode == TokenPooling::kFirst ? begin : end - 1) * width;
      std::copy_n(row, width, dst);
      return;
    }
    thread_local std::vector<double> sum;
    sum.assign(static_cast<size_t>(width), 0.0);
    for (int64_t t = begin; t < end; ++t) {
      const float* row = x + t * width;
      for (int64_t c = 0; c < width; ++c) sum[static_cast<size_t>(c)] += row[c];
    }
    const double count = static_cast<double>(std::max<int64_t>(end - begin, 1));
    for (int64_t c = 0; c < width; ++c) {
      dst[c] = static_cast<float>(sum[static_cast<size_t>(c)] / count);
    }
  });
}

}  // namespace fourbrain::kernels::cpu
