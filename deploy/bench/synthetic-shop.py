#!/usr/bin/env python3
"""Two synthetic shops over the MovieLens catalogue, for checking that the ranking defaults do not depend on it.

    python3 deploy/bench/synthetic-shop.py --kind repeat|never [--seed 7] [--data ../shared/data/movielens-latest-small] OUT_DIR

Writes OUT_DIR/products.jsonl (the MovieLens catalogue, unchanged) and OUT_DIR/events.jsonl in time order, over
120 days from 2026-01-01. Each customer likes two genres (first genres of the catalogue, chosen by genre size) and
inside a genre prefers its popular products (Zipf, exponent 1, over a seeded order of the genre's products, the
same for every customer). A customer has sessions at uniformly random times; a session views a few products of
their genres (`product_viewed`, sometimes `product_clicked`) and adds one or two to the cart
(`product_added_to_cart`), each viewed just before.

- `repeat` (repeat-heavy shop): 800 customers with about 30 sessions each; every customer has 4-10 staples from
  their genres, and 73% of views and carts are of a staple (a cart's product is viewed just before).
- `never` (never-rebuy shop): 1,500 customers with about 11 sessions each; a cart is a product the customer has
  not bought before (2% of carts repeat one), views may repeat before a purchase: a product viewed in an earlier
  session is bought with probability 0.3.

Import with `tower catalog import`, `tower catalog embed` and `tower events import` (docs/model.md, two-stage
ranking). Standard library only; the same seed writes the same files.
"""

import argparse
import bisect
import json
import os
import random
import shutil
from datetime import datetime, timedelta, timezone

FORMAT = "%Y-%m-%dT%H:%M:%SZ"
START = datetime(2026, 1, 1, tzinfo=timezone.utc)
DAYS = 120


class Genre:
    """The products of one genre with Zipf weights over a seeded order."""

    def __init__(self, products, rng):
        self.products = list(products)
        rng.shuffle(self.products)
        total, self.cumulative = 0.0, []
        for rank in range(len(self.products)):
            total += 1.0 / (rank + 1)
            self.cumulative.append(total)

    def draw(self, rng):
        return self.products[bisect.bisect_left(self.cumulative, rng.random() * self.cumulative[-1])]


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kind", choices=["repeat", "never"], required=True)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--data", default=os.path.join(root, "..", "shared", "data", "movielens-latest-small"))
    ap.add_argument("out")
    args = ap.parse_args()
    rng = random.Random(f"{args.kind}-{args.seed}")
    os.makedirs(args.out, exist_ok=True)
    shutil.copyfile(os.path.join(args.data, "products.jsonl"), os.path.join(args.out, "products.jsonl"))
    by_genre = {}
    with open(os.path.join(args.data, "products.jsonl"), encoding="utf-8") as f:
        for line in f:
            p = json.loads(line)
            if p["categories"]:
                by_genre.setdefault(p["categories"][0], []).append(p["product_id"])
    names = sorted(g for g in by_genre if len(by_genre[g]) >= 20)
    genres = {g: Genre(by_genre[g], rng) for g in names}
    sizes = [len(by_genre[g]) for g in names]

    repeat = args.kind == "repeat"
    customers, sessions = (800, 30) if repeat else (1500, 11)
    rows = []
    for c in range(1, customers + 1):
        liked = set()
        while len(liked) < 2:
            liked.add(rng.choices(names, weights=sizes)[0])
        liked = [genres[g] for g in sorted(liked)]

        def browse():
            return rng.choice(liked).draw(rng)

        staples = set()
        while repeat and len(staples) < rng.randint(4, 10):
            staples.add(browse())
        staples = sorted(staples)
        bought, viewed = set(), []
        for start in sorted(rng.uniform(0, DAYS * 86_400) for _ in range(max(1, round(rng.gauss(sessions, sessions / 3))))):
            t = start
            events = []

            def add(product, name):
                nonlocal t
                t += rng.uniform(20, 180)
                events.append((t, product, name))

            for _ in range(rng.randint(1, 4)):
                p = rng.choice(staples) if repeat and rng.random() < 0.73 else browse()
                add(p, "product_viewed")
                viewed.append(p)
                if rng.random() < 0.3:
                    add(p, "product_clicked")
            for _ in range(1 if rng.random() < 0.7 else 2):
                if repeat and rng.random() < 0.73:
                    p = rng.choice(staples)
                elif not repeat and bought and rng.random() < 0.02:
                    p = rng.choice(sorted(bought))
                else:
                    p = None
                    if not repeat and viewed and rng.random() < 0.3:
                        p = rng.choice(viewed)
                    for _ in range(50):
                        if p is not None and (repeat or p not in bought):
                            break
                        p = browse()
                add(p, "product_viewed")
                add(p, "product_added_to_cart")
                bought.add(p)
            for when, product, name in events:
                rows.append((START + timedelta(seconds=int(when)), c, product, name))
    rows.sort(key=lambda r: (r[0], r[1]))
    with open(os.path.join(args.out, "events.jsonl"), "w", encoding="utf-8", newline="\n") as f:
        for t, customer, product, name in rows:
            f.write(json.dumps({"customer_id": customer, "product_id": product, "event_name": name,
                                "occurred_at": t.strftime(FORMAT)}) + "\n")
    carts = [r for r in rows if r[3] == "product_added_to_cart"]
    seen, again = set(), 0
    for _, customer, product, _ in carts:
        again += (customer, product) in seen
        seen.add((customer, product))
    print(f"wrote {len(rows)} events of {customers} customers to {args.out}; "
          f"{again / max(1, len(carts)):.1%} of {len(carts)} carts re-buy")


if __name__ == "__main__":
    main()
