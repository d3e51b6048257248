#!/usr/bin/env bash
# Creates the venv of the PyTorch training peer (deploy/bench/torch_peer.py):
#   deploy/bench/torch-venv.sh [VENV_DIR]   (default: .local/torch-venv)
# Installs torch and numpy from PyPI with pip. PyPI's Linux torch wheel depends on the CUDA runtime packages
# (about 5 GB installed; the CPU-only wheels live outside PyPI) and does not import without them, so they come
# too; the benchmark runs on the CPU. Idempotent.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${1:-$ROOT/.local/torch-venv}"

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import torch, numpy' 2>/dev/null; then
    exit 0
fi
echo "[bench] creating the PyTorch peer's venv in $VENV (downloads about 3 GB)" >&2
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check torch numpy
"$VENV/bin/python" -c 'import torch, numpy'
