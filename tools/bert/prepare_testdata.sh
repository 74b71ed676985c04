#!/usr/bin/env bash
# Unpacks the committed tiny BERT-family checkpoints (tools/bert/make_tiny_checkpoints.py)
# into OUT_DIR, tokenizer and sentence-transformers files included:
#   OUT_DIR/bert-tiny-embedding   BertModel, bf16, all-MiniLM-L6-v2 tokenizer, mean + Normalize
#   OUT_DIR/bert-tiny-reranker    BertForSequenceClassification, f16, two shards
#   OUT_DIR/xlmr-tiny-embedding   XLMRobertaModel, f32, Unigram tokenizer, CLS + Normalize
#   OUT_DIR/xlmr-tiny-reranker    XLMRobertaForSequenceClassification, f32
#   OUT_DIR/bert-references.json  transformers / sentence-transformers outputs
# Usage: prepare_testdata.sh OUT_DIR
set -euo pipefail
out=$1
here=$(cd "$(dirname "$0")" && pwd)
data="$here/../../tests/data/bert"
mkdir -p "$out"
for name in bert-tiny-embedding bert-tiny-reranker xlmr-tiny-embedding xlmr-tiny-reranker; do
  rm -rf "${out:?}/$name"
  mkdir -p "$out/$name"
  tar -xJf "$data/$name.tar.xz" -C "$out/$name"
done
cp "$data/references.json" "$out/bert-references.json"
