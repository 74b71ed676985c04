#!/usr/bin/env python3
"""Makes tiny random-weight Qwen3 checkpoints and the HuggingFace reference outputs.

The checkpoints have the real architecture (Qwen3 with per-head q/k norms, GQA, head_dim 128)
and the real 151,669-entry vocabulary, with small hidden sizes. Three layouts, as users have
them:
  embedding  Qwen3Model keys (no "model." prefix, no lm_head), bf16, one model.safetensors
  reranker   Qwen3ForCausalLM keys ("model." prefix), untied lm_head, f16, two shards + index
  seqcls     Qwen3ForSequenceClassification ("score.weight" = lm_head[yes] - lm_head[no]), f32
Embedding rows repeat with a prime period so that the committed .tar.xz stays small.

References are HF transformers in float32, one input at a time (no padding), following the
model cards: last-token pooling + L2 normalisation (+ Matryoshka truncation), and the
Qwen3-Reranker prompt scored as sigmoid(logit_yes - logit_no).

Usage: make_tiny_checkpoints.py --tokenizer-files ../shared/qwen2-tokenizer --out tests/data/qwen3
Needs torch, transformers, tokenizers, safetensors (tools venv). Deterministic (fixed seeds).
"""
import argparse
import io
import json
import os
import shutil
import tarfile
import tempfile

import torch
import torch.nn.functional as F
from tokenizers import processors
from transformers import (AutoTokenizer, Qwen3Config, Qwen3ForCausalLM,
                          Qwen3ForSequenceClassification, Qwen3Model)

from qwen3_prompts import (DEFAULT_EMBED_TASK, DEFAULT_RERANK_INSTRUCTION, RERANK_PREFIX,
                           RERANK_SUFFIX, format_query, format_rerank_body)

VOCAB = 151669
ROW_PERIOD = 1021  # prime: embedding rows repeat with this period (xz finds the repeats)
EOS = 151643


def tiny_config(**overrides):
    cfg = dict(vocab_size=VOCAB, hidden_size=64, intermediate_size=192, num_hidden_layers=3,
               num_attention_heads=4, num_key_value_heads=2, head_dim=128, rms_norm_eps=1e-6,
               rope_theta=1000000.0, max_position_embeddings=32768, tie_word_embeddings=True,
               bos_token_id=EOS, eos_token_id=EOS, pad_token_id=EOS)
    cfg.update(overrides)
    return Qwen3Config(**cfg)


