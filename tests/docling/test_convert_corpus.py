"""`fourbrain convert` on the hand-written corpus (tests/data/docling/corpus, sources in
tools/docling/corpus): the JSON must be a DoclingDocument that docling-core's own pydantic
model accepts, and its structure must match <stem>.expected.json, which was written by hand from
the source documents (never from a converter's output).

Comparisons and their tolerances:
  * Texts are compared after Unicode NFKC normalisation, soft-hyphen removal and whitespace
    collapsing. An expected item with "match": "prefix" only fixes the leading text (used where
    a footnote mark follows the text). For list items a leading bullet/number marker left in the
    converted text is removed before the order comparison (test_list_markers checks the marker
    separately); for footnotes a leading footnote number is removed.
  * Captions of tables and pictures are checked as captions of that item (DoclingDocument keeps
    them as children of the table/picture); a caption that is not attached appears as an extra
    `caption` item in the order diff.
  * Items on scanned pages are left out of the item-by-item comparison; the OCR test instead
    requires that >= 80% of the source's words on that page are recovered (case-insensitive).
  * Code: whitespace-collapsed text in the order comparison, and its line breaks (lines stripped
    of indentation) in test_code_block_lines; indentation itself is not checked.
  * Table cells: grid (spanning cells repeated, as DoclingDocument's TableData.grid) compared
    cell by cell; spans compared exactly.
Each failing comparison prints a unified diff, expected first.
"""
import difflib
import glob
import hashlib
import json
import os
import re
import unicodedata

import pytest

from convert_util import CORPUS, fourbrain, run_convert  # noqa: F401 (fixture)

docling_doc = pytest.importorskip(
    "docling_core.types.doc", reason="docling-core is not installed (tools/requirements-test.txt)")
DoclingDocument = docling_doc.DoclingDocument
ContentLayer = docling_doc.ContentLayer

EXPECTED = {os.path.basename(p)[:-len(".expected.json")]: p
            for p in sorted(glob.glob(os.path.join(CORPUS, "*.expected.json")))}
STEMS = sorted(EXPECTED)
OCR_MIN_WORD_RECALL = 0.80
PAGE_SIZE_TOLERANCE_PT = 1.0


# ----------------------------------------------------------------------------- helpers
def norm(text):
    text = unicodedata.normalize("NFKC", text or "").replace("\u00ad", "")
    return " ".join(text.split())


MARKER_RE = re.compile(r"^\s*(?:[•\u2022\u25e6\u2013\u2014\-*·]|\(?\d{1,3}[.)]|\(?[a-z][.)])\s+")


def strip_marker(text):
    return MARKER_RE.sub("", text, count=1)


def expected(stem):
    with open(EXPECTED[stem], encoding="utf-8") as f:
        return json.load(f)


def pdf_path(stem):
    return os.path.join(CORPUS, expected(stem)["pdf"])


def diff(expected_lines, actual_lines, what):
    return (f"{what} differs (--- expected from the source, +++ converter output):\n" +
            "\n".join(difflib.unified_diff(expected_lines, actual_lines, "expected", "actual",
                                           lineterm="", n=3)))


def convert_json(stem, extra=()):
    conv = run_convert(pdf_path(stem), "json", tuple(extra))
    assert conv.returncode == 0, conv.describe()
    try:
        raw = json.loads(conv.stdout)
    except json.JSONDecodeError as e:
        pytest.fail(f"`convert --to json` stdout is not JSON ({e}); first 500 bytes: "
                    f"{conv.stdout[:500]!r}")
    return raw


@pytest.fixture(scope="module")
def docs(fourbrain):
    """stem -> (raw JSON dict, validated DoclingDocument); each PDF converted once."""
    cache = {}

    def get(stem):
        if stem not in cache:
            raw = convert_json(stem)
            cache[stem] = (raw, DoclingDocument.model_validate(raw))
        return cache[stem]
    return get


def page_of(item):
    return item.prov[0].page_no if getattr(item, "prov", None) else None


def attached_caption_refs(doc):
    refs = set()
    for coll in (doc.tables, doc.pictures, doc.texts):
        for item in coll:
            for ref in getattr(item, "captions", None) or []:
                refs.add(ref.cref)
    return refs


