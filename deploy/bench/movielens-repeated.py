#!/usr/bin/env python3
"""A training log of about 1M events for `tower train` speed runs: the shared MovieLens data repeated.

    python3 deploy/bench/movielens-repeated.py [--copies 10] [--data ../shared/data/movielens-latest-small] OUT_DIR

Writes OUT_DIR/products.jsonl (the MovieLens catalogue, unchanged) and OUT_DIR/events.jsonl: every event once
per copy, copy k with customer ids + 100000·k and times + k seconds, in time order (10 copies: 1,008,360
events of 6,100 customers). Import with `tower catalog import`, `tower catalog embed` and `tower events
import`, then time `tower train` (docs/model.md, Speed). Standard library only.
"""

import argparse
import json
import os
import shutil
from datetime import datetime, timedelta, timezone

FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--copies", type=int, default=10)
    ap.add_argument("--data", default=os.path.join(root, "..", "shared", "data", "movielens-latest-small"))
    ap.add_argument("out")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    shutil.copyfile(os.path.join(args.data, "products.jsonl"), os.path.join(args.out, "products.jsonl"))
    with open(os.path.join(args.data, "events.jsonl"), encoding="utf-8") as f:
        events = [json.loads(line) for line in f if line.strip()]
    rows = []
    for copy in range(args.copies):
        for e in events:
            t = datetime.strptime(e["occurred_at"], FORMAT).replace(tzinfo=timezone.utc) + timedelta(seconds=copy)
            rows.append((t, e["customer_id"] + 100_000 * copy, e["product_id"], e["event_name"]))
    rows.sort(key=lambda r: (r[0], r[1]))
    with open(os.path.join(args.out, "events.jsonl"), "w", encoding="utf-8", newline="\n") as f:
        for t, customer, product, name in rows:
            f.write(json.dumps({"customer_id": customer, "product_id": product, "event_name": name,
                                "occurred_at": t.strftime(FORMAT)}) + "\n")
    print(f"wrote {len(rows)} events of {len({r[1] for r in rows})} customers to {args.out}")


if __name__ == "__main__":
    main()
