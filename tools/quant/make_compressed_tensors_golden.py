#!/usr/bin/env python3
"""Checkpoints quantized by the real llm-compressor (`oneshot`), and what PyTorch makes of them.

Tiny random-weight Qwen3 and BERT models (the real architectures; the real Qwen3 and
all-MiniLM-L6-v2 tokenizers, taken from the prepared test data) are quantized by
llm-compressor's QuantizationModifier with its presets FP8 (static per-tensor weights and
inputs, calibrated on a few tokenized sentences), FP8_DYNAMIC (per-channel weights) and NVFP4,
with `ignore` lists, regex targets and one mixed-precision checkpoint (NVFP4 MLPs, FP8 attention:
two config groups of different formats), and saved compressed as llm-compressor saves them.

The goldens come from the other side of the format: each checkpoint is loaded back by
transformers with compressed-tensors decompressing it (CompressedTensorsConfig(
run_compressed=False), i.e. the library's own NVFP4 / float-quantized decompress), and for every
decompressed weight we record its shape, the sha256 of its bf16 bytes and a few sampled values.
The decompressed weights then go, as f32, into a plain HF model of the same config, which
embeds a few texts as the model cards pool them (Qwen3: last token; BERT: mean; L2-normalized).

Writes tests/data/quant/ct_<name>/checkpoint.tar.xz (config.json, model.safetensors,
recipe.yaml; tokenizer files are added at test time by tools/quant/prepare_testdata.sh) and
tests/data/quant/ct_<name>/golden.json.

Usage (llm-compressor pins older torch/transformers than venv-dev has, so it was installed
with `pip install --no-deps --target DIR llmcompressor accelerate datasets dill multiprocess
nvidia-ml-py pyarrow xxhash` and put on PYTHONPATH):
  PYTHONPATH=DIR /work/venv-dev/bin/python tools/quant/make_compressed_tensors_golden.py \
      --testdata build/testdata --out tests/data/quant
Deterministic (fixed seeds); CPU only.
"""
import argparse
import copy
import hashlib
import importlib.metadata
import json
import os
import shutil
import tarfile
import tempfile

import pyarrow as pa
import torch
import torch.nn.functional as F
from datasets import Dataset
from llmcompressor import oneshot
from llmcompressor.modifiers.quantization import QuantizationModifier
from transformers import AutoModel, AutoTokenizer, BertConfig, BertModel, Qwen3Config, Qwen3Model
from transformers.utils.quantization_config import CompressedTensorsConfig

ROW_PERIOD = 127  # word-embedding rows repeat with this period (xz finds the repeats)
QWEN3_VOCAB, BERT_VOCAB = 151669, 30522
EOS = 151643

TEXTS = [
    "The capital of China is Beijing.",
    "Gravity is a force that attracts two bodies towards each other.",
    "a",
    "Numbers 1234567890 and contractions: I'm, you'RE, they'll, it's.",
]
CALIBRATION = [
    "Retrieval systems embed documents and queries into one vector space.",
    "The quick brown fox jumps over the lazy dog.",
    "Quantization maps weights to a few bits with a scale per block.",
    "東京は日本の首都です。",
]

# name: (model kind, QuantizationModifier arguments)
CHECKPOINTS = {
    "ct_qwen3_fp8": ("qwen3", dict(targets=["Linear"], scheme="FP8",
                                   ignore=[r"re:.*layers\.1\.mlp\.down_proj$"])),
    "ct_qwen3_fp8_dynamic": ("qwen3", dict(targets=[r"re:.*mlp.*"], scheme="FP8_DYNAMIC")),
    "ct_qwen3_nvfp4_mixed": ("qwen3", dict(scheme={"NVFP4": [r"re:.*mlp.*"],
                                                   "FP8_DYNAMIC": [r"re:.*self_attn.*"]})),
    "ct_bert_fp8": ("bert", dict(targets=["Linear"], scheme="FP8", ignore=["pooler.dense"])),
    "ct_bert_fp8_dynamic": ("bert", dict(targets=["Linear"], scheme="FP8_DYNAMIC")),
    "ct_bert_nvfp4": ("bert", dict(targets=["Linear"], scheme="NVFP4",
                                   ignore=[r"re:.*pooler.*"])),
}


