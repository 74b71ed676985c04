#!/usr/bin/env python3
"""Writes the HF `tokenizers` references that wordpiece_unigram_corpus_test.cc compares against.

Reads the tokenizer dirs that make_wordpiece_unigram.py and fetch_minilm_tokenizer.sh wrote
into OUT_DIR and the committed corpus, and writes into OUT_DIR/wordpiece_unigram/:
  texts.jsonl       one JSON string per line: the corpus lines, then every 10th line with the
                    tokenizers' special tokens written into it (whole, lowercased, cut short,
                    with and without spaces around)
  NAME.jsonl        per text, for tokenizer NAME: {"ids": encode(text).ids, "plain": without
                    special tokens, "dec": decode(ids), "dec_skip": decode(ids,
                    skip_special_tokens=True), "t": {"max_length": 8|16|32, "ids", "plain"}}
                    with HF truncation at max_length (template tokens count against it)
  NAME.pairs.jsonl  {"a": i, "b": j, "ids", "type_ids", "t": {"max_length", "ids",
                    "type_ids"}}: line i of the first half of the corpus with line i of the
                    second half, untruncated and truncated (longest_first)
  hf_unicode_classes.txt  "FIRST LAST CLASSES" (hex) over every code point: R clean_text
                    removes it, W clean_text makes it a space, P BertPreTokenizer isolates it,
                    M StripAccents drops it, N BertNormalizer(strip_accents) drops it (when
                    NFD leaves it alone), C handle_chinese_chars spaces it, S white space
                    (WhitespaceSplit), - none of these
  hf_unicode_probes.txt   "FORM INPUT OUTPUT" (UTF-8 in hex) for FORM in NFD NFKD NFKC LOWER
                    BERT (BertNormalizer, all options on) PRE (xlmr-spm's Precompiled): every
                    single code point the form changes (the others must stay as they are),
                    then "FORM* INPUT OUTPUT" for random strings of marks, compatibility and
                    Hangul characters, and every corpus line for PRE
NAME is one of the directories listed in TOKENIZERS; "bert" ones have only vocab.txt and are
loaded through transformers' BertTokenizer, whose backend gives the references.

Usage: reference_wordpiece_unigram.py OUT_DIR [--corpus tests/data/tokenizer_corpus.txt.xz]
"""
import argparse
import json
import lzma
import os
import random
import time
import unicodedata

from tokenizers import Tokenizer, normalizers, pre_tokenizers

TOKENIZERS = [("minilm-tokenizer", "json"), ("minilm-vocab", "bert"),
              ("wordpiece-cased", "json"), ("wordpiece-cased-vocab", "bert"),
              ("xlmr-spm", "json"), ("xlmr-legacy", "json"), ("unigram-hf", "json"),
              ("unigram-bytefallback", "json")]
TRUNCATIONS = [8, 16, 32]


