#!/usr/bin/env bash
# Document conversion benchmark: `fourbrain convert` (whole pipeline: parse, layout, tables,
# assembly, JSON export) against docling-parse (Docling's own C++ PDF parser, parse only) on
# the same PDFs, one CPU core each (taskset -c 0), one process per measurement, peak RSS from
# GNU time. Scanned pages: fourbrain's OCR path (render at 216 dpi + tesseract + layout)
# against the same OCR done by Debian's tools (pdftoppm -r 216 | tesseract CLI), which is what
# Docling's tesseract_cli engine runs per page.
#
#   [FOURBRAIN_BIN=build-nocuda/fourbrain] tools/bench/bench_docling.sh [PYTHON_WITH_DOCLING_PARSE]
#   (default Python: /work/venv-dev/bin/python)
# Needs qpdf, poppler-utils, tesseract-ocr; docling-parse in that Python (pip install docling-parse).
set -euo pipefail
cd "$(dirname "$0")/../.."
py="${1:-/work/venv-dev/bin/python}"
bin="${FOURBRAIN_BIN:-build/fourbrain}"  # build-nocuda/fourbrain: without the CUDA libraries
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

tools/bench/make_long_pdf.sh "$tmp/long500.pdf" 500 > /dev/null
real=()
for f in /usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf /usr/share/doc/libtasn1-doc/libtasn1.pdf \
         /usr/share/doc/fontconfig/fontconfig-user.pdf.gz /usr/share/doc/bzip2/manual.pdf.gz; do
  [ -e "$f" ] || continue
  out="$tmp/$(basename "${f%.gz}")"
  if [[ "$f" == *.gz ]]; then gzip -dc "$f" > "$out"; else cp "$f" "$out"; fi
  real+=("$out")
done
qpdf --empty --pages "${real[@]}" -- "$tmp/real.pdf"
# 10 scanned pages: the corpus's image-only page, repeated.
qpdf --empty --pages $(for i in $(seq 10); do echo tests/data/docling/corpus/scanned.pdf 2; done) -- "$tmp/scanned10.pdf"

pages() { pdfinfo "$1" | awk '/^Pages:/ {print $2}'; }
# seconds and peak RSS (MB) of a command, on core 0
measure() {
  /usr/bin/time -f "%e %M" -o "$tmp/time" taskset -c 0 "$@" > /dev/null 2> "$tmp/err" || { cat "$tmp/err"; exit 1; }
  awk '{printf "%.3f %.0f\n", $1, $2 / 1024}' "$tmp/time"
}

printf "%-34s %6s %10s %10s %8s %10s %10s %8s %7s\n" input pages fb_s fb_pps fb_rss peer_s peer_pps peer_rss ratio
row() {  # name pdf fb_seconds fb_rss peer_seconds peer_rss
  local n; n=$(pages "$2")
  awk -v name="$1" -v n="$n" -v fs="$3" -v fr="$4" -v ps="$5" -v pr="$6" 'BEGIN {
    printf "%-34s %6d %10.3f %10.1f %8d %10.3f %10.1f %8d %6.1fx\n", name, n, fs, n/fs, fr, ps, n/ps, pr, ps/fs }'
}

for pdf in "$tmp/long500.pdf" "$tmp/real.pdf"; do
  read -r fs fr < <(measure "$bin" convert "$pdf" --to json --ocr off)
  dp=$(taskset -c 0 "$py" tools/bench/bench_docling_parse.py "$pdf")
  ps=$(echo "$dp" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["seconds"])')
  pr=$(echo "$dp" | "$py" -c 'import json,sys; print(round(json.load(sys.stdin)["peak_rss_mb"]))')
  row "$(basename "$pdf") (no OCR) vs docling-parse" "$pdf" "$fs" "$fr" "$ps" "$pr"
done

read -r fs fr < <(measure "$bin" convert "$tmp/scanned10.pdf" --to json --ocr auto)
ocr_cli() {
  pdftoppm -r 216 -gray -png "$1" "$tmp/page"
  for p in "$tmp"/page-*.png; do tesseract "$p" - > /dev/null 2>&1; done
}
export -f ocr_cli
export tmp
read -r ps pr < <(measure bash -c 'ocr_cli "$0"' "$tmp/scanned10.pdf")
row "scanned10.pdf (OCR) vs pdftoppm+tesseract" "$tmp/scanned10.pdf" "$fs" "$fr" "$ps" "$pr"
