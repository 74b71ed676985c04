// Micro-benchmarks of the CPU ops at Qwen3-Embedding-0.6B shapes (hidden 1024, 16 q / 8 kv
// heads of 128, intermediate 3072), with FLOP rates next to the machine's measured f32
// FMA peak. Run: build/src/ops/ops_bench [--benchmark_filter=...]; the thread count is
// OpenMP's (OMP_NUM_THREADS). src/ops/bench/torch_matmul.py times torch at the same shapes.
#include <benchmark/benchmark.h>
#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <random>
#include <vector>

#include "kernels/cpu/gemm.h"
#include "ops/ops.h"

namespace fourbrain::ops {
namespace {

using kernels::cpu::GemmPrecision;
using kernels::cpu::GemmWeight;
using kernels::cpu::GemmWeightLayout;

std::vector<float> random_vector(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));

  for (float& x : v) x = dist(rng);
  return v;
}

Tensor view(std::vector<float>& v, Shape shape) {
  return Tensor::borrow(DType::kF32, std::move(shape), v.data(), nullptr);
}

// This machine's cores are shared, so runs are noisy: every benchmark repeats and reports
// its best run ("best": least time; "best_rate": highest GFLOP/s) next to the mean.
double smallest(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }
double largest(const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); }

void noisy(benchmark::internal::Benchmark* b) {
  b->Repetitions(5)
      ->ComputeStatistics("best", smallest)
      ->ComputeStatistics("best_rate", largest)
      ->ReportAggregatesOnly(true)
      ->UseRealTime();
}