def load(out_dir, name, kind):
    path = os.path.join(out_dir, name)
    if kind == "bert":
        from transformers import BertTokenizer
        tok = BertTokenizer.from_pretrained(path).backend_tokenizer
    else:
        tok = Tokenizer.from_file(os.path.join(path, "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


def with_specials(lines, specials, rng):
    for i in range(0, len(lines), 10):
        text = lines[i]
        for _ in range(rng.randint(1, 3)):
            s = rng.choice(specials)
            s = rng.choice([s, s, s.lower(), s[:-1], " " + s + " ", s + s])
            p = rng.randint(0, len(text))
            text = text[:p] + s + text[p:]
        yield text


def truncated(tok, k):
    t = Tokenizer.from_str(tok.to_str())
    t.no_padding()
    t.enable_truncation(max_length=k)
    return t


def by_truncation(n):
    """The record indexes per max_length: record i gets TRUNCATIONS[i % 3]."""
    return {k: [i for i in range(n) if TRUNCATIONS[i % len(TRUNCATIONS)] == k]
            for k in TRUNCATIONS}


def write_references(out, name, tok, texts, pairs):
    truncs = {k: truncated(tok, k) for k in TRUNCATIONS}
    full = tok.encode_batch(texts)
    plain = tok.encode_batch(texts, add_special_tokens=False)
    ids = [e.ids for e in full]
    dec = tok.decode_batch(ids, skip_special_tokens=False)
    dec_skip = tok.decode_batch(ids, skip_special_tokens=True)
    trunc = [None] * len(texts)
    for k, idx in by_truncation(len(texts)).items():
        subset = [texts[i] for i in idx]
        with_specials = truncs[k].encode_batch(subset)
        without = truncs[k].encode_batch(subset, add_special_tokens=False)
        for i, a, b in zip(idx, with_specials, without):
            trunc[i] = {"max_length": k, "ids": a.ids, "plain": b.ids}
    with open(os.path.join(out, name + ".jsonl"), "w", encoding="utf-8") as f:
        for i in range(len(texts)):
            rec = {"ids": ids[i], "plain": plain[i].ids, "dec": dec[i], "dec_skip": dec_skip[i],
                   "t": trunc[i]}
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    inputs = [(texts[a], texts[b]) for a, b in pairs]
    full = tok.encode_batch(inputs)
    trunc = [None] * len(pairs)
    for k, idx in by_truncation(len(pairs)).items():
        for i, e in zip(idx, truncs[k].encode_batch([inputs[i] for i in idx])):
            trunc[i] = {"max_length": k, "ids": e.ids, "type_ids": e.type_ids}
    with open(os.path.join(out, name + ".pairs.jsonl"), "w", encoding="utf-8") as f:
        for n, (a, b) in enumerate(pairs):
            rec = {"a": a, "b": b, "ids": full[n].ids, "type_ids": full[n].type_ids, "t": trunc[n]}
            f.write(json.dumps(rec) + "\n")


def write_classes(path):
    clean = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=False,
                                       strip_accents=False, lowercase=False)
    chinese = normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=True,
                                         strip_accents=False, lowercase=False)
    strip = normalizers.StripAccents()
    bert_strip = normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=False,
                                            strip_accents=True, lowercase=False)
    nfd = normalizers.NFD()
    bert = pre_tokenizers.BertPreTokenizer()
    ws = pre_tokenizers.WhitespaceSplit()
    ranges = []
    for cp in range(0x110000):
        if 0xD800 <= cp < 0xE000:
            continue
        c = chr(cp)
        cleaned = clean.normalize_str(c)
        cls = ("R" if cleaned == "" else "W" if cleaned == " " and c != " " else "")
        cls += "P" if len(bert.pre_tokenize_str("a" + c + "a")) == 3 else ""
        cls += "M" if strip.normalize_str(c) == "" else ""
        cls += "N" if nfd.normalize_str(c) == c and bert_strip.normalize_str(c) == "" else ""
        cls += "C" if chinese.normalize_str(c) != c else ""
        cls += "S" if len(ws.pre_tokenize_str("a" + c + "a")) == 2 else ""
        cls = cls or "-"
        if ranges and ranges[-1][2] == cls and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp, cls])
    with open(path, "w", encoding="ascii") as f:
        for first, last, cls in ranges:
            f.write(f"{first:X} {last:X} {cls}\n")


def write_probes(path, precompiled, lines, rng):
    forms = {"NFD": normalizers.NFD(), "NFKD": normalizers.NFKD(), "NFKC": normalizers.NFKC(),
             "LOWER": normalizers.Lowercase(), "BERT": normalizers.BertNormalizer(),
             "PRE": precompiled}
    pool = []
    with open(path, "w", encoding="ascii") as f:
        def emit(form, s, out):
            f.write(f"{form} {s.encode().hex()} {out.encode().hex()}\n")
        for cp in range(0x110000):
            if 0xD800 <= cp < 0xE000:
                continue
            c = chr(cp)
            changed = False
            for form, n in forms.items():
                out = n.normalize_str(c)
                if out != c:
                    emit(form, c, out)
                    changed = True
            if changed or unicodedata.combining(c):
                pool.append(c)
        pool += list("aeiouAEIOU \t\n") + ["\u1100", "\u1161", "\u11a8", "\uac00", "\u0915",
                                           "\u094d", "\u0937", "\r\n", "\U0001F44D\U0001F3FD"]
        for _ in range(40000):
            s = "".join(rng.choice(pool) for _ in range(rng.randint(1, 6)))
            for form, n in forms.items():
                emit(form + "*", s, n.normalize_str(s))
        for line in lines:
            emit("PRE*", line, precompiled.normalize_str(line))


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
    out = os.path.join(args.out_dir, "wordpiece_unigram")
    os.makedirs(out, exist_ok=True)
    rng = random.Random(11)
    toks = {name: load(args.out_dir, name, kind) for name, kind in TOKENIZERS}
    specials = sorted({t.content for tok in toks.values()
                       for t in tok.get_added_tokens_decoder().values()})
    texts = lines + list(with_specials(lines, specials, rng))
    half = len(lines) // 2
    pairs = [(i, half + i) for i in range(half)]
    with open(os.path.join(out, "texts.jsonl"), "w", encoding="utf-8") as f:
        for text in texts:
            f.write(json.dumps(text, ensure_ascii=False) + "\n")
    for name, tok in toks.items():
        t0 = time.time()
        write_references(out, name, tok, texts, pairs)
        print(f"{name}: {len(texts)} texts, {len(pairs)} pairs in {time.time() - t0:.1f} s")
    t0 = time.time()
    write_classes(os.path.join(out, "hf_unicode_classes.txt"))
    write_probes(os.path.join(out, "hf_unicode_probes.txt"), toks["xlmr-spm"].normalizer,
                 lines, rng)
    print(f"unicode classes and probes in {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
