#!/usr/bin/env bash
# Packs what tools/gpu/run_gpu_checks.sh needs on a GPU machine into .dev/ (git-ignored):
# the fourbrain and cuda_test binaries of BUILD_DIR, the Debian libraries they link (xz),
# and the tokenizer files of the test checkpoints (built by scripts/test.sh).
# Usage: tools/gpu/pack_for_gpu.sh [BUILD_DIR]   (default build-cuda, sm_90a)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build-cuda}
rm -rf .dev && mkdir -p .dev/lib
cp "$build/fourbrain" "$build/tests/cuda_test" .dev/
for lib in $(ldd "$build/fourbrain" "$build/tests/cuda_test" | awk '/=> \// {print $3}' | sort -u); do
  case "$(basename "$lib")" in
    libc.so*|libm.so*|libpthread*|libdl.so*|librt.so*|libstdc++*|libgcc_s*|libcublas*|libcudart*) ;;
    *) cp -L "$lib" .dev/lib/ ;;
  esac
done
tar -cJf .dev/libs.tar.xz -C .dev lib && rm -rf .dev/lib
tar -cJf .dev/tok.tar.xz -C build/testdata qwen3-embedding qwen3-reranker qwen3-files \
  minilm-tokenizer
du -sh .dev