def actual_items(doc, layer):
    """Items of one content layer in document order (depth first), without groups and without
    captions attached to a table/picture/code item."""
    captions = attached_caption_refs(doc)
    out = []
    for item, _ in doc.iterate_items(with_groups=False, included_content_layers=set(ContentLayer)):
        if item.self_ref in captions or item.self_ref == "#/body":
            continue
        if item.content_layer != layer:
            continue
        out.append(item)
    return out


def item_line(label, page, text, level=None):
    lvl = f"[{level}]" if level is not None else ""
    return f"p{page} {label}{lvl}: {text}"


def expected_line(e, with_level=False):
    text = norm(e.get("text", ""))
    if e["label"] in ("table", "picture"):
        text = norm(e.get("caption", ""))
    return item_line(e["label"], e["page"], text, e.get("level") if with_level else None)


def actual_line(item, doc, prefixes, with_level=False):
    label = item.label.value if hasattr(item.label, "value") else str(item.label)
    text = norm(getattr(item, "text", ""))
    if label == "list_item":
        text = strip_marker(text)
    elif label == "footnote":
        text = re.sub(r"^\d+\s*", "", text)
    elif label in ("table", "picture"):
        caps = [norm(r.resolve(doc).text) for r in (item.captions or [])]
        text = " ".join(caps)
    for p in prefixes:
        if text.startswith(p) and text != p:
            text = p
            break
    level = getattr(item, "level", None) if label == "section_header" and with_level else None
    return item_line(label, page_of(item), text, level)


def body_comparison(stem, doc):
    exp = expected(stem)
    scanned = set(exp["scanned_pages"])
    want = [e for e in exp["body"] if e["page"] not in scanned]
    prefixes = [norm(e["text"]) for e in want if e.get("match") == "prefix"]
    got_items = [i for i in actual_items(doc, ContentLayer.BODY) if page_of(i) not in scanned]
    return ([expected_line(e) for e in want],
            [actual_line(i, doc, prefixes) for i in got_items], got_items)


def nth_of_label(doc, label, n):
    items = [i for i in actual_items(doc, ContentLayer.BODY) if i.label.value == label]
    assert len(items) > n, f"only {len(items)} {label} item(s) in the body; expected more than {n}"
    return items[n]


