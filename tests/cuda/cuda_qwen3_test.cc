// Qwen3 on the GPU against the CPU backend and HuggingFace's references (the tiny
// random-weight checkpoints of tools/qwen3/make_tiny_checkpoints.py): embeddings and
// reranker scores, batch invariance, concurrent instances, memory accounting, bad input.
#include <gtest/gtest.h>

#include <thread>

#include "cuda_model_test_util.h"
#include "kernels/cuda/cuda_backend.h"
#include "models/qwen3/qwen3_embedder.h"
#include "models/qwen3/qwen3_reranker.h"
#include "test_data.h"

namespace fourbrain {
namespace {

using testing::cosine;
using testing::json_floats;
using testing::max_abs_diff;

models::Qwen3RunOptions gpu_options() { return testing::qwen3_on_gpu(ops::MatmulPrecision::kBF16); }

models::Qwen3RunOptions cpu_bf16_options() {
  models::Qwen3RunOptions o;
  o.precision = ops::MatmulPrecision::kBF16;
  return o;
}

class CudaQwen3Test : public testing::CudaModelTest {};

std::vector<std::string> reference_texts(const formats::JsonValue& cases) {
  std::vector<std::string> texts;
  for (size_t i = 0; i < cases.size(); ++i) {
    const formats::JsonValue c = cases.at(i);
    auto instr = c.find("instruction");
    if ((!instr || instr->is_null()) && !c.find("max_length")) {
      texts.emplace_back(c.find("text")->as_string());
    }
  }
  return texts;
}

TEST_F(CudaQwen3Test, EmbeddingsMatchCpuAndTransformers) {
  const std::string dir = testing::test_data_path("qwen3-tiny-embedding");
  auto gpu = models::Qwen3Embedder::load(dir, gpu_options());
  ASSERT_TRUE(gpu.is_ok()) << gpu.status().to_string();
  auto cpu = models::Qwen3Embedder::load(dir, cpu_bf16_options());
  ASSERT_TRUE(cpu.is_ok()) << cpu.status().to_string();
  const formats::JsonValue cases = *testing::qwen3_references().find("embedding");
  double worst_hf = 1.0, worst_cpu = 1.0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const formats::JsonValue c = cases.at(i);
    auto instr = c.find("instruction");
    std::optional<std::string> instruction;
    if (instr && !instr->is_null()) instruction = std::string(instr->as_string());
    auto max_len = c.find("max_length");
    models::EmbedRequest request{{std::string(c.find("text")->as_string())},
                                 instruction,
                                 0,
                                 max_len ? static_cast<size_t>(max_len->as_int()) : 8192};
    auto g = (*gpu)->embed(request);
    ASSERT_TRUE(g.is_ok()) << g.status().to_string();
    auto h = (*cpu)->embed(request);
    ASSERT_TRUE(h.is_ok());
    worst_hf = std::min(worst_hf, cosine(g->embeddings[0], json_floats(*c.find("embedding"))));
    worst_cpu = std::min(worst_cpu, cosine(g->embeddings[0], h->embeddings[0]));
  }
  std::printf("[ measured ] worst cosine: GPU bf16 vs HF f32 %.7f, vs CPU bf16 %.7f\n", worst_hf,
              worst_cpu);
  EXPECT_GE(worst_hf, 0.9999);
  EXPECT_GE(worst_cpu, 0.9999);
}

TEST_F(CudaQwen3Test, RerankerScoresMatchCpuAndTransformers) {
  const std::string dir = testing::test_data_path("qwen3-tiny-reranker");
  auto gpu = models::Qwen3Reranker::load(dir, gpu_options());
  ASSERT_TRUE(gpu.is_ok()) << gpu.status().to_string();
  auto cpu = models::Qwen3Reranker::load(dir, cpu_bf16_options());
  ASSERT_TRUE(cpu.is_ok()) << cpu.status().to_string();
  const formats::JsonValue cases = *testing::qwen3_references().find("reranker");
  double worst_hf = 0, worst_cpu = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const formats::JsonValue c = cases.at(i);
    std::optional<std::string> instruction;
    if (auto instr = c.find("instruction"); instr && !instr->is_null()) {
      instruction = std::string(instr->as_string());
    }
    models::RerankRequest request{std::string(c.find("query")->as_string()),
                                  {std::string(c.find("document")->as_string())},
                                  instruction,
                                  static_cast<size_t>(c.find("max_length")->as_int())};
    auto g = (*gpu)->score(request);
    ASSERT_TRUE(g.is_ok()) << g.status().to_string();
    auto h = (*cpu)->score(request);
    ASSERT_TRUE(h.is_ok()) << h.status().to_string();
    worst_hf = std::max(worst_hf, std::abs((*g)[0] - c.find("score")->as_double()));
    worst_cpu = std::max(worst_cpu, static_cast<double>(std::abs((*g)[0] - (*h)[0])));
  }
  std::printf(
      "[ measured ] worst reranker score error: GPU bf16 vs HF f32 %.6f, vs CPU bf16 %.6f\n",
      worst_hf, worst_cpu);
  // bf16 rounding (GEMM inputs, attention probabilities) moves these scores by up to ~5e-3
  // on this tiny random model (measured on H100: 7.0e-3 vs f32, 4.9e-3 vs the CPU's bf16);
  // the 2e-3 is not reached in bf16 (see docs/BENCHMARKS.md, fidelity).
  EXPECT_LE(worst_cpu, 1e-2);
  EXPECT_LE(worst_hf, 1e-2);
}

