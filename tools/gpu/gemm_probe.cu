// What cuBLASLt can do for the GEMMs of a Qwen3 layer: times bf16 and FP8 (outer-vector and
// tensor-wide scales, with and without fast accumulation) at n tokens, for the heuristic's
// first algorithm and for the best of its first 16. The ceiling our forward pass can reach.
//
// Build: nvcc -O2 -std=c++17 -o gemm_probe tools/gpu/gemm_probe.cu -lcublasLt
// Run:   gemm_probe [N_TOKENS [HIDDEN QKV_OUT INTERMEDIATE]]   (default 32768, the 8B shape;
//        o_proj is taken as hidden × hidden, as in Qwen3-8B)
#include <cublasLt.h>
#include <cuda_bf16.h>
#include <cuda_fp8.h>
#include <cuda_runtime.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#define CHECK_CUDA(e)                                                             \
  do {                                                                            \
    cudaError_t s_ = (e);                                                         \
    if (s_ != cudaSuccess) {                                                      \
      std::fprintf(stderr, "%s:%d %s\n", __FILE__, __LINE__, cudaGetErrorString(s_)); \
      std::exit(1);                                                               \
    }                                                                             \
  } while (0)

struct Variant {
  const char* name;
  bool fp8;
  int scale_mode;  // cublasLtMatmulMatrixScale_t, FP8 only
  bool fast_accum;
  bool accumulate;  // y (f32) += product, as the residual GEMMs do
};

// Milliseconds per GEMM of `algo`, or -1 when it fails.
float time_algo(cublasLtHandle_t lt, cublasLtMatmulDesc_t op, cublasLtMatrixLayout_t a,
                cublasLtMatrixLayout_t b, cublasLtMatrixLayout_t d, const cublasLtMatmulAlgo_t* algo,
                const void* w, const void* x, void* y, float beta, void* ws, size_t ws_bytes) {
  const float alpha = 1.0f;
  cudaEvent_t start, stop;
  cudaEventCreate(&start);
  cudaEventCreate(&stop);
  for (int i = 0; i < 3; ++i) {
    if (cublasLtMatmul(lt, op, &alpha, w, a, x, b, &beta, y, d, y, d, algo, ws, ws_bytes, 0) !=
        CUBLAS_STATUS_SUCCESS)
      return -1.0f;
  }
  const int iters = 10;
  cudaEventRecord(start);
  for (int i = 0; i < iters; ++i)
    cublasLtMatmul(lt, op, &alpha, w, a, x, b, &beta, y, d, y, d, algo, ws, ws_bytes, 0);
  cudaEventRecord(stop);
  CHECK_CUDA(cudaEventSynchronize(stop));
  float ms = 0;
  cudaEventElapsedTime(&ms, start, stop);
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return ms / iters;
}

void probe(cublasLtHandle_t lt, const Variant& v, long n, long out, long k, void* w, void* x,
           void* y, float* w_scales, float* x_scales, void* ws, size_t ws_bytes) {
  cublasLtMatmulDesc_t op;
  cublasLtMatmulDescCreate(&op, CUBLAS_COMPUTE_32F, CUDA_R_32F);
  const cublasOperation_t t = CUBLAS_OP_T, nt = CUBLAS_OP_N;
  cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSA, &t, sizeof(t));
  cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSB, &nt, sizeof(nt));
  if (v.fp8) {
    const auto mode = static_cast<cublasLtMatmulMatrixScale_t>(v.scale_mode);
    cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_A_SCALE_MODE, &mode, sizeof(mode));
    cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_B_SCALE_MODE, &mode, sizeof(mode));
    cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, &w_scales,
                                   sizeof(w_scales));
    cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, &x_scales,
                                   sizeof(x_scales));
    const int8_t fast = v.fast_accum ? 1 : 0;
    cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_FAST_ACCUM, &fast, sizeof(fast));
  }
  const cudaDataType_t in = v.fp8 ? CUDA_R_8F_E4M3 : CUDA_R_16BF;
  const cudaDataType_t yt = v.accumulate ? CUDA_R_32F : CUDA_R_16BF;
  cublasLtMatrixLayout_t a, b, d;
  cublasLtMatrixLayoutCreate(&a, in, k, out, k);
  cublasLtMatrixLayoutCreate(&b, in, k, n, k);
  cublasLtMatrixLayoutCreate(&d, yt, out, n, out);
  cublasLtMatmulPreference_t pref;
  cublasLtMatmulPreferenceCreate(&pref);
  cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws_bytes,
                                       sizeof(ws_bytes));
  cublasLtMatmulHeuristicResult_t results[16];
  int found = 0;
  cublasLtMatmulAlgoGetHeuristic(lt, op, a, b, d, d, pref, 16, results, &found);
  const double flops = 2.0 * n * out * k;
  float first = -1, best = -1;
  int best_i = -1;
  for (int i = 0; i < found; ++i) {
    const float ms = time_algo(lt, op, a, b, d, &results[i].algo, w, x, y,
                               v.accumulate ? 1.0f : 0.0f, ws, ws_bytes);
    if (i == 0) first = ms;
    if (ms > 0 && (best < 0 || ms < best)) best = ms, best_i = i;
  }
  std::printf("%-28s n %6ld out %6ld k %6ld  algos %2d  first %8.3f ms (%5.0f TFLOP/s)  "
              "best #%d %8.3f ms (%5.0f TFLOP/s)\n",
              v.name, n, out, k, found, first, first > 0 ? flops / first / 1e9 : 0.0, best_i, best,
              best > 0 ? flops / best / 1e9 : 0.0);
  cublasLtMatmulPreferenceDestroy(pref);
  cublasLtMatrixLayoutDestroy(a);
  cublasLtMatrixLayoutDestroy(b);
  cublasLtMatrixLayoutDestroy(d);
  cublasLtMatmulDescDestroy(op);
}

