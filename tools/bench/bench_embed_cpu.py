#!/usr/bin/env python3
"""CPU embedding throughput: `fourbrain embed` against HuggingFace transformers, same run.

Makes (once, cached in --work) a random-weight checkpoint with the real Qwen3-Embedding-0.6B
shape (bf16, 28 layers, hidden 1024) and its tokenizer, then times two workloads:
  mixed   32 texts of 16..512 tokens (uniform random, fixed seed)
  uniform 32 texts of 128 tokens
For each: transformers (PyTorch CPU, sdpa, the card's left-padded batch, float32 and
bfloat16), and fourbrain (--precision f32 and bf16). Tokens/s counts real tokens (no pads),
end to end (tokenize + forward + pool + normalise), best of --repeat runs after a warm-up.
Also the peak RSS of fourbrain against the checkpoint's weight bytes.

Usage: .venv-tools/bin/python tools/bench/bench_embed_cpu.py --fourbrain build/fourbrain
"""
import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time

import torch
import torch.nn.functional as F
from tokenizers import processors
from transformers import AutoModel, AutoTokenizer, Qwen3Config, Qwen3Model

EOS = 151643


def make_checkpoint(path, tokenizer_files):
    if os.path.exists(os.path.join(path, "model.safetensors")):
        return
    cfg = Qwen3Config(vocab_size=151669, hidden_size=1024, intermediate_size=3072,
                      num_hidden_layers=28, num_attention_heads=16, num_key_value_heads=8,
                      head_dim=128, rms_norm_eps=1e-6, rope_theta=1000000.0,
                      max_position_embeddings=32768, tie_word_embeddings=True)
    torch.manual_seed(0)
    model = Qwen3Model(cfg).to(torch.bfloat16)
    model.save_pretrained(path, safe_serialization=True)
    tok = AutoTokenizer.from_pretrained(tokenizer_files)
    tok.backend_tokenizer.post_processor = processors.TemplateProcessing(
        single="$A:0 <|endoftext|>:0", pair="$A:0 <|endoftext|>:0 $B:1 <|endoftext|>:1",
        special_tokens=[("<|endoftext|>", EOS)])
    tok.save_pretrained(path)


def make_texts(tok, lengths, seed):
    """Texts whose tokenization (EOS included) has about the given lengths."""
    rng = random.Random(seed)
    words = [w for w in open("/usr/share/common-licenses/GPL-3").read().split() if w.isalpha()]
    texts = []
    for n in lengths:
        ids = tok(" ".join(rng.choice(words) for _ in range(n)), add_special_tokens=False)["input_ids"]
        texts.append(tok.decode(ids[: n - 1]))
    return texts


def bench_transformers(path, texts, dtype, repeat):
    tok = AutoTokenizer.from_pretrained(path, padding_side="left")
    model = AutoModel.from_pretrained(path, dtype=dtype, attn_implementation="sdpa").eval()

    def run():
        batch = tok(texts, padding=True, truncation=True, max_length=8192, return_tensors="pt")
        with torch.no_grad():
            hidden = model(**batch).last_hidden_state
        pooled = F.normalize(hidden[:, -1].float(), p=2, dim=1)
        return int(batch["attention_mask"].sum()), pooled

    tokens, _ = run()  # warm-up
    best = min(timed(run) for _ in range(repeat))
    return tokens / best


def timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def bench_fourbrain(binary, path, texts, precision, repeat, threads):
    with open("/tmp/fb_bench_texts.txt", "w") as f:
        f.write("\n".join(t.replace("\n", " ") for t in texts) + "\n")
    cmd = ["/usr/bin/time", "-f", "maxrss_kb=%M", binary, "embed", "--model", path,
           "--input", "/tmp/fb_bench_texts.txt", "--precision", precision, "--timing",
           "--repeat", str(repeat + 1), "--threads", str(threads)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    stats = dict(kv.split("=") for line in out.stderr.splitlines() for kv in line.split()
                 if "=" in kv)
    return float(stats["tokens_per_s"]), int(stats["maxrss_kb"]) * 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fourbrain", default="build/fourbrain")
    ap.add_argument("--work", default="/tmp/fb-bench-qwen3-0.6b")
    ap.add_argument("--tokenizer-files", default="../shared/qwen2-tokenizer")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    make_checkpoint(args.work, args.tokenizer_files)
    tok = AutoTokenizer.from_pretrained(args.work)
    rng = random.Random(1)
    workloads = {"mixed 32 x 16..512": make_texts(tok, [rng.randint(16, 512) for _ in range(32)], 2),
                 "uniform 32 x 128": make_texts(tok, [128] * 32, 3)}
    weight_bytes = os.path.getsize(os.path.join(args.work, "model.safetensors"))
    rows = []
    for name, texts in workloads.items():
        hf32 = bench_transformers(args.work, texts, torch.float32, args.repeat)
        hf16 = bench_transformers(args.work, texts, torch.bfloat16, args.repeat)
        fb32, rss32 = bench_fourbrain(args.fourbrain, args.work, texts, "f32", args.repeat, args.threads)
        fb16, rss16 = bench_fourbrain(args.fourbrain, args.work, texts, "bf16", args.repeat, args.threads)
        rows.append(dict(workload=name, hf_f32=hf32, hf_bf16=hf16, fb_f32=fb32, fb_bf16=fb16,
                         rss_f32=rss32, rss_bf16=rss16))
    print(f"threads={args.threads} torch={torch.__version__} weights={weight_bytes / 2**30:.2f} GiB")
    print("| workload | transformers f32 tok/s | transformers bf16 tok/s | fourbrain f32 tok/s | "
          "fourbrain bf16 tok/s | fb f32 / hf f32 | fb bf16 / hf bf16 | fb best / hf best | "
          "fb peak RSS f32 / bf16 (x weights) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        best_fb, best_hf = max(r["fb_f32"], r["fb_bf16"]), max(r["hf_f32"], r["hf_bf16"])
        print(f"| {r['workload']} | {r['hf_f32']:.0f} | {r['hf_bf16']:.0f} | {r['fb_f32']:.0f} | "
              f"{r['fb_bf16']:.0f} | {r['fb_f32'] / r['hf_f32']:.2f} | {r['fb_bf16'] / r['hf_bf16']:.2f} | "
              f"{best_fb / best_hf:.2f} | {r['rss_f32'] / 2**30:.2f} / {r['rss_bf16'] / 2**30:.2f} GiB "
              f"({r['rss_f32'] / weight_bytes:.2f} / {r['rss_bf16'] / weight_bytes:.2f}) |")


if __name__ == "__main__":
    main()
