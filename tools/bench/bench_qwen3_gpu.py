#!/usr/bin/env python3
"""GPU benchmark: `fourbrain bench` against HuggingFace transformers and sentence-transformers.

What it measures, on one CUDA card, in one run:
  1. The card's dense bf16 GEMM rate (torch.matmul 8192^3, 3 warm-ups, 10 timed, CUDA events).
  2. Random-weight checkpoints with the real Qwen3 shapes (weights do not change the speed),
     made here with transformers on the GPU and saved as bf16 safetensors:
       0.6b  Qwen3-Embedding-0.6B  (1024 x 28, 16/8 heads, MLP 3072, vocab 151669, tied)
       4b    Qwen3-Embedding-4B    (2560 x 36, 32/8 heads, MLP 9728, vocab 151665, tied)
       8b    Qwen3-Embedding-8B    (4096 x 36, 32/8 heads, MLP 12288, vocab 151665, untied)
       rerank-0.6b  Qwen3-Reranker-0.6B (as 0.6b, Qwen3ForCausalLM)
  3. Token-id workloads (numpy RNG seed 0, ids uniform in [0, 151000)):
       64x512          64 sequences of 512 tokens            (embedding shapes)
       64xmixed        64 sequences of 16..2048 tokens        (0.6b and 8b)
       1x32            1 sequence of 32 tokens (latency)      (embedding shapes)
       rerank-100x256  100 sequences of 256 tokens            (rerank-0.6b)
  4. transformers as its users run it: bf16, sdpa, the whole workload as one left-padded batch
     (Qwen3-Embedding's and Qwen3-Reranker's official usage), last-token pooling + L2 normalise,
     or the reranker's full-vocabulary logits[:, -1, :] -> log_softmax over [no, yes] -> exp.
     Each timed run goes from the token ids on the host (a list of CPU tensors; padding is
     included) to the result on the host. Median and min of --iters runs after 2 warm-ups,
     torch.cuda.max_memory_allocated over the timed runs.
  5. sentence-transformers (embedding shapes, 64x512): the Qwen3-Embedding ST layout
     (last-token pooling, Normalize, max_seq_length 512), encode(64 texts, batch_size=64).
     Its time INCLUDES tokenization of the texts (decoded from the workload ids).
  6. `fourbrain bench` (token ids in, no tokenization), with the card-reported memory
     (nvidia-smi memory.used, sampled every 0.2 s) while it runs.
  7. A summary: speed-ups (peer ms / fourbrain ms) and fourbrain's achieved TFLOP/s
     (2 * non-embedding params * tokens / time; attention score FLOPs not counted) against
     the measured GEMM rate.

Reproduce (GPU machine: torch with CUDA, transformers 5.x, sentence-transformers, safetensors;
no network needed):
  python3 tools/bench/bench_qwen3_gpu.py --fourbrain devpkg/fourbrain \\
      --tokenizer-dir devpkg/qwen3-tokenizer --workdir /tmp/fbbench --out $OUT/bench.json \\
      [--shapes 0.6b,4b,8b,rerank-0.6b] [--iters 5] [--skip-hf] [--skip-st] [--device-index 0]

Partial check without a GPU (tiny shape, CPU, float32, no GEMM rate, no nvidia-smi):
  python3 tools/bench/bench_qwen3_gpu.py --cpu-smoke --fourbrain /nonexistent \\
      --tokenizer-dir ../shared/qwen2-tokenizer --workdir /tmp/fbbench-smoke --out /tmp/fbbench-smoke.json
"""
import argparse
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time

import numpy as np
import torch
import torch.nn.functional as F

YES_ID = 9693
NO_ID = 2152
PAD_ID = 151643  # <|endoftext|>, the pad token of the Qwen3 tokenizers
MAX_RANDOM_ID = 151000
MAX_BATCH_TOKENS = 65536

# name: hidden, layers, heads, kv_heads, intermediate, vocab, tied, reranker, head_dim
SHAPES = {
    "0.6b": dict(hidden=1024, layers=28, heads=16, kv=8, inter=3072, vocab=151669, tied=True,
                 rerank=False, head_dim=128),
    "4b": dict(hidden=2560, layers=36, heads=32, kv=8, inter=9728, vocab=151665, tied=True,
               rerank=False, head_dim=128),
    "8b": dict(hidden=4096, layers=36, heads=32, kv=8, inter=12288, vocab=151665, tied=False,
               rerank=False, head_dim=128),
    "rerank-0.6b": dict(hidden=1024, layers=28, heads=16, kv=8, inter=3072, vocab=151669,
                        tied=True, rerank=True, head_dim=128),
}
SMOKE_SHAPES = {
    "tiny": dict(hidden=64, layers=2, heads=4, kv=2, inter=128, vocab=151669, tied=True,
                 rerank=False, head_dim=16),
    "tiny-rerank": dict(hidden=64, layers=2, heads=4, kv=2, inter=128, vocab=151669, tied=True,
                        rerank=True, head_dim=16),
}

