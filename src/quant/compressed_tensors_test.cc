// compressed-tensors (llm-compressor) checkpoints on hand-made inputs: which config group
// quantizes a module, the FP8 and NVFP4 decoders on values worked out by hand (nibble order,
// the global scale dividing), and every bad input answered with a clear Status naming the
// tensor or the field. The real llm-compressor checkpoints are in tests/ct_checkpoint_test.cc.
#include "quant/compressed_tensors.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include "core/dtype.h"
#include "formats/safetensors_writer.h"
#include "quant/fp_formats.h"
#include "quant/quantized_checkpoint.h"

namespace fourbrain::quant {
namespace {

using ::testing::HasSubstr;

formats::JsonValue json(const std::string& text) {
  auto v = formats::JsonValue::parse(text, "test");
  EXPECT_TRUE(v.is_ok()) << v.status().to_string();
  return *v;
}

const std::string kFp8Group =
    R"("format": "float-quantized", "weights": {"num_bits": 8, "type": "float",
       "strategy": "channel", "symmetric": true, "dynamic": false},
       "input_activations": {"num_bits": 8, "type": "float", "strategy": "token",
       "dynamic": true})";
const std::string kNvfp4Group =
    R"("format": "nvfp4-pack-quantized", "weights": {"num_bits": 4, "type": "float",
       "strategy": "tensor_group", "group_size": 16, "symmetric": true, "dynamic": false},
       "input_activations": {"num_bits": 4, "type": "float", "strategy": "tensor_group",
       "group_size": 16, "dynamic": "local"})";

std::string config_json(const std::string& groups, const std::string& extra = "") {
  return R"({"quant_method": "compressed-tensors", "format": "mixed-precision",
             "quantization_status": "compressed", "sparsity_config": {},
             "transform_config": {}, "config_groups": {)" +
         groups + "}" + extra + "}";
}