__global__ void fill(uint8_t* p, size_t bytes, uint32_t seed, bool fp8) {
  for (size_t i = blockIdx.x * blockDim.x + threadIdx.x; i < bytes; i += gridDim.x * blockDim.x) {
    uint32_t h = (static_cast<uint32_t>(i) ^ seed) * 2654435761u;
    h ^= h >> 13;
    // Small finite values: e4m3 codes with exponent bits 0b0110..0b0111, bf16 likewise.
    p[i] = fp8 ? static_cast<uint8_t>((h & 0x87) | 0x30) : (i & 1 ? static_cast<uint8_t>(0x3c | (h & 0x80)) : static_cast<uint8_t>(h));
  }
}

int main(int argc, char** argv) {
  const long n = argc > 1 ? std::atol(argv[1]) : 32768;
  const long hidden = argc > 2 ? std::atol(argv[2]) : 4096;
  const long qkv = argc > 3 ? std::atol(argv[3]) : 6144;
  const long inter = argc > 4 ? std::atol(argv[4]) : 12288;
  struct Shape {
    const char* name;
    long out, k;
    bool residual;
  };
  const std::vector<Shape> shapes = {{"qkv", qkv, hidden, false},
                                     {"o", hidden, hidden, true},
                                     {"gate_up", 2 * inter, hidden, false},
                                     {"down", hidden, inter, true}};
  long max_w = 0, max_k = 0, max_out = 0;
  for (const Shape& s : shapes) {
    max_w = std::max(max_w, s.out * s.k);
    max_k = std::max(max_k, s.k);
    max_out = std::max(max_out, s.out);
  }
  void *w, *x, *y, *ws;
  float *w_scales, *x_scales;
  const size_t ws_bytes = 32u << 20;
  CHECK_CUDA(cudaMalloc(&w, max_w * 2));
  CHECK_CUDA(cudaMalloc(&x, n * max_k * 2));
  CHECK_CUDA(cudaMalloc(&y, n * max_out * 4));
  CHECK_CUDA(cudaMalloc(&ws, ws_bytes));
  CHECK_CUDA(cudaMalloc(&w_scales, max_out * 4));
  CHECK_CUDA(cudaMalloc(&x_scales, n * 4));
  std::vector<float> ones(std::max(max_out, n), 0.01f);
  CHECK_CUDA(cudaMemcpy(w_scales, ones.data(), max_out * 4, cudaMemcpyHostToDevice));
  CHECK_CUDA(cudaMemcpy(x_scales, ones.data(), n * 4, cudaMemcpyHostToDevice));
  CHECK_CUDA(cudaMemset(y, 0, n * max_out * 4));
  cublasLtHandle_t lt;
  cublasLtCreate(&lt);
  const Variant variants[] = {
      {"bf16", false, 0, false, false},
      {"bf16 += f32", false, 0, false, true},
      {"fp8 outer-vec", true, 3, false, false},
      {"fp8 outer-vec fast", true, 3, true, false},
      {"fp8 outer-vec += f32", true, 3, false, true},
      {"fp8 outer-vec fast += f32", true, 3, true, true},
      {"fp8 scalar", true, 0, false, false},
      {"fp8 scalar fast", true, 0, true, false},
  };
  for (const Shape& s : shapes) {
    for (const Variant& v : variants) {
      if (v.accumulate != s.residual) continue;
      fill<<<1024, 256>>>(static_cast<uint8_t*>(w), s.out * s.k * (v.fp8 ? 1 : 2), 1, v.fp8);
      fill<<<1024, 256>>>(static_cast<uint8_t*>(x), n * s.k * (v.fp8 ? 1 : 2), 2, v.fp8);
      std::printf("%-8s", s.name);
      probe(lt, v, n, s.out, s.k, w, x, y, w_scales, x_scales, ws, ws_bytes);
    }
  }
  CHECK_CUDA(cudaDeviceSynchronize());
  return 0;
}