# workload name: (number of sequences, min length, max length), lengths uniform in [min, max]
WORKLOAD_SPECS = {
    "64x512": (64, 512, 512),
    "64xmixed": (64, 16, 2048),
    "1x32": (1, 32, 32),
    "rerank-100x256": (100, 256, 256),
    # --cpu-smoke only
    "2x16": (2, 16, 16),
    "1x8": (1, 8, 8),
    "rerank-2x16": (2, 16, 16),
}
WORKLOADS_FOR = {
    "0.6b": ["64x512", "64xmixed", "1x32"],
    "4b": ["64x512", "1x32"],
    "8b": ["64x512", "64xmixed", "1x32"],
    "rerank-0.6b": ["rerank-100x256"],
    "tiny": ["2x16", "1x8"],
    "tiny-rerank": ["rerank-2x16"],
}
ST_WORKLOAD = {"0.6b": "64x512", "4b": "64x512", "8b": "64x512", "tiny": "2x16"}
ST_MAX_SEQ_LENGTH = {"64x512": 512, "2x16": 16}
# batch size to fall back to when the whole workload as one batch runs out of GPU memory
OOM_FALLBACK_BATCH = {"rerank": 25, "embed": 16}

T0 = time.perf_counter()


def log(msg):
    print(f"[{time.perf_counter() - T0:7.1f}s] {msg}", flush=True)


def short_error(exc, limit=2000):
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= limit else text[:limit] + " ...[truncated]"


def oom_error_types():
    types = [getattr(torch, "OutOfMemoryError", None), getattr(torch.cuda, "OutOfMemoryError", None)]
    return tuple(t for t in types if t is not None)


class Env:
    """Where and in what precision the peers run."""

    def __init__(self, args):
        self.smoke = args.cpu_smoke
        if self.smoke:
            self.device = torch.device("cpu")
            self.dtype = torch.float32
            self.fb_device, self.fb_precision = "cpu", "f32"
        else:
            if not torch.cuda.is_available():
                sys.exit("no CUDA device visible to torch (use --cpu-smoke for a CPU check)")
            torch.cuda.set_device(args.device_index)
            self.device = torch.device(f"cuda:{args.device_index}")
            self.dtype = torch.bfloat16
            self.fb_device, self.fb_precision = f"cuda:{args.device_index}", args.fourbrain_precision
        self.device_index = args.device_index
        self.fb_extra = list(args.fourbrain_arg)

    @property
    def cuda(self):
        return self.device.type == "cuda"

    def sync(self):
        if self.cuda:
            torch.cuda.synchronize(self.device)

    def free(self):
        gc.collect()
        if self.cuda:
            torch.cuda.empty_cache()

    def dtype_name(self):
        return "bfloat16" if self.dtype == torch.bfloat16 else "float32"


def dtype_kwarg(dtype):
    """transformers >= 4.56 names it `dtype`; older ones `torch_dtype`."""
    import transformers
    major, minor = (int(x) for x in transformers.__version__.split(".")[:2])
    return {"dtype": dtype} if (major, minor) >= (4, 56) else {"torch_dtype": dtype}


# --------------------------------------------------------------------------------------------
# step 1: GEMM rate


def measure_gemm_rate(env, n=8192, warmup=3, iters=10):
    log(f"GEMM rate: bf16 matmul {n}x{n}x{n}, {warmup} warm-ups, {iters} timed")
    a = torch.randn(n, n, device=env.device, dtype=torch.bfloat16)
    b = torch.randn(n, n, device=env.device, dtype=torch.bfloat16)
    for _ in range(warmup):
        torch.matmul(a, b)
    env.sync()
    times = []
    for _ in range(iters):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        torch.matmul(a, b)
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    del a, b
    env.free()
    flops = 2.0 * n ** 3
    result = {"n": n, "ms": times, "ms_median": statistics.median(times), "ms_min": min(times),
              "tflops_median": flops / (statistics.median(times) / 1e3) / 1e12,
              "tflops_best": flops / (min(times) / 1e3) / 1e12}
    log(f"GEMM rate: {result['tflops_median']:.1f} TFLOP/s median, {result['tflops_best']:.1f} best")
    return result


# --------------------------------------------------------------------------------------------
# step 2: random-weight checkpoints


def qwen3_config(shape):
    from transformers import Qwen3Config
    return Qwen3Config(
        vocab_size=shape["vocab"], hidden_size=shape["hidden"], intermediate_size=shape["inter"],
        num_hidden_layers=shape["layers"], num_attention_heads=shape["heads"],
        num_key_value_heads=shape["kv"], head_dim=shape["head_dim"], hidden_act="silu",
        rms_norm_eps=1e-6, rope_theta=1000000.0, max_position_embeddings=32768,
        tie_word_embeddings=shape["tied"], attention_bias=False, initializer_range=0.02,
        use_sliding_window=False, bos_token_id=151643, eos_token_id=151643,
        architectures=["Qwen3ForCausalLM" if shape["rerank"] else "Qwen3Model"])