TEST(CtConfig, MatchesAsCompressedTensors) {
  auto config = parse_compressed_tensors_config(
      json(config_json(
          R"("group_0": {"targets": ["Linear"], )" + kFp8Group +
              R"(}, "group_1": {"targets": ["re:.*mlp\\.down.*", "l.0.mlp.up", "re:mlp"], )" +
              kNvfp4Group + "}",
          R"(, "ignore": ["lm_head", "re:.*\\.2\\..*"],
                          "kv_cache_scheme": {"num_bits": 8, "type": "float",
                          "strategy": "tensor", "dynamic": false})")),
      "config.json");
  ASSERT_TRUE(config.is_ok()) << config.status().to_string();
  ASSERT_EQ(config->groups.size(), 2u);
  EXPECT_EQ(config->groups[0].format, "float-quantized");
  EXPECT_EQ(config->groups[1].weights->group_size, 16);
  EXPECT_EQ(config->groups[1].input_activations->dynamic, "local");
  EXPECT_EQ(config->groups[0].input_activations->describe(), "float8 token dynamic");
  ASSERT_TRUE(config->kv_cache.has_value());
  auto group_of = [&](const char* module) {
    const CtGroup* g = config->group_for(module);
    return g ? g->name : std::string("none");
  };
  EXPECT_EQ(group_of("l.0.self_attn.q_proj"), "group_0");  // class "Linear"
  EXPECT_EQ(group_of("l.0.mlp.down_proj"), "group_1");     // a regex beats a class
  EXPECT_EQ(group_of("l.0.mlp.up"), "group_1");            // an exact name
  EXPECT_EQ(group_of("l.2.mlp.down_proj"), "none");        // ignored by regex
  EXPECT_EQ(group_of("lm_head"), "none");                  // ignored by name
  EXPECT_EQ(group_of("embed_tokens"), "none");             // an Embedding, not a Linear
  EXPECT_EQ(group_of("l.0.mlp.gate"), "group_0");  // "re:mlp": re.match anchors at the start
  EXPECT_EQ(group_of("mlp.gate"), "group_1");
}

TEST(CtConfig, LaterGroupOwnsARepeatedTarget) {
  auto config = parse_compressed_tensors_config(
      json(config_json(R"("a": {"targets": ["Linear"], )" + kFp8Group +
                       R"(}, "b": {"targets": ["Linear"], )" + kNvfp4Group + "}")),
      "config.json");
  ASSERT_TRUE(config.is_ok());
  EXPECT_EQ(config->group_for("x.q_proj")->name, "b");
}

TEST(CtConfig, RejectsWhatItCannotLoad) {
  const std::string group = R"("g": {"targets": ["Linear"], )" + kFp8Group + "}";
  struct Case {
    std::string json;
    StatusCode code;
    const char* says;
  } cases[] = {
      {R"({"quant_method": "compressed-tensors", "config_groups": {)" + group +
           R"(}, "sparsity_config": {"format": "sparse-24-bitmask"}})",
       StatusCode::kUnsupported, "sparsity_config"},
      {R"({"quant_method": "compressed-tensors", "config_groups": {)" + group +
           R"(}, "transform_config": {"config_groups": {"u": {}}}})",
       StatusCode::kUnsupported, "transform_config"},
      {R"({"config_groups": {)" + group + R"(}, "quantization_status": "frozen"})",
       StatusCode::kUnsupported, "frozen"},
      {R"({"config_groups": {}})", StatusCode::kInvalidArgument, "config_groups"},
      {R"({"format": "mixed-precision", "config_groups": {"g": {"targets": ["Linear"]}}})",
       StatusCode::kInvalidArgument, "config_groups.g has no format"},
      {R"({"format": "float-quantized", "config_groups": {"g": {"targets": ["re:(("]}}})",
       StatusCode::kInvalidArgument, "bad regex"},
      {R"({"format": "float-quantized", "config_groups": {"g": {"targets": "Linear"}}})",
       StatusCode::kInvalidArgument, "config_groups.g.targets is not a list"},
  };
  for (const Case& c : cases) {
    auto config = parse_compressed_tensors_config(json(c.json), "x/config.json");
    ASSERT_FALSE(config.is_ok()) << c.json;
    EXPECT_EQ(config.status().code(), c.code) << config.status().to_string();
    EXPECT_THAT(config.status().message(), HasSubstr(c.says));
  }
}

// A checkpoint folder written by hand: config.json and one model.safetensors.
class CtCheckpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = (std::filesystem::path(::testing::TempDir()) / ("ct_" + std::string(info->name())))
               .string();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void add(const std::string& name, DType dtype, Shape shape, std::vector<uint8_t> bytes) {
    tensors_[name] = {dtype, shape, std::move(bytes)};
  }
  void add_f32(const std::string& name, Shape shape, const std::vector<float>& values) {
    std::vector<uint8_t> bytes(values.size() * 4);
    std::memcpy(bytes.data(), values.data(), bytes.size());
    add(name, DType::kF32, shape, bytes);
  }
  void add_bf16(const std::string& name, Shape shape, const std::vector<float>& values) {
    std::vector<uint8_t> bytes(values.size() * 2);
    for (size_t i = 0; i < values.size(); ++i) {
      const uint16_t b = f32_to_bf16(values[i]);
      std::memcpy(bytes.data() + 2 * i, &b, 2);
    }
    add(name, DType::kBF16, shape, bytes);
  }
  Result<formats::Checkpoint> open(const std::string& groups, const std::string& extra = "") {
    formats::SafetensorsWriter writer;
    for (auto& [name, t] : tensors_) {
      EXPECT_TRUE(writer.add(name, t.dtype, t.shape, t.bytes).is_ok()) << name;
    }
    EXPECT_TRUE(writer.write(dir_ + "/model.safetensors").is_ok());
    std::ofstream(dir_ + "/config.json")
        << R"({"model_type": "qwen3", "quantization_config": )" + config_json(groups, extra) + "}";
    return open_checkpoint(dir_);
  }
  // The same tensors as a ModelOpt export of `algo`, its weights kept as stored.
  Result<QuantizedCheckpoint> keep_modelopt(const std::string& algo) {
    formats::SafetensorsWriter writer;
    for (auto& [name, t] : tensors_) {
      EXPECT_TRUE(writer.add(name, t.dtype, t.shape, t.bytes).is_ok()) << name;
    }
    EXPECT_TRUE(writer.write(dir_ + "/model.safetensors").is_ok());
    std::ofstream(dir_ + "/config.json") << R"({"quantization_config": {"quant_method": )"
                                          << R"("modelopt", "quant_algo": ")" << algo << R"("}})";
    return open_checkpoint_keeping_quantized(dir_);
  }
  struct Raw {
    DType dtype;
    Shape shape;
    std::vector<uint8_t> bytes;
  };
  std::string dir_;
  std::map<std::string, Raw> tensors_;
};

const std::string kFp8Linear = R"("g": {"targets": ["Linear"], )" + kFp8Group + "}";
const std::string kNvfp4Linear = R"("g": {"targets": ["Linear"], )" + kNvfp4Group + "}";

std::vector<float> floats(const formats::TensorEntry& e) {
  std::vector<float> out;
  for (int64_t i = 0; i < e.tensor.numel(); ++i) {
    uint16_t b;
    std::memcpy(&b, static_cast<const uint8_t*>(e.tensor.raw_data()) + 2 * i, 2);
    out.push_back(bf16_to_f32(b));
  }
  return out;
}

TEST_F(CtCheckpoint, DequantizesFp8PerChannelAndHidesScales) {
  // e4m3 0x38 = 1.0, 0x40 = 2.0, 0xC4 = -3.0, 0x30 = 0.5
  add("m.q.weight", DType::kFp8E4M3, {2, 2}, {0x38, 0x40, 0xC4, 0x30});
  add_bf16("m.q.weight_scale", {2, 1}, {0.25f, 3.0f});
  add_f32("m.q.input_scale", {1}, {0.5f});
  add_bf16("m.norm.weight", {2}, {1.0f, 1.0f});
  add_bf16("m.ignored.weight", {2, 2}, {1, 2, 3, 4});  // stored unquantized: kept as is
  auto ckpt = open(kFp8Linear);
  ASSERT_TRUE(ckpt.is_ok()) << ckpt.status().to_string();
  const formats::TensorEntry* w = ckpt->find("m.q.weight");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->dtype, DType::kBF16);  // the scale's dtype, as compressed-tensors returns it
  EXPECT_EQ(floats(*w), (std::vector<float>{0.25f, 0.5f, -9.0f, 1.5f}));
  EXPECT_EQ(ckpt->find("m.q.weight_scale"), nullptr);
  EXPECT_EQ(ckpt->find("m.q.input_scale"), nullptr);
  EXPECT_NE(ckpt->find("m.norm.weight"), nullptr);
  EXPECT_NE(ckpt->find("m.ignored.weight"), nullptr);
}

TEST_F(CtCheckpoint, DequantizesNvfp4LowNibbleFirstDividingByTheGlobalScale) {
  std::vector<uint8_t> packed(8, 0);
  packed[0] = 0x71;  // column 0: code 1 (0.5), column 1: code 7 (6)
  packed[1] = 0xA8;  // column 2: code 8 (-0), column 3: code 10 (-1)
  add("m.up.weight_packed", DType::kU8, {1, 8}, packed);
  add("m.up.weight_scale", DType::kFp8E4M3, {1, 1}, {0x40});  // 2.0
  add_f32("m.up.weight_global_scale", {1}, {4.0f});           // divides: block scale 0.5
  add_f32("m.up.input_global_scale", {1}, {100.0f});
  auto ckpt = open(kNvfp4Linear);
  ASSERT_TRUE(ckpt.is_ok()) << ckpt.status().to_string();
  const formats::TensorEntry* w = ckpt->find("m.up.weight");
  ASSERT_NE(w, nullptr);
  ASSERT_EQ(w->shape, Shape({1, 16}));
  const std::vector<float> got = floats(*w);
  EXPECT_EQ(got[0], 0.25f);
  EXPECT_EQ(got[1], 3.0f);
  EXPECT_TRUE(got[2] == 0.0f && std::signbit(got[2]));
  EXPECT_EQ(got[3], -0.5f);
  for (const char* hidden : {"m.up.weight_packed", "m.up.weight_scale", "m.up.weight_global_scale",
                             "m.up.input_global_scale"}) {
    EXPECT_EQ(ckpt->find(hidden), nullptr) << hidden;
  }
}

TEST_F(CtCheckpoint, Nvfp4GlobalScaleIsATrueF32Division) {
  // Found by search, confirmed with NVFP4PackedCompressor.decompress (compressed-tensors 0.20):
  // 1.5 * (0.017578125 / 2739.1208f) rounds to bf16 0x3722; multiplying by the f32 reciprocal
  // (ModelOpt's convention) would give 0x3721.
  std::vector<uint8_t> packed(8, 0);
  packed[0] = 0x03;  // column 0: code 3 (1.5)
  add("m.up.weight_packed", DType::kU8, {1, 8}, packed);
  add("m.up.weight_scale", DType::kFp8E4M3, {1, 1}, {0x09});  // 0.017578125 (subnormal)
  const uint32_t global_bits = 0x452b31ef;                    // 2739.1208
  std::vector<uint8_t> global(4);
  std::memcpy(global.data(), &global_bits, 4);
  add("m.up.weight_global_scale", DType::kF32, {1}, global);
  auto ckpt = open(kNvfp4Linear);
  ASSERT_TRUE(ckpt.is_ok()) << ckpt.status().to_string();
  uint16_t got;
  std::memcpy(&got, ckpt->find("m.up.weight")->tensor.raw_data(), 2);
  EXPECT_EQ(got, 0x3722);
}

TEST_F(CtCheckpoint, KvCacheScalesAreHiddenOnlyWithAKvCacheScheme) {
  add("m.q.weight", DType::kFp8E4M3, {1, 1}, {0x38});
  add_bf16("m.q.weight_scale", {1, 1}, {1.0f});
  add_f32("m.attn.k_scale", {1}, {0.1f});
  add_f32("m.attn.v_scale", {1}, {0.2f});
  auto with = open(kFp8Linear, R"(, "kv_cache_scheme": {"num_bits": 8, "type": "float",
                                   "strategy": "tensor", "dynamic": false})");
  ASSERT_TRUE(with.is_ok()) << with.status().to_string();
  EXPECT_EQ(with->find("m.attn.k_scale"), nullptr);
  EXPECT_EQ(with->find("m.attn.v_scale"), nullptr);
  auto without = open(kFp8Linear);  // then they are the model's to accept or reject
  ASSERT_TRUE(without.is_ok());
  EXPECT_NE(without->find("m.attn.k_scale"), nullptr);
}