TEST_F(CudaQwen3Test, Fp8EmbeddingsStayCloseToF32) {
  const std::string dir = testing::test_data_path("qwen3-tiny-embedding");
  const std::vector<std::string> texts =
      reference_texts(*testing::qwen3_references().find("embedding"));
  auto cpu = models::Qwen3Embedder::load(dir, {});
  ASSERT_TRUE(cpu.is_ok());
  auto want = (*cpu)->embed({texts, std::nullopt, 0, 8192});
  ASSERT_TRUE(want.is_ok());
  for (bool fast : {false, true}) {
    models::Qwen3RunOptions fp8 = gpu_options();
    fp8.precision = ops::MatmulPrecision::kFp8;
    fp8.fp8_precise_accumulation = !fast;
    auto gpu = models::Qwen3Embedder::load(dir, fp8);
    ASSERT_TRUE(gpu.is_ok()) << gpu.status().to_string();
    auto got = (*gpu)->embed({texts, std::nullopt, 0, 8192});
    ASSERT_TRUE(got.is_ok()) << got.status().to_string();
    double worst = 1;
    for (size_t i = 0; i < texts.size(); ++i) {
      worst = std::min(worst, cosine(got->embeddings[i], want->embeddings[i]));
    }
    std::printf("[ measured ] tiny Qwen3, FP8%s on the GPU vs f32 on the CPU: worst cosine %.6f\n",
                fast ? " (fast accumulation)" : "", worst);
    // Measured on an H100: 0.9889 (f32 partial sums) and 0.9919 (fast accumulation) since
    // the norms and SwiGLU quantize their f32 results (not a bf16 copy) to FP8: per-token
    // FP8 on a random model of hidden size 64.
    EXPECT_GE(worst, 0.985);
  }
}

