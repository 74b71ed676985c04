// Checkpoints quantized by the real llm-compressor (oneshot: FP8, FP8_DYNAMIC, NVFP4, one
// mixed NVFP4 + FP8 checkpoint, ignore lists and regex targets), opened through
// quant::open_checkpoint and compared with what compressed-tensors itself makes of them
// (tools/quant/make_compressed_tensors_golden.py):
//  - every dequantized weight bit-exactly: the sha256 of its bf16 bytes and sampled values;
//  - the embeddings of a few texts against HF transformers in f32 on the decompressed weights:
//    same token ids, cosine >= 0.99999 and max abs error <= 1e-4 (the tolerance of the
//    unquantized model tests: the weights are identical, only the forward differs).
#include <gtest/gtest.h>

#include <cstring>

#include "base/sha256.h"
#include "core/dtype.h"
#include "models/bert/bert_embedder.h"
#include "models/qwen3/qwen3_embedder.h"
#include "quant/quantized_checkpoint.h"
#include "test_data.h"

namespace fourbrain {
namespace {

using testing::cosine;
using testing::json_floats;
using testing::json_ints;
using testing::max_abs_diff;

class CtCheckpointTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    FB_REQUIRE_TEST_DATA();
    dir_ = testing::test_data_path(GetParam());
    auto golden = formats::JsonValue::parse_file(dir_ + ".golden.json");
    ASSERT_TRUE(golden.is_ok()) << golden.status().to_string();
    golden_ = *golden;
  }
  std::string dir_;
  std::optional<formats::JsonValue> golden_;
};

TEST_P(CtCheckpointTest, DequantizesBitExactlyAsCompressedTensors) {
  auto ckpt = quant::open_checkpoint(dir_);
  ASSERT_TRUE(ckpt.is_ok()) << ckpt.status().to_string();
  const formats::JsonValue weights = *golden_->find("weights");
  ASSERT_GT(weights.size(), 5u);
  for (size_t i = 0; i < weights.size(); ++i) {
    const formats::JsonValue w = weights.at(i);
    const std::string name(w.find("name")->as_string());
    SCOPED_TRACE(name);
    ASSERT_EQ(std::string(w.find("dtype")->as_string()), "bfloat16");
    const formats::TensorEntry* e = ckpt->find(name);
    ASSERT_NE(e, nullptr);
    ASSERT_EQ(e->dtype, DType::kBF16);
    const std::vector<int32_t> shape = json_ints(*w.find("shape"));
    ASSERT_EQ(e->shape, Shape({shape.at(0), shape.at(1)}));
    const auto* bytes = static_cast<const char*>(e->tensor.raw_data());
    EXPECT_EQ(sha256_hex(std::string(bytes, e->tensor.nbytes())),
              w.find("sha256_bf16")->as_string());
    const formats::JsonValue samples = *w.find("samples");
    for (size_t j = 0; j < samples.size(); ++j) {
      uint16_t got;
      std::memcpy(&got, bytes + 2 * samples.at(j).at(0).as_int(), 2);
      EXPECT_EQ(got, samples.at(j).at(1).as_int()) << "element " << samples.at(j).at(0).as_int();
    }
  }
  for (const formats::TensorEntry& e : ckpt->entries()) {
    for (const char* leaf : {".weight_scale", ".weight_packed", ".weight_global_scale",
                             ".input_scale", ".input_global_scale"}) {
      EXPECT_FALSE(e.name.ends_with(leaf)) << e.name << " was not hidden";
    }
  }
}

// Opened for a GPU model, the weights stay as llm-compressor stored them: the very bytes of
// the file (borrowed from its mapping, not copied), scales as compressed-tensors applies them,
// placeholders of the logical shape where models bind them, and dequantizing gives
// compressed-tensors' values.
bool same_bytes(const formats::TensorEntry& kept, const formats::TensorEntry& file) {
  return kept.mapping != nullptr && kept.tensor.nbytes() == file.tensor.nbytes() &&
         std::memcmp(kept.tensor.raw_data(), file.tensor.raw_data(), file.tensor.nbytes()) == 0;
}

