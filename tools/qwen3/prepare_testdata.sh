#!/usr/bin/env bash
# Unpacks the committed tiny Qwen3 checkpoints into OUT_DIR and gives each the tokenizer
# files a real checkpoint of its kind carries (built from ../shared/qwen2-tokenizer by HF's
# own code in tools/tokenizer/make_tokenizer_json.py):
#   OUT_DIR/qwen3-tiny-embedding   tokenizer.json with the <|endoftext|> template
#   OUT_DIR/qwen3-tiny-reranker    tokenizer.json with the plain ByteLevel post-processor
#   OUT_DIR/qwen3-tiny-seqcls      vocab.json + merges.txt + tokenizer_config.json only
# Usage: prepare_testdata.sh OUT_DIR TOKENIZER_DIRS   (TOKENIZER_DIRS: make_tokenizer_json.py's output)
set -euo pipefail
out=$1
tok=$2
here=$(cd "$(dirname "$0")" && pwd)
data="$here/../../tests/data/qwen3"
mkdir -p "$out"
unpack() {  # name tokenizer-variant
  rm -rf "${out:?}/$1"
  mkdir -p "$out/$1"
  tar -xJf "$data/$1.tar.xz" -C "$out/$1"
  cp "$tok/$2"/* "$out/$1/"
}
unpack qwen3-tiny-embedding qwen3-embedding
unpack qwen3-tiny-reranker qwen3-reranker
unpack qwen3-tiny-seqcls qwen3-files
cp "$data/references.json" "$out/qwen3-references.json"
