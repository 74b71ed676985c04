#!/usr/bin/env python3
"""Builds the WordPiece and Unigram tokenizer directories the C++ tests load, with HF's code.

Needs OUT_DIR/minilm-tokenizer (fetch_minilm_tokenizer.sh) and writes into OUT_DIR:
  minilm-vocab           all-MiniLM-L6-v2's vocab.txt + tokenizer_config.json +
                         special_tokens_map.json, no tokenizer.json (the vocab.txt path)
  wordpiece-cased        tokenizer.json of BertWordPieceTokenizer(lowercase=False,
                         strip_accents=False) trained on the corpus (BertProcessing)
  wordpiece-cased-vocab  its vocab.txt with do_lower_case=false, strip_accents=true,
                         tokenize_chinese_chars=false (BertNormalizer's other corners)
  xlmr-spm               a SentencePiece unigram model (nmt_nfkc, so a precompiled charsmap)
                         trained on the corpus, converted by transformers' XLMRobertaTokenizer
                         as XLM-R / bge-m3 / multilingual-e5 files are: Precompiled,
                         WhitespaceSplit + Metaspace, <s> $A </s> templates
  xlmr-legacy            the same model laid out as the 2020-era xlm-roberta-base file:
                         Metaspace(add_prefix_space) alone, RobertaProcessing, <mask> lstrip
  unigram-hf             HF's UnigramTrainer: NFKC + Replace + Strip, Metaspace(first),
                         an XLNet-style template ($A <sep> <cls>, type ids 0/1/2)
  unigram-bytefallback   its vocabulary plus <0x00>..<0xFF> with byte_fallback, NFKD +
                         StripAccents + Lowercase, Metaspace(first, split=false), a normalized
                         added token, Llama's decoder chain (Replace, ByteFallback, Fuse, Strip)
Training takes a few seconds; the files are not committed.

Usage: make_wordpiece_unigram.py OUT_DIR [--corpus tests/data/tokenizer_corpus.txt.xz]
Needs tokenizers, transformers and sentencepiece (no torch).
"""
import argparse
import json
import lzma
import os
import shutil
import tempfile

import sentencepiece as spm
from tokenizers import (AddedToken, Regex, Tokenizer, decoders, models, normalizers,
                        pre_tokenizers, processors, trainers)
from tokenizers.implementations import BertWordPieceTokenizer
from transformers import XLMRobertaTokenizer

BERT_FILES = ["vocab.txt", "tokenizer_config.json", "special_tokens_map.json"]


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False)


def minilm_vocab(out):
    src, dst = os.path.join(out, "minilm-tokenizer"), os.path.join(out, "minilm-vocab")
    os.makedirs(dst, exist_ok=True)
    for f in BERT_FILES:
        shutil.copyfile(os.path.join(src, f), os.path.join(dst, f))


def wordpiece_cased(out, corpus):
    tok = BertWordPieceTokenizer(lowercase=False, strip_accents=False)
    tok.train([corpus], vocab_size=6000, min_frequency=2, show_progress=False)
    path = os.path.join(out, "wordpiece-cased")
    os.makedirs(path, exist_ok=True)
    tok.save(os.path.join(path, "tokenizer.json"))
    vocab_dir = os.path.join(out, "wordpiece-cased-vocab")
    os.makedirs(vocab_dir, exist_ok=True)
    tok.save_model(vocab_dir)  # vocab.txt
    write_json(os.path.join(vocab_dir, "tokenizer_config.json"), {
        "tokenizer_class": "BertTokenizer", "do_lower_case": False, "strip_accents": True,
        "tokenize_chinese_chars": False, "unk_token": "[UNK]", "sep_token": "[SEP]",
        "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]"})
    write_json(os.path.join(vocab_dir, "special_tokens_map.json"), {
        "unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]",
        "mask_token": "[MASK]"})


