#!/usr/bin/env python3
"""A random-weight checkpoint with the real Qwen3-Embedding-8B shapes (36 layers, hidden 4096,
32/8 heads, intermediate 12288, vocab 151,665, bf16, ~15 GiB), written shard by shard so it
fits in this machine's memory; for timing `fourbrain quantize` on an 8B-shaped model.

  /work/venv-dev/bin/python tools/quant/make_random_qwen3.py OUT_DIR [--layers 36]
"""
import argparse
import json
import os

import torch
from safetensors.torch import save_file

H, I, HEADS, KV, D, VOCAB = 4096, 12288, 32, 8, 128, 151665


def layer_tensors(i):
    p = f"layers.{i}."
    shapes = {"self_attn.q_proj.weight": (HEADS * D, H), "self_attn.k_proj.weight": (KV * D, H),
              "self_attn.v_proj.weight": (KV * D, H), "self_attn.o_proj.weight": (H, HEADS * D),
              "mlp.gate_proj.weight": (I, H), "mlp.up_proj.weight": (I, H),
              "mlp.down_proj.weight": (H, I)}
    t = {p + k: (torch.randn(s) * 0.02).to(torch.bfloat16) for k, s in shapes.items()}
    for k in ("input_layernorm.weight", "post_attention_layernorm.weight"):
        t[p + k] = torch.ones(H, dtype=torch.bfloat16)
    for k in ("self_attn.q_norm.weight", "self_attn.k_norm.weight"):
        t[p + k] = torch.ones(D, dtype=torch.bfloat16)
    return t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--layers", type=int, default=36)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(0)
    weight_map = {}
    starts = list(range(0, args.layers, 6))
    n_shards = 1 + len(starts)
    for shard in range(1, n_shards + 1):
        if shard == 1:  # the embeddings and the final norm
            tensors = {"embed_tokens.weight": (torch.randn(VOCAB, H) * 0.02).to(torch.bfloat16),
                       "norm.weight": torch.ones(H, dtype=torch.bfloat16)}
        else:
            tensors = {}
            start = starts[shard - 2]
            for i in range(start, min(start + 6, args.layers)):
                tensors.update(layer_tensors(i))
        name = f"model-{shard:05d}-of-{n_shards:05d}.safetensors"
        save_file(tensors, os.path.join(args.out, name), metadata={"format": "pt"})
        weight_map.update({k: name for k in tensors})
        print("wrote", name, flush=True)
        del tensors
    with open(os.path.join(args.out, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {}, "weight_map": weight_map}, f)
    config = {"architectures": ["Qwen3Model"], "model_type": "qwen3", "hidden_size": H,
              "intermediate_size": I, "num_hidden_layers": args.layers,
              "num_attention_heads": HEADS, "num_key_value_heads": KV, "head_dim": D,
              "vocab_size": VOCAB, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0,
              "max_position_embeddings": 32768, "tie_word_embeddings": False,
              "torch_dtype": "bfloat16", "hidden_act": "silu"}
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)


if __name__ == "__main__":
    main()
