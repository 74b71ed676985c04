#!/usr/bin/env python3
"""all-MiniLM-L6-v2 throughput: fourbrain (CLI and server) vs sentence-transformers, one run.

Texts: the 1,200 sentences of tests/data/minilm (this machine's text, several languages,
natural mixed lengths: 3-150 tokens). Each figure is the best of --repeat runs.

  fourbrain CLI      build/fourbrain embed --model DIR --input FILE --precision P --timing
                     --repeat R   (ragged batches of up to 8,192 tokens)
  fourbrain server   build/fourbrain serve on a repository with the model at precision P
                     and max_batch_size --max-batch-size (256);
                     --clients threads each POST KServe v2 requests of --per-request texts
                     (JSON) until all are embedded; wall time of the whole set
  sentence-transformers  SentenceTransformer(DIR, device="cpu").encode(texts, batch_size=32)
                     in float32, torch threads = nproc (its default)

Run with a Python that has torch and sentence-transformers (tools/requirements-tools.txt):
  /work/venv-dev/bin/python tools/bench/bench_minilm.py [--model DIR] [--out FILE.json]
"""
import argparse
import concurrent.futures
import json
import lzma
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_MODEL = os.path.expanduser("~/.cache/fourbrain/models/all-MiniLM-L6-v2")


def sentences():
    with lzma.open(os.path.join(ROOT, "tests/data/minilm/sentences.txt.xz"), "rt") as f:
        return [l.rstrip("\n") for l in f][:1000]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(model, path, precision, repeat):
    out = subprocess.run([os.path.join(ROOT, "build/fourbrain"), "embed", "--model", model,
                          "--input", path, "--precision", precision, "--timing", "--repeat",
                          str(repeat)], capture_output=True, text=True, check=True)
    return float(re.search(r"embed_s=([0-9.]+)", out.stderr).group(1))


def server(model, texts, precision, clients, per_request, repeat, max_batch_size):
    repo = tempfile.mkdtemp(prefix="fb_minilm_")
    os.makedirs(os.path.join(repo, "minilm"))
    with open(os.path.join(repo, "minilm", "config.pbtxt"), "w") as f:
        f.write(f'backend: "fourbrain"\nmax_batch_size: {max_batch_size}\ndynamic_batching {{ }}\n'
                'parameters { key: "task" value: { string_value: "embedding" } }\n'
                f'parameters {{ key: "checkpoint" value: {{ string_value: "{model}" }} }}\n'
                f'parameters {{ key: "precision" value: {{ string_value: "{precision}" }} }}\n')
    port = free_port()
    proc = subprocess.Popen([os.path.join(ROOT, "build/fourbrain"), "serve", "--model-repository",
                             repo, "--http-port", str(port), "--allow-metrics", "false"],
                            stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                urllib.request.urlopen(url + "/v2/health/ready", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        chunks = [texts[i:i + per_request] for i in range(0, len(texts), per_request)]

        def post(chunk):
            body = json.dumps({"inputs": [{"name": "text", "datatype": "BYTES",
                                           "shape": [len(chunk), 1], "data": chunk}]}).encode()
            req = urllib.request.Request(url + "/v2/models/minilm/infer", data=body)
            with urllib.request.urlopen(req, timeout=300) as r:
                reply = json.loads(r.read())
            assert reply["outputs"][0]["shape"] == [len(chunk), 384]

        best = None
        for _ in range(repeat + 1):  # the first pass warms the server up
            t0 = time.perf_counter()
            with concurrent.futures.ThreadPoolExecutor(clients) as pool:
                list(pool.map(post, chunks))
            dt = time.perf_counter() - t0
            best = dt if best is None else min(best, dt)
        return best
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


def sentence_transformers(model, texts, repeat):
    import torch
    from sentence_transformers import SentenceTransformer
    st = SentenceTransformer(model, device="cpu")
    st.encode(texts[:64], batch_size=32)
    best = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        st.encode(texts, batch_size=32)
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    return best, torch.__version__, torch.get_num_threads()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default=DEFAULT_MODEL)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--per-request", type=int, default=32)
    p.add_argument("--max-batch-size", type=int, default=256, help="server config")
    p.add_argument("--out")
    a = p.parse_args()
    texts = sentences()
    path = os.path.join(tempfile.mkdtemp(), "texts.txt")
    with open(path, "w") as f:
        f.write("\n".join(texts) + "\n")
    results = {}
    st_s, torch_version, torch_threads = sentence_transformers(a.model, texts, a.repeat)
    results["sentence-transformers f32"] = st_s
    for precision in ("f32", "bf16"):
        results[f"fourbrain CLI {precision}"] = cli(a.model, path, precision, a.repeat)
        results[f"fourbrain server {precision}"] = server(a.model, texts, precision, a.clients,
                                                          a.per_request, a.repeat,
                                                          a.max_batch_size)
    print(f"{len(texts)} sentences; torch {torch_version}, {torch_threads} threads; "
          f"nproc {os.cpu_count()}; server: {a.clients} clients x {a.per_request} texts/request, "
          f"max_batch_size {a.max_batch_size}")
    print("| what | seconds | sentences/s | vs sentence-transformers |")
    print("|---|---|---|---|")
    for name, secs in results.items():
        print(f"| {name} | {secs:.3f} | {len(texts) / secs:,.0f} | {st_s / secs:.2f}x |")
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"sentences": len(texts), "seconds": results, "torch": torch_version,
                       "torch_threads": torch_threads}, f, indent=1)


if __name__ == "__main__":
    main()
