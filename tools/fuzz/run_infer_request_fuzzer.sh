#!/usr/bin/env bash
# Builds the libFuzzer target for the HTTP inference request parser
# (tools/fuzz/infer_request_fuzzer.cc) with clang, ASan and UBSan, into build/fuzz/, and runs
# it for SECONDS (default 30) on a scratch copy of tools/fuzz/infer_request_corpus/.
# Exits non-zero when the fuzzer finds a crash, a leak, undefined behaviour or a broken
# invariant; the crashing input is left in build/fuzz/ (crash-*, leak-*, timeout-*) and can be
# replayed with:  build/fuzz/infer_request_fuzzer build/fuzz/crash-<hash>
# Needs Debian's clang and libclang-rt-14-dev (scripts/install_deps.sh installs them).
#
#   tools/fuzz/run_infer_request_fuzzer.sh [SECONDS]
# Environment: CXX (default clang++), FUZZ_JOBS (parallel fuzzing processes, default 1),
# FUZZ_BUILD_DIR (default build/fuzz).
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds="${1:-30}"
cxx="${CXX:-clang++}"
out="${FUZZ_BUILD_DIR:-build/fuzz}"
jobs="${FUZZ_JOBS:-1}"
mkdir -p "$out"

# The parser and what it links: the BYTES layout helpers and Status. RapidJSON is
# header-only (/usr/include/rapidjson).
sources=(tools/fuzz/infer_request_fuzzer.cc src/server/http/infer_codec.cc
         src/api/bytes_tensor.cc src/base/status.cc)
binary="$out/infer_request_fuzzer"
needs_build=0
[ -x "$binary" ] || needs_build=1
for s in "${sources[@]}" "$0" tools/fuzz/ubsan_ignorelist.txt src/server/http/infer_codec.h src/api/bytes_tensor.h \
         src/api/types.h src/base/status.h; do
  [ "$s" -nt "$binary" ] && needs_build=1
done
if [ "$needs_build" = 1 ]; then
  echo "building $binary"
  # -fno-sanitize-recover makes UBSan findings crashes, which libFuzzer then reports.
  # RapidJSON 1.1.0's own headers trip a harmless pointer-overflow check and, under C++20,
  # the ambiguous-reversed-operator warning; both are silenced for them only.
  "$cxx" -std=c++20 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -O1 -g \
    -fsanitize-ignorelist=tools/fuzz/ubsan_ignorelist.txt \
    -Wall -Wextra -Wno-ambiguous-reversed-operator -I src "${sources[@]}" -o "$binary.tmp"
  mv "$binary.tmp" "$binary"
fi

# Fuzz a scratch copy (it keeps what earlier runs found) so that new inputs do not dirty the
# committed seed corpus.
corpus="$out/corpus"
mkdir -p "$corpus"
cp tools/fuzz/infer_request_corpus/* "$corpus/"

echo "fuzzing for ${seconds}s (corpus $corpus)"
args=(-max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048
      -artifact_prefix="$out/" -print_final_stats=1)
if [ "$jobs" -gt 1 ]; then
  args+=(-jobs="$jobs" -workers="$jobs")
fi
"$binary" "${args[@]}" "$corpus"