def n_non_embedding_params(shape):
    h, hd = shape["hidden"], shape["head_dim"]
    per_layer = (h * (shape["heads"] + 2 * shape["kv"]) * hd + shape["heads"] * hd * h
                 + 3 * h * shape["inter"])
    return shape["layers"] * per_layer


def copy_tokenizer_files(tokenizer_dir, dest):
    copied = []
    for name in sorted(os.listdir(tokenizer_dir)):
        src = os.path.join(tokenizer_dir, name)
        if os.path.isfile(src) and not os.path.exists(os.path.join(dest, name)):
            shutil.copy2(src, os.path.join(dest, name))
            copied.append(name)
    return copied


def make_checkpoint(env, name, shape, path, tokenizer_dir):
    """Random-weight Qwen3 checkpoint at `path`; skipped if it is already there."""
    have = os.path.exists(os.path.join(path, "config.json")) and any(
        f.endswith(".safetensors") for f in os.listdir(path))
    info = {"path": path, "created": not have}
    if not have:
        from transformers import Qwen3ForCausalLM, Qwen3Model
        log(f"[{name}] creating random-weight checkpoint in {path}")
        t = time.perf_counter()
        cfg = qwen3_config(shape)
        cls = Qwen3ForCausalLM if shape["rerank"] else Qwen3Model
        torch.manual_seed(0)
        previous = torch.get_default_dtype()
        torch.set_default_dtype(env.dtype)  # build directly in the target dtype
        try:
            with torch.device(env.device):
                model = cls(cfg)
        finally:
            torch.set_default_dtype(previous)
        model = model.to(env.dtype)
        os.makedirs(path, exist_ok=True)
        model.save_pretrained(path, safe_serialization=True)
        del model
        env.free()
        # write both the old and the new spelling of dtype and rope_theta
        with open(os.path.join(path, "config.json")) as f:
            config = json.load(f)
        config["torch_dtype"] = env.dtype_name()
        config["dtype"] = env.dtype_name()
        config["rope_theta"] = 1000000.0
        config["architectures"] = cfg.architectures
        with open(os.path.join(path, "config.json"), "w") as f:
            json.dump(config, f, indent=2)
        info["create_s"] = time.perf_counter() - t
        log(f"[{name}] saved in {info['create_s']:.1f} s")
    info["tokenizer_files_copied"] = copy_tokenizer_files(tokenizer_dir, path)
    info["safetensors_bytes"] = sum(os.path.getsize(os.path.join(path, f))
                                    for f in os.listdir(path) if f.endswith(".safetensors"))
    return info


# --------------------------------------------------------------------------------------------
# step 3: workloads


def make_sequences(workload):
    n, lo, hi = WORKLOAD_SPECS[workload]
    rng = np.random.default_rng(0)  # the same ids for every shape
    lengths = rng.integers(lo, hi + 1, size=n)
    return [rng.integers(0, MAX_RANDOM_ID, size=int(length)).tolist() for length in lengths]


def write_workloads(name, workdir):
    workloads = {w: make_sequences(w) for w in WORKLOADS_FOR[name]}
    path = os.path.join(workdir, f"workload_{name}.json")
    with open(path, "w") as f:
        json.dump({"workloads": [{"name": w, "sequences": s} for w, s in workloads.items()]}, f)
    return path, workloads


def workload_stats(seqs):
    lengths = [len(s) for s in seqs]
    return {"n_seqs": len(seqs), "n_tokens": sum(lengths), "max_len": max(lengths),
            "padded_tokens": len(seqs) * max(lengths)}


# --------------------------------------------------------------------------------------------
# timing helper (peers)


def time_runs(env, fn, warmup, iters):
    for _ in range(warmup):
        fn()
    env.sync()
    if env.cuda:
        torch.cuda.reset_peak_memory_stats(env.device)
    ms = []
    for _ in range(iters):
        env.sync()
        t = time.perf_counter()
        fn()
        env.sync()
        ms.append((time.perf_counter() - t) * 1e3)
    out = {"ms": ms, "ms_median": statistics.median(ms), "ms_min": min(ms)}
    if env.cuda:
        out["max_memory_allocated"] = torch.cuda.max_memory_allocated(env.device)
    return out


# --------------------------------------------------------------------------------------------
# step 4: HuggingFace transformers


def left_padded(seqs_cpu):
    """Left-padded [B, T] ids and attention mask on the host, the official Qwen3 layout."""
    width = max(int(s.numel()) for s in seqs_cpu)
    ids = torch.full((len(seqs_cpu), width), PAD_ID, dtype=torch.long)
    mask = torch.zeros((len(seqs_cpu), width), dtype=torch.long)
    for i, s in enumerate(seqs_cpu):
        ids[i, width - s.numel():] = s
        mask[i, width - s.numel():] = 1
    return ids, mask


def hf_embed_batch(model, device, seqs_cpu):
    ids, mask = left_padded(seqs_cpu)
    hidden = model(input_ids=ids.to(device), attention_mask=mask.to(device)).last_hidden_state
    return F.normalize(hidden[:, -1], p=2, dim=1).float().cpu()  # left padding: last position


