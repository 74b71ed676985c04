"""Times PyTorch CPU at the shapes ops_bench uses, for a same-machine comparison.

Linear: y = x @ w.t() in f32 and bf16 (as transformers' nn.Linear runs them).
Attention: F.scaled_dot_product_attention on a padded [32, 16, L, 128] batch with GQA
(8 kv heads, expanded like transformers' repeat_kv), causal and not, f32 and bf16.
Reports the best of several runs (the machine's cores may be shared) in ms and GFLOP/s.

    python src/ops/bench/torch_matmul.py [--threads 2]
"""
import argparse
import time

import torch
import torch.nn.functional as F


def best_ms(fn, reps=7, warmup=2):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times) * 1e3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    with torch.inference_mode():
        for dtype in (torch.float32, torch.bfloat16):
            for m, n, k in ((4096, 4096, 1024), (4096, 6144, 1024), (4096, 1024, 3072),
                            (4096, 1024, 2048), (512, 6144, 1024)):
                x = torch.randn(m, k, dtype=dtype)
                w = torch.randn(n, k, dtype=dtype)
                ms = best_ms(lambda: x @ w.t())
                print(f"linear {str(dtype):15s} m={m} n={n} k={k}: {ms:8.2f} ms "
                      f"{2 * m * n * k / ms / 1e6:8.1f} GFLOP/s")
        for dtype in (torch.float32, torch.bfloat16):
            for length in (128, 512):
                for causal in (True, False):
                    q = torch.randn(32, 16, length, 128, dtype=dtype)
                    k = torch.randn(32, 8, length, 128, dtype=dtype)
                    v = torch.randn(32, 8, length, 128, dtype=dtype)

                    def run():
                        kk = k.repeat_interleave(2, dim=1)
                        vv = v.repeat_interleave(2, dim=1)
                        return F.scaled_dot_product_attention(q, kk, vv, is_causal=causal)

                    ms = best_ms(run, reps=5)
                    pairs = length * (length + 1) / 2 if causal else length * length
                    flops = 4.0 * 128 * 16 * 32 * pairs
                    print(f"attention {str(dtype):15s} 32 x {length} causal={causal}: "
                          f"{ms:8.2f} ms {flops / ms / 1e6:8.1f} GFLOP/s")


if __name__ == "__main__":
    main()
