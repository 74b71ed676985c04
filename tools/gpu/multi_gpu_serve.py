#!/usr/bin/env python3
"""Serves one model per GPU from one fourbrain process and drives both at once.

Run on a host with two GPUs (tools/gpu/run_gpu_checks.sh multigpu does the set-up):
  1. makes a random-weight Qwen3-Embedding-0.6B-shaped checkpoint (transformers, bf16);
  2. writes a model repository with `embed_gpu0` (instance_group KIND_GPU gpus [0], count 2)
     and `embed_gpu1` (gpus [1], count 2) on that checkpoint, and starts `fourbrain serve`;
  3. sends KServe v2 JSON requests (16 texts each) from client threads for a fixed time:
     first to embed_gpu0 alone, then to both models at once; reports texts/s, per-GPU
     memory and utilisation (nvidia-smi) and whether both GPUs give the same embeddings.
Prints one JSON report (also written to --out).
"""
import argparse
import json
import os
import random
import subprocess
import threading
import time
import urllib.request

QWEN3_06B = dict(hidden_size=1024, num_hidden_layers=28, num_attention_heads=16,
                 num_key_value_heads=8, intermediate_size=3072, vocab_size=151669,
                 head_dim=128, rope_theta=1000000.0, rms_norm_eps=1e-6,
                 max_position_embeddings=32768, tie_word_embeddings=True)


def make_checkpoint(path, tokenizer_dir):
    if os.path.exists(os.path.join(path, "config.json")):
        return
    import torch
    from transformers import Qwen3Config, Qwen3Model
    torch.manual_seed(0)
    torch.set_default_dtype(torch.bfloat16)
    with torch.device("cuda:0"):
        model = Qwen3Model(Qwen3Config(architectures=["Qwen3Model"], **QWEN3_06B))
    model.save_pretrained(path, safe_serialization=True)
    for name in os.listdir(tokenizer_dir):
        with open(os.path.join(tokenizer_dir, name), "rb") as src, \
                open(os.path.join(path, name), "wb") as dst:
            dst.write(src.read())


def write_repository(repo, checkpoint):
    for name, gpu in (("embed_gpu0", 0), ("embed_gpu1", 1)):
        os.makedirs(os.path.join(repo, name), exist_ok=True)
        with open(os.path.join(repo, name, "config.pbtxt"), "w") as f:
            f.write(f'backend: "fourbrain"\nmax_batch_size: 64\n'
                    f'instance_group {{ kind: KIND_GPU count: 2 gpus: [ {gpu} ] }}\n'
                    f'dynamic_batching {{ max_queue_delay_microseconds: 1000 }}\n'
                    f'parameters {{ key: "task" value: {{ string_value: "embedding" }} }}\n'
                    f'parameters {{ key: "max_batch_tokens" value: {{ string_value: "16384" }} }}\n'
                    f'parameters {{ key: "checkpoint" value: {{ string_value: "{checkpoint}" }} }}\n')


def http(port, path, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.status, r.read()


def infer(port, model, texts):
    body = json.dumps({"inputs": [{"name": "text", "datatype": "BYTES",
                                   "shape": [len(texts), 1], "data": texts}]}).encode()
    _, data = http(port, f"/v2/models/{model}/infer", body)
    out = json.loads(data)["outputs"][0]
    width = out["shape"][1]
    return [out["data"][i * width:(i + 1) * width] for i in range(len(texts))]


def smi():
    q = subprocess.run(["nvidia-smi", "--query-gpu=index,memory.used,utilization.gpu",
                        "--format=csv,noheader,nounits"], capture_output=True, text=True)
    return [[int(x) for x in line.split(",")] for line in q.stdout.strip().splitlines()]


def drive(port, models, seconds, threads_per_model, texts):
    counts = {m: 0 for m in models}
    errors = []
    lock = threading.Lock()
    stop = time.time() + seconds

    def client(model, seed):
        rng = random.Random(seed)
        while time.time() < stop:
            batch = rng.sample(texts, 16)
            try:
                infer(port, model, batch)
                with lock:
                    counts[model] += len(batch)
            except Exception as exc:  # recorded, the run goes on
                errors.append(f"{model}: {exc}")
    threads = [threading.Thread(target=client, args=(m, i)) for m in models
               for i in range(threads_per_model)]
    samples = []
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        samples.append(smi())
        time.sleep(0.5)
    for t in threads:
        t.join()
    peak_util = [max(s[g][2] for s in samples) for g in range(len(samples[0]))] if samples else []
    return {"texts_per_s": {m: c / seconds for m, c in counts.items()},
            "peak_gpu_util_pct": peak_util, "errors": errors[:5], "n_errors": len(errors)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fourbrain", required=True)
    ap.add_argument("--tokenizer-dir", required=True)
    ap.add_argument("--workdir", default="/tmp/fb-multigpu")
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--out")
    args = ap.parse_args()
    ckpt = os.path.join(args.workdir, "qwen3-0.6b-random")
    repo = os.path.join(args.workdir, "repo")
    make_checkpoint(ckpt, args.tokenizer_dir)
    write_repository(repo, ckpt)
    report = {"gpus_before": smi()}
    server = subprocess.Popen([args.fourbrain, "serve", "--model-repository", repo,
                               "--http-port", "8000", "--metrics-port", "8002"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 180
        while time.time() < deadline:
            try:
                if http(8000, "/v2/health/ready")[0] == 200:
                    break
            except Exception:
                time.sleep(0.5)
        report["index"] = json.loads(http(8000, "/v2/repository/index", b"{}")[1])
        report["gpus_loaded"] = smi()
        words = "retrieval augmented generation embeds documents and queries alike".split()
        rng = random.Random(0)
        texts = [" ".join(rng.choice(words) for _ in range(150)) for _ in range(256)]
        a, b = infer(8000, "embed_gpu0", texts[:4]), infer(8000, "embed_gpu1", texts[:4])
        report["same_embeddings_on_both_gpus_max_abs_diff"] = max(
            abs(x - y) for ra, rb in zip(a, b) for x, y in zip(ra, rb))
        report["gpu0_alone"] = drive(8000, ["embed_gpu0"], args.seconds, 4, texts)
        report["both_gpus"] = drive(8000, ["embed_gpu0", "embed_gpu1"], args.seconds, 4, texts)
        metrics = http(8002, "/metrics")[1].decode()
        report["memory_metrics"] = [l for l in metrics.splitlines()
                                    if l.startswith("fourbrain_model_memory_bytes")]
    finally:
        server.terminate()
        _, err = server.communicate(timeout=60)
        report["server_exit"] = server.returncode
        report["server_log_tail"] = err[-1500:]
    text = json.dumps(report, indent=1)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