def xlmr(out, corpus, tmp):
    prefix = os.path.join(tmp, "spm")
    spm.SentencePieceTrainer.train(
        input=corpus, model_prefix=prefix, vocab_size=2000, model_type="unigram",
        normalization_rule_name="nmt_nfkc", character_coverage=0.98, input_sentence_size=0,
        num_threads=2, minloglevel=2, seed_sentencepiece_size=200000)
    spm_dir = os.path.join(tmp, "spm-dir")
    os.makedirs(spm_dir, exist_ok=True)
    shutil.copyfile(prefix + ".model", os.path.join(spm_dir, "sentencepiece.bpe.model"))
    path = os.path.join(out, "xlmr-spm")
    XLMRobertaTokenizer.from_pretrained(spm_dir).save_pretrained(path)
    with open(os.path.join(path, "tokenizer.json"), encoding="utf-8") as f:
        tj = json.load(f)
    assert tj["normalizer"]["type"] == "Precompiled", tj["normalizer"]["type"]
    assert tj["model"]["type"] == "Unigram" and len(tj["model"]["vocab"]) > 1000

    legacy = dict(tj)
    legacy["pre_tokenizer"] = {"type": "Metaspace", "replacement": "\u2581",
                               "add_prefix_space": True}
    legacy["decoder"] = {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True}
    bos = next(t for t in tj["added_tokens"] if t["content"] == "<s>")["id"]
    eos = next(t for t in tj["added_tokens"] if t["content"] == "</s>")["id"]
    legacy["post_processor"] = {"type": "RobertaProcessing", "sep": ["</s>", eos],
                                "cls": ["<s>", bos], "trim_offsets": True,
                                "add_prefix_space": True}
    for t in legacy["added_tokens"]:
        if t["content"] == "<mask>":
            t["lstrip"] = True
    legacy_dir = os.path.join(out, "xlmr-legacy")
    os.makedirs(legacy_dir, exist_ok=True)
    write_json(os.path.join(legacy_dir, "tokenizer.json"), legacy)
    Tokenizer.from_file(os.path.join(legacy_dir, "tokenizer.json"))  # HF accepts it


def unigram_hf(out, corpus):
    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.Sequence([
        normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " "), normalizers.Strip()])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(prepend_scheme="first")
    tok.decoder = decoders.Metaspace(prepend_scheme="first")
    trainer = trainers.UnigramTrainer(
        vocab_size=10000, special_tokens=["<pad>", "<unk>", "<cls>", "<sep>", "<mask>"],
        unk_token="<unk>", show_progress=False)
    tok.train([corpus], trainer)
    cls, sep = tok.token_to_id("<cls>"), tok.token_to_id("<sep>")
    tok.post_processor = processors.TemplateProcessing(
        single="$A:0 <sep>:0 <cls>:2", pair="$A:0 <sep>:0 $B:1 <sep>:1 <cls>:2",
        special_tokens=[("<sep>", sep), ("<cls>", cls)])
    path = os.path.join(out, "unigram-hf")
    os.makedirs(path, exist_ok=True)
    tok.save(os.path.join(path, "tokenizer.json"))

    # Byte fallback: the same pieces less the single CJK / emoji characters (so that those
    # fall back), plus the 256 byte pieces scored below everything.
    tj = json.loads(tok.to_str())
    vocab = [v for v in tj["model"]["vocab"] if not (len(v[0]) == 1 and ord(v[0]) >= 0x2E80)]
    low = min(score for _, score in vocab) - 1.0
    vocab += [[f"<0x{b:02X}>", low] for b in range(256)]
    unk_id = next(i for i, v in enumerate(vocab) if v[0] == "<unk>")
    model = models.Unigram([tuple(v) for v in vocab], unk_id, True)
    fb = Tokenizer(model)
    fb.add_special_tokens([AddedToken(t, special=True, normalized=False)
                           for t in ["<pad>", "<unk>", "<cls>", "<sep>", "<mask>"]])
    fb.add_tokens([AddedToken("New York", normalized=True)])
    fb.normalizer = normalizers.Sequence([
        normalizers.NFKD(), normalizers.StripAccents(), normalizers.Lowercase()])
    fb.pre_tokenizer = pre_tokenizers.Metaspace(prepend_scheme="first", split=False)
    fb.decoder = decoders.Sequence([
        decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse(),
        decoders.Strip(content=" ", left=1, right=0)])
    bos = fb.token_to_id("<cls>")
    fb.post_processor = processors.TemplateProcessing(
        single="<cls> $A", pair="<cls> $A <cls>:1 $B:1", special_tokens=[("<cls>", bos)])
    path = os.path.join(out, "unigram-bytefallback")
    os.makedirs(path, exist_ok=True)
    fb.save(os.path.join(path, "tokenizer.json"))


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--corpus", default=os.path.join(root, "tests/data/tokenizer_corpus.txt.xz"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = os.path.join(tmp, "corpus.txt")
        with lzma.open(args.corpus, "rb") as src, open(corpus, "wb") as dst:
            dst.write(src.read())
        minilm_vocab(args.out_dir)
        wordpiece_cased(args.out_dir, corpus)
        xlmr(args.out_dir, corpus, tmp)
        unigram_hf(args.out_dir, corpus)
    print(f"wrote the WordPiece and Unigram tokenizers into {args.out_dir}")


if __name__ == "__main__":
    main()
