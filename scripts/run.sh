#!/usr/bin/env bash
# Builds fourbrain and runs it. With no arguments it embeds a sentence with the tiny
# Qwen3-Embedding test checkpoint (the server, `fourbrain serve` on the default model
# repository, arrives with issue #3); with arguments it runs `fourbrain ARGS...`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh --test
scripts/build.sh
if [ $# -gt 0 ]; then
  exec build/fourbrain "$@"
fi
demo="$PWD/build/testdata"
if [ ! -f "$demo/qwen3-tiny-embedding/tokenizer.json" ]; then
  tools/tokenizer/generate_testdata.sh "$demo" "$PWD/.venv/bin/python"
  tools/qwen3/prepare_testdata.sh "$demo" "$demo"
fi
exec build/fourbrain embed --model "$demo/qwen3-tiny-embedding" --dimensions 8 \
  "fourbrain embeds this sentence."
