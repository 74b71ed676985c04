"""Times transformers' Qwen3 decoder layers (random weights, Qwen3-Embedding-0.6B shapes) on
CPU, for comparison with ops_bench's BM_Qwen3Layer.

A Qwen3Model with 2 and with 4 layers runs on 32 x L token ids (attention mask of ones,
sdpa attention, causal); half the difference of the two times is one layer's cost, free of
the embedding and final norm. Best of several runs.

    python src/ops/bench/torch_layer.py [--threads 2] [--lengths 128 512]
"""
import argparse
import time

import torch
from transformers import Qwen3Config, Qwen3Model


def best_ms(fn, reps=5):
    fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times) * 1e3


def model(layers, dtype):
    config = Qwen3Config(vocab_size=151669, hidden_size=1024, intermediate_size=3072,
                         num_hidden_layers=layers, num_attention_heads=16,
                         num_key_value_heads=8, head_dim=128, rope_theta=1e6,
                         max_position_embeddings=32768, tie_word_embeddings=True)
    config._attn_implementation = "sdpa"
    return Qwen3Model(config).to(dtype).eval()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--lengths", type=int, nargs="+", default=[128, 512])
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    import transformers
    print(f"torch {torch.__version__}, transformers {transformers.__version__}, "
          f"{torch.get_num_threads()} threads")
    with torch.inference_mode():
        for dtype in (torch.float32, torch.bfloat16):
            models = {n: model(n, dtype) for n in (2, 4)}
            for length in args.lengths:
                ids = torch.randint(0, 151669, (32, length))
                mask = torch.ones_like(ids)
                t = {n: best_ms(lambda m=m: m(input_ids=ids, attention_mask=mask)) for n, m in
                     models.items()}
                layer = (t[4] - t[2]) / 2
                print(f"{str(dtype):15s} 32 x {length}: {layer:8.1f} ms/layer "
                      f"{32 * length / layer * 1e3:9.0f} tokens/s (2 layers {t[2]:.0f} ms, "
                      f"4 layers {t[4]:.0f} ms)")


if __name__ == "__main__":
    main()
