#!/usr/bin/env bash
# Prepares the end-to-end test of the real all-MiniLM-L6-v2 (tests/minilm_end_to_end_test.cc):
#   OUT_DIR/minilm/sentences.txt        1,200 sentences (tools/minilm/make_references.py)
#   OUT_DIR/minilm/embeddings_f16.bin   sentence-transformers' embeddings, float16 [1200, 384]
#   OUT_DIR/minilm/token_ids.jsonl      HF tokenizers' ids for each sentence (no padding,
#                                       truncation at the model's max_seq_length, 256)
#   OUT_DIR/minilm/model -> MODEL_DIR   the packaged checkpoint (scripts/fetch_models.sh)
# Usage: prepare_testdata.sh OUT_DIR PYTHON MODEL_DIR
set -euo pipefail
out=$1/minilm
python=$2
model=$3
here=$(cd "$(dirname "$0")" && pwd)
data="$here/../../tests/data/minilm"
mkdir -p "$out"
xz -dc "$data/sentences.txt.xz" > "$out/sentences.txt"
xz -dc "$data/embeddings_f16.bin.xz" > "$out/embeddings_f16.bin"
ln -sfn "$model" "$out/model"
"$python" - "$model/tokenizer.json" "$out/sentences.txt" "$out/token_ids.jsonl" <<'PY'
import json, sys
from tokenizers import Tokenizer
tok = Tokenizer.from_file(sys.argv[1])
tok.no_padding()  # the packaged tokenizer.json pads to 128; sentence-transformers does not
tok.enable_truncation(256)
with open(sys.argv[2], encoding="utf-8") as f, open(sys.argv[3], "w") as out:
    for line in f:
        out.write(json.dumps(tok.encode(line.rstrip("\n")).ids) + "\n")
PY