# ----------------------------------------------------------------------------- JSON checks
@pytest.mark.parametrize("stem", STEMS)
def test_json_is_a_docling_document(stem, docs):
    raw, doc = docs(stem)
    exp = expected(stem)
    pdf = pdf_path(stem)
    assert raw.get("schema_name") == "DoclingDocument"
    assert re.fullmatch(r"\d+\.\d+\.\d+", str(raw.get("version"))), raw.get("version")
    assert doc.name == os.path.splitext(os.path.basename(pdf))[0]
    with open(pdf, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    assert doc.origin is not None, "origin missing"
    assert doc.origin.mimetype == "application/pdf"
    assert doc.origin.filename == os.path.basename(pdf)
    assert doc.origin.binary_hash == int(digest, 16) & 0xFFFFFFFFFFFFFFFF, \
        "origin.binary_hash must be the low 64 bits of the file's SHA-256"
    assert sorted(raw["pages"], key=int) == [str(p) for p in range(1, exp["num_pages"] + 1)]
    for key, size in exp["pages"].items():
        page = doc.pages[int(key)]
        assert page.page_no == int(key)
        got = (page.size.width, page.size.height)
        assert abs(got[0] - size["width"]) <= PAGE_SIZE_TOLERANCE_PT and \
            abs(got[1] - size["height"]) <= PAGE_SIZE_TOLERANCE_PT, \
            f"page {key}: size {got}, expected {size['width']} x {size['height']} (displayed, after /Rotate)"


@pytest.mark.parametrize("stem", STEMS)
def test_provenance_is_on_the_page(stem, docs):
    """Every text/table/picture has a prov with a BOTTOMLEFT bbox inside its page. Checked on
    the raw JSON: docling-core's validation clamps out-of-page boxes (with a warning)."""
    raw, _ = docs(stem)
    sizes = {int(k): (v["size"]["width"], v["size"]["height"]) for k, v in raw["pages"].items()}
    bad = []
    for coll in ("texts", "tables", "pictures"):
        for item in raw.get(coll, []):
            if not item.get("prov"):
                bad.append(f"{item['self_ref']} ({item.get('label')}) has no prov")
            for prov in item.get("prov", []):
                if prov["page_no"] not in sizes:
                    bad.append(f"{item['self_ref']}: prov page {prov['page_no']} not in pages")
                    continue
                b = prov["bbox"]
                if b.get("coord_origin") != "BOTTOMLEFT":
                    bad.append(f"{item['self_ref']}: bbox origin {b.get('coord_origin')}, want BOTTOMLEFT")
                    continue
                w, h = sizes[prov["page_no"]]
                if not (-1 <= b["l"] < b["r"] <= w + 1 and -1 <= b["b"] < b["t"] <= h + 1):
                    bad.append(f"{item['self_ref']}: bbox l={b['l']:.1f} t={b['t']:.1f} r={b['r']:.1f} "
                               f"b={b['b']:.1f} outside page {prov['page_no']} ({w:.1f} x {h:.1f}) or empty")
    assert not bad, f"{len(bad)} problems:\n" + "\n".join(bad[:20])


@pytest.mark.parametrize("stem", STEMS)
def test_body_items_in_reading_order(stem, docs):
    """Labels, texts and pages of the body, in order (furniture excluded; heading levels are
    test_heading_levels' business)."""
    _, doc = docs(stem)
    want, got, _ = body_comparison(stem, doc)
    assert got == want, diff(want, got, f"{stem}: body items")


@pytest.mark.parametrize("stem", STEMS)
def test_heading_levels(stem, docs):
    """Section headers in order with their level (1 = top level; a title is not a section
    header). Docling itself gives every header level 1 unless its heading-hierarchy step runs;
    the source has three levels, told apart by numbering or by font size."""
    _, doc = docs(stem)
    exp = expected(stem)
    scanned = set(exp["scanned_pages"])
    want = [expected_line(e, True) for e in exp["body"]
            if e["label"] == "section_header" and e["page"] not in scanned]
    got = [actual_line(i, doc, [], True) for i in actual_items(doc, ContentLayer.BODY)
           if i.label.value == "section_header" and page_of(i) not in scanned]
    assert got == want, diff(want, got, f"{stem}: section headers with levels")


@pytest.mark.parametrize("stem", STEMS)
def test_furniture(stem, docs):
    """Page headers/footers: label page_header|page_footer, content_layer furniture, right page."""
    _, doc = docs(stem)
    exp = expected(stem)
    want = sorted(item_line(f["label"], f["page"], norm(f["text"])) for f in exp["furniture"])
    got = sorted(item_line(i.label.value, page_of(i), norm(i.text))
                 for i in actual_items(doc, ContentLayer.FURNITURE)
                 if i.label.value in ("page_header", "page_footer"))
    assert got == want, diff(want, got, f"{stem}: furniture (sorted)")
    body_furniture = [i.self_ref for i in actual_items(doc, ContentLayer.BODY)
                      if i.label.value in ("page_header", "page_footer")]
    assert not body_furniture, f"page_header/page_footer items in the body layer: {body_furniture}"


def _lists_of(stem):
    exp = expected(stem)
    return exp, [e for e in exp["body"] if e["label"] == "list_item"]


LIST_STEMS = [s for s in STEMS if _lists_of(s)[1]]


@pytest.mark.parametrize("stem", LIST_STEMS)
def test_list_groups(stem, docs):
    """Every list item sits in a `list` group; items of one source list share a group; a nested
    list is a different group below the outer list (under a list item, or under the outer group)."""
    _, doc = docs(stem)
    exp, want = _lists_of(stem)
    got = [i for i in actual_items(doc, ContentLayer.BODY) if i.label.value == "list_item"]
    assert [norm(strip_marker(i.text)) for i in got] == [norm(e["text"]) for e in want], diff(
        [norm(e["text"]) for e in want], [norm(strip_marker(i.text)) for i in got],
        f"{stem}: list items")
    group_of = {}
    problems = []
    for e, item in zip(want, got):
        parent = item.parent.resolve(doc)
        plabel = getattr(parent.label, "value", parent.label)
        if plabel not in ("list", "ordered_list"):
            problems.append(f"'{e['text'][:40]}': parent {item.parent.cref} has label {plabel}, want list")
            continue
        group_of.setdefault(e["list"], set()).add(parent.self_ref)
    for name, refs in group_of.items():
        if len(refs) != 1:
            problems.append(f"list {name}: items spread over groups {sorted(refs)}")
    first = {name: next(iter(refs)) for name, refs in group_of.items() if len(refs) == 1}
    for name, info in exp["lists"].items():
        if name not in first:
            continue
        if info["parent"] is None:
            others = [n for n in first if n != name and first[n] == first[name]]
            if others:
                problems.append(f"list {name} shares its group with {others}")
            continue
        outer = first.get(info["parent"])
        node = doc.groups[int(first[name].split("/")[-1])] if first[name].startswith("#/groups/") else None
        chain = []
        while node is not None and node.parent is not None:
            chain.append(node.parent.cref)
            node = node.parent.resolve(doc)
            if node.self_ref == "#/body":
                break
        if outer is None or outer == first[name] or outer not in chain:
            problems.append(f"nested list {name} (group {first[name]}) is not below its outer list "
                            f"{info['parent']} (group {outer}); ancestors {chain}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("stem", LIST_STEMS)
def test_list_markers(stem, docs):
    """`enumerated` as in the source; the marker is in `marker`, not left in `text`."""
    _, doc = docs(stem)
    _, want = _lists_of(stem)
    got = [i for i in actual_items(doc, ContentLayer.BODY) if i.label.value == "list_item"]
    assert len(got) == len(want), f"{len(got)} list items, expected {len(want)}"
    w = [f"enumerated={e['enumerated']} marker={e['marker']} text={norm(e['text'])}" for e in want]
    g = [f"enumerated={i.enumerated} marker={norm(i.marker)} text={norm(i.text)}" for i in got]
    assert g == w, diff(w, g, f"{stem}: list markers")


@pytest.mark.parametrize("stem", [s for s in STEMS if expected(s).get("hyphenated_words")])
def test_hyphenated_words_are_joined(stem, docs):
    """A word broken at a line end by a (soft) hyphen is one word again in the item's text."""
    _, doc = docs(stem)
    texts = " ".join(norm(t.text) for t in doc.texts)
    for word in expected(stem)["hyphenated_words"]:
        assert word in texts, f"'{word}' not found whole; near: " + \
            ", ".join(sorted(set(re.findall(word[:8] + r"\S*\s*\S*", texts))))


def _tables(stem):
    return [e for e in expected(stem)["body"] if e["label"] == "table"]


TABLE_CASES = [(s, n) for s in STEMS for n in range(len(_tables(s)))]


@pytest.mark.parametrize("stem,n", TABLE_CASES)
def test_table_structure(stem, n, docs):
    """num_rows, num_cols, every grid cell's text, spans, caption, page."""
    _, doc = docs(stem)
    e = _tables(stem)[n]
    t = nth_of_label(doc, "table", n)
    problems = []
    if (t.data.num_rows, t.data.num_cols) != (e["num_rows"], e["num_cols"]):
        problems.append(f"shape {t.data.num_rows}x{t.data.num_cols}, expected "
                        f"{e['num_rows']}x{e['num_cols']}")
    want = [" | ".join(norm(c) for c in row) for row in e["cells"]]
    got = [" | ".join(norm(c.text) for c in row) for row in t.data.grid]
    if got != want:
        problems.append(diff(want, got, "grid rows"))
    spans_want = sorted(f"r{s['row']} c{s['col']} rowspan={s['row_span']} colspan={s['col_span']} "
                        f"{norm(s['text'])}" for s in e["spans"])
    spans_got = sorted(f"r{c.start_row_offset_idx} c{c.start_col_offset_idx} rowspan={c.row_span} "
                       f"colspan={c.col_span} {norm(c.text)}"
                       for c in t.data.table_cells if c.row_span > 1 or c.col_span > 1)
    if spans_got != spans_want:
        problems.append(diff(spans_want, spans_got, "spanning cells"))
    caps = [norm(r.resolve(doc).text) for r in (t.captions or [])]
    if caps != [norm(e["caption"])]:
        problems.append(f"captions {caps}, expected [{e['caption']!r}]")
    if page_of(t) != e["page"]:
        problems.append(f"on page {page_of(t)}, expected {e['page']}")
    assert not problems, f"{stem} table {n + 1}:\n" + "\n".join(problems)


@pytest.mark.parametrize("stem,n", TABLE_CASES)
def test_table_column_headers(stem, n, docs):
    """Cells of the first `column_header_rows` rows are column headers, the others are not."""
    _, doc = docs(stem)
    e = _tables(stem)[n]
    t = nth_of_label(doc, "table", n)
    k = e["column_header_rows"]
    wrong = [f"r{c.start_row_offset_idx} c{c.start_col_offset_idx} '{c.text}': "
             f"column_header={c.column_header}" for c in t.data.table_cells
             if c.column_header != (c.start_row_offset_idx < k)]
    assert not wrong, f"{stem} table {n + 1} (header rows: {k}):\n" + "\n".join(wrong)


PICTURE_CASES = [(s, n) for s in STEMS
                 for n in range(sum(e["label"] == "picture" for e in expected(s)["body"]))]


@pytest.mark.parametrize("stem,n", PICTURE_CASES)
def test_picture_and_caption(stem, n, docs):
    _, doc = docs(stem)
    e = [e for e in expected(stem)["body"] if e["label"] == "picture"][n]
    p = nth_of_label(doc, "picture", n)
    caps = [norm(r.resolve(doc).text) for r in (p.captions or [])]
    assert caps == [norm(e["caption"])], f"picture captions {caps}, expected [{e['caption']!r}]"
    assert page_of(p) == e["page"]
    inner = [i.text for i, _ in doc.iterate_items(root=p, traverse_pictures=True)
             if getattr(i, "text", None) and i.self_ref not in {r.cref for r in p.captions}]
    assert not inner, f"the image has no text, yet the picture holds text items: {inner}"


CODE_CASES = [(s, n) for s in STEMS
              for n in range(sum(e["label"] == "code" for e in expected(s)["body"]))]


@pytest.mark.parametrize("stem,n", CODE_CASES)
def test_code_block_lines(stem, n, docs):
    """The code item keeps the listing's line breaks (indentation not checked)."""
    _, doc = docs(stem)
    e = [e for e in expected(stem)["body"] if e["label"] == "code"][n]
    c = nth_of_label(doc, "code", n)
    want = [line.strip() for line in e["text"].split("\n")]
    got = [line.strip() for line in c.text.split("\n") if line.strip()]
    assert got == want, diff(want, got, f"{stem}: code lines")


ROTATED = [s for s in STEMS if expected(s)["rotated_pages"]]


@pytest.mark.parametrize("stem", ROTATED)
def test_rotated_page_text(stem, docs):
    """Text of the /Rotate page is recovered upright, in order, on the right page."""
    _, doc = docs(stem)
    exp = expected(stem)
    for page, angle in exp["rotated_pages"].items():
        want = [expected_line(e) for e in exp["body"] if e["page"] == int(page)]
        got = [actual_line(i, doc, []) for i in actual_items(doc, ContentLayer.BODY)
               if page_of(i) == int(page)]
        assert got == want, diff(want, got, f"{stem}: page {page} (/Rotate {angle})")


SCANNED = [s for s in STEMS if expected(s)["scanned_pages"]]


def words(text):
    return re.findall(r"[a-z0-9]+", unicodedata.normalize("NFKC", text).lower())


@pytest.mark.parametrize("stem", SCANNED)
def test_scanned_page_ocr(stem, docs):
    """Tolerance: >= OCR_MIN_WORD_RECALL (80%) of the source words of each scanned page are found
    (case-insensitive, each word counted as often as it occurs) in the converted page's texts."""
    _, doc = docs(stem)
    exp = expected(stem)
    for page in exp["scanned_pages"]:
        src = [w for e in exp["body"] if e["page"] == page for w in words(e.get("text", ""))]
        got_text = []
        for item, _ in doc.iterate_items(page_no=page, traverse_pictures=True,
                                         included_content_layers=set(ContentLayer)):
            if getattr(item, "text", None):
                got_text.append(item.text)
            if item.label.value == "table":
                got_text += [c.text for c in item.data.table_cells]
        pool = {}
        for w in words(" ".join(got_text)):
            pool[w] = pool.get(w, 0) + 1
        found = 0
        missing = []
        for w in src:
            if pool.get(w, 0) > 0:
                pool[w] -= 1
                found += 1
            else:
                missing.append(w)
        recall = found / len(src)
        assert recall >= OCR_MIN_WORD_RECALL, (
            f"{stem} page {page} (scanned): {recall:.0%} of {len(src)} source words found, "
            f"need {OCR_MIN_WORD_RECALL:.0%}; missing: {' '.join(missing[:60])}")


# ----------------------------------------------------------------------------- Markdown
def markdown(stem):
    conv = run_convert(pdf_path(stem), "md")
    assert conv.returncode == 0, conv.describe()
    return conv.stdout.decode("utf-8")


def md_unescape(s):
    return (s.replace("&#124;", "|").replace("&amp;", "&").replace("&lt;", "<")
            .replace("&gt;", ">").replace("\\_", "_"))


def pipe_tables(md):
    """Each GitHub pipe table in the Markdown as a list of rows of stripped cell texts."""
    tables, cur = [], []
    for line in md.split("\n") + [""]:
        s = line.strip()
        if s.startswith("|") and s.endswith("|"):
            cur.append(s)
            continue
        if len(cur) >= 2 and re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", cur[1]):
            rows = [cur[0]] + cur[2:]
            tables.append([[md_unescape(c.strip()) for c in r[1:-1].split("|")] for r in rows])
        cur = []
    return tables


def expected_pipe_table(e):
    """The pipe table docling-core's Markdown serializer makes of the expected table."""
    from docling_core.types.doc import TableCell, TableData
    spans = {(s["row"], s["col"]): s for s in e["spans"]}
    covered, cells = set(), []
    for r, row in enumerate(e["cells"]):
        for c, text in enumerate(row):
            if (r, c) in covered:
                continue
            s = spans.get((r, c), {"row_span": 1, "col_span": 1})
            covered |= {(rr, cc) for rr in range(r, r + s["row_span"])
                        for cc in range(c, c + s["col_span"])}
            cells.append(TableCell(text=text, row_span=s["row_span"], col_span=s["col_span"],
                                   start_row_offset_idx=r, end_row_offset_idx=r + s["row_span"],
                                   start_col_offset_idx=c, end_col_offset_idx=c + s["col_span"],
                                   column_header=r < e["column_header_rows"]))
    doc = DoclingDocument(name="expected")
    doc.add_table(data=TableData(num_rows=e["num_rows"], num_cols=e["num_cols"], table_cells=cells))
    tables = pipe_tables(doc.export_to_markdown())
    assert len(tables) == 1
    return tables[0]


@pytest.mark.parametrize("stem", STEMS)
def test_markdown(stem, fourbrain):
    exp = expected(stem)
    md = markdown(stem)
    lines = [line.rstrip() for line in md.split("\n")]
    problems = []

    # Headings: "# " title, "#" * (level + 1) section headers, in order (scanned pages excluded).
    scanned = set(exp["scanned_pages"])
    want_h = [("# " if e["label"] == "title" else "#" * (e["level"] + 1) + " ") + norm(e["text"])
              for e in exp["body"] if e["label"] in ("title", "section_header")
              and e["page"] not in scanned]
    got_h = [norm(md_unescape(line)) for line in lines if re.match(r"#{1,6} ", line)]
    got_h = [h for h in got_h if not any(h.endswith(norm(e["text"])) and e["page"] in scanned
                                         for e in exp["body"] if "text" in e)]
    if got_h != want_h:
        problems.append(diff(want_h, got_h, "headings"))

    # Furniture is not in the Markdown: a line equal to a header/footer text may only be there as
    # often as body items with that same text (the title can equal the running header).
    content = [norm(md_unescape(re.sub(r"^#+ ", "", line))) for line in lines]
    for text in sorted({norm(f["text"]) for f in exp["furniture"]}):
        allowed = sum(norm(e.get("text", "")) == text for e in exp["body"])
        if content.count(text) > allowed:
            problems.append(f"furniture text {text!r} appears {content.count(text)}x in the Markdown")

    # Pictures: caption, then the placeholder.
    for e in [e for e in exp["body"] if e["label"] == "picture"]:
        if "<!-- image -->" not in md:
            problems.append("no `<!-- image -->` placeholder")
        else:
            before = [c for c in content[:content.index("<!-- image -->")] if c]
            if not before or before[-1] != norm(e["caption"]):
                problems.append(f"the line before `<!-- image -->` is {before[-1:]}, "
                                f"expected the caption {e['caption']!r}")

    # Tables: GitHub pipe tables as docling-core renders the expected table (first grid row as
    # the header; several column-header rows are folded into one, "Throughput - CPU").
    got_t = pipe_tables(md)
    want_t = [e for e in exp["body"] if e["label"] == "table"]
    if len(got_t) != len(want_t):
        problems.append(f"{len(got_t)} pipe tables in the Markdown, expected {len(want_t)}")
    for n, (e, t) in enumerate(zip(want_t, got_t)):
        w = [" | ".join(norm(c) for c in row) for row in expected_pipe_table(e)]
        g = [" | ".join(norm(c) for c in row) for row in t]
        if g != w:
            problems.append(diff(w, g, f"pipe table {n + 1}"))
        if norm(e["caption"]) not in content:
            problems.append(f"table caption {e['caption']!r} not a line of its own")

    # Lists: "- " (or "N. ") items, original marker allowed after "- "; nested ones indented more.
    indent_of = {}
    for e in [e for e in exp["body"] if e["label"] == "list_item"]:
        t = norm(e["text"])
        hits = [line for line in lines
                if re.match(r"\s*(?:- |\d+\. )", line) and norm(strip_marker(strip_marker(line))) == t]
        if not hits:
            problems.append(f"no list line for {t!r}")
        else:
            indent_of.setdefault(e["depth"], []).append(len(hits[0]) - len(hits[0].lstrip()))
    if 1 in indent_of and 2 in indent_of and min(indent_of[2]) <= max(indent_of[1]):
        problems.append(f"nested list items are not indented more than their parents: {indent_of}")

    # Code: a fenced block with the listing's lines.
    for e in [e for e in exp["body"] if e["label"] == "code"]:
        blocks = re.findall(r"^```[^\n]*\n(.*?)\n```", md, re.S | re.M)
        want_c = [line.strip() for line in e["text"].split("\n")]
        if not any([line.strip() for line in b.split("\n") if line.strip()] == want_c for b in blocks):
            problems.append(f"no ``` block with the code lines {want_c}; blocks: {blocks}")

    assert not problems, f"{stem} Markdown:\n" + "\n\n".join(problems) + \
        "\n--- Markdown (first 3000 chars):\n" + md[:3000]


# ----------------------------------------------------------------------------- CLI options
def test_pages_option(fourbrain):
    """`--pages 2-3` converts pages 2 and 3 only; they keep their page numbers."""
    stem = "numbered_report"
    raw = convert_json(stem, ("--pages", "2-3"))
    doc = DoclingDocument.model_validate(raw)
    assert sorted(raw["pages"], key=int) == ["2", "3"]
    pages = {page_of(i) for i in doc.texts + doc.tables + doc.pictures}
    assert pages <= {2, 3}, f"items on pages {sorted(pages)}"
    first = actual_items(doc, ContentLayer.BODY)[0]
    assert norm(first.text) == "2 Lists", f"first body item {first.label.value}: {first.text!r}"


def test_output_file_option(fourbrain, tmp_path):
    """`-o FILE` writes the same document to a file."""
    out = tmp_path / "out.json"
    conv = run_convert(pdf_path("two_column"), "json", ("-o", str(out)))
    assert conv.returncode == 0, conv.describe()
    doc = DoclingDocument.model_validate(json.loads(out.read_text(encoding="utf-8")))
    assert norm(actual_items(doc, ContentLayer.BODY)[0].text) == "Two-Column Layout"


def test_text_output(fourbrain):
    """`--to text` (docling-core's export_to_text): the body's texts, no Markdown heading marks,
    no image placeholder, no furniture."""
    conv = run_convert(pdf_path("numbered_report"), "text")
    assert conv.returncode == 0, conv.describe()
    out = conv.stdout.decode("utf-8")
    text = norm(out)
    missing = [e["text"][:60] for e in expected("numbered_report")["body"]
               if norm(e["text"]) not in text]
    assert not missing, f"body texts missing from the text output: {missing}"
    assert not re.search(r"^#+ ", out, re.M), "Markdown heading marks in the text output"
    assert "<!--" not in out
    assert "Page 2 of 3" not in text and "Fourbrain Test Corpus" not in text, "furniture in the text output"
