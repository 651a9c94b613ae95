"""DeepAR-style baseline for bench:accuracy (Salinas et al.): an autoregressive LSTM across every
series with a Student-t output, trained on random windows (context + horizon) by likelihood,
forecasting by ancestral sampling; quantiles are those of the sample paths.

Inputs per step: the previous value (log1p, minus the window's context mean, the scale DeepAR
divides by), hour and weekday as sin/cos, station and metric embeddings. Same JSON in and out as
gbm.py. Needs Debian's python3-torch (run with /usr/bin/python3). Env: DEEPAR_EPOCHS.
"""
import json
import math
import os
import sys
from datetime import datetime

import numpy as np
import torch
from torch import nn

CONTEXT = 72
HIDDEN = 40
BATCH = 64
BATCHES_PER_EPOCH = 100
SAMPLES = 100


def as_z(target):
    y = np.array([np.nan if v is None or v == "NaN" else float(v) for v in target], dtype=float)
    return np.log1p(np.clip(y, 0, None))


def ffill(z):
    out = z.copy()
    last = np.nan
    for i, v in enumerate(out):
        if np.isnan(v):
            out[i] = last
        else:
            last = v
    first = out[~np.isnan(out)]
    out[np.isnan(out)] = first[0] if len(first) else 0.0
    return out


def covariates(start, length):
    t0 = datetime.strptime(start[:19], "%Y-%m-%d %H:%M:%S")
    hours = t0.hour + t0.weekday() * 24 + np.arange(length)
    day = 2 * math.pi * (hours % 24) / 24
    week = 2 * math.pi * (hours % 168) / 168
    return np.column_stack([np.sin(day), np.cos(day), np.sin(week), np.cos(week)])


class DeepAR(nn.Module):
    def __init__(self):
        super().__init__()
        self.station = nn.Embedding(64, 4)
        self.metric = nn.Embedding(16, 3)
        self.lstm = nn.LSTM(1 + 4 + 4 + 3, HIDDEN, num_layers=2, batch_first=True, dropout=0.1)
        self.head = nn.Linear(HIDDEN, 3)

    def forward(self, prev, cov, cat, state=None):
        emb = torch.cat([self.station(cat[:, 0]), self.metric(cat[:, 1])], dim=1)
        emb = emb[:, None, :].expand(-1, prev.shape[1], -1)
        out, state = self.lstm(torch.cat([prev[..., None], cov, emb], dim=2), state)
        p = self.head(out)
        mu = p[..., 0]
        sigma = nn.functional.softplus(p[..., 1]) + 1e-3
        nu = 2.0 + nn.functional.softplus(p[..., 2])
        return mu, sigma, nu, state


def prepared(s):
    z = as_z(s["target"])
    cat = s.get("cat") or [0, 0]
    return {"z": z, "filled": ffill(z), "cov": covariates(s["start"], len(z) + 1000),
            "cat": [cat[0] % 64, (cat[1] if len(cat) > 1 else 0) % 16]}


def batch_of(items, rng, horizon):
    length = CONTEXT + horizon
    prev, cov, cat, y, mask = [], [], [], [], []
    for _ in range(BATCH):
        it = items[rng.integers(len(items))]
        n = len(it["z"])
        start = rng.integers(0, n - length + 1) if n > length else 0
        window = it["filled"][start:start + length]
        target = it["z"][start:start + length]
        pad = length - len(window)
        ctx = window[:CONTEXT] if len(window) >= CONTEXT else window
        m = float(np.mean(ctx)) if len(ctx) else 0.0
        w = np.concatenate([np.zeros(pad), window - m])
        t = np.concatenate([np.full(pad, np.nan), target - m])
        prev.append(np.concatenate([[0.0], w[:-1]]))
        y.append(np.nan_to_num(t))
        mask.append(~np.isnan(t))
        cov.append(np.pad(it["cov"][start:start + len(window)], ((pad, 0), (0, 0))))
        cat.append(it["cat"])
    f = lambda a: torch.tensor(np.array(a), dtype=torch.float32)  # noqa: E731
    return f(prev), f(cov), torch.tensor(cat), f(y), torch.tensor(np.array(mask))


def main():
    job = json.load(sys.stdin)
    horizon = int(job["horizon"])
    torch.manual_seed(0)
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    items = [prepared(s) for s in job["train"] if len(s["target"]) > 1]
    model = DeepAR()
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    epochs = int(os.environ.get("DEEPAR_EPOCHS", "8"))
    for _ in range(epochs):
        for _ in range(BATCHES_PER_EPOCH):
            prev, cov, cat, y, mask = batch_of(items, rng, horizon)
            mu, sigma, nu, _ = model(prev, cov, cat)
            nll = -torch.distributions.StudentT(nu, mu, sigma).log_prob(y)
            loss = (nll * mask).sum() / mask.sum().clamp(min=1)
            optimiser.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimiser.step()
    model.eval()
    out = []
    with torch.no_grad():
        requests = [prepared(s) for s in job["requests"]]
        for chunk in range(0, len(requests), 64):
            part = requests[chunk:chunk + 64]
            prev, cov, cat, ms = [], [], [], []
            for it in part:
                ctx = it["filled"][-CONTEXT:]
                ctx = np.concatenate([np.full(CONTEXT - len(ctx), ctx[0] if len(ctx) else 0.0), ctx])
                m = float(np.mean(ctx))
                n = len(it["z"])
                prev.append(np.concatenate([[0.0], ctx[:-1] - m]))
                cov.append(it["cov"][max(0, n - CONTEXT):n + horizon][: CONTEXT + horizon])
                cat.append(it["cat"])
                ms.append(m)
            k = len(part)
            cov_t = torch.tensor(np.array([np.pad(c, ((CONTEXT + horizon - len(c), 0), (0, 0)))
                                           for c in cov]), dtype=torch.float32)
            cat_t = torch.tensor(cat)
            _, _, _, state = model(torch.tensor(np.array(prev), dtype=torch.float32),
                                   cov_t[:, :CONTEXT], cat_t)
            last = torch.tensor(np.array([it["filled"][-1] for it in part]) - np.array(ms),
                                dtype=torch.float32)
            state = tuple(s.repeat_interleave(SAMPLES, dim=1) for s in state)
            value = last.repeat_interleave(SAMPLES)[:, None]
            cov_s = cov_t.repeat_interleave(SAMPLES, dim=0)
            cat_s = cat_t.repeat_interleave(SAMPLES, dim=0)
            paths = []
            for h in range(horizon):
                mu, sigma, nu, state = model(value, cov_s[:, CONTEXT + h:CONTEXT + h + 1], cat_s, state)
                value = torch.distributions.StudentT(nu, mu, sigma).sample()
                paths.append(value[:, 0])
            paths = torch.stack(paths, dim=1).reshape(k, SAMPLES, horizon).numpy()
            for i in range(k):
                z = paths[i] + ms[i]
                q = np.expm1(np.clip(np.quantile(z, [0.1, 0.5, 0.9], axis=0), 0, 30))
                out.append({"q10": q[0].tolist(), "q50": q[1].tolist(), "q90": q[2].tolist()})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
