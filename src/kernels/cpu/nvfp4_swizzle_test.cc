// The swizzled NVFP4 scale layout against PyTorch's reshape/permute of the same scales
// (tools/quant/make_nvfp4_swizzle_golden.py -> tests/data/quant/nvfp4_swizzle_golden.txt).
#include "kernels/cpu/nvfp4_swizzle.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

namespace fourbrain::kernels::cpu {
namespace {

struct GoldenCase {
  int64_t rows = 0, cols = 0;
  std::vector<uint8_t> scales, swizzled;
};

std::vector<uint8_t> from_hex(const std::string& hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::vector<GoldenCase> golden_cases() {
  std::ifstream in(std::string(FOURBRAIN_SOURCE_DIR) +
                   "/tests/data/quant/nvfp4_swizzle_golden.txt");
  std::vector<GoldenCase> cases;
  std::string word, scales, swizzled;
  GoldenCase c;
  while (in >> word >> c.rows >> c.cols >> scales >> swizzled) {
    if (word != "case") break;
    c.scales = from_hex(scales);
    c.swizzled = from_hex(swizzled);
    cases.push_back(c);
  }
  return cases;
}

TEST(Nvfp4Swizzle, MatchesPyTorchReshapePermute) {
  const std::vector<GoldenCase> cases = golden_cases();
  ASSERT_EQ(cases.size(), 5u) << "tests/data/quant/nvfp4_swizzle_golden.txt unreadable";
  bool ragged_rows = false, ragged_cols = false;
  for (const GoldenCase& c : cases) {
    SCOPED_TRACE("rows " + std::to_string(c.rows) + ", scale columns " + std::to_string(c.cols));
    ASSERT_EQ(c.scales.size(), static_cast<size_t>(c.rows * c.cols));
    ASSERT_EQ(nvfp4_swizzled_scales_bytes(c.rows, c.cols), static_cast<int64_t>(c.swizzled.size()));
    EXPECT_EQ(swizzle_nvfp4_scales(c.scales.data(), c.rows, c.cols), c.swizzled);
    for (int64_t r = 0; r < c.rows; ++r) {
      for (int64_t col = 0; col < c.cols; ++col) {
        ASSERT_EQ(c.swizzled[static_cast<size_t>(nvfp4_swizzled_scale_offset(r, col, c.cols))],
                  c.scales[static_cast<size_t>(r * c.cols + col)]);
      }
    }
    ragged_rows |= c.rows % 128 != 0;
    ragged_cols |= c.cols % 4 != 0;
  }
  EXPECT_TRUE(ragged_rows && ragged_cols) << "the golden must pad rows and columns";
}

TEST(Nvfp4Swizzle, PadsToWholeTiles) {
  EXPECT_EQ(nvfp4_swizzled_scales_bytes(1, 1), 512);
  EXPECT_EQ(nvfp4_swizzled_scales_bytes(129, 5), 256 * 8);
  EXPECT_EQ(nvfp4_swizzled_scales_bytes(0, 4), 0);
  // The second 128-row block starts after all column tiles of the first.
  EXPECT_EQ(nvfp4_swizzled_scale_offset(128, 0, 8), 2 * 512);
  EXPECT_EQ(nvfp4_swizzled_scale_offset(33, 5, 8), 512 + 1 * 16 + 1 * 4 + 1);
}

}  // namespace
}  // namespace fourbrain::kernels::cpu
