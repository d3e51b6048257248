#!/usr/bin/env bash
# Sets up everything and runs every test (the README's Quick start, second command):
#   1. a Swift 6 toolchain, installed when missing (deploy/swift.sh),
#   2. the local servers: PostgreSQL 18 + pgvector and the SQS-compatible server (deploy/local.sh up),
#   3. a debug build of the package and its tests,
#   4. `swift test`: every test target, against those real servers,
#   5. without arguments, a release build of every product (what deploy/demo.sh and the benchmarks run: the
#      optimiser resolves some imports differently, so a debug build passing does not prove it compiles).
# Exit status: that of `swift test`, else the release build's. Arguments go to `swift test` (e.g. --filter
# TowerStoreTests) and skip step 5.
# Works from a fresh clone (no .local/, no .build/), as root (CI) or as a user with sudo.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n== %s\n' "$*" >&2; }

step "Swift toolchain"
. deploy/swift.sh
swift --version 2>&1 | head -1 >&2

step "Local servers"
bash deploy/local.sh up

# Every module a target imports must be one of its declared dependencies (not merely reachable).
checks=(--explicit-target-dependency-import-check error)

step "Build"
swift build --build-tests "${checks[@]}"

step "Tests"
status=0
swift test "${checks[@]}" "$@" || status=$?
if [ "$status" = 0 ]; then step "All tests passed"; else step "Tests FAILED (exit status $status)"; fi
if [ "$status" = 0 ] && [ $# = 0 ]; then
    step "Release build"
    swift build -c release || { status=$?; step "Release build FAILED (exit status $status)"; }
fi
exit "$status"
