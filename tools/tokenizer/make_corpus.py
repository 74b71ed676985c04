#!/usr/bin/env python3
"""Assembles the tokenizer test corpus (tests/data/tokenizer_corpus.txt.xz).

One record per line (records never contain "\n"; "\r" and other line-like characters may
appear inside a line). reference_ids.py also joins runs of lines with "\n" to test newlines.
Sources, sampled deterministically from what a Debian machine has:
  - man pages in ~25 languages (troff source), /usr/share/doc copyright files and changelogs,
    /usr/share/common-licenses, Python standard-library source (code, indentation);
  - glibc locale sources with their <UXXXX> escapes decoded (many scripts), X11 Compose files
    (symbols, dead keys, emoji-like characters);
  - generated edge cases: scripts (CJK, Arabic, Hebrew, Cyrillic, Devanagari, Thai, ...),
    emoji with ZWJ sequences and skin tones, combining marks and non-NFC input, whitespace
    runs of every kind \\s knows, digits, contractions in all cases, special-token strings
    (whole and partial), control characters, very long words, and seeded random mixtures.
The corpus is committed, so CI never depends on what a machine has installed; rerun this only
to change it. Usage: make_corpus.py [--out tests/data/tokenizer_corpus.txt.xz]
"""
import argparse
import glob
import gzip
import lzma
import os
import random
import re
import unicodedata

RNG = random.Random(20240611)


def read_text(path):
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            data = f.read(400_000)
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError, EOFError):
        return None


def sample_lines(paths, max_files, max_lines_per_file, total, keep=lambda s: True):
    """Up to `total` distinct non-blank lines from a seeded sample of `paths`."""
    paths = sorted(paths)
    RNG.shuffle(paths)
    out, seen = [], set()
    for path in paths[:max_files]:
        text = read_text(path)
        if text is None:
            continue
        taken = 0
        for line in text.split("\n"):
            if not line.strip() or line in seen or not keep(line):
                continue
            seen.add(line)
            out.append(line)
            taken += 1
            if taken >= max_lines_per_file or len(out) >= total:
                break
        if len(out) >= total:
            break
    return out


U_ESCAPE = re.compile(r"<U([0-9A-Fa-f]{4,6})>")


def decode_locale_line(line):
    def repl(m):
        cp = int(m.group(1), 16)
        if cp == 0x0A or 0xD800 <= cp < 0xE000 or cp > 0x10FFFF:
            return m.group(0)
        return chr(cp)
    return U_ESCAPE.sub(repl, line)


def system_lines():
    lines = []
    langs = sorted(d for d in os.listdir("/usr/share/man") if not d.startswith("man"))
    for lang in langs:
        paths = glob.glob(f"/usr/share/man/{lang}/man*/*.gz")
        lines += sample_lines(paths, 40, 25, 330)
    lines += sample_lines(glob.glob("/usr/share/man/man*/*.gz"), 200, 15, 2200)
    lines += sample_lines(glob.glob("/usr/share/doc/*/copyright"), 120, 25, 1800)
    lines += sample_lines(glob.glob("/usr/share/doc/*/changelog*.gz"), 60, 30, 1200)
    lines += sample_lines(glob.glob("/usr/share/common-licenses/*"), 20, 80, 1300)
    lines += sample_lines(glob.glob("/usr/lib/python3*/**/*.py", recursive=True), 150, 25, 3200)
    locale_lines = [decode_locale_line(s) for s in
                    sample_lines(glob.glob("/usr/share/i18n/locales/*"), 400, 40, 12000,
                                 keep=lambda s: "<U" in s)]
    non_ascii = [s for s in locale_lines if any(ord(c) > 127 for c in s)]
    lines += non_ascii[:3200]
    lines += sample_lines(glob.glob("/usr/share/X11/locale/*/Compose"), 40, 60, 1500,
                          keep=lambda s: any(ord(c) > 127 for c in s))
    return lines


SCRIPTS = [
    "我们今天去北京大学参观了图书馆，然后在食堂吃了饺子。",
    "東京都の天気は晴れ、最高気温は２５度です。カタカナとひらがなも混ぜます。",
    "한국어 문장을 토큰화합니다. 서울특별시는 대한민국의 수도이다.",
    "مرحبا بالعالم، هذه جملة عربية مع أرقام ١٢٣٤ وعلامات ترقيم؟",
    "שלום עולם! זוהי שורה בעברית עם ניקוד: בְּרֵאשִׁית בָּרָא",
    "Съешь же ещё этих мягких французских булок, да выпей чаю.",
    "नमस्ते दुनिया, यह एक हिंदी वाक्य है। क्षत्रिय ज्ञान श्री",
    "ภาษาไทยไม่มีช่องว่างระหว่างคำ สวัสดีครับ",
    "Ελληνικά: Ξεσκεπάζω την ψυχοφθόρα βδελυγμία.",
    "ქართული ენა, Հայերեն լեզու, አማርኛ ቋንቋ, தமிழ் மொழி, বাংলা ভাষা",
    "Tiếng Việt có dấu: Người ta nói rằng đường đi khó.",
    "Zażółć gęślą jaźń. Příliš žluťoučký kůň úpěl ďábelské ódy.",
    "ᚠᛇᚻ᛫ᛒᛦᚦ runes, ꯃꯩꯇꯩ, ᏣᎳᎩ, ⵜⴰⵎⴰⵣⵉⵖⵜ, 𐌰𐌱𐌲 gothic, 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 math",
    "Unicode 15.1/16: \U0002EBF0\U0002EBF1 CJK-I, \u1C89\u1C8A Cyrillic TJE, "
    "\U000105C0\U000105C1 Todhri, \U00010D40\U00010D41 Garay digits",
]