TEST_F(CudaQwen3Test, Nvfp4EmbeddingsStayCloseToF32) {
  const std::string dir = testing::test_data_path("qwen3-tiny-embedding");
  models::Qwen3RunOptions nvfp4 = gpu_options();
  nvfp4.precision = ops::MatmulPrecision::kNvfp4;
  auto gpu = models::Qwen3Embedder::load(dir, nvfp4);
  ASSERT_TRUE(gpu.is_ok()) << gpu.status().to_string();
  std::vector<std::string> texts = reference_texts(*testing::qwen3_references().find("embedding"));
  std::string long_text;  // past 64 tokens: the decode + FP8 GEMM path too (bf16 before Hopper)
  for (int i = 0; i < 40; ++i) long_text += "word" + std::to_string(i) + " and more ";
  texts.push_back(long_text);
  auto cpu = models::Qwen3Embedder::load(dir, {});
  ASSERT_TRUE(cpu.is_ok());
  auto want = (*cpu)->embed({texts, std::nullopt, 0, 8192});
  ASSERT_TRUE(want.is_ok());
  double worst = 1;
  for (size_t i = 0; i < texts.size(); ++i) {  // one at a time: the few-token kernel
    auto one = (*gpu)->embed({{texts[i]}, std::nullopt, 0, 8192});
    ASSERT_TRUE(one.is_ok()) << one.status().to_string();
    worst = std::min(worst, cosine(one->embeddings[0], want->embeddings[i]));
  }
  auto all = (*gpu)->embed({texts, std::nullopt, 0, 8192});
  ASSERT_TRUE(all.is_ok());
  for (size_t i = 0; i < texts.size(); ++i) {
    worst = std::min(worst, cosine(all->embeddings[i], want->embeddings[i]));
  }
  std::printf("[ measured ] tiny Qwen3, NVFP4 on the GPU vs f32 on the CPU: worst cosine %.6f\n",
              worst);
  // The embedding table in NVFP4 too: less memory, and still close.
  nvfp4.quantize_embeddings = true;
  auto small = models::Qwen3Embedder::load(dir, nvfp4);
  ASSERT_TRUE(small.is_ok()) << small.status().to_string();
  EXPECT_LT((*small)->model().memory_bytes(), (*gpu)->model().memory_bytes());
  auto quantized = (*small)->embed({texts, std::nullopt, 0, 8192});
  ASSERT_TRUE(quantized.is_ok());
  double worst_q = 1;
  for (size_t i = 0; i < texts.size(); ++i) {
    worst_q = std::min(worst_q, cosine(quantized->embeddings[i], want->embeddings[i]));
  }
  std::printf("[ measured ] tiny Qwen3, NVFP4 with NVFP4 embeddings vs f32: worst cosine %.6f\n",
              worst_q);
  EXPECT_GE(worst_q, 0.9);
  EXPECT_GE(worst, 0.93);  // measured 0.9547 on H100: 4-bit weights on a tiny random model
}

TEST_F(CudaQwen3Test, BatchInvarianceAndConcurrentInstances) {
  const std::string dir = testing::test_data_path("qwen3-tiny-embedding");
  auto gpu = models::Qwen3Embedder::load(dir, gpu_options());
  ASSERT_TRUE(gpu.is_ok());
  std::vector<std::string> texts = reference_texts(*testing::qwen3_references().find("embedding"));
  // Longer texts too, so batches hold sequences past one attention tile.
  std::string long_text;
  for (int i = 0; i < 60; ++i) long_text += "word" + std::to_string(i) + " and more ";
  texts.push_back(long_text);
  texts.push_back("x");
  auto together = (*gpu)->embed({texts, std::nullopt, 0, 8192});
  ASSERT_TRUE(together.is_ok());
  double worst = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    auto alone = (*gpu)->embed({{texts[i]}, std::nullopt, 0, 8192});
    ASSERT_TRUE(alone.is_ok());
    worst = std::max(worst, max_abs_diff(alone->embeddings[0], together->embeddings[i]));
  }
  std::printf("[ measured ] batch invariance on the GPU: max abs diff %.3g\n", worst);
  EXPECT_LE(worst, 1e-3);

  // Four threads on one model: each takes its own instance (stream + workspace).
  std::vector<std::thread> threads;
  std::vector<double> diffs(4, 1.0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      double d = 0;
      for (int r = 0; r < 5; ++r) {
        auto again = (*gpu)->embed({texts, std::nullopt, 0, 8192});
        if (!again.is_ok()) return;
        for (size_t i = 0; i < texts.size(); ++i) {
          d = std::max(d, max_abs_diff(again->embeddings[i], together->embeddings[i]));
        }
      }
      diffs[t] = d;
    });
  }
  for (auto& th : threads) th.join();
  for (double d : diffs) EXPECT_EQ(d, 0.0) << "concurrent runs must equal the sequential one";
  EXPECT_TRUE((*gpu)->model().healthy());
}

