#!/usr/bin/env bash
# Unpacks the committed llm-compressor checkpoints (tools/quant/make_compressed_tensors_golden.py)
# into OUT_DIR/ct_<name>/ and gives each the tokenizer and sentence-transformers files of the
# tiny model it was made with (prepared before by tools/qwen3 and tools/bert prepare_testdata.sh):
#   ct_qwen3_*  + OUT_DIR/qwen3-tiny-embedding's tokenizer files
#   ct_bert_*   + OUT_DIR/bert-tiny-embedding's tokenizer, modules.json, 1_Pooling, ...
# and copies each golden.json to OUT_DIR/ct_<name>.golden.json.
# Usage: prepare_testdata.sh OUT_DIR
set -euo pipefail
out=$1
here=$(cd "$(dirname "$0")" && pwd)
data="$here/../../tests/data/quant"
for src in "$data"/ct_*/; do
  name=$(basename "$src")
  case "$name" in
    ct_qwen3_*) base="$out/qwen3-tiny-embedding" ;;
    ct_bert_*) base="$out/bert-tiny-embedding" ;;
    *) echo "unknown checkpoint kind: $name" >&2; exit 1 ;;
  esac
  rm -rf "${out:?}/$name"
  mkdir -p "$out/$name"
  tar -xJf "$src/checkpoint.tar.xz" -C "$out/$name"
  (cd "$base" && find . -mindepth 1 -maxdepth 1 ! -name config.json ! -name '*.safetensors' \
     ! -name 'model.safetensors.index.json' -exec cp -r {} "$out/$name/" \;)
  cp "$src/golden.json" "$out/$name.golden.json"
done