def hf_rerank_batch(model, device, seqs_cpu):
    ids, mask = left_padded(seqs_cpu)
    logits = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits[:, -1, :]
    pair = torch.stack([logits[:, NO_ID], logits[:, YES_ID]], dim=1)
    return torch.nn.functional.log_softmax(pair, dim=1)[:, 1].exp().float().cpu()


# Shapes whose fourbrain outputs are checked against HF in float32 (fits in memory fast).
FIDELITY_SHAPES = ("0.6b", "rerank-0.6b")


def run_hf(env, name, shape, path, workloads, iters):
    from transformers import AutoModel, AutoModelForCausalLM
    cls = AutoModelForCausalLM if shape["rerank"] else AutoModel
    log(f"[{name}] transformers: loading {cls.__name__} from {path}")
    t = time.perf_counter()
    model = cls.from_pretrained(path, attn_implementation="sdpa", **dtype_kwarg(env.dtype))
    model = model.to(env.device).eval()
    load_s = time.perf_counter() - t
    # parameters() lists a tied weight once
    weight_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    result = {"class": type(model).__name__, "load_s": load_s, "weight_bytes": weight_bytes,
              "param_dtype": str(next(model.parameters()).dtype),
              "attn_implementation": getattr(model.config, "_attn_implementation", None),
              "timing_span": "host token ids (list of CPU tensors) -> left-padded batch -> GPU -> "
                             "forward -> pool/score -> result on host; padding included",
              "workloads": {}}
    step = hf_rerank_batch if shape["rerank"] else hf_embed_batch
    fallback = OOM_FALLBACK_BATCH["rerank" if shape["rerank"] else "embed"]
    for wname, seqs in workloads.items():
        seqs_cpu = [torch.tensor(s, dtype=torch.long) for s in seqs]
        entry = dict(workload_stats(seqs))
        batch = len(seqs_cpu)

        def run():
            with torch.inference_mode():
                return torch.cat([step(model, env.device, seqs_cpu[i:i + batch])
                                  for i in range(0, len(seqs_cpu), batch)])

        try:
            try:
                entry.update(time_runs(env, run, 2, iters))
            except oom_error_types() as exc:
                entry["oom_one_batch"] = short_error(exc, 300)
            if "oom_one_batch" in entry:  # outside the except block: its frames are gone
                log(f"[{name}] transformers {wname}: one batch ran out of memory; "
                    f"batches of {fallback}")
                env.free()
                batch = fallback
                entry.update(time_runs(env, run, 2, iters))
            entry["batch_size"] = batch
            entry["note"] = ("whole workload as one batch" if batch >= len(seqs_cpu)
                             else f"one batch ran out of memory: batches of {batch}")
            log(f"[{name}] transformers {wname}: median {entry['ms_median']:.2f} ms, "
                f"min {entry['ms_min']:.2f} ms, batch {batch}")
        except Exception as exc:  # record and go on
            entry["error"] = short_error(exc)
            log(f"[{name}] transformers {wname}: FAILED {entry['error'][:300]}")
        result["workloads"][wname] = entry
        env.free()
    del model
    env.free()
    return result


# --------------------------------------------------------------------------------------------
# step 5: sentence-transformers


def make_st_folder(ckpt, st_dir, hidden, max_seq_length):
    """The Qwen3-Embedding sentence-transformers layout, in a sibling folder whose model and
    tokenizer files are links to the checkpoint's (so fourbrain's folder is left as it is)."""
    os.makedirs(st_dir, exist_ok=True)
    for f in os.listdir(ckpt):
        src, dst = os.path.abspath(os.path.join(ckpt, f)), os.path.join(st_dir, f)
        if os.path.isfile(src) and not os.path.lexists(dst):
            os.symlink(src, dst)
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize",
         "type": "sentence_transformers.models.Normalize"},
    ]
    pooling = {"word_embedding_dimension": hidden, "pooling_mode_cls_token": False,
               "pooling_mode_mean_tokens": False, "pooling_mode_max_tokens": False,
               "pooling_mode_mean_sqrt_len_tokens": False,
               "pooling_mode_weightedmean_tokens": False, "pooling_mode_lasttoken": True,
               "include_prompt": True}
    os.makedirs(os.path.join(st_dir, "1_Pooling"), exist_ok=True)
    os.makedirs(os.path.join(st_dir, "2_Normalize"), exist_ok=True)
    files = {"modules.json": modules, "1_Pooling/config.json": pooling,
             "sentence_bert_config.json": {"max_seq_length": max_seq_length,
                                           "do_lower_case": False}}
    for rel, content in files.items():
        with open(os.path.join(st_dir, rel), "w") as f:
            json.dump(content, f, indent=2)


