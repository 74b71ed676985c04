"""`fourbrain convert` on PDFs nobody here wrote (Debian documentation packages) and on corrupt
inputs.

Real PDFs: conversion of the first REAL_PDF_PAGES pages succeeds, the JSON validates with
docling-core, and the body text matches `pdftotext` (poppler-utils) word for word in reading
order: difflib.SequenceMatcher ratio over the word sequences >= MIN_WORD_SEQUENCE_RATIO.
Words are runs of letters or of digits after NFKC normalisation (punctuation and spacing
ignored, case kept; a digit run is its own word, so a superscript glued to a word is not a
different word); a hyphen at a pdftotext line end between two letters/digits is joined
(Docling's de-hyphenation rule); furniture is excluded on both sides: the converter's page_header /
page_footer items, and pdftotext lines equal to one of those texts or a bare page number
(digits or roman numerals) as the first/last line of a page.

Corrupt inputs: `fourbrain convert` must finish within CORRUPT_TIMEOUT_S, never die of a
signal (return code >= 0), and fail with return code 1 and exactly one line on stderr. A
truncated PDF and a PDF with a broken xref table may instead be repaired (as pdfium, poppler
and qpdf do): then return code 0 and a valid DoclingDocument.

Encrypted inputs (made by qpdf at test time): an empty user password converts as the plain
file does; a user password fails as a corrupt input does, saying that it needs one.
"""
import difflib
import gzip
import json
import os
import random
import re
import shutil
import subprocess
import unicodedata

import pytest

from convert_util import BINARY, CORPUS, fourbrain, run_convert  # noqa: F401 (fixture)

docling_doc = pytest.importorskip(
    "docling_core.types.doc", reason="docling-core is not installed (tools/requirements-test.txt)")
DoclingDocument = docling_doc.DoclingDocument
ContentLayer = docling_doc.ContentLayer

REAL_PDF_PAGES = int(os.environ.get("FOURBRAIN_REAL_PDF_PAGES", "5"))
MIN_WORD_SEQUENCE_RATIO = 0.90
CORRUPT_TIMEOUT_S = 20

# (path, Debian package, what kind of producer made it)
REAL_PDFS = [
    ("/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf", "shared-mime-info",
     "pdfTeX / LaTeX hyperref"),
    ("/usr/share/doc/libtasn1-doc/libtasn1.pdf", "libtasn1-doc", "pdfTeX (Texinfo)"),
    ("/usr/share/doc/fontconfig/fontconfig-user.pdf.gz", "fontconfig", "pdfTeX / LaTeX hyperref"),
    ("/usr/share/doc/bzip2/manual.pdf.gz", "bzip2-doc", "PassiveTeX (DocBook)"),
    ("/usr/share/doc/zlib1g-dev/crc-doc.1.0.pdf.gz", "zlib1g-dev", "MiKTeX pdfTeX"),
]


def real_pdf(path, package, tmp_dir):
    if not os.path.exists(path):
        pytest.skip(f"{path} missing: apt-get install {package} (and no dpkg path-exclude for "
                    f"/usr/share/doc)")
    if not path.endswith(".gz"):
        return path
    out = os.path.join(tmp_dir, os.path.basename(path)[:-3])
    if not os.path.exists(out):
        with gzip.open(path, "rb") as src, open(out, "wb") as dst:
            shutil.copyfileobj(src, dst)
    return out


def words(text):
    """Runs of letters and runs of digits (so "x2" and "x 2", "Kadatch1" and "Kadatch 1" are the
    same words: sub/superscripts and footnote marks glue to a word in pdftotext, not in Docling)."""
    return re.findall(r"[^\W\d_]+|\d+", unicodedata.normalize("NFKC", text).replace("\u00ad", ""))


def norm(text):
    return " ".join(unicodedata.normalize("NFKC", text or "").replace("\u00ad", "").split())


