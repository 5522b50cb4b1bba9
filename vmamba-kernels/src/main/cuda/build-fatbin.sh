#!/usr/bin/env bash
# Compiles the CUDA kernels into one fatbin resource of the vmamba-kernels jar:
# SASS for sm_80, sm_86, sm_89 and sm_90 plus PTX for compute_90 (JIT on newer GPUs),
# compressed. Called by Maven in generate-resources with the classes directory.
#
# Without nvcc the build still succeeds: no fatbin is written and the module reports
# "CUDA kernels not built into this jar" when asked (the CPU paths keep working).
# NVCC=/path/to/nvcc overrides the compiler; an up-to-date fatbin is not rebuilt.
set -euo pipefail
SRC_DIR=$(cd "$(dirname "$0")" && pwd)
OUT_DIR=$1/dev/vmamba/kernels
OUT=$OUT_DIR/selective_scan.fatbin
INFO=$OUT_DIR/selective_scan.properties
NVCC=${NVCC:-nvcc}

stale() { [ ! -f "$OUT" ] || [ -n "$(find "$SRC_DIR" -newer "$OUT" \( -name '*.cu' -o -name '*.cuh' -o -name '*.sh' \) -print -quit)" ]; }

if ! command -v "$NVCC" >/dev/null 2>&1; then
  if stale; then rm -f "$OUT" "$INFO"; fi
  echo "[vmamba-kernels] nvcc not found: building without CUDA kernels"
  exit 0
fi
if ! stale; then
  echo "[vmamba-kernels] CUDA kernels up to date"
  exit 0
fi
mkdir -p "$OUT_DIR"
ARCHS=(-gencode arch=compute_80,code=sm_80 -gencode arch=compute_86,code=sm_86
       -gencode arch=compute_89,code=sm_89 -gencode arch=compute_90,code=sm_90
       -gencode arch=compute_90,code=compute_90)
echo "[vmamba-kernels] compiling CUDA kernels with $("$NVCC" --version | tail -1)"
"$NVCC" -O3 --use_fast_math -std=c++17 --threads 0 -Xfatbin -compress-all -fatbin \
  "${ARCHS[@]}" -o "$OUT.tmp" "$SRC_DIR/selective_scan.cu"
mv "$OUT.tmp" "$OUT"
{
  echo "nvcc=$("$NVCC" --version | tail -1)"
  echo "targets=sm_80,sm_86,sm_89,sm_90,compute_90"
} > "$INFO"
