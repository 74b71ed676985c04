#!/usr/bin/env bash
# Builds a long text-only PDF for memory/throughput tests of `fourbrain convert` (and of
# tools/bench/bench_docling_parse.py) by repeating the text pages of the docling test corpus
# (tests/data/docling/corpus: numbered_report, tables_figures, two_column; no scanned or rotated
# page). Written at benchmark time, never committed.
#   tools/bench/make_long_pdf.sh [OUT.pdf] [PAGES]     (defaults: /tmp/fourbrain-long-500.pdf 500)
# Needs qpdf (apt-get install qpdf).
set -euo pipefail
out="${1:-/tmp/fourbrain-long-500.pdf}"
pages="${2:-500}"
corpus="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/tests/data/docling/corpus"
command -v qpdf >/dev/null || { echo "make_long_pdf.sh: qpdf is not installed" >&2; exit 1; }
cycle=("$corpus/numbered_report.pdf" 1-3 "$corpus/tables_figures.pdf" 1-3 "$corpus/two_column.pdf" 1)
per_cycle=7
args=()
n=0
while (( n + per_cycle <= pages )); do
  args+=("${cycle[@]}")
  n=$(( n + per_cycle ))
done
if (( n < pages )); then  # the rest from numbered_report/tables_figures (3 + 3 pages)
  rest=$(( pages - n ))
  if (( rest <= 3 )); then args+=("$corpus/numbered_report.pdf" "1-$rest")
  else args+=("$corpus/numbered_report.pdf" 1-3 "$corpus/tables_figures.pdf" "1-$(( rest - 3 ))"); fi
fi
qpdf --empty --pages "${args[@]}" -- "$out"
echo "$out: $(qpdf --show-npages "$out") pages, $(du -h "$out" | cut -f1)"
