// The FP8 / NVFP4 conversions and weight quantizers against golden values computed by
// PyTorch (float8_e4m3fn casts) and TensorRT Model Optimizer (NVFP4QTensor), written by
// tools/quant/make_quant_golden.py into tests/data/quant/golden.json: every bit must match.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <string>

#include "core/dtype.h"
#include "formats/json.h"
#include "quant/fp_formats.h"
#include "quant/weight_quantizers.h"

namespace fourbrain::quant {
namespace {

formats::JsonValue golden() {
  static const formats::JsonValue g = [] {
    auto parsed = formats::JsonValue::parse_file(std::string(FOURBRAIN_SOURCE_DIR) +
                                                 "/tests/data/quant/golden.json");
    EXPECT_TRUE(parsed.is_ok()) << parsed.status().to_string();
    return *parsed;
  }();
  return g;
}

float from_bits(int64_t bits) { return std::bit_cast<float>(static_cast<uint32_t>(bits)); }

TEST(E4m3, EncodesEveryProbeAsPyTorch) {
  const formats::JsonValue cases = *golden().find("e4m3")->find("encode");
  ASSERT_GT(cases.size(), 1000u);
  for (size_t i = 0; i < cases.size(); ++i) {
    const float x = from_bits(cases.at(i).at(0).as_int());
    const auto want = static_cast<uint8_t>(cases.at(i).at(1).as_int());
    ASSERT_EQ(f32_to_e4m3(x), want) << "x = " << x << " (bits " << cases.at(i).at(0).as_int()
                                    << ")";
  }
}

TEST(E4m3, DecodesEveryCodeAsPyTorch) {
  const formats::JsonValue decode = *golden().find("e4m3")->find("decode");
  ASSERT_EQ(decode.size(), 256u);
  for (int code = 0; code < 256; ++code) {
    const float got = e4m3_to_f32(static_cast<uint8_t>(code));
    if (decode.at(code).is_null()) {
      EXPECT_TRUE(std::isnan(got)) << "code " << code;
    } else {
      EXPECT_EQ(got, static_cast<float>(decode.at(code).as_double())) << "code " << code;
    }
  }
}

TEST(E2m1, RoundsEveryProbeAsModelOpt) {
  const formats::JsonValue cases = *golden().find("e2m1");
  for (size_t i = 0; i < cases.size(); ++i) {
    const float x = from_bits(cases.at(i).at(0).as_int());
    ASSERT_EQ(f32_to_e2m1(x), cases.at(i).at(1).as_int()) << "x = " << x;
  }
  EXPECT_EQ(e2m1_to_f32(0x7), 6.0f);
  EXPECT_EQ(e2m1_to_f32(0x9), -0.5f);
}

std::vector<float> weight_of(const formats::JsonValue& c) {
  const formats::JsonValue bits = *c.find("weight_bits");
  const bool bf16 = !c.find("dtype") || c.find("dtype")->as_string() == "bfloat16";
  std::vector<float> w(bits.size());
  for (size_t i = 0; i < w.size(); ++i) {
    const int64_t b = bits.at(i).as_int();
    w[i] = bf16 ? bf16_to_f32(static_cast<uint16_t>(b)) : from_bits(b);
  }
  return w;
}

TEST(Nvfp4, QuantizesBitExactlyAsModelOpt) {
  const formats::JsonValue cases = *golden().find("nvfp4");
  for (size_t i = 0; i < cases.size(); ++i) {
    const formats::JsonValue c = cases.at(i);
    SCOPED_TRACE(std::string(c.find("name")->as_string()));
    const std::vector<float> w = weight_of(c);
    const int64_t rows = c.find("shape")->at(0).as_int(), cols = c.find("shape")->at(1).as_int();
    auto q = quantize_nvfp4(w.data(), rows, cols);
    ASSERT_TRUE(q.is_ok());
    EXPECT_EQ(std::bit_cast<uint32_t>(q->scale_2),
              static_cast<uint32_t>(c.find("scale_2_bits")->as_int()));
    const formats::JsonValue scales = *c.find("block_scale"), packed = *c.find("packed");
    ASSERT_EQ(q->block_scale.size(), scales.size());
    for (size_t j = 0; j < scales.size(); ++j) {
      ASSERT_EQ(q->block_scale[j], scales.at(j).as_int()) << "block " << j;
    }
    ASSERT_EQ(q->packed.size(), packed.size());
    for (size_t j = 0; j < packed.size(); ++j) {
      ASSERT_EQ(q->packed[j], packed.at(j).as_int()) << "byte " << j;
    }
    std::vector<float> deq(w.size());
    dequantize_nvfp4(*q, deq.data());
    const formats::JsonValue want = *c.find("dequantized");
    for (size_t j = 0; j < deq.size(); ++j) {
      ASSERT_EQ(deq[j], static_cast<float>(want.at(j).as_double())) << "element " << j;
    }
  }
  std::vector<float> odd(20);
  EXPECT_EQ(quantize_nvfp4(odd.data(), 1, 20).status().code(), StatusCode::kInvalidArgument);
}

TEST(Fp8, QuantizesBitExactlyAsTorchCasts) {
  const formats::JsonValue cases = *golden().find("fp8");
  for (size_t i = 0; i < cases.size(); ++i) {
    const formats::JsonValue c = cases.at(i);
    SCOPED_TRACE(std::string(c.find("name")->as_string()));
    const std::vector<float> w = weight_of(c);
    const int64_t rows = c.find("shape")->at(0).as_int(), cols = c.find("shape")->at(1).as_int();
    const Fp8Weight q = quantize_fp8(w.data(), rows, cols, c.find("per_channel")->as_bool(),
                                     /*from_bf16=*/true);
    const formats::JsonValue scales = *c.find("scale_bits"), codes = *c.find("codes");
    ASSERT_EQ(q.scales.size(), scales.size());
    for (size_t j = 0; j < scales.size(); ++j) {
      EXPECT_EQ(std::bit_cast<uint32_t>(q.scales[j]), static_cast<uint32_t>(scales.at(j).as_int()));
    }
    for (size_t j = 0; j < codes.size(); ++j) {
      ASSERT_EQ(q.codes[j], codes.at(j).as_int()) << "element " << j;
    }
    // Dequantized values stay within half an E4M3 step (2^-4 relative) of the weight.
    std::vector<float> deq(w.size());
    dequantize_fp8(q, deq.data());
    for (size_t j = 0; j < deq.size(); ++j) {
      EXPECT_LE(std::fabs(deq[j] - w[j]), std::fabs(w[j]) / 16 + 1e-6f) << "element " << j;
    }
  }
}

}  // namespace
}  // namespace fourbrain::quant
