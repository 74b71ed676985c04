#!/usr/bin/env python3
"""Golden values for fourbrain's FP8 (E4M3) and NVFP4 (E2M1 + E4M3 block scales) conversions,
computed by the reference implementations: PyTorch's float8_e4m3fn cast and NVIDIA
TensorRT Model Optimizer's NVFP4QTensor (the ModelOpt export fourbrain writes).

Writes tests/data/quant/golden.json (small; committed). Needs torch and nvidia-modelopt
(pip install nvidia-modelopt --no-deps, plus the few modules it imports); CPU only:
  /work/venv-dev/bin/python tools/quant/make_quant_golden.py
"""
import json
import math
import os
import struct

import torch
from modelopt.torch.quantization.qtensor.nvfp4_tensor import NVFP4QTensor

OUT = os.path.join(os.path.dirname(__file__), "../../tests/data/quant/golden.json")


def f32_bits(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]


def e4m3_inputs():
    """Every finite E4M3 value, the midpoints between neighbours (ties), values just beside
    them, the saturation region, tiny values, and the specials."""
    codes = torch.arange(256, dtype=torch.uint8).view(torch.float8_e4m3fn).float()
    finite = sorted({float(v) for v in codes if not math.isnan(float(v)) and v >= 0})
    xs = set(finite)
    for a, b in zip(finite, finite[1:]):
        mid = (a + b) / 2
        xs.update([mid, math.nextafter(mid, 0), math.nextafter(mid, math.inf)])
    xs.update([448.0, 450.0, 463.99, 464.0, 464.01, 470.0, 479.99, 480.0, 500.0, 1e6, math.inf,
               2.0 ** -10, 2.0 ** -11, 3 * 2.0 ** -11, 1e-30, 0.1, 1 / 3, math.pi, 300.7])
    values = sorted(xs) + [-x for x in sorted(xs)] + [math.nan, -0.0]
    return [v for v in values if not (isinstance(v, float) and math.isnan(v))] + [math.nan]


def e4m3_golden():
    inputs = e4m3_inputs()
    t = torch.tensor(inputs, dtype=torch.float32)
    codes = t.to(torch.float8_e4m3fn).view(torch.uint8).tolist()
    decode = torch.arange(256, dtype=torch.uint8).view(torch.float8_e4m3fn).float().tolist()
    return {"encode": [[f32_bits(x), c] for x, c in zip(t.tolist(), codes)],
            "decode": [None if math.isnan(v) else v for v in decode]}


def e2m1_golden():
    grid = [i / 64 for i in range(0, 64 * 7)] + [0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0, 6.0, 7.0,
                                                  100.0, 1e-9, math.inf]
    values = grid + [-x for x in grid] + [-0.0]
    t = torch.tensor(values, dtype=torch.float32)
    codes = NVFP4QTensor._cast_fp4(t.clone()).tolist()
    return [[f32_bits(x), c] for x, c in zip(t.tolist(), codes)]


def nvfp4_case(name, weight):
    q, scale, scale_2 = NVFP4QTensor.quantize(weight, 16)
    deq = q.dequantize(dtype=torch.float32, scale=scale, double_scale=scale_2, block_sizes={-1: 16})
    return {"name": name, "dtype": str(weight.dtype).split(".")[-1], "shape": list(weight.shape),
            "weight_bits": weight.contiguous().view(
                torch.int16 if weight.dtype == torch.bfloat16 else torch.int32).flatten().tolist(),
            "packed": q._quantized_data.flatten().tolist(),
            "block_scale": scale.view(torch.uint8).flatten().tolist(),
            "scale_2_bits": f32_bits(float(scale_2)),
            "dequantized": deq.flatten().tolist()}


def fp8_case(name, weight, per_channel):
    w = weight.float()
    amax = w.abs().amax(dim=1, keepdim=True) if per_channel else w.abs().amax()
    scale = amax / 448.0
    # ModelOpt's to_quantized_weight: (weight / scale).to(float8_e4m3fn), no clamp.
    q = (weight / scale).to(torch.float8_e4m3fn)
    return {"name": name, "shape": list(weight.shape), "per_channel": per_channel,
            "weight_bits": weight.contiguous().view(torch.int16).flatten().tolist(),
            "codes": q.view(torch.uint8).flatten().tolist(),
            "scale_bits": [f32_bits(float(s)) for s in scale.flatten()]}


def main():
    torch.manual_seed(0)
    w = (torch.randn(8, 64) * 0.05).to(torch.bfloat16)
    w[1, 16:32] = 0  # an all-zero block: its scale becomes 1.0 before the cast
    w[2, 3] = 4.0    # an outlier that sets the global scale
    w[3, :16] = 1e-6  # a block whose scale underflows below 2^-9 (clamped)
    w32 = torch.randn(4, 32) * 3
    golden = {
        "source": "torch " + torch.__version__ + ", nvidia-modelopt NVFP4QTensor",
        "e4m3": e4m3_golden(),
        "e2m1": e2m1_golden(),
        "nvfp4": [nvfp4_case("bf16 with zero block, outlier, tiny block", w),
                  nvfp4_case("f32", w32)],
        "fp8": [fp8_case("per tensor", w, False), fp8_case("per channel", w, True)],
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(golden, f, separators=(",", ":"))
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
