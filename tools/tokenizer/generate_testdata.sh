#!/usr/bin/env bash
# Generates the tokenizer test data that tokenizer_corpus_test reads from $FOURBRAIN_TESTDATA:
# the Qwen3 tokenizer dirs built by HF's own code, and HF `tokenizers` reference ids over the
# committed corpus. Needs a Python with `tokenizers` and `transformers` (no torch).
#
# Usage: tools/tokenizer/generate_testdata.sh OUT_DIR VENV_PYTHON [QWEN2_TOKENIZER_FILES]
#   then: FOURBRAIN_TESTDATA=OUT_DIR build/src/formats/formats_test
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: $0 OUT_DIR VENV_PYTHON [QWEN2_TOKENIZER_FILES]" >&2
  exit 2
fi
out_dir=$1
python=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
files=${3:-$root/../shared/qwen2-tokenizer}

mkdir -p "$out_dir"
"$python" "$here/make_tokenizer_json.py" "$out_dir" --files "$files"
"$python" "$here/reference_ids.py" "$out_dir" --corpus "$root/tests/data/tokenizer_corpus.txt.xz"