EMOJI = [
    "👍 👍🏻 👍🏼 👍🏽 👍🏾 👍🏿", "👨‍👩‍👧‍👦 family", "🏳️‍🌈 and 🏴‍☠️", "🇩🇪🇫🇷🇯🇵🇺🇸",
    "1️⃣2️⃣#️⃣", "🧑🏿‍💻 coder", "❤️‍🔥", "😀😃😄😁😆😅🤣😂", "👩🏽‍🤝‍👩🏻", "🫠🫨🪿 new emoji",
]

NON_NFC = [
    "e\u0301cole", "Cafe\u0301 au lait", "A\u030angstro\u0308m", "\u212b \u2126 \u212a",
    "\u1100\u1161\u11a8 \u1112\u1161\u11ab\u1100\u1173\u11af", "\uac00\u11a8", "\u0958\u0959",
    "a\u0323\u0301 a\u0301\u0323", "\u1ec7 e\u0323\u0302 e\u0302\u0323", "\uf900\uf901",
    "\ufb01 \ufb02 ligatures", "o\u0308\u0304", "\u0344", "\u0340\u0341", "x\u0301y", "\u0301",
    "Ä\u0308", "\u0915\u093c", "\u09c7\u09be", "\u0b47\u0b3e", "\u1025\u102e", "\u3099\u309a",
    "\u304b\u3099", "\u30cf\u309a", "\u00c5\u0328", "\U0001D15E", "\u2000\u2001",
]

WHITESPACE = [
    "a    b", "\t\tindented", " \r ", "trailing   ", "   leading", "\u00a0\u00a0nbsp",
    "x\u00a0y", "\u3000ideographic\u3000space", "line\u2028sep", "para\u2029sep", "\x0b\x0c",
    "next\u0085line", "ogham\u1680space", "thin\u2009space\u200aand\u202fnarrow\u205fmath",
    "zero\u200bwidth", "\r", "a\rb", "a \r b", "a\r\rb", "    ", "\t", " ", "\u3000\u3000",
    "\u2003\u2003\u2003x", "x\t\t\t", "\x1c\x1d\x1e\x1f separators", "mongolian\u180evs",
    "word  \t  word", "a" + " " * 300 + "b", "\t" * 100, "\u00a0 \u00a0 \u00a0x",
]

DIGITS = [
    "1234567890", "3.14159265358979", "1,000,000.00", "٠١٢٣٤٥٦٧٨٩", "１２３４５", "²³¹ ½ ¾",
    "Ⅻ ⅻ Ⅳ", "①②③", "0x7fffffff", "2024-06-11T12:34:56Z", "v1.2.3-rc4", "9" * 200,
    "₀₁₂", "𝟘𝟙𝟚", "१२३", "๑๒๓",
]

CONTRACTIONS = [
    "I'm you're he's she'll we've they'd it's", "I'M YOU'RE HE'S SHE'LL WE'VE THEY'D IT'S",
    "He'S we'Ll they'Ve I'M you'RE", "'S 'LL 'Re 'vE 'd 'T 'm", "don't won't can't",
    "''s '''t", "it'ſ 'ſa 'ſ", "’s ‘t ’re", "'sa 'll 'lla", "x's'd'm't", "' s", "'", "''",
    "rock'n'roll", "O'Neil's", "'re'RE'Re'rE", "'LLLL",
]

