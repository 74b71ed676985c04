#!/usr/bin/env python3
"""Builds the Qwen3 tokenizer directories the C++ tokenizer tests load, with HF's own code.

From the Qwen2/Qwen3 data files (vocab.json, merges.txt, tokenizer_config.json,
added_tokens.json; see ../shared/qwen2-tokenizer/README.md) it writes:
  OUT/qwen3-embedding  tokenizer.json whose TemplateProcessing post-processor appends
                       <|endoftext|> (151643), as Qwen3-Embedding's real file does (qwen3.md §3.2)
  OUT/qwen3-reranker   tokenizer.json with the plain ByteLevel post-processor (appends nothing)
  OUT/qwen3-files      copies of the data files only, no tokenizer.json (the fallback load path)
Both tokenizer.json files come from transformers' Qwen2TokenizerFast + save_pretrained, so
they are what HF itself serialises. A few golden ids from qwen3.md are checked at the end.

Usage: make_tokenizer_json.py OUT_DIR [--files ../shared/qwen2-tokenizer]
Needs transformers and tokenizers (no torch).
"""
import argparse
import json
import os
import shutil
import sys

from tokenizers import Tokenizer, processors
from transformers import Qwen2TokenizerFast

EOS = 151643
DATA_FILES = ["vocab.json", "merges.txt", "tokenizer_config.json", "added_tokens.json"]

# qwen3.md §3.2 / §4.1 (embedding tokenizer: EOS appended; reranker: nothing appended).
GOLDEN = [
    ("The capital of China is Beijing.", [785, 6722, 315, 5616, 374, 26549, 13]),
    ("Instruct: Given a web search query, retrieve relevant passages that answer the query\n"
     "Query:Explain gravity",
     [641, 1235, 25, 16246, 264, 3482, 2711, 3239, 11, 17179, 9760, 46769, 429, 4226, 279, 3239,
      198, 2859, 25, 840, 20772, 23249]),
    ("<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
     [151645, 198, 151644, 77091, 198, 151667, 271, 151668, 271]),
    ("test", [1944]),
]


def build(files_dir, out_dir, name, post_processor):
    tok = Qwen2TokenizerFast.from_pretrained(files_dir)
    tok.backend_tokenizer.post_processor = post_processor
    path = os.path.join(out_dir, name)
    tok.save_pretrained(path)
    return path


def check(path, expect_suffix):
    tok = Tokenizer.from_file(os.path.join(path, "tokenizer.json"))
    assert tok.get_vocab_size(with_added_tokens=True) == 151669, tok.get_vocab_size(True)
    for text, ids in GOLDEN:
        got = tok.encode(text).ids
        want = ids + expect_suffix
        if got != want:
            sys.exit(f"{path}: {text!r}: got {got}, want {want}")


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--files", default=os.path.join(root, "..", "shared", "qwen2-tokenizer"),
                    help="directory with vocab.json, merges.txt, tokenizer_config.json, ...")
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)

    files_copy = os.path.join(args.out_dir, "qwen3-files")
    os.makedirs(files_copy, exist_ok=True)
    for f in DATA_FILES:
        shutil.copyfile(os.path.join(args.files, f), os.path.join(files_copy, f))

    # The real Qwen3-Embedding file: single = "$A <|endoftext|>" (qwen3.md §3.2; the pair
    # template is not verified and not used by the embedding model).
    emb = build(files_copy, args.out_dir, "qwen3-embedding", processors.TemplateProcessing(
        single="$A:0 <|endoftext|>:0", pair="$A:0 <|endoftext|>:0 $B:1 <|endoftext|>:1",
        special_tokens=[("<|endoftext|>", EOS)]))
    rer = build(files_copy, args.out_dir, "qwen3-reranker",
                processors.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False))
    check(emb, [EOS])
    check(rer, [])
    with open(os.path.join(emb, "tokenizer.json"), encoding="utf-8") as f:
        post = json.load(f)["post_processor"]
    assert post["type"] == "TemplateProcessing", post
    print(f"wrote {emb}, {rer}, {files_copy}")


if __name__ == "__main__":
    main()