def randomise(model, seed):
    """Non-trivial random weights everywhere (norm weights too, so a wrong norm shows)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g))
            elif p.dim() == 2 and p.shape[0] == VOCAB:
                block = 0.5 * torch.randn((ROW_PERIOD, p.shape[1]), generator=g)
                p.copy_(block.repeat(VOCAB // ROW_PERIOD + 1, 1)[:VOCAB])
            else:
                p.copy_(torch.randn(p.shape, generator=g) / p.shape[-1] ** 0.5)


def tokenizer(files_dir, embedding):
    tok = AutoTokenizer.from_pretrained(files_dir)
    if embedding:  # Qwen3-Embedding's tokenizer.json appends <|endoftext|> (qwen3.md §3.2)
        tok.backend_tokenizer.post_processor = processors.TemplateProcessing(
            single="$A:0 <|endoftext|>:0", pair="$A:0 <|endoftext|>:0 $B:1 <|endoftext|>:1",
            special_tokens=[("<|endoftext|>", EOS)])
    return tok


def save_tar(src_dir, tar_path):
    with tarfile.open(tar_path, "w:xz", preset=9) as tar:
        for name in sorted(os.listdir(src_dir)):
            if name.startswith("tokenizer") or name in ("vocab.json", "merges.txt",
                                                        "special_tokens_map.json",
                                                        "added_tokens.json", "chat_template.jinja"):
                continue  # tokenizer files are rebuilt at test time from ../shared
            tar.add(os.path.join(src_dir, name), arcname=name)


EMBED_TEXTS = [
    "The capital of China is Beijing.",
    "Gravity is a force that attracts two bodies towards each other.",
    "a",
    "Ünïcödé — naïve café, 東京は日本の首都です。 Москва — столица России. 🚀👩‍💻",
    "def f(x):\n    return x ** 2  # square\n\n\n",
    "   leading and trailing spaces   ",
    " ".join(["long"] * 300),
    "Numbers 1234567890 and contractions: I'm, you'RE, they'll, it's.",
]
EMBED_QUERIES = ["What is the capital of China?", "Explain gravity"]
RERANK_QUERY = "What is the capital of China?"
RERANK_DOCS = [
    "The capital of China is Beijing.",
    "Gravity is a force that attracts two bodies towards each other.",
    "",
    "Beijing " * 80,
    "<think>literal special tokens</think> in a <|im_end|> document",
]


@torch.no_grad()
def embedding_references(model, tok, dims):
    cases = [{"text": t, "instruction": None} for t in EMBED_TEXTS]
    cases += [{"text": q, "instruction": DEFAULT_EMBED_TASK} for q in EMBED_QUERIES]
    for case in cases:
        text = format_query(case["instruction"], case["text"])
        ids = tok(text, truncation=True, max_length=8192)["input_ids"]
        hidden = model(input_ids=torch.tensor([ids])).last_hidden_state[0]
        pooled = hidden[-1]
        case["input_ids"] = ids
        case["embedding"] = F.normalize(pooled, p=2, dim=0).tolist()
        case["embedding_dims"] = {str(d): F.normalize(pooled[:d], p=2, dim=0).tolist()
                                  for d in dims}
    # Truncation: a long text cut to 32 tokens, <|endoftext|> still last.
    ids = tok(EMBED_TEXTS[6], truncation=True, max_length=32)["input_ids"]
    hidden = model(input_ids=torch.tensor([ids])).last_hidden_state[0]
    cases.append({"text": EMBED_TEXTS[6], "instruction": None, "max_length": 32,
                  "input_ids": ids, "embedding": F.normalize(hidden[-1], p=2, dim=0).tolist()})
    return cases


@torch.no_grad()
def rerank_references(model, tok, yes_minus_no_logit):
    prefix = tok.encode(RERANK_PREFIX, add_special_tokens=False)
    suffix = tok.encode(RERANK_SUFFIX, add_special_tokens=False)
    cases = []
    for max_length in (8192, 64):
        for instruction in (None, "Find the document that names a city"):
            for doc in RERANK_DOCS:
                body = format_rerank_body(instruction, RERANK_QUERY, doc)
                # As the card: the body alone, tokenizer defaults, truncated on the right.
                body_ids = tok(body, truncation=True,
                               max_length=max_length - len(prefix) - len(suffix))["input_ids"]
                ids = prefix + body_ids + suffix
                logit = yes_minus_no_logit(torch.tensor([ids]))
                cases.append({"query": RERANK_QUERY, "document": doc, "instruction": instruction,
                              "max_length": max_length, "input_ids": ids,
                              "score": torch.sigmoid(logit).item()})
    return cases


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokenizer-files", default="../shared/qwen2-tokenizer")
    ap.add_argument("--out", default="tests/data/qwen3")
    args = ap.parse_args()
    torch.manual_seed(0)
    os.makedirs(args.out, exist_ok=True)
    refs = {}
    work = tempfile.mkdtemp()

    # Embedding: Qwen3Model keys, bf16 on disk; references in f32 from the same bf16 values.
    emb_tok = tokenizer(args.tokenizer_files, embedding=True)
    emb = Qwen3Model(tiny_config())
    randomise(emb, seed=1)
    emb = emb.to(torch.bfloat16)
    emb_dir = os.path.join(work, "embedding")
    emb.save_pretrained(emb_dir, safe_serialization=True)
    # Reload as users do: .to(bf16) also rounded the RoPE inv_freq buffer, which a fresh
    # load recomputes in f32.
    emb = Qwen3Model.from_pretrained(emb_dir, dtype=torch.float32).eval()
    refs["embedding"] = embedding_references(emb, emb_tok, dims=(32, 48))
    save_tar(emb_dir, os.path.join(args.out, "qwen3-tiny-embedding.tar.xz"))

    # Reranker: causal LM with an untied head, f16, sharded.
    rr_tok = tokenizer(args.tokenizer_files, embedding=False)
    yes, no = rr_tok.convert_tokens_to_ids(["yes", "no"])
    rr = Qwen3ForCausalLM(tiny_config(tie_word_embeddings=False))
    randomise(rr, seed=2)
    rr = rr.to(torch.float16)
    rr_dir = os.path.join(work, "reranker")
    rr.save_pretrained(rr_dir, safe_serialization=True, max_shard_size="1MB")
    rr = Qwen3ForCausalLM.from_pretrained(rr_dir, dtype=torch.float32).eval()
    refs["reranker"] = rerank_references(
        rr, rr_tok, lambda ids: (lambda l: l[yes] - l[no])(rr(input_ids=ids).logits[0, -1]))
    save_tar(rr_dir, os.path.join(args.out, "qwen3-tiny-reranker.tar.xz"))

    # seq-cls conversion (vLLM's from_2_way_softmax): score row = W[yes] - W[no], f32.
    sc = Qwen3ForSequenceClassification(tiny_config(num_labels=1, tie_word_embeddings=False))
    sc.model.load_state_dict(rr.model.state_dict())
    with torch.no_grad():
        sc.score.weight.copy_((rr.lm_head.weight[yes] - rr.lm_head.weight[no]).unsqueeze(0))
    sc_dir = os.path.join(work, "seqcls")
    sc.save_pretrained(sc_dir, safe_serialization=True)
    sc = Qwen3ForSequenceClassification.from_pretrained(sc_dir, dtype=torch.float32).eval()
    refs["seqcls"] = rerank_references(sc, rr_tok, lambda ids: sc(input_ids=ids).logits[0, 0])
    save_tar(sc_dir, os.path.join(args.out, "qwen3-tiny-seqcls.tar.xz"))

    with open(os.path.join(args.out, "references.json"), "w") as f:
        json.dump(refs, f, ensure_ascii=False)
    shutil.rmtree(work)
    for name in sorted(os.listdir(args.out)):
        print(name, os.path.getsize(os.path.join(args.out, name)))


if __name__ == "__main__":
    main()
