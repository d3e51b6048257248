"""PyTorch peer of `tower-bench model`'s training benchmark: the same user tower (docs/model.md), loss, optimiser
and generated log recipe, trained for one epoch on the CPU. Prints samples/s (wall and per CPU-second).

Run through deploy/bench/training-vs-torch.sh, which installs torch into a venv and runs Tower beside it.
"""
import argparse
import math
import time

import numpy as np
import torch
import torch.nn.functional as F

D, HEADS, ATT, MAX_HISTORY, TAU, WINDOW = 384, 4, 128, 20, 0.05, 2 * 86_400
EVENT_WEIGHTS = [0.1, 2.0, 5.0]  # view, click, cart (TOWER_EVENT_WEIGHTS defaults)


def generate_log(events_wanted, rng):
    """Customers browse in sessions, mostly inside three of 50 product clusters (BenchModelCommand's recipe)."""
    products, clusters = 10_000, 50
    centers = rng.standard_normal((clusters, D)).astype(np.float32)
    catalog = centers[np.arange(products) % clusters] + 0.7 * rng.standard_normal((products, D)).astype(np.float32)
    events, customer = [], 0
    while len(events) < events_wanted:
        customer += 1
        t = int(rng.integers(30 * 86_400))
        liked = rng.integers(clusters, size=3)
        for _ in range(1 + int(rng.integers(4))):
            for _ in range(2 + int(rng.integers(10))):
                cluster = liked[rng.integers(3)]
                product = int(cluster + clusters * rng.integers(products // clusters))
                events.append((t, customer, product, int(rng.integers(3))))
                t += 30 + int(rng.integers(600))
            t += int(rng.integers(4 * 86_400))
    events.sort()
    return catalog, events[:events_wanted]


def samples(events):
    """Every event with a non-empty history: the customer's at most 20 most recent earlier events in the window."""
    by_customer, out = {}, []
    for t, c, p, e in events:
        past = by_customer.setdefault(c, [])
        history = [x for x in reversed(past) if x[0] < t and x[0] >= t - WINDOW][:MAX_HISTORY]
        if history:
            out.append((c, p, e, [(x[1], x[2], t - x[0]) for x in history]))
        past.append((t, p, e))
    return out


class UserTower(torch.nn.Module):
    def __init__(self, products, text):
        super().__init__()
        self.text = torch.nn.functional.normalize(torch.from_numpy(text), dim=1)
        self.residual = torch.nn.Embedding(products, D, sparse=True)
        torch.nn.init.zeros_(self.residual.weight)
        self.type_embedding = torch.nn.Parameter(torch.zeros(3, D))
        self.type_bias = torch.nn.Parameter(torch.zeros(3))
        self.norm = torch.nn.LayerNorm(D, eps=1e-5)
        self.w_qk = torch.nn.Parameter(torch.randn(D, 2 * ATT) / math.sqrt(D))
        self.w_v = torch.nn.Parameter(torch.randn(D, D) / math.sqrt(D))
        self.w_o = torch.nn.Parameter(torch.zeros(D, D))
        self.b_o = torch.nn.Parameter(torch.zeros(D))
        self.pool_query = torch.nn.Parameter(torch.zeros(D))
        self.log_half_life = torch.nn.Parameter(torch.tensor([math.log(86_400.0)]))
        self.w_out = torch.nn.Parameter(torch.eye(D))
        self.b_out = torch.nn.Parameter(torch.zeros(D))
        self.log_weights = torch.log(torch.tensor(EVENT_WEIGHTS))

    def served(self, ids):
        return F.normalize(self.text[ids] + self.residual(ids), dim=-1)

    def forward(self, ids, types, ages, mask):
        b, n = ids.shape
        h = self.served(ids) + self.type_embedding[types]
        u = self.norm(h)
        qk = u @ self.w_qk
        q = qk[..., :ATT].reshape(b, n, HEADS, -1).transpose(1, 2)
        k = qk[..., ATT:].reshape(b, n, HEADS, -1).transpose(1, 2)
        logit = (self.log_weights[types] + self.type_bias[types] - math.log(2) * ages / self.log_half_life.exp()
                 + u @ self.pool_query).masked_fill(~mask, float("-inf"))
        p = torch.softmax(logit, dim=1)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(ATT / HEADS)
        attention = torch.softmax(scores.masked_fill(~mask[:, None, None, :], float("-inf")), dim=-1)
        mixed = torch.einsum("bn,bhnm,bmd->bhd", p, attention, u)  # per head: p · A_head · U
        w_v = self.w_v.reshape(D, HEADS, D // HEADS)
        values = torch.einsum("bhd,dhe->bhe", mixed, w_v).reshape(b, D)
        pooled = (p[..., None] * h).sum(1) + values @ self.w_o + self.b_o
        return F.normalize(pooled @ self.w_out + self.b_out, dim=-1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=256)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    catalog, events = generate_log(args.events, np.random.default_rng(9))
    all_samples = samples(events)
    model = UserTower(len(catalog), catalog)
    dense = [p for name, p in model.named_parameters() if name != "residual.weight"]
    optimisers = [torch.optim.Adam(dense, lr=1e-3), torch.optim.SparseAdam([model.residual.weight], lr=1e-2)]
    counts = np.bincount([s[1] for s in all_samples], minlength=len(catalog)).astype(np.float32)
    log_q = torch.from_numpy(np.log(np.maximum(counts, 1) / len(all_samples)))
    # Histories padded to 20 once, before the clock starts: the loop times training, not Python.
    count = len(all_samples)
    ids_all = np.zeros((count, MAX_HISTORY), dtype=np.int64)
    types_all = np.zeros((count, MAX_HISTORY), dtype=np.int64)
    ages_all = np.zeros((count, MAX_HISTORY), dtype=np.float32)
    lengths = np.zeros(count, dtype=np.int64)
    for row, (_, _, _, history) in enumerate(all_samples):
        lengths[row] = len(history)
        for j, (p, e, a) in enumerate(history):
            ids_all[row, j], types_all[row, j], ages_all[row, j] = p, e, a
    positives_all = np.array([s[1] for s in all_samples])
    customers_all = np.array([s[0] for s in all_samples])
    weights_all = np.array([EVENT_WEIGHTS[s[2]] for s in all_samples], dtype=np.float32)
    order = np.random.default_rng(42).permutation(count)
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    for first in range(0, count, args.batch):
        rows = order[first:first + args.batch]
        n = int(lengths[rows].max())
        ids, types = torch.from_numpy(ids_all[rows, :n]), torch.from_numpy(types_all[rows, :n])
        ages = torch.from_numpy(ages_all[rows, :n])
        mask = torch.from_numpy(np.arange(n)[None, :] < lengths[rows][:, None])
        positives, customers = torch.from_numpy(positives_all[rows]), torch.from_numpy(customers_all[rows])
        weights = torch.from_numpy(weights_all[rows])
        users = model(ids, types, ages, mask)
        logits = users @ model.served(positives).T / TAU - log_q[positives][None, :]
        same = (positives[:, None] == positives[None, :]) | (customers[:, None] == customers[None, :])
        same.fill_diagonal_(False)
        loss = (F.cross_entropy(logits.masked_fill(same, float("-inf")), torch.arange(len(rows)), reduction="none")
                * weights).sum() / weights.sum()
        for o in optimisers:
            o.zero_grad()
        loss.backward()
        for o in optimisers:
            o.step()
    wall, cpu = time.perf_counter() - start_wall, time.process_time() - start_cpu
    print(f"PyTorch {torch.__version__} training, {len(events)} events ({len(all_samples)} samples), batch "
          f"{args.batch}, {args.threads} threads: {len(all_samples) / wall:.0f} samples/s ({wall:.1f} s wall), "
          f"{len(all_samples) / cpu:.0f} samples per CPU-second")


if __name__ == "__main__":
    main()
