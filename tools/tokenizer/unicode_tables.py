#!/usr/bin/env python3
"""Derives the two small Unicode tables in src/formats/tokenizer/char_classes.cc.

HF `tokenizers` does not use one Unicode version throughout: its Split regex (Oniguruma)
knows Unicode 16, while its NFC normalizer (the unicode-normalization-alignments crate)
has Unicode 9.0 tables. Our tokenizer takes categories and normalisation from utf8proc, so
it needs the differences, found here by asking both libraries about every code point:
  kNewerLettersNumbers  letters/numbers Oniguruma knows and utf8proc does not
  kUnknownToHfNfc       characters utf8proc normalises (non-zero combining class or a
                        canonical decomposition) that HF's NFC leaves alone, plus the
                        ccc-0 parts of such decompositions (new starters such as U+11935)
Rerun after a utf8proc or tokenizers upgrade and paste the output into char_classes.cc;
tokenizer_corpus_test (char_classes.txt, nfc_probes.txt) tells when that is needed.

Usage: unicode_tables.py   (needs `tokenizers` and libutf8proc.so)
"""
import ctypes
import ctypes.util

from tokenizers import Regex, normalizers, pre_tokenizers

QWEN2_PATTERN = (r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|"""
                 r""" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""")


class Utf8proc:
    def __init__(self):
        lib = ctypes.CDLL(ctypes.util.find_library("utf8proc") or "libutf8proc.so.2")
        lib.utf8proc_unicode_version.restype = ctypes.c_char_p
        lib.utf8proc_category.argtypes = [ctypes.c_int32]
        lib.utf8proc_get_property.argtypes = [ctypes.c_int32]
        lib.utf8proc_get_property.restype = ctypes.POINTER(ctypes.c_int16)
        lib.utf8proc_decompose_char.argtypes = [ctypes.c_int32, ctypes.POINTER(ctypes.c_int32),
                                                ctypes.c_ssize_t, ctypes.c_int, ctypes.c_void_p]
        lib.utf8proc_map.argtypes = [ctypes.c_char_p, ctypes.c_ssize_t,
                                     ctypes.POINTER(ctypes.c_void_p), ctypes.c_int]
        self.lib = lib
        self.libc = ctypes.CDLL(None)
        self.version = lib.utf8proc_unicode_version().decode()

    def category(self, cp):  # 1..5 letters, 9..11 numbers (utf8proc_category_t)
        return self.lib.utf8proc_category(cp)

    def ccc(self, cp):
        return self.lib.utf8proc_get_property(cp)[1]

    def decomposition(self, cp):
        buf = (ctypes.c_int32 * 32)()
        n = self.lib.utf8proc_decompose_char(cp, buf, 32, 1 << 4, None)  # UTF8PROC_DECOMPOSE
        d = list(buf[:n])
        return None if d == [cp] else d

    def nfc(self, text):
        data = text.encode("utf-8")
        out = ctypes.c_void_p()
        n = self.lib.utf8proc_map(data, len(data), ctypes.byref(out), (1 << 1) | (1 << 3))  # STABLE|COMPOSE
        result = ctypes.string_at(out, n).decode("utf-8")
        self.libc.free(out)
        return result


def ranges(cps):
    out = []
    for cp in sorted(cps):
        if out and out[-1][1] == cp - 1 and out[-1][2] == cps[cp]:
            out[-1][1] = cp
        else:
            out.append([cp, cp, cps[cp]])
    return out


def main():
    u = Utf8proc()
    split = pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior="isolated", invert=False)
    nfc = normalizers.NFC()
    newer = {}
    unknown = {}
    for cp in range(0x110000):
        if 0xD800 <= cp < 0xE000:
            continue
        c = chr(cp)
        pieces = [p for p, _ in split.pre_tokenize_str("x" + c + c + "x")]
        hf = "L" if len(pieces) == 1 else "N" if len(pieces) == 4 else None
        cat = u.category(cp)
        ours = "L" if 1 <= cat <= 5 else "N" if 9 <= cat <= 11 else None
        if hf != ours:
            assert ours is None, f"U+{cp:04X}: utf8proc {ours}, Oniguruma {hf}"
            newer[cp] = hf
        d = u.decomposition(cp)
        if u.ccc(cp) == 0 and d is None:
            continue
        probes = [c + "\u0334", "\u0301" + c, "a" + c, c + "a", c]
        if d:
            probes += ["".join(map(chr, d)), "a" + "".join(map(chr, d)) + "\u0334"]
        if any(nfc.normalize_str(p) != u.nfc(p) for p in probes):
            unknown[cp] = "U"
            for part in d or []:
                if u.ccc(part) == 0 and u.decomposition(part) is None:
                    unknown[part] = "U"

    print(f"// utf8proc {u.version}")
    print("constexpr Range kNewerLettersNumbers[] = {")
    for first, last, cls in ranges(newer):
        print(f"    {{0x{first:X}, 0x{last:X}, {'kLetter' if cls == 'L' else 'kNumber'}}},")
    print("};")
    print("constexpr Range kUnknownToHfNfc[] = {")
    for first, last, _ in ranges(unknown):
        print(f"    {{0x{first:X}, 0x{last:X}, 0}},")
    print("};")


if __name__ == "__main__":
    main()
