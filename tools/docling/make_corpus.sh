#!/usr/bin/env bash
# Regenerates the PDFs of the converter test corpus from the hand-written sources in
# tools/docling/corpus/ into tests/data/docling/corpus/. Not run by CI (the PDFs are committed);
# needs LibreOffice and a few PDF tools:
#   apt-get install --no-install-recommends libreoffice-writer-nogui fonts-liberation \
#       poppler-utils qpdf img2pdf
# The expected-structure files (<stem>.expected.json) are written by hand from the sources and
# are not touched here; if you change a source, update its expected file.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$here/corpus"
out="$(cd "$here/../.." && pwd)/tests/data/docling/corpus"
mkdir -p "$out"
for tool in soffice pdftoppm qpdf img2pdf python3; do
  command -v "$tool" >/dev/null || { echo "make_corpus.sh: $tool is not installed" >&2; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# A private LibreOffice profile, so a running LibreOffice or a stale profile can't interfere.
profile="file://$work/lo-profile"

python3 "$src/make_figure.py" "$src/figure1.png"

soffice_pdf() {  # soffice_pdf SOURCE.fodt OUTDIR
  soffice -env:UserInstallation="$profile" --headless --convert-to pdf --outdir "$2" "$1" \
    >"$work/soffice.log" 2>&1 || { cat "$work/soffice.log" >&2; exit 1; }
  [[ -s "$2/$(basename "${1%.fodt}").pdf" ]] || { echo "no PDF from $1" >&2; cat "$work/soffice.log" >&2; exit 1; }
}

# Plain documents: the PDF is LibreOffice's rendering of the source.
for doc in numbered_report tables_figures two_column; do
  soffice_pdf "$src/$doc.fodt" "$out"
done

# scanned.pdf: page 1 as rendered (text layer), page 2 rasterised at 150 dpi in grey and
# wrapped back into an image-only A4 page (no text layer, no fonts), like a scanner's output.
soffice_pdf "$src/scanned_source.fodt" "$work"
pdftoppm -r 150 -f 2 -l 2 -gray -png "$work/scanned_source.pdf" "$work/scan"
img2pdf --pagesize A4 -o "$work/scan_page.pdf" "$work"/scan-*2.png
qpdf --empty --pages "$work/scanned_source.pdf" 1 "$work/scan_page.pdf" 1 -- "$out/scanned.pdf"

# rotated.pdf: page 2 gets /Rotate 90 in its page dictionary (content stream unchanged).
soffice_pdf "$src/rotated_source.fodt" "$work"
qpdf --rotate=+90:2 "$work/rotated_source.pdf" "$out/rotated.pdf"

ls -l "$out"/*.pdf
du -ch "$out"/*.pdf | tail -1
