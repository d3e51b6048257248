#!/usr/bin/env bash
# Creates the Python venv the benchmark's Python peer consumer runs in (`tower-bench daemon` calls this when
# the venv is missing):  deploy/bench/peer-venv.sh [VENV_DIR]   (default: .local/bench-venv)
# Installs psycopg[binary], pgvector, numpy and boto3 from PyPI with pip. Idempotent.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${1:-$ROOT/.local/bench-venv}"
PACKAGES=("psycopg[binary]" pgvector numpy boto3)

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import psycopg, pgvector, numpy, boto3' 2>/dev/null; then
    exit 0
fi
echo "[bench] creating the Python peer's venv in $VENV" >&2
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check "${PACKAGES[@]}"
"$VENV/bin/python" -c 'import psycopg, pgvector, numpy, boto3'