TEST_F(CudaQwen3Test, MemoryIsAccountedAndReturned) {
  size_t free_before = 0, total = 0;
  ASSERT_TRUE(kernels::cuda::device_memory(0, free_before, total).is_ok());
  {
    auto gpu =
        models::Qwen3Embedder::load(testing::test_data_path("qwen3-tiny-embedding"), gpu_options());
    ASSERT_TRUE(gpu.is_ok());
    const models::Qwen3Model& m = (*gpu)->model();
    size_t free_loaded = 0;
    ASSERT_TRUE(kernels::cuda::device_memory(0, free_loaded, total).is_ok());
    const size_t reserved = m.memory_bytes();
    const size_t card_used = free_before - free_loaded;
    std::printf(
        "[ measured ] tiny model: %zu bytes reserved (weights %zu, workspace %zu); "
        "card reports %zu more bytes used\n",
        reserved, m.prepared_weight_bytes(), m.workspace_bytes(), card_used);
    EXPECT_GE(reserved, m.prepared_weight_bytes() + m.arena_bytes(8192));
    // The driver rounds allocations up (2 MiB pages): within 64 MiB of what we counted.
    EXPECT_LE(card_used, reserved + (64u << 20));
  }
  size_t free_after = 0;
  ASSERT_TRUE(kernels::cuda::device_memory(0, free_after, total).is_ok());
  EXPECT_LE(free_before - std::min(free_before, free_after), size_t{4} << 20)
      << "unloading returns the device memory";
}

TEST_F(CudaQwen3Test, BadInputIsAnErrorAndTheModelKeepsServing) {
  auto gpu =
      models::Qwen3Embedder::load(testing::test_data_path("qwen3-tiny-embedding"), gpu_options());
  ASSERT_TRUE(gpu.is_ok());
  const int32_t bad_ids[] = {1, 2, 999999};
  std::vector<float> out(64);
  models::SequenceJob job{bad_ids, 0, out.data()};
  auto st = (*gpu)->run({&job, 1});
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.to_string();
  EXPECT_TRUE((*gpu)->model().healthy());
  auto ok = (*gpu)->embed({{"still serving"}, std::nullopt, 0, 8192});
  EXPECT_TRUE(ok.is_ok());
  // f32 on a GPU is refused with a reason.
  models::Qwen3RunOptions f32 = gpu_options();
  f32.precision = ops::MatmulPrecision::kF32;
  auto refused = models::Qwen3Embedder::load(testing::test_data_path("qwen3-tiny-embedding"), f32);
  EXPECT_EQ(refused.status().code(), StatusCode::kUnsupported);
}

// A device fault leaves the CUDA context unusable for the whole process, so ctest runs this
// test in a process of its own (cuda_fault_test).
TEST_F(CudaQwen3Test, DeviceFaultMarksTheModelUnhealthy) {
  auto gpu =
      models::Qwen3Embedder::load(testing::test_data_path("qwen3-tiny-embedding"), gpu_options());
  ASSERT_TRUE(gpu.is_ok());
  ASSERT_TRUE((*gpu)->embed({{"before the fault"}, std::nullopt, 0, 8192}).is_ok());
  ASSERT_TRUE((*gpu)->model().inject_fault_for_testing().is_ok());
  auto faulted = (*gpu)->embed({{"during the fault"}, std::nullopt, 0, 8192});
  EXPECT_EQ(faulted.status().code(), StatusCode::kInternal) << faulted.status().to_string();
  EXPECT_FALSE((*gpu)->model().healthy());
  auto after = (*gpu)->embed({{"after the fault"}, std::nullopt, 0, 8192});
  EXPECT_EQ(after.status().code(), StatusCode::kUnavailable) << after.status().to_string();
}

}  // namespace
}  // namespace fourbrain
