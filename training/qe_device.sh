#!/usr/bin/env bash
# One device run: check the machine, train up to three QE cross-encoder configurations side
# by side on the one GPU (the model is small: one run leaves the GPU mostly idle), and leave
# each run's weights and a summary of all of them in $OUT (at most 8 files come back).
# Usage (from the repository root, with .mtqc-cache/qe-carry from training/qe_data.py):
#   OUT=/tmp/qe-out DEADLINE=470 [RUNS="name:args;name:args"] bash training/qe_device.sh
#
# RUNS: `;`-separated `name:extra qe_train arguments` (default: the session-3 runs, all with
# batches of whole source groups, 64 items, checkpoint chosen on the validation fold):
#   r0  within-source ranking weight 0 (control: what more epochs alone give)
#   r1  ranking weight 1 (shipped)
#   r3  ranking weight 3
set -u
OUT=${OUT:-/tmp/qe-out}
DEADLINE=${DEADLINE:-470}
RUNS=${RUNS:-"r0:--rank-weight 0 --group-batches;r1:--rank-weight 1;r3:--rank-weight 3"}
mkdir -p "$OUT"
PY=$(command -v python3 || command -v python)
export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=4
{
  nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv 2>&1 | head -3
  "$PY" -c 'import sys, torch, numpy; print(sys.version.split()[0], torch.__version__, numpy.__version__, torch.cuda.is_available())'
  nproc
} 2>&1 | tee "$OUT/env.txt"
common=(--data .mtqc-cache/qe-carry --batch 64 --epochs 8 --time-budget 430 --deadline "$DEADLINE")
names=()
IFS=';' read -ra specs <<<"$RUNS"
for spec in "${specs[@]}"; do
  name=${spec%%:*}
  read -ra extra <<<"${spec#*:}"
  names+=("$name")
  mkdir -p "/tmp/qe-$name"
  "$PY" -m training.qe_train "${common[@]}" --out "/tmp/qe-$name" "${extra[@]}" \
    >"/tmp/qe-$name/train.log" 2>&1 &
  echo "$name pid $! args ${extra[*]}"
done
# fail fast: show the first lines of every log after a minute
sleep "${FIRST_LOOK:-60}"
for name in "${names[@]}"; do echo "== $name"; tail -4 "/tmp/qe-$name/train.log"; done
wait
for name in "${names[@]}"; do
  echo "== $name"; grep -E "checkpoint|trained|kept|validation|wrote|Error|error" "/tmp/qe-$name/train.log" | tail -14
  mkdir -p "$OUT/$name"
  cp /tmp/qe-$name/qe.*.pt "$OUT/$name/" 2>/dev/null
done
# one summary of the runs (their qe-train.json, or the log of a run that failed)
"$PY" - "$OUT/summary.json" "${names[@]}" <<'PY'
import json, sys
from pathlib import Path
out = {}
for name in sys.argv[2:]:
    run = Path(f"/tmp/qe-{name}")
    info = run / "qe-train.json"
    out[name] = json.loads(info.read_text()) if info.exists() else {"log": (run / "train.log").read_text()[-20000:]}
out["env"] = Path(sys.argv[1]).with_name("env.txt").read_text()
Path(sys.argv[1]).write_text(json.dumps(out, indent=1))
PY
rm -f "$OUT/env.txt"  # in summary.json; at most 8 files come back
ls -la "$OUT"/*
