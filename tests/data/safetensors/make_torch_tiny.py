"""Writes torch_tiny.safetensors, read by src/formats/safetensors_test.cc.

A file made by the reference writer (the Python `safetensors` package, from torch tensors),
so the C++ reader is checked against the real format, not only against our own writer.
Values are arange-based so the test can state them. Run: python make_torch_tiny.py
"""
import torch
from safetensors.torch import save_file

tensors = {
    "bf16": (torch.arange(6, dtype=torch.float32) * 0.5 - 1).to(torch.bfloat16).reshape(2, 3),
    "f16": (torch.arange(4, dtype=torch.float32) * 0.25).to(torch.float16),
    "f32": torch.arange(3, dtype=torch.float32).reshape(3, 1) / 3,
    "i64": torch.tensor([-1, 0, 1 << 40], dtype=torch.int64),
    "u8": torch.tensor([[0, 255]], dtype=torch.uint8),
    "fp8": torch.tensor([1.0, -2.0, 0.5], dtype=torch.float32).to(torch.float8_e4m3fn),
    "scalar": torch.tensor(7.0, dtype=torch.float32),
    "empty": torch.zeros(0, 4, dtype=torch.bfloat16),
}
save_file(tensors, "torch_tiny.safetensors", metadata={"format": "pt"})