void expect_error(const Result<formats::Checkpoint>& r, StatusCode code,
                  const std::vector<std::string>& says) {
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), code) << r.status().to_string();
  for (const std::string& s : says) EXPECT_THAT(r.status().message(), HasSubstr(s));
}

TEST_F(CtCheckpoint, MissingWeightScaleNamesTheTensor) {
  add("m.q.weight", DType::kFp8E4M3, {2, 2}, {0x38, 0x40, 0xC4, 0x30});
  expect_error(open(kFp8Linear), StatusCode::kInvalidArgument,
               {"m.q.weight_scale is missing", "config group g"});
}

TEST_F(CtCheckpoint, WrongScaleShapeNamesTheTensor) {
  add("m.q.weight", DType::kFp8E4M3, {2, 2}, {0x38, 0x40, 0xC4, 0x30});
  add_bf16("m.q.weight_scale", {1, 2}, {1.0f, 1.0f});
  expect_error(open(kFp8Linear), StatusCode::kInvalidArgument,
               {"m.q.weight_scale", "[2, 1]", "strategy channel"});
}

TEST_F(CtCheckpoint, Nvfp4ProblemsAreAllReportedAtOnce) {
  add("a.weight_packed", DType::kU8, {1, 8}, std::vector<uint8_t>(8));
  add("a.weight_scale", DType::kFp8E4M3, {1, 1}, {0x40});  // no global scale
  add("b.weight_packed", DType::kU8, {1, 8}, std::vector<uint8_t>(8));
  add("b.weight_scale", DType::kFp8E4M3, {1, 2}, {0x40, 0x40});  // K/16 = 1 block, not 2
  add_f32("b.weight_global_scale", {1}, {1.0f});
  expect_error(open(kNvfp4Linear), StatusCode::kInvalidArgument,
               {"a.weight_global_scale is missing", "b.weight_scale: want F8_E4M3 [1, 1]"});
}

