#!/usr/bin/env bash
# Installs what fourbrain needs on a fresh Debian 12 machine: the build tools and libraries
# from Debian's packages, and (with --test) a Python venv in .venv with the reference tools
# the tests compare against (HF tokenizers and transformers; no torch needed).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake ninja-build ccache pkg-config python3-venv xz-utils
          libdnnl-dev libpcre2-dev libutf8proc-dev rapidjson-dev libcli11-dev
          libgtest-dev libgmock-dev libboost1.74-dev protobuf-compiler libprotobuf-dev
          libb64-0d wrk zlib1g-dev libssl-dev clang libclang-rt-14-dev
          libpoppler-private-dev libtesseract-dev libleptonica-dev tesseract-ocr-eng poppler-utils qpdf
          shared-mime-info libtasn1-doc fontconfig bzip2-doc)  # the last four: real PDFs for tests
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi

if [ "${1:-}" = "--test" ]; then
  if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
  fi
  .venv/bin/pip install -q --disable-pip-version-check -r tools/requirements-test.txt
fi
