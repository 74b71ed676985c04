#!/usr/bin/env bash
# Builds the libFuzzer target for the PDF entry point (tools/fuzz/pdf_fuzzer.cc) with clang,
# ASan and UBSan over our document-conversion code, linked against Debian's poppler and
# tesseract, into build/fuzz/, and runs it for SECONDS (default 30) on a scratch copy of
# tools/fuzz/pdf_corpus/ (small PDFs with uncompressed content streams, so that mutations
# reach the content parser). Exits non-zero when the fuzzer finds a crash, a leak, undefined
# behaviour, a timeout or a broken invariant; the input is left in build/fuzz/ (crash-*,
# timeout-*) and replays with:  build/fuzz/pdf_fuzzer build/fuzz/crash-<hash>
#
#   tools/fuzz/run_pdf_fuzzer.sh [SECONDS]
# Environment: CXX (default clang++), FUZZ_BUILD_DIR (default build/fuzz).
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds="${1:-30}"
cxx="${CXX:-clang++}"
out="${FUZZ_BUILD_DIR:-build/fuzz}"
mkdir -p "$out"

# The hybrid chunker needs a tokenizer (formats/tokenizer), which the target does not use.
mapfile -t docling_sources < <(find src/docling -name '*.cc' ! -name '*_test.cc' \
                                 ! -name hybrid_chunker.cc | sort)
sources=(tools/fuzz/pdf_fuzzer.cc "${docling_sources[@]}" src/base/status.cc src/base/sha256.cc
         src/base/check.cc src/base/log.cc src/base/file.cc src/formats/json_writer.cc
         src/formats/json.cc)
binary="$out/pdf_fuzzer"
needs_build=0
[ -x "$binary" ] || needs_build=1
for s in "${sources[@]}" "$0" $(find src/docling -name '*.h'); do
  [ "$s" -nt "$binary" ] && needs_build=1
done
if [ "$needs_build" = 1 ]; then
  echo "building $binary"
  # -fno-sanitize-recover makes UBSan findings crashes, which libFuzzer then reports.
  # shellcheck disable=SC2046
  "$cxx" -std=c++20 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -O1 -g \
    -Wall -Wextra -I src $(pkg-config --cflags poppler tesseract lept | sed 's/-I/-isystem /g') "${sources[@]}" \
    $(pkg-config --libs poppler tesseract lept) -lcrypto -o "$binary.tmp"
  mv "$binary.tmp" "$binary"
fi

corpus="$out/pdf_corpus"
mkdir -p "$corpus"
cp tools/fuzz/pdf_corpus/* "$corpus/"

echo "fuzzing for ${seconds}s (corpus $corpus)"
# Leaks inside poppler's global caches are not ours: leak detection stays on for our code by
# suppressing only poppler/fontconfig frames.
export LSAN_OPTIONS="suppressions=tools/fuzz/lsan_poppler.supp:print_suppressions=0"
"$binary" -max_total_time="$seconds" -max_len=65536 -timeout=20 -rss_limit_mb=2048 \
  -artifact_prefix="$out/" -print_final_stats=1 "$corpus"
