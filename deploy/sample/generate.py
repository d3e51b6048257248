#!/usr/bin/env python3
"""Generate Tower's demo sample: a small synthetic shop in the import format.

    python3 deploy/sample/generate.py [--seed N] [--products N] [--customers N] [--events N] [--out DIR]

Writes DIR/products.jsonl and DIR/events.jsonl (default: this script's folder), the files
`tower catalog import` and `tower events import` read. Standard library only; the output depends
only on the arguments (all randomness comes from one seeded generator, drawn through
`random()` alone, so it is the same on every Python 3 version). Everything is invented: brand,
model and merchant names are made up for this sample, and the data is ours to license with the
repository.

The catalog: ~500 products over a category tree 2-3 levels deep (root first, e.g.
["Shoes", "Running", "Road"]), each with an invented brand + model name, a merchant, a color, a
price drawn around its leaf category's typical price, and a creation time in the year before the
end date.

The events: ~5,000 over ~200 customers in the 60 days before the end date, sorted by time. Each
customer has one or two favourite top-level categories (and a favourite leaf in each); a shopping
session picks a favourite category with probability 0.85 (otherwise any), views a few products
there (popular products more often: Zipf-like weights inside each leaf), clicks some of them and
sometimes adds one to the cart. So customers' histories are coherent enough for recommendations
to be meaningful, with some noise.
"""

import argparse
import json
import math
import os
import random
from datetime import datetime, timedelta, timezone

END = datetime(2026, 10, 31, 20, 0, 0, tzinfo=timezone.utc)

# Category tree: top level -> second level -> list of third levels (empty: the path stops at two levels),
# with a typical price per second-level category.
CATEGORIES = {
    "Shoes": {"Running": (["Road", "Trail"], 110), "Sneakers": ([], 85), "Boots": (["Hiking", "Winter"], 140),
              "Sandals": ([], 45)},
    "Apparel": {"Jackets": (["Rain", "Insulated"], 160), "T-Shirts": ([], 25), "Hoodies": ([], 55),
                "Pants": (["Chinos", "Joggers"], 60)},
    "Outdoor": {"Tents": ([], 240), "Backpacks": (["Daypacks", "Trekking"], 90), "Sleeping Bags": ([], 130),
                "Camp Kitchen": ([], 40)},
    "Home": {"Cookware": (["Pans", "Pots"], 70), "Knives": ([], 65), "Lighting": (["Desk Lamps", "Floor Lamps"], 80),
             "Bedding": ([], 95)},
    "Electronics": {"Headphones": (["Over-Ear", "In-Ear"], 150), "Speakers": ([], 120), "Smartwatches": ([], 230),
                    "Chargers": ([], 30)},
    "Beauty": {"Skincare": (["Moisturisers", "Cleansers"], 28), "Fragrance": ([], 75), "Hair Care": ([], 22)},
}

# Invented brands per top-level category.
BRANDS = {
    "Shoes": ["Norvik", "Tavren", "Kelso Peak", "Brisa"],
    "Apparel": ["Olvana", "Drayden", "Norvik", "Sunhallow"],
    "Outdoor": ["Kelso Peak", "Ridgeholm", "Pellan", "Tavren"],
    "Home": ["Maplestone", "Irvo", "Cassel & Wren", "Lumora"],
    "Electronics": ["Voltari", "Zentaro", "Quorra", "Irvo"],
    "Beauty": ["Velmont", "Solenne", "Ameli Rose", "Lumora"],
}

# What a product of each leaf category is called.
NOUNS = {
    "Road": "Road Running Shoe", "Trail": "Trail Running Shoe", "Sneakers": "Sneaker", "Hiking": "Hiking Boot",
    "Winter": "Winter Boot", "Sandals": "Sandal", "Rain": "Rain Jacket", "Insulated": "Insulated Jacket",
    "T-Shirts": "Tee", "Hoodies": "Hoodie", "Chinos": "Chino", "Joggers": "Jogger", "Tents": "Tent",
    "Daypacks": "Daypack", "Trekking": "Trekking Pack", "Sleeping Bags": "Sleeping Bag", "Camp Kitchen": "Camp Stove",
    "Pans": "Frying Pan", "Pots": "Stock Pot", "Knives": "Chef Knife", "Desk Lamps": "Desk Lamp",
    "Floor Lamps": "Floor Lamp", "Bedding": "Duvet Cover", "Over-Ear": "Over-Ear Headphones", "In-Ear": "Earbuds",
    "Speakers": "Speaker", "Smartwatches": "Smartwatch", "Chargers": "Charger", "Moisturisers": "Moisturiser",
    "Cleansers": "Cleanser", "Fragrance": "Eau de Parfum", "Hair Care": "Shampoo",
}
MODELS = ["Glide", "Stride", "Pulse", "Drift", "Summit", "Tempo", "Flux", "Nimbus", "Vista", "Echo", "Terra",
          "Aero", "Haven", "Orbit", "Crest", "Breeze", "Ember", "Atlas", "Nova", "Arc"]
