#!/usr/bin/env python3
"""Times docling-parse (the PDF backend of Docling) on PDFs: every page decoded, text cells
materialised, as a baseline for `fourbrain convert`'s own PDF parser.

  /work/venv-dev/bin/python tools/bench/bench_docling_parse.py FILE.pdf [FILE.pdf ...]
      [--content lines|docling] [--keep-pages] [--repeat N]

Prints one JSON object: {"pages", "seconds", "pages_per_s", "peak_rss_mb", ...}. Run one
process per measurement (peak RSS is the process's, from resource.getrusage, so it includes
the interpreter and docling-parse's import, about 100 MB; "rss_before_mb" says how much).

--content lines:   word and line cells (docling-parse README's quick start).
--content docling: char, word and line cells, shapes and bitmaps (without the bitmap bytes),
                   i.e. what Docling's docling-parse backend asks for per page.
Pages are unloaded after use (as Docling does) unless --keep-pages.
Needs `pip install docling-parse` (7.x API: DoclingPdfParser, DecodeConfig, ContentConfig).
"""
import argparse
import json
import resource
import sys
import time


def rss_mb():
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("pdfs", nargs="+")
    ap.add_argument("--content", choices=("lines", "docling"), default="docling")
    ap.add_argument("--keep-pages", action="store_true", help="don't unload pages after use")
    ap.add_argument("--repeat", type=int, default=1, help="parse the inputs N times")
    args = ap.parse_args()

    from docling_parse.pdf_parser import (ContentConfig, ContentLevel, DecodeConfig,
                                          DoclingPdfParser)
    import docling_parse
    try:
        from importlib.metadata import version
        dp_version = version("docling-parse")
    except Exception:  # pragma: no cover
        dp_version = getattr(docling_parse, "__version__", "unknown")

    M, S = ContentLevel.COMPUTE_AND_MATERIALIZE, ContentLevel.SKIP
    if args.content == "lines":
        content = ContentConfig(char_cells_content_level=S, word_cells_content_level=M,
                                line_cells_content_level=M, shapes_content_level=S,
                                bitmaps_content_level=S, include_bitmap_bytes=False)
    else:
        content = ContentConfig(char_cells_content_level=M, word_cells_content_level=M,
                                line_cells_content_level=M, shapes_content_level=M,
                                bitmaps_content_level=M, include_bitmap_bytes=False)

    rss_before = rss_mb()
    parser = DoclingPdfParser(loglevel="fatal")
    pages = cells = chars = 0
    t0 = time.perf_counter()
    for _ in range(args.repeat):
        for path in args.pdfs:
            doc = parser.load(path_or_stream=path, lazy=True, decode_config=DecodeConfig(),
                              content_config=content)
            n = doc.number_of_pages()
            for page_no in range(1, n + 1):
                page = doc.get_page(page_no)
                for cell in page.textline_cells:
                    cells += 1
                    chars += len(cell.text)
                if not args.keep_pages:
                    doc.unload_pages((page_no, page_no + 1))
            pages += n
            doc.unload()
    seconds = time.perf_counter() - t0
    json.dump({"pages": pages, "seconds": round(seconds, 4),
               "pages_per_s": round(pages / seconds, 2) if seconds > 0 else None,
               "peak_rss_mb": round(rss_mb(), 1), "rss_before_mb": round(rss_before, 1),
               "text_line_cells": cells, "chars": chars, "content": args.content,
               "keep_pages": args.keep_pages, "files": args.pdfs,
               "docling_parse": dp_version, "python": sys.version.split()[0]},
              sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
