#!/usr/bin/env bash
# One device run: check the machine, train the QE cross-encoder, leave weights + log in $OUT.
# Usage (from the repository root, with .mtqc-cache/qe-carry from training/qe_data.py):
#   OUT=/tmp/qe-out bash training/qe_device.sh [extra qe_train args]
set -u
OUT=${OUT:-/tmp/qe-out}
mkdir -p "$OUT"
PY=$(command -v python3 || command -v python)
{
  nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv 2>&1 | head -3
  "$PY" -c 'import sys, torch, numpy; print(sys.version.split()[0], torch.__version__, numpy.__version__, torch.cuda.is_available())'
  nproc
} 2>&1 | tee "$OUT/env.txt"
"$PY" -m training.qe_train --data .mtqc-cache/qe-carry --out "$OUT" "$@" 2>&1 | tee "$OUT/train.log"
echo "exit ${PIPESTATUS[0]}"