VARIANTS = ["", "", "2", "3", "4", "Pro", "Lite", "Max", "XT", "Plus", "Air", "One"]
MERCHANTS = {
    "Shoes": ["Northwind Outfitters", "Stride & Co", "UrbanCart"],
    "Apparel": ["Northwind Outfitters", "Threadline", "UrbanCart"],
    "Outdoor": ["Peak Supply", "Northwind Outfitters"],
    "Home": ["Maple House Goods", "UrbanCart"],
    "Electronics": ["Voltline", "UrbanCart"],
    "Beauty": ["Glow Street", "UrbanCart"],
}
COLORS = ["black", "white", "grey", "navy", "blue", "red", "green", "beige", "orange", "pink", "olive", "silver"]
EVENT_VIEW, EVENT_CLICK, EVENT_CART = "product_viewed", "product_clicked", "product_added_to_cart"


class Rng:
    """Deterministic choices drawn only through random.Random.random()."""

    def __init__(self, seed):
        self.r = random.Random(seed)

    def uniform(self, a, b):
        return a + (b - a) * self.r.random()

    def int(self, a, b):  # inclusive
        return a + min(int(self.r.random() * (b - a + 1)), b - a)

    def pick(self, seq):
        return seq[min(int(self.r.random() * len(seq)), len(seq) - 1)]

    def weighted(self, seq, weights):
        x = self.r.random() * sum(weights)
        for item, w in zip(seq, weights):
            x -= w
            if x < 0:
                return item
        return seq[-1]

    def chance(self, p):
        return self.r.random() < p


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def leaves():
    """Every category path, root first, with its typical price."""
    out = []
    for top, subs in CATEGORIES.items():
        for sub, (thirds, price) in subs.items():
            if thirds:
                out.extend(([top, sub, third], price) for third in thirds)
            else:
                out.append(([top, sub], price))
    return out


def make_products(rng, count):
    paths = leaves()
    products, seen = [], set()
    product_id = 1000
    while len(products) < count:
        path, typical = paths[len(products) % len(paths)]
        top = path[0]
        for _ in range(100):  # draw a name not used yet
            variant = rng.pick(VARIANTS)
            name = " ".join(x for x in [rng.pick(BRANDS[top]), rng.pick(MODELS), variant, NOUNS[path[-1]]] if x)
            if name not in seen:
                break
        seen.add(name)
        price = round(typical * math.exp(rng.uniform(-0.6, 0.6)), 0) - 0.01
        created = END - timedelta(days=rng.uniform(60, 420))
        product_id += rng.int(1, 3)
        products.append({
            "product_id": product_id, "name": name, "merchant": rng.pick(MERCHANTS[top]), "categories": path,
            "color": rng.pick(COLORS), "price": price, "created_at": iso(created),
        })
    return products


def make_events(rng, products, customers, target):
    by_top, by_leaf = {}, {}
    for i, p in enumerate(products):
        by_top.setdefault(p["categories"][0], []).append(i)
        by_leaf.setdefault(tuple(p["categories"]), []).append(i)
    # Zipf-like popularity inside each leaf: the k-th product of a leaf weighs 1/(k+1).
    weight = [0.0] * len(products)
    for members in by_leaf.values():
        for k, i in enumerate(members):
            weight[i] = 1.0 / (k + 1)
    tops = list(CATEGORIES)

    people = []
    for c in range(customers):
        favourites = [rng.pick(tops)]
        if rng.chance(0.4):
            favourites.append(rng.pick([t for t in tops if t != favourites[0]]))
        leaf = {t: tuple(products[rng.pick(by_top[t])]["categories"]) for t in favourites}
        people.append((5000 + c * 7, favourites, leaf, rng.uniform(0.3, 3.0)))  # id, tastes, activity

    events = []
    start = END - timedelta(days=60)
    activity_total = sum(p[3] for p in people)
    while len(events) < target:
        customer, favourites, leaf, _ = rng.weighted(people, [p[3] / activity_total for p in people])
        if rng.chance(0.85):
            top = rng.pick(favourites)
            pool = by_leaf[leaf[top]] if rng.chance(0.5) else by_top[top]
        else:
            pool = by_top[rng.pick(tops)]
        t = start + timedelta(seconds=rng.uniform(0, 60 * 86_400 - 3_600))
        for _ in range(rng.int(1, 5)):
            i = rng.weighted(pool, [weight[j] for j in pool])
            pid = products[i]["product_id"]
            t += timedelta(seconds=rng.uniform(5, 120))
            events.append((t, customer, pid, EVENT_VIEW))
            if rng.chance(0.3):
                t += timedelta(seconds=rng.uniform(3, 60))
                events.append((t, customer, pid, EVENT_CLICK))
                if rng.chance(0.3):
                    t += timedelta(seconds=rng.uniform(10, 300))
                    events.append((t, customer, pid, EVENT_CART))
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    return [{"customer_id": c, "product_id": p, "event_name": n, "occurred_at": iso(t)} for t, c, p, n in events]


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False, separators=(", ", ": ")) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--products", type=int, default=500)
    ap.add_argument("--customers", type=int, default=200)
    ap.add_argument("--events", type=int, default=5000)
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    args = ap.parse_args()
    rng = Rng(args.seed)
    products = make_products(rng, args.products)
    events = make_events(rng, products, args.customers, args.events)
    write_jsonl(os.path.join(args.out, "products.jsonl"), products)
    write_jsonl(os.path.join(args.out, "events.jsonl"), events)
    customers = len({e["customer_id"] for e in events})
    print(f"wrote {len(products)} products and {len(events)} events of {customers} customers to {args.out}")


if __name__ == "__main__":
    main()
