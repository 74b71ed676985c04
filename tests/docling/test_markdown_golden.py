"""Markdown golden: for every corpus PDF and the real Debian PDFs, `fourbrain convert --to md`
must equal what docling-core's own MarkdownDocSerializer (DoclingDocument.export_to_markdown,
the reference implementation of Docling's Markdown rules, pinned in
tools/requirements-test.txt) writes for the document of `convert --to json`. This checks our
serializer (headings, lists and nesting, escaping, pipe tables with tabulate's padding and
numeric alignment, stacked header rows, captions, placeholders, furniture left out) against
the real one, byte for byte.
"""
import difflib
import glob
import gzip
import json
import os
import shutil

import pytest
from docling_core.types.doc import DoclingDocument

from convert_util import CORPUS, fourbrain, run_convert  # noqa: F401 (fixture)
from test_convert_real_pdfs import REAL_PDFS

CORPUS_PDFS = sorted(glob.glob(os.path.join(CORPUS, "*.pdf")))


def local_pdf(path, tmp_path_factory):
    if not path.endswith(".gz"):
        return path
    out = tmp_path_factory.mktemp("pdf") / os.path.basename(path[:-3])
    with gzip.open(path, "rb") as src, open(out, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return str(out)


def check_markdown(pdf, extra=()):
    conv_json = run_convert(pdf, "json", extra)
    conv_md = run_convert(pdf, "md", extra)
    assert conv_json.returncode == 0, conv_json.describe()
    assert conv_md.returncode == 0, conv_md.describe()
    doc = DoclingDocument.model_validate(json.loads(conv_json.stdout))
    want = doc.export_to_markdown().strip()
    got = conv_md.stdout.decode("utf-8").strip()
    if want != got:
        pytest.fail("Markdown differs from docling-core's export of the same document:\n" +
                    "\n".join(difflib.unified_diff(want.splitlines(), got.splitlines(),
                                                   "docling-core", "fourbrain", lineterm="")))


@pytest.mark.parametrize("pdf", CORPUS_PDFS, ids=os.path.basename)
def test_corpus_markdown_matches_docling_core(pdf, fourbrain):
    check_markdown(pdf)


@pytest.mark.parametrize("path,package,producer", REAL_PDFS)
def test_real_pdf_markdown_matches_docling_core(path, package, producer, fourbrain, tmp_path_factory):
    if not os.path.exists(path):
        pytest.skip(f"{path} not installed (Debian package {package})")
    check_markdown(local_pdf(path, tmp_path_factory))
