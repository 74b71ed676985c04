#!/usr/bin/env python3
"""Writes the HF `tokenizers` reference ids that tokenizer_corpus_test.cc compares against.

Reads the tokenizer dirs that make_tokenizer_json.py wrote into OUT_DIR and the committed
corpus, and writes into OUT_DIR:
  tokenizer_reference.jsonl  one JSON object per record:
      src        corpus line numbers ("12" or "12-15" for lines joined with a separator)
      text       the record
      emb, rer   ids from qwen3-embedding / qwen3-reranker with add_special_tokens=True
      plain      ids from qwen3-embedding with add_special_tokens=False
      trunc      (every 5th record) {"max_length": k, "emb": .., "plain": .., "rer": ..,
                 "dec": decode(plain)} with HF truncation at k (template tokens count
                 against k); the cut may split a character, which decode shows as U+FFFD
      dec        decode(plain) when it differs from text (NFC changed it)
      dec_skip   decode(plain, skip_special_tokens=True) when it differs from dec
  char_classes.txt  for every code point, how Oniguruma's classes in the Qwen2 pattern see
      it, as ranges "FIRST LAST CLASS" (hex; L letter, N number, S \\s, O other, X surrogate)
  nfc_probes.txt  "INPUT OUTPUT" (UTF-8 in hex) per line: HF's NFC normalizer on probes
      around every character with a combining class or canonical decomposition (Python's
      unicodedata decides which), and on random strings of such characters
Records are the corpus lines plus runs of 2..6 lines joined with "\\n", "\\r\\n", "\\n\\n",
... (the corpus file itself has one record per line) and a few long multi-line documents.

Usage: reference_ids.py OUT_DIR [--corpus tests/data/tokenizer_corpus.txt.xz]
Needs `tokenizers` only.
"""
import argparse
import json
import unicodedata
import lzma
import os
import random
import time

from tokenizers import Regex, Tokenizer, normalizers, pre_tokenizers

SEPARATORS = ["\n", "\r\n", "\n\n", " \n", "\n ", "\n\t", "  \n\n  ", "\r\n\r\n", "\n\u3000"]
QWEN2_PATTERN = (r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|"""
                 r""" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""")


def records(lines, rng):
    for i, line in enumerate(lines):
        yield str(i + 1), line
    for i in range(0, len(lines), 37):
        k = rng.randint(2, 6)
        group = lines[i:i + k]
        yield f"{i + 1}-{i + len(group)}", rng.choice(SEPARATORS).join(group)
    for i in range(0, len(lines), len(lines) // 12):
        group = lines[i:i + 150]
        yield f"{i + 1}-{i + len(group)}", "\n".join(group)


def scan_char_classes(path):
    """Classifies each code point by how the Qwen2 pattern splits "x" + c + c + "x"."""
    split = pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior="isolated", invert=False)
    ranges = []
    for cp in range(0x110000):
        if 0xD800 <= cp < 0xE000:
            cls = "X"
        elif cp in (0x0A, 0x0D):
            cls = "S"  # x\n\nx is x, \n\n, x: like "other", but these are \s
        else:
            c = chr(cp)
            pieces = [p for p, _ in split.pre_tokenize_str("x" + c + c + "x")]
            if len(pieces) == 1:
                cls = "L"
            elif len(pieces) == 4:
                cls = "N"
            elif pieces[1] == c:
                cls = "S"
            elif pieces[1] == c + c:
                cls = "O"
            else:
                raise SystemExit(f"U+{cp:04X}: unexpected split {pieces}")
        if ranges and ranges[-1][2] == cls and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp, cls])
    with open(path, "w", encoding="ascii") as f:
        for first, last, cls in ranges:
            f.write(f"{first:X} {last:X} {cls}\n")


def write_nfc_probes(path, rng):
    relevant = []
    for cp in range(0x110000):
        if 0xD800 <= cp < 0xE000:
            continue
        c = chr(cp)
        d = unicodedata.decomposition(c)
        if unicodedata.combining(c) or (d and not d.startswith("<")):
            relevant.append(c)
    probes = []
    for c in relevant:
        probes += [c + "\u0334", "\u0301" + c, "a" + c, c + "a", c,
                   unicodedata.normalize("NFD", c), "a" + unicodedata.normalize("NFD", c) + "\u0334"]
    pool = relevant + list("aeAE ") + ["\u1100", "\u1161", "\u11a8", "\uac00", "\u0915"]
    for _ in range(30000):
        probes.append("".join(rng.choice(pool) for _ in range(rng.randint(2, 7))))
    nfc = normalizers.NFC()
    with open(path, "w", encoding="ascii") as f:
        for p in probes:
            f.write(f"{p.encode().hex()} {nfc.normalize_str(p).encode().hex()}\n")


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--corpus", default=os.path.join(root, "tests/data/tokenizer_corpus.txt.xz"))
    args = ap.parse_args()

    with lzma.open(args.corpus, "rb") as f:
        lines = f.read().decode("utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    emb = Tokenizer.from_file(os.path.join(args.out_dir, "qwen3-embedding", "tokenizer.json"))
    rer = Tokenizer.from_file(os.path.join(args.out_dir, "qwen3-reranker", "tokenizer.json"))
    emb_t = Tokenizer.from_file(os.path.join(args.out_dir, "qwen3-embedding", "tokenizer.json"))
    rer_t = Tokenizer.from_file(os.path.join(args.out_dir, "qwen3-reranker", "tokenizer.json"))

    rng = random.Random(7)
    t0 = time.time()
    n = 0
    out_path = os.path.join(args.out_dir, "tokenizer_reference.jsonl")
    with open(out_path, "w", encoding="utf-8") as out:
        for src, text in records(lines, rng):
            plain = emb.encode(text, add_special_tokens=False).ids
            rec = {"src": src, "text": text, "emb": emb.encode(text).ids, "plain": plain,
                   "rer": rer.encode(text).ids}
            if n % 5 == 0:
                k = rng.randint(1, len(rec["emb"]) + 1)
                emb_t.enable_truncation(max_length=k)
                rer_t.enable_truncation(max_length=k)
                rec["trunc"] = {"max_length": k, "emb": emb_t.encode(text).ids,
                                "plain": emb_t.encode(text, add_special_tokens=False).ids,
                                "rer": rer_t.encode(text).ids}
                rec["trunc"]["dec"] = emb.decode(rec["trunc"]["plain"], skip_special_tokens=False)
            dec = emb.decode(plain, skip_special_tokens=False)
            dec_skip = emb.decode(plain, skip_special_tokens=True)
            if dec != text:
                rec["dec"] = dec
            if dec_skip != dec:
                rec["dec_skip"] = dec_skip
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n += 1
    print(f"{n} records from {len(lines)} corpus lines in {time.time() - t0:.1f} s: {out_path}")
    t0 = time.time()
    scan_char_classes(os.path.join(args.out_dir, "char_classes.txt"))
    print(f"char classes in {time.time() - t0:.1f} s")
    write_nfc_probes(os.path.join(args.out_dir, "nfc_probes.txt"), rng)


if __name__ == "__main__":
    main()
