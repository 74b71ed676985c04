#!/usr/bin/env python3
"""Single-thread tokenizer throughput: fourbrain's C++ tokenizer against HF `tokenizers`.

Encodes every line of the committed corpus (tests/data/tokenizer_corpus.txt.xz) with the
Qwen3-Embedding tokenizer (add_special_tokens=True), a few passes each, best pass counted:
  ours            build/src/formats/tokenizer_bench (Tokenizer::encode per line)
  HF encode       Tokenizer.encode per line from Python (includes Python call overhead)
  HF encode_batch one call over all lines, with RAYON_NUM_THREADS=1 (Rust only, 1 thread)
and prints tokens/s, MB/s and our speed-up over each ("ours is N x" = their time / ours).
Token counts must agree.

Usage: bench_tokenizer.py TESTDATA_DIR [--build-dir build] [--repeat 5]
(TESTDATA_DIR as written by generate_testdata.sh; needs `tokenizers`.)
"""
import os

# Before `tokenizers` is imported: its thread pool reads these once.
os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

import argparse  # noqa: E402
import json  # noqa: E402
import lzma  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from tokenizers import Tokenizer  # noqa: E402


def best_of(repeat, fn):
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("testdata_dir")
    ap.add_argument("--build-dir", default=os.path.join(root, "build"))
    ap.add_argument("--corpus", default=os.path.join(root, "tests/data/tokenizer_corpus.txt.xz"))
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    tok_dir = os.path.join(args.testdata_dir, "qwen3-embedding")
    with lzma.open(args.corpus, "rb") as f:
        data = f.read()
    lines = data.decode("utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()

    with tempfile.NamedTemporaryFile(suffix=".txt") as corpus:
        corpus.write(data)
        corpus.flush()
        out = subprocess.run([os.path.join(args.build_dir, "src/formats/tokenizer_bench"),
                              tok_dir, corpus.name, "--repeat", str(args.repeat)],
                             check=True, capture_output=True, text=True).stdout
    ours = json.loads(out)

    hf = Tokenizer.from_file(os.path.join(tok_dir, "tokenizer.json"))
    t_encode, n_encode = best_of(args.repeat, lambda: sum(len(hf.encode(s).ids) for s in lines))
    t_batch, n_batch = best_of(args.repeat,
                               lambda: sum(len(e.ids) for e in hf.encode_batch(lines)))
    if not ours["tokens"] == n_encode == n_batch:
        raise SystemExit(f"token counts differ: ours {ours['tokens']}, HF {n_encode}/{n_batch}")

    n_bytes = len(data)
    rows = [("fourbrain Tokenizer::encode", ours["best_s"]),
            ("HF tokenizers encode (Python loop)", t_encode),
            ("HF tokenizers encode_batch, 1 thread", t_batch)]
    print(f"corpus: {len(lines)} lines, {n_bytes / 1e6:.2f} MB, {n_encode} tokens; "
          f"best of {args.repeat} passes, single thread")
    print(f"{'':40} {'tokens/s':>12} {'MB/s':>8} {'ours is':>8}")
    for name, t in rows:
        print(f"{name:40} {n_encode / t:12,.0f} {n_bytes / t / 1e6:8.2f} "
              f"{t / ours['best_s']:7.1f}x")
    print(f"(ours, first pass with a cold word cache: {n_encode / ours['first_s']:,.0f} tokens/s)")


if __name__ == "__main__":
    main()
