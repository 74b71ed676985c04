#include "kernels/cpu/nvfp4_swizzle.h"

#include <cstddef>

namespace fourbrain::kernels::cpu {
namespace {

constexpr int64_t kTileRows = 128, kTileCols = 4, kTileBytes = kTileRows * kTileCols;

int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

}  // namespace

int64_t nvfp4_swizzled_scales_bytes(int64_t rows, int64_t scale_cols) {
  return round_up(rows, kTileRows) * round_up(scale_cols, kTileCols);
}

int64_t nvfp4_swizzled_scale_offset(int64_t row, int64_t col, int64_t scale_cols) {
  const int64_t col_tiles = round_up(scale_cols, kTileCols) / kTileCols;
  const int64_t tile = (row / kTileRows) * col_tiles + col / kTileCols;
  return tile * kTileBytes + (row % 32) * 16 + (row / 32 % 4) * 4 + col % kTileCols;
}

std::vector<uint8_t> swizzle_nvfp4_scales(const uint8_t* scales, int64_t rows, int64_t scale_cols) {
  std::vector<uint8_t> out(static_cast<size_t>(nvfp4_swizzled_scales_bytes(rows, scale_cols)), 0);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < scale_cols; ++c) {
      out[static_cast<size_t>(nvfp4_swizzled_scale_offset(r, c, scale_cols))] =
          scales[r * scale_cols + c];
    }
  }
  return out;
}

}  // namespace fourbrain::kernels::cpu