def randomise(model, seed, vocab):
    """Non-trivial random weights everywhere (norm weights and biases too)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name.lower() and name.endswith("weight"):
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            elif p.dim() == 2 and p.shape[0] == vocab:
                block = 0.5 * torch.randn((ROW_PERIOD, p.shape[1]), generator=g)
                p.copy_(block.repeat(vocab // ROW_PERIOD + 1, 1)[:vocab])
            elif "embeddings" in name:
                p.copy_(0.5 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(torch.randn(p.shape, generator=g) / p.shape[-1] ** 0.5)


def base_model(kind):
    if kind == "qwen3":
        cfg = Qwen3Config(vocab_size=QWEN3_VOCAB, hidden_size=64, intermediate_size=128,
                          num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1,
                          head_dim=64, rms_norm_eps=1e-6, rope_theta=1000000.0,
                          max_position_embeddings=32768, tie_word_embeddings=True,
                          bos_token_id=EOS, eos_token_id=EOS, pad_token_id=EOS,
                          architectures=["Qwen3Model"])
        model, vocab = Qwen3Model(cfg), QWEN3_VOCAB
    else:
        cfg = BertConfig(vocab_size=BERT_VOCAB, hidden_size=32, num_hidden_layers=2,
                         num_attention_heads=4, intermediate_size=64, hidden_act="gelu",
                         max_position_embeddings=512, type_vocab_size=2, layer_norm_eps=1e-12,
                         pad_token_id=0, architectures=["BertModel"])
        model, vocab = BertModel(cfg), BERT_VOCAB
    randomise(model, seed=7, vocab=vocab)
    return model.to(torch.bfloat16).eval()


def calibration_set(tok):
    enc = [tok(t, truncation=True, max_length=64) for t in CALIBRATION]
    table = pa.table({"input_ids": [e["input_ids"] for e in enc],
                      "attention_mask": [e["attention_mask"] for e in enc]})
    # An explicit fingerprint: datasets' own hashing of the table fails with this pyarrow.
    return Dataset(table, fingerprint="fourbrain-ct-calibration")


def quantize(base_dir, tok, modifier_args, out_dir):
    model = AutoModel.from_pretrained(base_dir, dtype=torch.bfloat16)  # as users load it
    oneshot(model=model, recipe=QuantizationModifier(**modifier_args),
            dataset=calibration_set(tok), processor=tok, num_calibration_samples=len(CALIBRATION),
            pipeline="basic", output_dir=out_dir)
    for name in os.listdir(out_dir):  # llm-compressor saves a tokenizer of its own making
        if name.startswith("tokenizer") or name == "special_tokens_map.json":
            os.remove(os.path.join(out_dir, name))


def bf16_bits(t):
    return t.to(torch.bfloat16).contiguous().view(torch.int16).flatten().to(torch.int64) & 0xFFFF


def weight_golden(name, w):
    bits = bf16_bits(w)
    n = bits.numel()
    picks = sorted({0, 1, 2, 15, 16, 17, n // 3, n // 2, n - 2, n - 1})
    return {"name": name, "shape": list(w.shape), "dtype": str(w.dtype).removeprefix("torch."),
            "sha256_bf16": hashlib.sha256(
                w.to(torch.bfloat16).contiguous().view(torch.int16).numpy().tobytes()).hexdigest(),
            "samples": [[i, int(bits[i])] for i in picks]}


@torch.no_grad()
def embed(kind, model, ids):
    hidden = model(input_ids=torch.tensor([ids])).last_hidden_state[0]
    pooled = hidden[-1] if kind == "qwen3" else hidden.mean(dim=0)
    return F.normalize(pooled, p=2, dim=0)


def decompress(ckpt_dir, base_dir):
    """The checkpoint's weights as compressed-tensors decompresses them, module by module: the
    config group whose targets match the module (compressed_tensors.utils.match.is_match, the
    matcher llm-compressor used), that group's compressor's decompress(), then .to(bf16) as
    transformers does. (transformers' own loader applies one dense scheme to every dense
    module, which mis-decompresses mixed-precision checkpoints; for the others it must agree.)"""
    from compressed_tensors.compressors import BaseCompressor
    from compressed_tensors.quantization import QuantizationConfig
    from compressed_tensors.utils.match import is_match
    from safetensors.torch import load_file
    with open(os.path.join(ckpt_dir, "config.json")) as f:
        qc = QuantizationConfig.model_validate(json.load(f)["quantization_config"])
    tensors = load_file(os.path.join(ckpt_dir, "model.safetensors"))
    shell = AutoModel.from_pretrained(base_dir, dtype=torch.bfloat16)  # module names, classes
    state = {}
    for name, module in shell.named_modules():
        scheme = next((g for g in qc.config_groups.values()
                       if is_match(name, module, g.targets, qc.ignore or [])), None)
        if scheme is None or not isinstance(module, torch.nn.Linear):
            continue
        local = {k[len(name) + 1:]: v for k, v in tensors.items()
                 if k.rsplit(".", 1)[0] == name}
        compressor = BaseCompressor.get_value_from_registry(scheme.format or qc.format)
        state[name + ".weight"] = compressor.decompress(local, scheme)["weight"].to(torch.bfloat16)
    for k, v in tensors.items():
        if k not in state and not k.rsplit(".", 1)[-1].startswith(("weight_", "input_")):
            state[k] = v
    if qc.format != "mixed-precision":
        hf = AutoModel.from_pretrained(ckpt_dir, dtype=torch.bfloat16,
                                       quantization_config=CompressedTensorsConfig(
                                           run_compressed=False)).state_dict()
        for k in state:
            assert k not in hf or torch.equal(hf[k].view(torch.int16),
                                              state[k].to(torch.bfloat16).view(torch.int16)), k
    return state


def golden(kind, ckpt_dir, base_dir, tok, quantized_names):
    state = decompress(ckpt_dir, base_dir)
    weights = [weight_golden(k, state[k]) for k in sorted(quantized_names)]
    # The decompressed weights, as f32, in a plain HF model of the same architecture.
    plain = AutoModel.from_pretrained(base_dir, dtype=torch.float32).eval()
    missing, unexpected = plain.load_state_dict({k: v.float() for k, v in state.items()},
                                                strict=False)
    assert not unexpected, unexpected
    assert all("position_ids" in k for k in missing), missing
    ref = AutoModel.from_pretrained(base_dir, dtype=torch.float32).eval()
    cases = []
    for text in TEXTS:
        ids = tok(text, truncation=True, max_length=64)["input_ids"]
        got, unq = embed(kind, plain, ids), embed(kind, ref, ids)
        cases.append({"text": text, "input_ids": ids, "embedding": got.tolist(),
                      "cosine_to_unquantized": F.cosine_similarity(got, unq, dim=0).item()})
    return weights, cases


def quantized_modules(ckpt_dir):
    from safetensors import safe_open
    with safe_open(os.path.join(ckpt_dir, "model.safetensors"), "pt") as f:
        keys = set(f.keys())
    mods = {k.rsplit(".", 1)[0] for k in keys if k.endswith((".weight_scale", ".weight_packed"))}
    return sorted(m + ".weight" for m in mods), sorted(keys)


def save_tar(src_dir, tar_path):
    with tarfile.open(tar_path, "w:xz", preset=9) as tar:
        for name in ("config.json", "model.safetensors", "recipe.yaml"):
            tar.add(os.path.join(src_dir, name), arcname=name)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--testdata", default="build/testdata",
                    help="prepared test data (qwen3-tiny-embedding, bert-tiny-embedding)")
    ap.add_argument("--out", default="tests/data/quant")
    ap.add_argument("--only", nargs="*", help="checkpoint names to (re)make")
    args = ap.parse_args()
    torch.manual_seed(0)
    versions = {p: importlib.metadata.version(p) for p in
                ("llmcompressor", "compressed-tensors", "torch", "transformers")}
    toks = {"qwen3": AutoTokenizer.from_pretrained(
                os.path.join(args.testdata, "qwen3-tiny-embedding")),
            "bert": AutoTokenizer.from_pretrained(
                os.path.join(args.testdata, "bert-tiny-embedding"))}
    work = tempfile.mkdtemp()
    bases = {}
    for kind in ("qwen3", "bert"):
        bases[kind] = os.path.join(work, "base-" + kind)
        base_model(kind).save_pretrained(bases[kind])
    for name, (kind, modifier_args) in CHECKPOINTS.items():
        if args.only and name not in args.only:
            continue
        ckpt_dir = os.path.join(work, name)
        quantize(bases[kind], toks[kind], modifier_args, ckpt_dir)
        names, tensors = quantized_modules(ckpt_dir)
        weights, cases = golden(kind, ckpt_dir, bases[kind], toks[kind], names)
        out = os.path.join(args.out, name)
        os.makedirs(out, exist_ok=True)
        save_tar(ckpt_dir, os.path.join(out, "checkpoint.tar.xz"))
        with open(os.path.join(ckpt_dir, "config.json")) as f:
            qc = json.load(f)["quantization_config"]
        doc = {"model": kind, "base": {"qwen3": "qwen3-tiny-embedding",
                                       "bert": "bert-tiny-embedding"}[kind],
               "recipe": {k: v for k, v in modifier_args.items()}, "versions": versions,
               "quantization_config": qc, "tensors": tensors, "weights": weights,
               "embeddings": cases}
        with open(os.path.join(out, "golden.json"), "w") as f:
            json.dump(doc, f, indent=1, ensure_ascii=False)
        worst = min(c["cosine_to_unquantized"] for c in cases)
        print(f"{name}: {len(weights)} quantized weights, "
              f"{os.path.getsize(os.path.join(out, 'checkpoint.tar.xz'))} bytes tar.xz, "
              f"cosine to the unquantized model >= {worst:.5f}", flush=True)
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
