#include "core/tensor.h"

#include <gtest/gtest.h>

#include <cmath>

namespace fourbrain {
namespace {

TEST(DTypeTest, Bf16RoundsToNearestEven) {
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3f80);
  // 1 + 2^-8 is exactly half-way between two bf16 values: ties go to even (1.0).
  EXPECT_EQ(f32_to_bf16(1.00390625f), 0x3f80);
  // 1 + 3*2^-8 ties to the even neighbour above.
  EXPECT_EQ(f32_to_bf16(1.01171875f), 0x3f82);
  EXPECT_EQ(bf16_to_f32(0x3fc0), 1.5f);
  EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(NAN))));
}

TEST(DTypeTest, F16RoundTripsAndHandlesSubnormals) {
  EXPECT_EQ(f32_to_f16(1.0f), 0x3c00);
  EXPECT_EQ(f16_to_f32(0x3c00), 1.0f);
  EXPECT_EQ(f16_to_f32(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -24)), 0x0001);
  EXPECT_EQ(f32_to_f16(65504.0f), 0x7bff);
  EXPECT_EQ(f32_to_f16(1e6f), 0x7c00);
  EXPECT_EQ(f16_to_f32(0xc000), -2.0f);
  for (uint32_t h = 0; h < 0x7c00; ++h) {
    ASSERT_EQ(f32_to_f16(f16_to_f32(static_cast<uint16_t>(h))), h);
  }
}

TEST(TensorTest, AllocatorCountsExactBytes) {
  size_t before = host_allocator().live_bytes();
  {
    auto t = Tensor::zeros(DType::kBF16, {3, 5});
    ASSERT_TRUE(t.is_ok());
    EXPECT_EQ(t->nbytes(), 30u);
    EXPECT_EQ(host_allocator().live_bytes(), before + 30);
    Tensor rows = t->slice_rows(1, 3);
    EXPECT_EQ(rows.shape(), Shape({2, 5}));
    EXPECT_EQ(rows.data<uint16_t>(), t->data<uint16_t>() + 5);
  }
  EXPECT_EQ(host_allocator().live_bytes(), before);
}

}  // namespace
}  // namespace fourbrain