def st_texts(tokenizer, seqs):
    """Texts that tokenize to at least the workload's length: each workload sequence plus 50%
    more random ids, decoded; max_seq_length then truncates them."""
    rng = np.random.default_rng(1)
    texts = []
    for s in seqs:
        extra = rng.integers(0, MAX_RANDOM_ID, size=len(s) // 2 + 8).tolist()
        texts.append(tokenizer.decode(s + extra))
    return texts


def run_st(env, name, shape, path, workdir, wname, seqs, iters):
    from sentence_transformers import SentenceTransformer
    st_dir = os.path.join(workdir, f"{name}-st")
    max_len = ST_MAX_SEQ_LENGTH[wname]
    make_st_folder(path, st_dir, shape["hidden"], max_len)
    log(f"[{name}] sentence-transformers: loading {st_dir}")
    t = time.perf_counter()
    model = SentenceTransformer(st_dir, device=str(env.device), local_files_only=True,
                                model_kwargs={**dtype_kwarg(env.dtype), "attn_implementation": "sdpa"})
    model.tokenizer.padding_side = "left"
    load_s = time.perf_counter() - t
    texts = st_texts(model.tokenizer, seqs)
    features = (model.preprocess if hasattr(model, "preprocess") else model.tokenize)(texts)
    lengths = features["attention_mask"].sum(dim=1).tolist()
    result = {"workload": wname, "load_s": load_s, "max_seq_length": model.max_seq_length,
              "param_dtype": str(next(model.parameters()).dtype),
              "padding_side": model.tokenizer.padding_side,
              "modules": [type(m).__name__ for m in model],
              "n_seqs": len(texts), "n_tokens": int(sum(lengths)),
              "min_len": int(min(lengths)), "max_len": int(max(lengths)),
              "timing_span": "encode(texts, batch_size=64): INCLUDES tokenization; result on host "
                             "as numpy"}

    def run():
        return model.encode(texts, batch_size=64, convert_to_numpy=True, show_progress_bar=False)

    emb = run()
    result["output_shape"] = list(emb.shape)
    result.update(time_runs(env, run, 2, iters))
    log(f"[{name}] sentence-transformers {wname}: median {result['ms_median']:.2f} ms, "
        f"min {result['ms_min']:.2f} ms ({result['n_tokens']} tokens)")
    del model
    env.free()
    return result


# --------------------------------------------------------------------------------------------
# step 6: fourbrain


class GpuMemorySampler(threading.Thread):
    """Peak of nvidia-smi memory.used (MiB) on one card, every `period` seconds."""

    def __init__(self, index, period=0.2):
        super().__init__(daemon=True)
        self.index, self.period = index, period
        self.stop_event = threading.Event()
        self.peak, self.samples, self.errors = None, 0, []

    @staticmethod
    def query(index):
        out = subprocess.run(["nvidia-smi", f"--id={index}", "--query-gpu=memory.used",
                              "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=10)
        return int(out.stdout.strip().splitlines()[0])

    def run(self):
        while not self.stop_event.is_set():
            try:
                used = self.query(self.index)
                self.samples += 1
                self.peak = used if self.peak is None else max(self.peak, used)
            except Exception as exc:
                if len(self.errors) < 3:
                    self.errors.append(short_error(exc, 300))
            self.stop_event.wait(self.period)

    def stop(self):
        self.stop_event.set()
        self.join(timeout=15)


def parse_json_stdout(stdout):
    try:
        return json.loads(stdout)
    except ValueError:
        pass
    for line in reversed(stdout.splitlines()):  # the last line that is a JSON object
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    return None


def outputs_path(ckpt):
    return ckpt.rstrip("/") + "-fourbrain-outputs.json"


def run_fidelity(env, name, shape, path, workloads):
    """fourbrain's outputs for the first workload against HF transformers in float32 (the
    reference) and, for scale, HF's own bf16 run against the same reference."""
    from transformers import AutoModel, AutoModelForCausalLM
    with open(outputs_path(path)) as f:
        ours_all = json.load(f)
    wname = next(iter(workloads))
    seqs_cpu = [torch.tensor(s, dtype=torch.long) for s in workloads[wname]]
    cls = AutoModelForCausalLM if shape["rerank"] else AutoModel
    step = hf_rerank_batch if shape["rerank"] else hf_embed_batch
    results = {}
    for dtype in (torch.float32, torch.bfloat16):
        model = cls.from_pretrained(path, attn_implementation="sdpa", **dtype_kwarg(dtype))
        model = model.to(env.device).eval()
        with torch.inference_mode():
            results[dtype] = torch.cat([step(model, env.device, seqs_cpu[i:i + 16])
                                        for i in range(0, len(seqs_cpu), 16)]).double()
        del model
        env.free()
    ref, hf_bf16 = results[torch.float32], results[torch.bfloat16]
    ours = torch.tensor(ours_all[wname], dtype=torch.float64)
    if shape["rerank"]:
        ours = ours.reshape(-1)
        out = {"workload": wname, "metric": "max |score - reference|",
               "fourbrain": float((ours - ref).abs().max()), "fourbrain_precision": env.fb_precision,
               "transformers_bf16": float((hf_bf16 - ref).abs().max())}
    else:
        cos = lambda a: F.cosine_similarity(a, ref, dim=1)  # noqa: E731
        out = {"workload": wname, "metric": "min cosine to the reference",
               "fourbrain": float(cos(ours).min()), "fourbrain_precision": env.fb_precision,
               "transformers_bf16": float(cos(hf_bf16).min())}
    log(f"[{name}] fidelity vs transformers f32 ({out['metric']}, {wname}): fourbrain "
        f"{env.fb_precision} {out['fourbrain']:.6f}, transformers bf16 {out['transformers_bf16']:.6f}")
    return out


def run_fourbrain(env, name, shape, binary, path, workload_path, iters, timeout_s):
    task = "reranking" if shape["rerank"] else "embedding"
    cmd = [binary, "bench", "--model", path, "--task", task, "--device", env.fb_device,
           "--precision", env.fb_precision, "--workload", workload_path, "--warmup", "2",
           "--iters", str(iters), "--max-batch-tokens", str(MAX_BATCH_TOKENS),
           "--outputs", outputs_path(path)] + env.fb_extra
    log(f"[{name}] fourbrain: {' '.join(cmd)}")
    result = {"cmd": cmd}
    sampler = None
    if env.cuda:
        try:
            result["smi_used_mib_before"] = GpuMemorySampler.query(env.device_index)
        except Exception as exc:
            result["smi_error"] = short_error(exc, 300)
        sampler = GpuMemorySampler(env.device_index)
        sampler.start()
    t = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
        result["exit_code"] = proc.returncode
        result["stderr_tail"] = proc.stderr[-4000:]
        parsed = parse_json_stdout(proc.stdout) if proc.returncode == 0 else None
        if parsed is None:
            result["error"] = (f"exit code {proc.returncode}" if proc.returncode != 0
                               else "stdout has no JSON object")
            result["stdout_tail"] = proc.stdout[-4000:]
        else:
            result["output"] = parsed
    except subprocess.TimeoutExpired as exc:
        result["exit_code"] = None
        result["error"] = f"timed out after {timeout_s} s"
        result["stderr_tail"] = (exc.stderr or b"")[-4000:].decode("utf-8", "replace") \
            if isinstance(exc.stderr, bytes) else (exc.stderr or "")[-4000:]
    except OSError as exc:  # e.g. binary not found
        result["exit_code"] = None
        result["error"] = short_error(exc)
    result["wall_s"] = time.perf_counter() - t
    if sampler is not None:
        sampler.stop()
        result["smi_peak_used_mib"] = sampler.peak
        result["smi_samples"] = sampler.samples
        if sampler.errors:
            result["smi_errors"] = sampler.errors
        if sampler.peak is not None and result.get("smi_used_mib_before") is not None:
            result["smi_peak_minus_before_mib"] = sampler.peak - result["smi_used_mib_before"]
    if "error" in result:
        log(f"[{name}] fourbrain FAILED: {result['error']}; "
            f"stderr: {result.get('stderr_tail', '')[-500:].strip()}")
    else:
        for r in result["output"].get("results", []):
            log(f"[{name}] fourbrain {r.get('name')}: median {r.get('ms_median')} ms, "
                f"min {r.get('ms_min')} ms")
    return result


# --------------------------------------------------------------------------------------------
# step 8: summary


def fmt(x, spec=".2f"):
    return "-" if x is None else format(x, spec)


def gib_text(n_bytes):
    return "-" if not n_bytes else f"{n_bytes / 2 ** 30:.2f} GiB"


def summarize(report):
    gemm = (report.get("gemm") or {}).get("tflops_median")
    rows = []
    for name, sh in report["shapes"].items():
        params = sh["n_non_embedding_params"]
        fb_out = (sh.get("fourbrain") or {}).get("output") or {}
        fb_by_name = {r.get("name"): r for r in fb_out.get("results", [])}
        for wname, stats in sh["workloads"].items():
            fb = fb_by_name.get(wname) or {}
            hf = ((sh.get("hf") or {}).get("workloads") or {}).get(wname) or {}
            st = sh.get("st") or {}
            st_ms = st.get("ms_median") if st.get("workload") == wname else None
            fb_ms, hf_ms = fb.get("ms_median"), hf.get("ms_median")
            n_tokens = fb.get("n_tokens", stats["n_tokens"])
            row = {"shape": name, "workload": wname, "n_seqs": stats["n_seqs"],
                   "n_tokens": n_tokens, "fourbrain_ms": fb_ms, "fourbrain_ms_min": fb.get("ms_min"),
                   "hf_ms": hf_ms, "hf_ms_min": hf.get("ms_min"), "hf_note": hf.get("note"),
                   "st_ms": st_ms, "hf_speedup": None, "st_speedup": None,
                   "fourbrain_tflops": None, "fourbrain_gemm_fraction": None, "hf_tflops": None}
            if fb_ms:
                row["fourbrain_tflops"] = 2.0 * params * n_tokens / (fb_ms / 1e3) / 1e12
                if gemm:
                    row["fourbrain_gemm_fraction"] = row["fourbrain_tflops"] / gemm
                if hf_ms:
                    row["hf_speedup"] = hf_ms / fb_ms
                if st_ms:
                    row["st_speedup"] = st_ms / fb_ms
            if hf_ms:
                row["hf_tflops"] = 2.0 * params * stats["n_tokens"] / (hf_ms / 1e3) / 1e12
            rows.append(row)
    return rows


def headline(report):
    """fourbrain's achieved rate on the 8B 64x512 run against the measured GEMM rate."""
    for r in report["summary"]:
        if r["shape"] == "8b" and r["workload"] == "64x512" and r["fourbrain_tflops"]:
            return {"shape": "8b", "workload": "64x512", "n_tokens": r["n_tokens"],
                    "n_non_embedding_params": report["shapes"]["8b"]["n_non_embedding_params"],
                    "fourbrain_ms": r["fourbrain_ms"], "fourbrain_tflops": r["fourbrain_tflops"],
                    "gemm_tflops": (report.get("gemm") or {}).get("tflops_median"),
                    "fraction_of_gemm": r["fourbrain_gemm_fraction"]}
    return None


def markdown(report):
    gemm = report.get("gemm") or {}
    lines = [f"device: {report['meta'].get('device_name')}; bf16 GEMM 8192^3: "
             f"{fmt(gemm.get('tflops_median'), '.1f')} TFLOP/s (median)", "",
             "| shape | workload | seqs | tokens | fourbrain ms | transformers ms | speed-up | "
             "ST ms | speed-up vs ST | fourbrain TFLOP/s | of GEMM rate | transformers TFLOP/s |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in report["summary"]:
        frac = r["fourbrain_gemm_fraction"]
        lines.append(
            f"| {r['shape']} | {r['workload']} | {r['n_seqs']} | {r['n_tokens']} | "
            f"{fmt(r['fourbrain_ms'])} | {fmt(r['hf_ms'])} | {fmt(r['hf_speedup'])} | "
            f"{fmt(r['st_ms'])} | {fmt(r['st_speedup'])} | {fmt(r['fourbrain_tflops'], '.1f')} | "
            f"{'-' if frac is None else f'{100 * frac:.0f}%'} | {fmt(r['hf_tflops'], '.1f')} |")
    lines += ["", "speed-up = peer median ms / fourbrain median ms. TFLOP/s = 2 * non-embedding "
              "params * real tokens / median time (attention scores not counted). ST time includes "
              "tokenization.", "",
              "| shape | weights (torch) | transformers peak alloc | fourbrain model + workspace | "
              "nvidia-smi peak during fourbrain (minus before) |", "|---|---|---|---|---|"]
    gib = 2 ** 30
    for name, sh in report["shapes"].items():
        hf = sh.get("hf") or {}
        peaks = [w.get("max_memory_allocated") for w in (hf.get("workloads") or {}).values()
                 if w.get("max_memory_allocated")]
        fb = sh.get("fourbrain") or {}
        out = fb.get("output") or {}
        fb_mem = ("-" if "model_bytes" not in out else
                  f"{out['model_bytes'] / gib:.2f} + {out.get('workspace_bytes', 0) / gib:.2f} GiB")
        smi = fb.get("smi_peak_used_mib")
        smi_text = "-" if smi is None else f"{smi} MiB ({fb.get('smi_peak_minus_before_mib')})"
        weights = hf.get("weight_bytes")
        lines.append(
            f"| {name} | {gib_text(weights)} | {gib_text(max(peaks) if peaks else None)} | "
            f"{fb_mem} | {smi_text} |")
    head = report.get("headline")
    if head:
        frac = head["fraction_of_gemm"]
        lines += ["", f"8B 64x512: fourbrain {head['fourbrain_tflops']:.1f} TFLOP/s "
                  f"(2 x {head['n_non_embedding_params']} params x {head['n_tokens']} tokens / "
                  f"{head['fourbrain_ms']:.2f} ms) = "
                  f"{'-' if frac is None else f'{100 * frac:.0f}%'} of the measured GEMM rate"]
    failures = [(n, k, v.get("error")) for n, sh in report["shapes"].items()
                for k in ("fourbrain", "st", "hf", "checkpoint") if isinstance(sh.get(k), dict)
                for v in [sh[k]] if v.get("error")]
    if failures:
        lines += ["", "failures:"] + [f"- {n} {k}: {e[:300]}" for n, k, e in failures]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------


def write_report(report, path):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(report, f, indent=1)
    os.replace(tmp, path)


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fourbrain", required=True, help="the fourbrain binary")
    ap.add_argument("--tokenizer-dir", required=True,
                    help="Qwen3 tokenizer files, copied into every checkpoint folder")
    ap.add_argument("--workdir", default="/tmp/fbbench", help="checkpoints and workloads go here")
    ap.add_argument("--out", required=True, help="JSON report")
    ap.add_argument("--shapes", default=None,
                    help=f"comma-separated subset of {','.join(SHAPES)} (default: all)")
    ap.add_argument("--iters", type=int, default=5, help="timed runs per workload (after 2 warm-ups)")
    ap.add_argument("--skip-hf", action="store_true", help="no transformers peer")
    ap.add_argument("--skip-st", action="store_true", help="no sentence-transformers peer")
    ap.add_argument("--device-index", type=int, default=0, help="CUDA device (torch and fourbrain)")
    ap.add_argument("--fourbrain-timeout", type=int, default=600, help="seconds per fourbrain run")
    ap.add_argument("--fourbrain-precision", default="bf16", choices=["bf16", "fp8", "nvfp4"],
                    help="fourbrain's precision on the GPU (fp8, nvfp4: weights quantized at load)")
    ap.add_argument("--fourbrain-arg", action="append", default=[],
                    help="an extra argument for `fourbrain bench` (repeatable), e.g. "
                         "--fourbrain-arg=--quantize-embeddings")
    ap.add_argument("--cpu-smoke", action="store_true",
                    help="tiny shapes on the CPU in float32, no GEMM rate, no nvidia-smi")
    return ap.parse_args()


def main():
    args = parse_args()
    env = Env(args)
    table = SMOKE_SHAPES if args.cpu_smoke else SHAPES
    names = list(table) if not args.shapes else [s.strip() for s in args.shapes.split(",") if s.strip()]
    unknown = [n for n in names if n not in table]
    if unknown:
        sys.exit(f"unknown shapes {unknown}; known: {list(table)}")
    os.makedirs(args.workdir, exist_ok=True)

    import transformers
    try:
        import sentence_transformers
        st_version = sentence_transformers.__version__
    except Exception as exc:
        st_version = f"import failed: {short_error(exc, 200)}"
    report = {"meta": {"argv": sys.argv, "python": platform.python_version(),
                       "torch": torch.__version__, "cuda": torch.version.cuda,
                       "transformers": transformers.__version__,
                       "sentence_transformers": st_version, "host": platform.node(),
                       "device": str(env.device), "dtype": env.dtype_name(),
                       "device_name": (torch.cuda.get_device_name(env.device) if env.cuda
                                       else "cpu (--cpu-smoke)"),
                       "iters": args.iters, "warmup": 2, "cpu_smoke": args.cpu_smoke},
              "gemm": None, "shapes": {}, "summary": []}
    log(f"device {report['meta']['device_name']}, torch {torch.__version__}, "
        f"transformers {transformers.__version__}, sentence-transformers {st_version}")

    if env.cuda:  # step 1
        report["gemm"] = measure_gemm_rate(env)
    write_report(report, args.out)

    for name in names:
        shape = table[name]
        path = os.path.join(args.workdir, name)
        sh = report["shapes"][name] = {"shape": shape,
                                       "n_non_embedding_params": n_non_embedding_params(shape)}
        try:  # step 2
            sh["checkpoint"] = make_checkpoint(env, name, shape, path, args.tokenizer_dir)
        except Exception as exc:
            sh["checkpoint"] = {"error": short_error(exc)}
            sh["workloads"] = {}
            log(f"[{name}] checkpoint FAILED: {sh['checkpoint']['error']}; skipping this shape")
            env.free()
            write_report(report, args.out)
            continue
        workload_path, workloads = write_workloads(name, args.workdir)  # step 3
        sh["workload_file"] = workload_path
        sh["workloads"] = {w: workload_stats(s) for w, s in workloads.items()}
        log(f"[{name}] workloads {workload_path}: " + ", ".join(
            f"{w} ({v['n_seqs']} seqs, {v['n_tokens']} tokens)" for w, v in sh["workloads"].items()))

        # step 6 first, while nothing else holds GPU memory
        sh["fourbrain"] = run_fourbrain(env, name, shape, args.fourbrain, path, workload_path,
                                        args.iters, args.fourbrain_timeout)
        write_report(report, args.out)

        if not args.skip_hf:  # step 4
            try:
                sh["hf"] = run_hf(env, name, shape, path, workloads, args.iters)
            except Exception as exc:
                sh["hf"] = {"error": short_error(exc)}
                log(f"[{name}] transformers FAILED: {sh['hf']['error'][:300]}")
            env.free()
            write_report(report, args.out)

        if env.cuda and name in FIDELITY_SHAPES and "output" in sh["fourbrain"]:  # step 7
            try:
                sh["fidelity"] = run_fidelity(env, name, shape, path, workloads)
            except Exception as exc:
                sh["fidelity"] = {"error": short_error(exc)}
                log(f"[{name}] fidelity FAILED: {sh['fidelity']['error'][:300]}")
            env.free()
            write_report(report, args.out)

        if not args.skip_st and name in ST_WORKLOAD:  # step 5
            wname = ST_WORKLOAD[name]
            try:
                sh["st"] = run_st(env, name, shape, path, args.workdir, wname, workloads[wname],
                                  args.iters)
            except Exception as exc:
                sh["st"] = {"workload": wname, "error": short_error(exc)}
                log(f"[{name}] sentence-transformers FAILED: {sh['st']['error'][:300]}")
            env.free()
            write_report(report, args.out)

    report["summary"] = summarize(report)  # step 8
    report["headline"] = headline(report)
    report["summary_markdown"] = markdown(report)
    report["meta"]["total_s"] = time.perf_counter() - T0
    write_report(report, args.out)
    print("\n" + report["summary_markdown"], flush=True)
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