TEST_P(CtCheckpointTest, KeepsTheStoredCodesAndScales) {
  auto kept = quant::open_checkpoint_keeping_quantized(dir_);
  ASSERT_TRUE(kept.is_ok()) << kept.status().to_string();
  auto raw = formats::Checkpoint::open(dir_);
  ASSERT_TRUE(raw.is_ok());
  const formats::JsonValue weights = *golden_->find("weights");
  ASSERT_EQ(kept->stored.size(), weights.size());
  for (size_t i = 0; i < weights.size(); ++i) {
    const std::string name(weights.at(i).find("name")->as_string());
    SCOPED_TRACE(name);
    const quant::StoredLinear* stored = kept->find(name);
    ASSERT_NE(stored, nullptr);
    const std::string module = name.substr(0, name.size() - 7);
    const formats::TensorEntry* placeholder = kept->checkpoint.find(name);
    ASSERT_NE(placeholder, nullptr);
    EXPECT_FALSE(placeholder->tensor.defined());
    EXPECT_EQ(placeholder->shape, Shape({stored->rows, stored->cols}));
    if (stored->precision == quant::QuantPrecision::kNvfp4) {
      const formats::TensorEntry* packed = raw->find(module + ".weight_packed");
      const formats::TensorEntry* global = raw->find(module + ".weight_global_scale");
      ASSERT_TRUE(packed && global);
      EXPECT_TRUE(same_bytes(stored->codes, *packed));
      EXPECT_TRUE(same_bytes(stored->block_scales, *raw->find(module + ".weight_scale")));
      float g;
      std::memcpy(&g, global->tensor.raw_data(), 4);
      EXPECT_TRUE(stored->global_divides);
      EXPECT_EQ(stored->global_scale, g);
      EXPECT_EQ(stored->global_multiplier(), 1.0f / g);
    } else {
      EXPECT_TRUE(same_bytes(stored->codes, *raw->find(name)));
      EXPECT_EQ(stored->row_scales.size(), static_cast<size_t>(stored->rows));
    }
    auto dequantized = quant::dequantize_stored(*stored);
    ASSERT_TRUE(dequantized.is_ok());
    const auto* bytes = static_cast<const char*>(dequantized->raw_data());
    EXPECT_EQ(sha256_hex(std::string(bytes, dequantized->nbytes())),
              weights.at(i).find("sha256_bf16")->as_string());
  }
}

TEST_P(CtCheckpointTest, EmbedsAsTransformersOnTheDecompressedWeights) {
  const formats::JsonValue cases = *golden_->find("embeddings");
  const bool qwen3 = golden_->find("model")->as_string() == "qwen3";
  std::unique_ptr<models::Qwen3Embedder> qwen;
  std::unique_ptr<models::BertEmbedder> bert;
  if (qwen3) {
    auto loaded = models::Qwen3Embedder::load(dir_, {});
    ASSERT_TRUE(loaded.is_ok()) << loaded.status().to_string();
    qwen = std::move(loaded).value();
  } else {
    auto loaded = models::BertEmbedder::load(dir_, {});
    ASSERT_TRUE(loaded.is_ok()) << loaded.status().to_string();
    bert = std::move(loaded).value();
  }
  double worst_cosine = 1.0, worst_abs = 0.0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const formats::JsonValue c = cases.at(i);
    const std::string text(c.find("text")->as_string());
    SCOPED_TRACE(text);
    const std::vector<int32_t> ids = json_ints(*c.find("input_ids"));
    std::vector<float> got;
    if (qwen3) {
      auto our_ids = qwen->input_ids(text, std::nullopt, 8192);
      ASSERT_TRUE(our_ids.is_ok());
      EXPECT_EQ(*our_ids, ids);
      auto result = qwen->embed({{text}, std::nullopt, 0, 8192});
      ASSERT_TRUE(result.is_ok()) << result.status().to_string();
      got = result->embeddings[0];
    } else {
      auto result = bert->embed({ids});
      ASSERT_TRUE(result.is_ok()) << result.status().to_string();
      got = (*result)[0];
    }
    const std::vector<float> want = json_floats(*c.find("embedding"));
    ASSERT_EQ(got.size(), want.size());
    worst_cosine = std::min(worst_cosine, cosine(got, want));
    worst_abs = std::max(worst_abs, max_abs_diff(got, want));
  }
  EXPECT_GE(worst_cosine, 0.99999);
  EXPECT_LE(worst_abs, 1e-4);
  RecordProperty("worst_cosine", std::to_string(worst_cosine));
  std::printf("[ %s ] vs transformers: worst cosine %.8f, max abs error %.2e\n", GetParam(),
              worst_cosine, worst_abs);
}

INSTANTIATE_TEST_SUITE_P(LlmCompressor, CtCheckpointTest,
                         ::testing::Values("ct_qwen3_fp8", "ct_qwen3_fp8_dynamic",
                                           "ct_qwen3_nvfp4_mixed", "ct_bert_fp8",
                                           "ct_bert_fp8_dynamic", "ct_bert_nvfp4"));

}  // namespace
}  // namespace fourbrain