SPECIALS = [
    "<|endoftext|>", "Hello<|endoftext|>world", "<|im_start|>system You are helpful.<|im_end|>",
    "<|im_start|>user hi<|im_end|><|im_start|>assistant <think>hmm</think> ok<|im_end|>",
    "<think>", "</think>", "<|im_", "<|im_end", "<|im_end|", "<<|endoftext|>>",
    "<|endoftext|><|endoftext|>", "<tool_call>{\"name\": \"f\"}</tool_call>", "</think",
    "<|fim_prefix|>def f(<|fim_suffix|>):<|fim_middle|>", " <|im_end|> ", "<|endoftext|",
    "<|box_start|>(1,2),(3,4)<|box_end|>", "<|vision_start|><|image_pad|><|vision_end|>",
    "<|object_ref_start|>cat<|object_ref_end|>", "<|quad_start|><|quad_end|><|vision_pad|>",
    "<|video_pad|><|repo_name|>x<|file_sep|><|fim_pad|>", "<tool_response>ok</tool_response>",
    "<|ENDOFTEXT|>", "< |endoftext| >", "<|endoftext|>" * 20, "a<think>b</think>c",
    "<|im_start|><|im_start|", "<th<think>ink>",
]

CONTROL = [
    "\x00", "a\x00b", "\x00\x00\x00", "\x01\x02\x1b[31mred\x1b[0m", "\x7f", "del\x7fete",
    "\ufeffBOM start", "soft\u00adhyphen", "\u200e\u200f rtl marks", "زن\u200cها", "\u2060",
    "\ufffd replacement", "\uffff\ufffe noncharacters", "\U0010ffff", "\ue000 private",
]

POOL = (list("abcXYZ' \t\r") + ["'s", "'S", "'ll", "'LL", "  ", "\u00a0", "\u3000", "\u2028",
        "\u0085", "\x0b", "1", "٣", "²", "é", "e\u0301", "\u0301", "\u093f", "中", "文", "😀",
        "👍🏽", "\u200d", "!", "?!", "...", "-", "_", "(", ")", "\"", "<|im_end|>", "<think>",
        "<|im_", "ſ", "\x00", "\x1c", "\u180e", "\u200b", "\u0644", "\u05d0", "\u0e01", "#",
        "\r\r", " \r", "ß", "İ", "ﬁ"])


def random_mix(n_lines):
    out = []
    for _ in range(n_lines):
        k = RNG.randint(1, 40)
        out.append("".join(RNG.choice(POOL) for _ in range(k)))
    return out


def random_codepoints(n_lines):
    out = []
    for _ in range(n_lines):
        cps = []
        while len(cps) < RNG.randint(3, 25):
            cp = RNG.choice([RNG.randint(0x20, 0x3000), RNG.randint(0, 0x2FFFF),
                             RNG.randint(0, 0x10FFFF)])
            if cp != 0x0A and not 0xD800 <= cp < 0xE000:
                cps.append(cp)
        out.append("".join(map(chr, cps)))
    return out


def mark_soup(n_lines):
    """Letters mixed with combining marks and decomposable characters, for NFC."""
    marks = [chr(cp) for cp in range(0x300, 0x20000) if not 0xD800 <= cp < 0xE000 and
             (unicodedata.combining(chr(cp)) or unicodedata.decomposition(chr(cp))[:1] not in
              ("", "<"))]
    pool = marks + list("aeiouAEIOU ") + ["\u1100", "\u1161", "\u11a8", "\uac00", "'s"]
    return ["".join(RNG.choice(pool) for _ in range(RNG.randint(2, 30))) for _ in range(n_lines)]


def long_lines(base):
    b64 = "".join(RNG.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
                  for _ in range(4000))
    out = ["a" * 5000, "ab" * 2000, b64, "supercalifragilisticexpialidocious" * 60,
           "!" * 3000, "中文文本没有空格" * 400, "https://example.com/" + "path/" * 500,
           "Ä" * 1500, "😀" * 800, " " * 2000 + "x", "'s" * 1000, "1" * 3000,
           "\u0301" * 500, "e\u0301" * 800]
    # Whole paragraphs: consecutive system lines joined with spaces (2 KB to 20 KB).
    i = 0
    while i < len(base) and len(out) < 60:
        n = RNG.randint(20, 200)
        out.append(" ".join(base[i:i + n]))
        i += n + 300
    return out


def generated_lines(base):
    lines = SCRIPTS + EMOJI + NON_NFC + WHITESPACE + DIGITS + CONTRACTIONS + SPECIALS + CONTROL
    # Each fixed case also inside text and after a space, where the regex behaves differently.
    lines += [f"Text {s} more" for s in lines] + [" " + s for s in lines]
    return (lines + random_mix(1600) + random_codepoints(500) + mark_soup(600) +
            long_lines(base))


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(root, "tests/data/tokenizer_corpus.txt.xz"))
    args = ap.parse_args()
    base = system_lines()
    lines = base + generated_lines(base)
    assert all("\n" not in s for s in lines)
    data = ("\n".join(lines) + "\n").encode("utf-8")
    with open(args.out, "wb") as f:
        f.write(lzma.compress(data, preset=9 | lzma.PRESET_EXTREME))
    print(f"{len(lines)} lines, {len(data)} bytes, {os.path.getsize(args.out)} bytes xz: "
          f"{args.out}")


if __name__ == "__main__":
    main()