PAGE_NUMBER_RE = re.compile(r"(\d+|[ivxlcdm]+)", re.I)


def pdftotext_words(pdf, last_page, furniture_texts):
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext missing: apt-get install poppler-utils")
    out = subprocess.run(["pdftotext", "-f", "1", "-l", str(last_page), "-enc", "UTF-8", pdf, "-"],
                         capture_output=True, check=True, timeout=120).stdout.decode("utf-8")
    kept = []
    for page in out.split("\f"):
        lines = [line for line in page.split("\n") if line.strip()]
        for k in (0, -1):  # bare page numbers as first/last line
            if lines and PAGE_NUMBER_RE.fullmatch(lines[k].strip()):
                lines.pop(k)
        lines = [line for line in lines if norm(line) not in furniture_texts]
        kept.append("\n".join(lines))
    text = re.sub(r"(\w)-\n(\w)", r"\1\2", "\n".join(kept))
    return words(text)


def converted_words(doc):
    """Body texts in document order (a formula's orig); tables cell by cell (row-major); text
    inside pictures."""
    out = []
    for item, _ in doc.iterate_items(traverse_pictures=True, included_content_layers=set(ContentLayer)):
        if item.self_ref == "#/body" or item.content_layer != ContentLayer.BODY:
            continue
        if item.label.value == "table":
            for cell in sorted(item.data.table_cells,
                               key=lambda c: (c.start_row_offset_idx, c.start_col_offset_idx)):
                out += words(cell.text)
        elif item.label.value == "formula":
            # Without a formula model Docling leaves a formula's text empty and keeps the
            # PDF's characters in orig: those are what pdftotext prints.
            out += words(item.orig)
        elif getattr(item, "text", None):
            out += words(item.text)
    return out


def readable_word_diff(a, b, limit=15):
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    rows = []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            continue
        ctx = " ".join(a[max(0, i1 - 4):i1])
        rows.append(f"  {tag:7} after '…{ctx}': pdftotext [{' '.join(a[i1:i2][:25])}] "
                    f"-> converter [{' '.join(b[j1:j2][:25])}]")
        if len(rows) >= limit:
            rows.append("  …")
            break
    return "\n".join(rows)


@pytest.mark.parametrize("path,package,producer", REAL_PDFS,
                         ids=[os.path.basename(p[0]).split(".")[0] for p in REAL_PDFS])
def test_real_pdf_text_matches_pdftotext(path, package, producer, fourbrain, tmp_path_factory):
    pdf = real_pdf(path, package, str(tmp_path_factory.getbasetemp()))
    info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True).stdout
    num_pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1)) if info else REAL_PDF_PAGES
    last = min(REAL_PDF_PAGES, num_pages)
    conv = run_convert(pdf, "json", ("--pages", f"1-{last}"))
    assert conv.returncode == 0, conv.describe()
    raw = json.loads(conv.stdout)
    doc = DoclingDocument.model_validate(raw)
    assert sorted(map(int, raw["pages"])) == list(range(1, last + 1))

    furniture = {norm(i.text) for i in doc.texts if i.content_layer == ContentLayer.FURNITURE}
    ref = pdftotext_words(pdf, last, furniture)
    got = converted_words(doc)
    ratio = difflib.SequenceMatcher(None, ref, got, autojunk=False).ratio()
    assert ratio >= MIN_WORD_SEQUENCE_RATIO, (
        f"{os.path.basename(pdf)} ({package}, {producer}), pages 1-{last}: word-sequence ratio "
        f"{ratio:.3f} < {MIN_WORD_SEQUENCE_RATIO} ({len(ref)} pdftotext words, {len(got)} "
        f"converted); differences:\n{readable_word_diff(ref, got)}")


# ----------------------------------------------------------------------------- corrupt inputs
def _source_pdf():
    with open(os.path.join(CORPUS, "numbered_report.pdf"), "rb") as f:
        return f.read()