TEST_F(CtCheckpoint, QuantizedButUntargetedModule) {
  add("lm_head.weight", DType::kFp8E4M3, {1, 1}, {0x38});
  add_bf16("lm_head.weight_scale", {1}, {1.0f});
  expect_error(open(kFp8Linear, R"(, "ignore": ["lm_head"])"), StatusCode::kInvalidArgument,
               {"lm_head holds quantized weights, but no config group"});
}

TEST_F(CtCheckpoint, UnsupportedFormatsAreNamed) {
  add("m.q.weight_packed", DType::kI32, {2, 1}, std::vector<uint8_t>(8));
  add_bf16("m.q.weight_scale", {2, 1}, {1.0f, 1.0f});
  add("m.q.weight_shape", DType::kI64, {2}, std::vector<uint8_t>(16));
  expect_error(open(R"("g": {"targets": ["Linear"], "format": "pack-quantized",
                    "weights": {"num_bits": 4, "type": "int", "strategy": "group",
                    "group_size": 128}})"),
               StatusCode::kUnsupported, {"format \"pack-quantized\" is not supported"});
}

TEST_F(CtCheckpoint, UnsupportedFp8StrategyAndAsymmetry) {
  add("m.q.weight", DType::kFp8E4M3, {2, 2}, {0x38, 0x40, 0xC4, 0x30});
  add_bf16("m.q.weight_scale", {1, 1}, {1.0f});
  expect_error(open(R"("g": {"targets": ["Linear"], "format": "float-quantized",
                    "weights": {"num_bits": 8, "type": "float", "strategy": "block",
                    "block_structure": [128, 128]}})"),
               StatusCode::kUnsupported, {"strategy \"block\""});
  expect_error(open(R"("g": {"targets": ["Linear"], "format": "float-quantized",
                    "weights": {"num_bits": 8, "type": "float", "strategy": "tensor",
                    "symmetric": false}})"),
               StatusCode::kUnsupported, {"asymmetric"});
}

