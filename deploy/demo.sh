#!/usr/bin/env bash
# Tower end to end on this machine (README Quick start, first command):
#   local PostgreSQL + pgvector and SQS server, build, schema, the demo sample (deploy/sample, generated
#   by deploy/sample/generate.py), MiniLM product vectors, then towerd consuming the queue while test
#   events arrive, showing one customer's recommendations before and after.
# The daemon keeps running in the foreground afterwards (JSON logs); Ctrl-C stops it cleanly.
# DEMO_EXIT=1 stops after the demonstration instead (used by tests and CI smoke runs).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Swift toolchain"
. deploy/swift.sh

step "Local servers (PostgreSQL 18 + pgvector, ministack SQS) and encoder weights"
bash deploy/local.sh up

step "Build (release)"
swift build -c release --product tower
swift build -c release --product towerd
BIN="$(swift build -c release --show-bin-path)"
tower() { "$BIN/tower" "$@"; }

step "Schema and demo sample"
tower migrate
tower catalog import deploy/sample/products.jsonl
tower catalog embed
# The event log has no natural key, so importing the sample twice would append it twice: only into an empty log.
if tower status --json | grep -q '"events": 0,'; then
    tower events import deploy/sample/events.jsonl
else
    echo "the event log already holds events: the sample is not imported again"
fi
tower status

# A customer id no earlier run used (sample customers are below 10,000), so the first page is the fallback.
CUSTOMER="${DEMO_CUSTOMER:-$((900000 + $(date +%s) % 99999))}"
step "Recommendations for new customer $CUSTOMER (no vector yet: popularity fallback)"
tower recommend --customer "$CUSTOMER" --per-page 5

step "Starting towerd"
mkdir -p .local/log
"$BIN/towerd" > .local/log/towerd-demo.log 2>&1 &
TOWERD=$!
trap 'kill -TERM $TOWERD 2>/dev/null || true; wait $TOWERD 2>/dev/null || true' EXIT
sleep 1

# Products of one category the customer starts to care about.
PRODUCTS=$(grep -m 3 '"Outdoor' deploy/sample/products.jsonl | sed -E 's/.*"product_id": *([0-9]+).*/\1/')
step "Customer $CUSTOMER clicks and adds to cart: $(echo $PRODUCTS | tr '\n' ' ')"
for p in $PRODUCTS; do
    tower send --customer "$CUSTOMER" --product "$p" --event product_clicked
done
tower send --customer "$CUSTOMER" --product "$(echo "$PRODUCTS" | head -1)" --event product_added_to_cart

# Wait until towerd has applied all four events (at most 10 s).
for _ in $(seq 1 50); do
    applied=$(tower user show --customer "$CUSTOMER" --json 2>/dev/null | grep -c '"event_id"' || true)
    [ "${applied:-0}" -ge 4 ] && break
    sleep 0.2
done

step "Recommendations for customer $CUSTOMER now (personalized by towerd)"
tower recommend --customer "$CUSTOMER" --per-page 5

step "towerd log (last lines)"
tail -n 5 .local/log/towerd-demo.log

if [ "${DEMO_EXIT:-0}" = 1 ]; then exit 0; fi
step "towerd keeps running (pid $TOWERD); its JSON log follows. Ctrl-C to stop."
tail -f .local/log/towerd-demo.log &
wait $TOWERD