def _broken_xref(data):
    """Every xref entry and the startxref offset overwritten with nonsense; objects intact."""
    start = data.rindex(b"\nxref\n") + 1
    end = data.index(b"trailer", start)
    garbage = re.sub(rb"[0-9]", b"7", data[start:end]).replace(b" n", b" q").replace(b" f", b" q")
    data = data[:start] + garbage + data[end:]
    return re.sub(rb"startxref\s+\d+", b"startxref\n999999999", data)


CORRUPT = {
    # name: (bytes, may be repaired)
    "empty": (lambda: b"", False),
    "random_bytes": (lambda: random.Random(1234).randbytes(64 * 1024), False),
    "plain_text": (lambda: b"This is plain text, not a PDF.\n" * 200, False),
    "header_only": (lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", False),
    "random_after_header": (lambda: b"%PDF-1.6\n" + random.Random(99).randbytes(32 * 1024), False),
    "truncated_40_percent": (lambda: _source_pdf()[:len(_source_pdf()) * 2 // 5], True),
    "broken_xref": (lambda: _broken_xref(_source_pdf()), True),
}


def _run(args):
    try:
        return subprocess.run(args, capture_output=True, timeout=CORRUPT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`{' '.join(args)}` still running after {CORRUPT_TIMEOUT_S} s")


def _check_failure(proc, what):
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode >= 0, f"{what}: killed by signal {-proc.returncode}; stderr:\n{err[-2000:]}"
    assert proc.returncode == 1, f"{what}: return code {proc.returncode}, want 1; stderr:\n{err[-2000:]}"
    lines = [line for line in err.split("\n") if line.strip()]
    assert len(lines) == 1, f"{what}: want one line on stderr, got {len(lines)}:\n{err[-2000:]}"


@pytest.mark.parametrize("name", sorted(CORRUPT))
def test_corrupt_input(name, fourbrain, tmp_path):
    make, may_repair = CORRUPT[name]
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(make())
    proc = _run([BINARY, "convert", str(path), "--to", "json"])
    assert proc.returncode >= 0, f"{name}: killed by signal {-proc.returncode}"
    if may_repair and proc.returncode == 0:
        DoclingDocument.model_validate(json.loads(proc.stdout))  # repaired: must still be valid
        return
    _check_failure(proc, name)


def test_missing_file(fourbrain, tmp_path):
    _check_failure(_run([BINARY, "convert", str(tmp_path / "no-such-file.pdf"), "--to", "json"]),
                   "missing file")


def test_unknown_output_format(fourbrain):
    proc = _run([BINARY, "convert", os.path.join(CORPUS, "two_column.pdf"), "--to", "docx"])
    assert proc.returncode != 0 and proc.returncode >= 0, proc.returncode


def _encrypt(tmp_path, user_password):
    if shutil.which("qpdf") is None:
        pytest.skip("qpdf is not installed (scripts/install_deps.sh installs it)")
    out = tmp_path / f"encrypted_{user_password or 'empty'}.pdf"
    subprocess.run(["qpdf", "--encrypt", user_password, "ownerpw", "256", "--",
                    os.path.join(CORPUS, "two_column.pdf"), str(out)], check=True)
    return str(out)


def test_encrypted_with_empty_user_password_converts(fourbrain, tmp_path):
    plain = _run([BINARY, "convert", os.path.join(CORPUS, "two_column.pdf"), "--to", "md"])
    proc = _run([BINARY, "convert", _encrypt(tmp_path, ""), "--to", "md"])
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    assert proc.stdout == plain.stdout and proc.stdout.strip()


def test_encrypted_with_user_password_fails_clearly(fourbrain, tmp_path):
    for extra in ([], ["--in-process"]):
        proc = _run([BINARY, "convert", _encrypt(tmp_path, "userpw"), "--to", "md", *extra])
        _check_failure(proc, f"password-protected PDF {extra}")
        assert b"encrypted and needs a password" in proc.stderr, proc.stderr
