#!/usr/bin/env bash
# Training speed of Tower beside a PyTorch implementation of the same user tower, in one run:
#   deploy/bench/training-vs-torch.sh [EVENTS] [THREADS]   (defaults: 200000 events, 2 threads)
# Needs a release build (swift build -c release --scratch-path .build-release); installs the venv itself.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
EVENTS="${1:-200000}"
THREADS="${2:-2}"
BENCH="$ROOT/.build-release/release/tower-bench"
[ -x "$BENCH" ] || { echo "no release build at $BENCH: run swift build -c release --scratch-path .build-release" >&2; exit 1; }
bash "$ROOT/deploy/bench/torch-venv.sh"
echo "load: $(uptime)"
"$BENCH" model --repeats 10 --train-events "$EVENTS" --threads "$THREADS" | grep -E '^(BLAS kernel|training)'
"$ROOT/.local/torch-venv/bin/python" "$ROOT/deploy/bench/torch_peer.py" --events "$EVENTS" --threads "$THREADS"
echo "load: $(uptime)"
