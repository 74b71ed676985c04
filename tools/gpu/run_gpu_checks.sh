#!/usr/bin/env bash
# Runs the CUDA checks on a GPU machine that has no build tools of ours: the binaries and
# the Debian libraries they need come prepared by tools/gpu/pack_for_gpu.sh in .dev/.
#   tools/gpu/run_gpu_checks.sh tests       cuda_test, then compute-sanitizer memcheck and
#                                           racecheck on the kernels' tests
#   tools/gpu/run_gpu_checks.sh bench SHAPES [ITERS [BINARY [ARGS]]]   the GPU benchmark
#                                           (tools/bench/bench_qwen3_gpu.py)
#   tools/gpu/run_gpu_checks.sh minilm      BERT (MiniLM shape) vs sentence-transformers
#                                           (tools/bench/bench_minilm_gpu.py)
#   tools/gpu/run_gpu_checks.sh multigpu    one model per GPU in one server, driven at once
#                                           (tools/gpu/multi_gpu_serve.py; two GPUs)
# Logs and results go to $OUT (or /tmp/fourbrain-gpu).
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-/tmp/fourbrain-gpu}
mkdir -p "$out" /tmp/fb-tok
[ -d .dev/lib ] || tar -xJf .dev/libs.tar.xz -C .dev
[ -d /tmp/fb-tok/qwen3-embedding ] || tar -xJf .dev/tok.tar.xz -C /tmp/fb-tok
cublas=$(python3 -c "import nvidia.cublas as m; print(list(m.__path__)[0] + '/lib')" 2>/dev/null)
export LD_LIBRARY_PATH="$PWD/.dev/lib:${cublas}:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
case "$1" in
  tests)
    tools/qwen3/prepare_testdata.sh /tmp/fb-testdata /tmp/fb-tok > /dev/null
    export FOURBRAIN_TESTDATA=/tmp/fb-testdata
    .dev/cuda_test --gtest_also_run_disabled_tests --gtest_filter=-*DeviceFault* 2>&1 |
      tee "$out/cuda_test.log" | grep -E "measured|OK|FAILED|PASSED|Failure|error|Expected|Which|actual" | head -80
    # A device fault poisons the process's CUDA context: its own process.
    .dev/cuda_test --gtest_filter=*DeviceFault* 2>&1 | tee "$out/cuda_fault_test.log" | grep -E "OK|FAILED|Failure|Expected|Which|actual|Internal|Unavailable"
    filter='CudaOpsTest.*:-CudaOpsTest.AttentionOnA32kSequence'
    compute-sanitizer --tool memcheck --error-exitcode 3 .dev/cuda_test --gtest_filter="$filter" \
      > "$out/memcheck.log" 2>&1
    echo "memcheck rc=$? $(grep -E 'ERROR SUMMARY' "$out/memcheck.log" | tail -1)"
    compute-sanitizer --tool racecheck --error-exitcode 3 .dev/cuda_test \
      --gtest_filter='CudaOpsTest.Attention*:CudaOpsTest.RmsNorm*:CudaOpsTest.QkNorm*:-CudaOpsTest.AttentionOnA32kSequence' \
      > "$out/racecheck.log" 2>&1
    echo "racecheck rc=$? $(grep -E 'RACECHECK SUMMARY|ERROR SUMMARY' "$out/racecheck.log" | tail -1)"
    ;;
  bench)
    binary=${4:-.dev/fourbrain}
    PYTHONUNBUFFERED=1 python3 tools/bench/bench_qwen3_gpu.py --fourbrain "$binary" \
      --tokenizer-dir /tmp/fb-tok/qwen3-embedding --workdir /tmp/fbbench \
      --out "$out/bench-${2//,/_}-$(basename "$binary").json" --shapes "$2" --iters "${3:-5}" \
      "${@:5}"
    ;;
  minilm)
    PYTHONUNBUFFERED=1 python3 tools/bench/bench_minilm_gpu.py --fourbrain .dev/fourbrain \
      --tokenizer-dir /tmp/fb-tok/minilm-tokenizer --out "$out/minilm.json"
    ;;
  multigpu)
    PYTHONUNBUFFERED=1 python3 tools/gpu/multi_gpu_serve.py --fourbrain .dev/fourbrain \
      --tokenizer-dir /tmp/fb-tok/qwen3-embedding --out "$out/multigpu.json"
    ;;
esac