// ModelOpt's exports kept as stored: per-tensor FP8 scales become row scales, the scale and
// static input-scale tensors are hidden, the weight is a placeholder of its logical shape,
// and dequantize_stored gives ModelOpt's values.
TEST_F(CtCheckpoint, KeepsModelOptFp8AndNvfp4AsStored) {
  add("m.q.weight", DType::kFp8E4M3, {2, 2}, {0x38, 0x40, 0xC4, 0x30});  // 1, 2, -3, 0.5
  add_f32("m.q.weight_scale", Shape(std::vector<int64_t>{}), {0.5f});
  add_f32("m.q.input_scale", Shape(std::vector<int64_t>{}), {0.1f});
  add_bf16("m.norm.weight", {2}, {1.0f, 1.0f});
  auto fp8 = keep_modelopt("FP8");
  ASSERT_TRUE(fp8.is_ok()) << fp8.status().to_string();
  const StoredLinear* q = fp8->find("m.q.weight");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->precision, QuantPrecision::kFp8);
  EXPECT_EQ(q->row_scales, (std::vector<float>{0.5f, 0.5f}));
  const formats::TensorEntry* placeholder = fp8->checkpoint.find("m.q.weight");
  ASSERT_NE(placeholder, nullptr);
  EXPECT_FALSE(placeholder->tensor.defined());
  EXPECT_EQ(placeholder->shape, Shape({2, 2}));
  for (const char* hidden : {"m.q.weight_scale", "m.q.input_scale"}) {
    EXPECT_EQ(fp8->checkpoint.find(hidden), nullptr) << hidden;
  }
  EXPECT_NE(fp8->checkpoint.find("m.norm.weight"), nullptr);
  auto w = dequantize_stored(*q);
  ASSERT_TRUE(w.is_ok());
  formats::TensorEntry as_entry{.name = "w", .dtype = DType::kBF16, .shape = w->shape(),
                                .file = "", .tensor = *w, .mapping = nullptr};
  EXPECT_EQ(floats(as_entry), (std::vector<float>{0.5f, 1.0f, -1.5f, 0.25f}));

  tensors_.clear();
  std::vector<uint8_t> packed(16, 0);  // [2, 16] codes, two a byte
  packed[0] = 0x71;                    // row 0: columns 0 and 1 are codes 1 (0.5) and 7 (6)
  packed[8] = 0x0A;                    // row 1: column 0 is code 0xA (-1)
  add("m.q.weight", DType::kU8, {2, 8}, packed);
  add("m.q.weight_scale", DType::kFp8E4M3, {2, 1}, {0x40, 0x38});  // block scales 2 and 1
  add_f32("m.q.weight_scale_2", Shape(std::vector<int64_t>{}), {0.25f});
  add_f32("m.q.input_scale", Shape(std::vector<int64_t>{}), {0.1f});
  auto nvfp4 = keep_modelopt("NVFP4");
  ASSERT_TRUE(nvfp4.is_ok()) << nvfp4.status().to_string();
  q = nvfp4->find("m.q.weight");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->precision, QuantPrecision::kNvfp4);
  EXPECT_EQ(q->cols, 16);
  EXPECT_EQ(q->global_scale, 0.25f);
  EXPECT_FALSE(q->global_divides);
  EXPECT_EQ(q->global_multiplier(), 0.25f);
  EXPECT_EQ(nvfp4->checkpoint.find("m.q.weight_scale_2"), nullptr);
  EXPECT_EQ(nvfp4->checkpoint.find("m.q.input_scale"), nullptr);
  const std::vector<float> f32 = dequantize_stored_f32(*q);
  EXPECT_EQ(f32[0], 0.5f * 2 * 0.25f);
  EXPECT_EQ(f32[1], 6.0f * 2 * 0.25f);
  EXPECT_EQ(f32[16], -1.0f * 1 * 0.25f);
  EXPECT_EQ(f32[17], 0.0f);
}

TEST_F(CtCheckpoint, OtherQuantMethodsNameBothSupportedOnes) {
  add_bf16("m.norm.weight", {2}, {1.0f, 1.0f});
  formats::SafetensorsWriter writer;
  ASSERT_TRUE(writer.add("x", DType::kF32, {1}, std::vector<uint8_t>(4)).is_ok());
  ASSERT_TRUE(writer.write(dir_ + "/model.safetensors").is_ok());
  std::ofstream(dir_ + "/config.json") << R"({"quantization_config": {"quant_method": "awq"}})";
  auto r = open_checkpoint(dir_);
  expect_error(r, StatusCode::kUnsupported, {"\"awq\"", "compressed-tensors"});
}

}  // namespace
}  // namespace fourbrain::quant
