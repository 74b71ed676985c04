#!/usr/bin/env python3
"""Golden values for kernels/cpu/nvfp4_swizzle.h: NVFP4 block scales (e4m3 [rows, k / 16],
ModelOpt's row-major layout) in the swizzled layout of cuBLASLt's VEC16_UE4M3 scale mode,
computed with PyTorch the way vLLM's swizzle_blockscale does it: pad rows to 128 and scale
columns to 4 with zeros, reshape to (rows / 128, 4, 32, cols / 4, 4), permute (0, 3, 2, 1, 4).

Writes tests/data/quant/nvfp4_swizzle_golden.txt (small; committed), one case per three
lines: "case ROWS COLS", the input bytes row-major in hex, the swizzled bytes in hex.
Needs torch; CPU only, deterministic:
  python3 tools/quant/make_nvfp4_swizzle_golden.py
"""
import os

import torch

OUT = os.path.join(os.path.dirname(__file__), "../../tests/data/quant/nvfp4_swizzle_golden.txt")
# One exact tile; several tiles both ways; rows not a multiple of 128 with columns not a
# multiple of 4; a single scale; more rows than one tile with a few columns.
CASES = [(128, 4), (256, 8), (200, 6), (1, 1), (300, 3)]


def swizzle(scales):
    rows, cols = scales.shape
    padded_rows, padded_cols = -(-rows // 128) * 128, -(-cols // 4) * 4
    padded = torch.zeros((padded_rows, padded_cols), dtype=torch.uint8)
    padded[:rows, :cols] = scales
    tiles = padded.reshape(padded_rows // 128, 4, 32, padded_cols // 4, 4)
    return tiles.permute(0, 3, 2, 1, 4).contiguous().flatten()


def main():
    gen = torch.Generator().manual_seed(16)
    lines = []
    for rows, cols in CASES:
        # Non-zero bytes, so that a scale landing in the padding cannot pass for zero fill.
        scales = torch.randint(1, 256, (rows, cols), generator=gen, dtype=torch.int32)
        scales = scales.to(torch.uint8)
        lines += [f"case {rows} {cols}", bytes(scales.flatten().tolist()).hex(),
                  bytes(swizzle(scales).tolist()).hex()]
    with open(OUT, "w", encoding="ascii") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
