#!/usr/bin/env python3
"""Derives the Unicode tables in src/formats/tokenizer/hf_unicode.cc (WordPiece / Unigram).

HF `tokenizers` takes its character properties from several Rust crates of different ages:
BertNormalizer and BertPreTokenizer use the `unicode_categories` crate (old tables, whose
"nonspacing mark" set is really every mark of its time), its NFD/NFKD/NFKC come from
unicode-normalization-alignments (Unicode 9.0) and Lowercase from Rust's std (Unicode 16+).
Our code takes categories and normalisation from utf8proc, so it needs the differences, found
here by asking both libraries about every code point:
  kBertRemovedDiffs  clean_text removes Cc (but \\t \\n \\r), Cf, Co, U+0000 and U+FFFD;
                     the Cf characters HF does not know are kept
  kBertPunctDiffs    ASCII punctuation + P*; HF misses the newer P* and has a few old ones
  kHfMarkDiffs       StripAccents drops unicode-normalization's is_combining_mark set (M*)
  kBertMarkDiffs     BertNormalizer(strip_accents) drops unicode_categories' Mn set
  kLowerDiffs        Rust's to_lowercase where it differs from utf8proc_tolower (as deltas)
  kCompatUnknown     characters utf8proc compatibility-decomposes and HF leaves alone
Rerun after a utf8proc or tokenizers upgrade and paste the output into hf_unicode.cc;
wordpiece_unigram_corpus_test (hf_unicode_probes.txt) tells when that is needed.

Usage: hf_unicode_tables.py   (needs `tokenizers` and libutf8proc.so)
"""
import ctypes
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from unicode_tables import Utf8proc, ranges  # noqa: E402

from tokenizers import normalizers, pre_tokenizers  # noqa: E402

CATS = "Cn Lu Ll Lt Lm Lo Mn Mc Me Nd Nl No Pc Pd Ps Pe Pi Pf Po Sm Sc Sk So Zs Zl Zp Cc Cf Cs Co"
CATS = CATS.split()
STABLE, COMPAT, COMPOSE, DECOMPOSE = 1 << 1, 1 << 2, 1 << 3, 1 << 4


def code_points():
    for cp in range(0x110000):
        if not 0xD800 <= cp < 0xE000:
            yield cp


def utf8proc_nfkd(u, text):
    data = text.encode("utf-8")
    out = ctypes.c_void_p()
    n = u.lib.utf8proc_map(data, len(data), ctypes.byref(out), STABLE | DECOMPOSE | COMPAT)
    result = ctypes.string_at(out, n).decode("utf-8")
    u.libc.free(out)
    return result


def is_ascii_punct(cp):
    return 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126


def our_guesses(u, cp):
    cat = CATS[u.lib.utf8proc_category(cp)]
    removed = cp in (0, 0xFFFD) or (cat in ("Cc", "Cf", "Co") and cp not in (9, 10, 13))
    return removed, cat[0] == "P" or is_ascii_punct(cp), cat[0] == "M", cat == "Mn"


def derive():
    u = Utf8proc()
    u.lib.utf8proc_tolower.argtypes = [ctypes.c_int32]
    clean = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=False,
                                       strip_accents=False, lowercase=False)
    strip = normalizers.StripAccents()
    bert_strip = normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=False,
                                            strip_accents=True, lowercase=False)
    nfd = normalizers.NFD()
    lower = normalizers.Lowercase()
    nfkd = normalizers.NFKD()
    pre = pre_tokenizers.BertPreTokenizer()
    removed, punct, mark, bert_mark, lower_diffs, compat = {}, {}, {}, {}, {}, {}
    for cp in code_points():
        c = chr(cp)
        our_removed, our_punct, our_mark, our_mn = our_guesses(u, cp)
        if (clean.normalize_str(c) == "") != our_removed:
            removed[cp] = int(not our_removed)
        if (len(pre.pre_tokenize_str("a" + c + "a")) == 3) != our_punct:
            punct[cp] = int(not our_punct)
        if (strip.normalize_str(c) == "") != our_mark:
            mark[cp] = int(not our_mark)
        # Only characters HF's NFD leaves alone reach BertNormalizer's mark filter.
        if nfd.normalize_str(c) == c and (bert_strip.normalize_str(c) == "") != our_mn:
            bert_mark[cp] = int(not our_mn)
        low = lower.normalize_str(c)
        if low != chr(u.lib.utf8proc_tolower(cp)) and cp != 0x130:  # U+0130 is special-cased
            assert len(low) == 1, f"U+{cp:04X} lowercases to {len(low)} characters"
            lower_diffs[cp] = ord(low) - cp
        hf = nfkd.normalize_str(c)
        if hf != utf8proc_nfkd(u, c):
            assert hf == c, f"U+{cp:04X}: HF's NFKD changes it differently"
            compat[cp] = 0
    return u.version, removed, punct, mark, bert_mark, lower_diffs, compat


def main():
    version, removed, punct, mark, bert_mark, lower_diffs, compat = derive()
    print(f"// utf8proc {version}")
    for name, table in [("kBertRemovedDiffs", removed), ("kBertPunctDiffs", punct),
                        ("kHfMarkDiffs", mark), ("kBertMarkDiffs", bert_mark),
                        ("kLowerDiffs", lower_diffs),
                        ("kCompatUnknown", compat)]:
        print(f"constexpr Range {name}[] = {{")
        for first, last, value in ranges(table):
            print(f"    {{0x{first:X}, 0x{last:X}, {value}}},")
        print("};")


if __name__ == "__main__":
    main()