void set_rate(benchmark::State& state, double flops) {
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

// Peak f32 throughput: independent AVX-512 FMA chains on every OpenMP thread.
__attribute__((target("avx512f,fma"))) void BM_PeakF32Fma(benchmark::State& state) {
  constexpr int kIters = 1 << 20;
  for (auto _ : state) {
#pragma omp parallel
    {
      __m512 acc[12];
      for (int i = 0; i < 12; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
      const __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(0.001f);
      for (int it = 0; it < kIters; ++it)
        for (int i = 0; i < 12; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
      float sink[16];
      for (int i = 1; i < 12; ++i) acc[0] = _mm512_add_ps(acc[0], acc[i]);
      _mm512_storeu_ps(sink, acc[0]);
      benchmark::DoNotOptimize(sink[0]);
    }
  }
  set_rate(state, 2.0 * 16 * 12 * kIters * omp_get_max_threads());
}
BENCHMARK(BM_PeakF32Fma)->Apply(noisy)->Unit(benchmark::kMillisecond);

// The linear op as the model calls it: f32 x in, f32 y out. Args: m, n, k, bf16?
void BM_Linear(benchmark::State& state) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  const auto precision = state.range(3) ? MatmulPrecision::kBF16 : MatmulPrecision::kF32;
  std::vector<float> w = random_vector(n * k, 1), x = random_vector(m * k, 2),
                     y(static_cast<size_t>(m * n));
  auto weight = LinearWeight::prepare(view(w, {n, k}), precision);
  Tensor xt = view(x, {m, k}), yt = view(y, {m, n});
  for (auto _ : state) {
    if (!linear(xt, **weight, yt).is_ok()) state.SkipWithError("linear failed");
  }
  set_rate(state, 2.0 * m * n * k);
}

// The GEMM kernel alone, by weight layout and input type. Args: m, n, k, bf16?, blocked?,
// x already bf16?
void BM_Gemm(benchmark::State& state) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  const bool bf16 = state.range(3) != 0;
  const auto layout = state.range(4) ? GemmWeightLayout::kBlocked : GemmWeightLayout::kPlain;
  const bool x_bf16 = state.range(5) != 0;
  std::vector<float> w = random_vector(n * k, 1), x = random_vector(m * k, 2),
                     y(static_cast<size_t>(m * n));
  std::vector<uint16_t> xb(x.size());
  for (size_t i = 0; i < x.size(); ++i) xb[i] = f32_to_bf16(x[i]);
  auto packed = GemmWeight::pack(w.data(), DType::kF32, n, k,
                                 bf16 ? GemmPrecision::kBF16 : GemmPrecision::kF32, layout);
  for (auto _ : state) {
    Status s = x_bf16 ? (*packed)->multiply(xb.data(), DType::kBF16, m, y.data())
                      : (*packed)->multiply(x.data(), DType::kF32, m, y.data());
    if (!s.is_ok()) state.SkipWithError("multiply failed");
  }
  set_rate(state, 2.0 * m * n * k);
}

void linear_shapes(benchmark::internal::Benchmark* b) {
  for (int bf16 : {0, 1}) {
    for (auto [n, k] : {std::pair{4096, 1024}, {6144, 1024}, {1024, 3072}, {1024, 2048}}) {
      b->Args({4096, n, k, bf16});
    }
    b->Args({512, 6144, 1024, bf16});
  }
}
BENCHMARK(BM_Linear)->Apply(linear_shapes)->Apply(noisy)->Unit(benchmark::kMillisecond);

void gemm_variants(benchmark::internal::Benchmark* b) {
  for (auto [n, k] : {std::pair{6144, 1024}, {1024, 3072}}) {
    for (int blocked : {0, 1}) {
      b->Args({4096, n, k, 0, blocked, 0});
      b->Args({4096, n, k, 1, blocked, 0});
    }
    b->Args({4096, n, k, 1, 1, 1});
  }
}
BENCHMARK(BM_Gemm)->Apply(gemm_variants)->Apply(noisy)->Unit(benchmark::kMillisecond);

// Attention over a ragged batch. Args: batch kind (0: 32 x 128, 1: 32 x 512, 2: 32 mixed
// 16..512), causal?
void BM_Attention(benchmark::State& state) {
  constexpr int kHeads = 16, kKvHeads = 8, kDim = 128;
  std::vector<int32_t> cu = {0};
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> mixed(16, 512);
  for (int s = 0; s < 32; ++s) {
    const int len = state.range(0) == 0 ? 128 : state.range(0) == 1 ? 512 : mixed(rng);
    cu.push_back(cu.back() + len);
  }
  const bool causal = state.range(1) != 0;
  const int64_t n = cu.back(), width = (kHeads + 2 * kKvHeads) * kDim;
  std::vector<float> qkv = random_vector(n * width, 4), out(static_cast<size_t>(n * kHeads * kDim));
  Tensor qkv_t = view(qkv, {n, width}), out_t = view(out, {n, kHeads * kDim});
  Tensor cu_t = Tensor::borrow(DType::kI32, {static_cast<int64_t>(cu.size())}, cu.data(), nullptr);
  double flops = 0;
  for (size_t s = 0; s + 1 < cu.size(); ++s) {
    const double len = cu[s + 1] - cu[s];
    flops += 4.0 * kDim * kHeads * (causal ? len * (len + 1) / 2 : len * len);
  }
  for (auto _ : state) {
    if (!attention(qkv_t, cu_t, 512, kHeads, kKvHeads, kDim, causal, out_t).is_ok()) {
      state.SkipWithError("attention failed");
    }
  }
  set_rate(state, flops);
  state.counters["tokens"] = static_cast<double>(n);
}
BENCHMARK(BM_Attention)
    ->ArgsProduct({{0, 1, 2}, {1, 0}})
    ->Apply(noisy)
    ->Unit(benchmark::kMillisecond);

// One Qwen3-0.6B decoder layer as nn/ will run it, on 32 sequences of `length` tokens; per
// iteration = one layer. Under kBF16 the activations feeding a linear are written in bf16.
// Args: bf16?, length. Compare with src/ops/bench/torch_layer.py (transformers).
void BM_Qwen3Layer(benchmark::State& state) {
  const bool bf16 = state.range(0) != 0;
  const int64_t len = state.range(1), n = 32 * len;
  const auto precision = bf16 ? MatmulPrecision::kBF16 : MatmulPrecision::kF32;
  const DType act = bf16 ? DType::kBF16 : DType::kF32;
  auto weight = [&](int64_t out, int64_t in, uint32_t seed) {
    std::vector<float> w = random_vector(out * in, seed);
    for (float& v : w) v *= 0.02f;
    return *LinearWeight::prepare(view(w, {out, in}), precision);
  };
  auto qkv_w = weight(4096, 1024, 1), o_w = weight(1024, 2048, 2);
  auto gate_up_w = weight(6144, 1024, 3), down_w = weight(1024, 3072, 4);
  std::vector<float> ones(1024, 1.0f), residual = random_vector(n * 1024, 5);
  auto f32 = [](Shape s) { return *Tensor::empty(DType::kF32, std::move(s)); };
  auto act_t = [&](Shape s) { return *Tensor::empty(act, std::move(s)); };
  Tensor norm_w = view(ones, {1024}), head_w = view(ones, {128}), res = view(residual, {n, 1024});
  Tensor normed = act_t({n, 1024}), qkv = f32({n, 4096}), attn = act_t({n, 2048});
  Tensor o = f32({n, 1024}), gate_up = f32({n, 6144}), mlp = act_t({n, 3072});
  Tensor down = f32({n, 1024});
  std::vector<int32_t> cu, pos;
  for (int64_t s = 0; s <= 32; ++s) cu.push_back(static_cast<int32_t>(s * len));
  for (int64_t i = 0; i < n; ++i) pos.push_back(static_cast<int32_t>(i % len));
  Tensor cu_t = Tensor::borrow(DType::kI32, {33}, cu.data(), nullptr);
  Tensor pos_t = Tensor::borrow(DType::kI32, {n}, pos.data(), nullptr);
  std::fill(down.data<float>(), down.data<float>() + n * 1024, 0.0f);
  for (auto _ : state) {
    bool ok = add_rms_norm(res, down, norm_w, 1e-6f, normed).is_ok();
    ok = ok && linear(normed, *qkv_w, qkv).is_ok();
    ok = ok && qk_norm_rope(qkv, 16, 8, 128, head_w, head_w, 1e-6f, pos_t, 1e6f).is_ok();
    ok = ok && attention(qkv, cu_t, static_cast<int>(len), 16, 8, 128, true, attn).is_ok();
    ok = ok && linear(attn, *o_w, o).is_ok();
    ok = ok && add_rms_norm(res, o, norm_w, 1e-6f, normed).is_ok();
    ok = ok && linear(normed, *gate_up_w, gate_up).is_ok();
    ok = ok && silu_mul(gate_up, mlp).is_ok();
    ok = ok && linear(mlp, *down_w, down).is_ok();
    if (!ok) state.SkipWithError("layer failed");
  }
  state.counters["tokens/s"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Qwen3Layer)
    ->ArgsProduct({{0, 1}, {128, 512}})
    ->Apply(noisy)
    ->Unit(benchmark::kMillisecond);

// The memory-bound ops at 4096 tokens, for scale against the GEMMs.
void BM_RmsNorm(benchmark::State& state) {
  std::vector<float> x = random_vector(4096 * 1024, 5), w = random_vector(1024, 6), out(x.size());
  Tensor xt = view(x, {4096, 1024}), wt = view(w, {1024}), ot = view(out, {4096, 1024});
  for (auto _ : state) benchmark::DoNotOptimize(rms_norm(xt, wt, 1e-6f, ot));
}
BENCHMARK(BM_RmsNorm)->Apply(noisy)->Unit(benchmark::kMicrosecond);

void BM_AddRmsNorm(benchmark::State& state) {
  std::vector<float> r = random_vector(4096 * 1024, 5), x = random_vector(4096 * 1024, 7);
  std::vector<float> w = random_vector(1024, 6), out(x.size());
  Tensor rt = view(r, {4096, 1024}), xt = view(x, {4096, 1024}), wt = view(w, {1024});
  Tensor ot = view(out, {4096, 1024});
  for (auto _ : state) benchmark::DoNotOptimize(add_rms_norm(rt, xt, wt, 1e-6f, ot));
}
BENCHMARK(BM_AddRmsNorm)->Apply(noisy)->Unit(benchmark::kMicrosecond);

void BM_SiluMul(benchmark::State& state) {
  std::vector<float> gu = random_vector(4096 * 6144, 8), out(4096 * 3072);
  Tensor gt = view(gu, {4096, 6144}), ot = view(out, {4096, 3072});
  for (auto _ : state) benchmark::DoNotOptimize(silu_mul(gt, ot));
}
BENCHMARK(BM_SiluMul)->Apply(noisy)->Unit(benchmark::kMicrosecond);

void BM_QkNormRope(benchmark::State& state) {
  // Unit norm weights: random ones would shrink some lanes to denormals over the
  // repeated in-place iterations.
  std::vector<float> qkv = random_vector(4096 * 4096, 9), qn(128, 1.0f);
  std::vector<int32_t> pos(4096);
  for (int i = 0; i < 4096; ++i) pos[static_cast<size_t>(i)] = i % 128;
  Tensor qt = view(qkv, {4096, 4096}), nt = view(qn, {128});
  Tensor pt = Tensor::borrow(DType::kI32, {4096}, pos.data(), nullptr);
  for (auto _ : state)
    benchmark::DoNotOptimize(qk_norm_rope(qt, 16, 8, 128, nt, nt, 1e-6f, pt, 1e6f));
}
BENCHMARK(BM_QkNormRope)->Apply(noisy)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace fourbrain::ops

BENCHMARK_MAIN();
