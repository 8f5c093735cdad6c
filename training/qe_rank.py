"""Heads-only fine-tuning of the QE segment head with a within-source ranking loss (CPU).

The encoder stays as shipped (and as the runtime runs it: int8 unless ``--fp32``); its
pooled segment vectors ``[<s> state; mean MT state]`` are extracted once for the
validation fold (fold 0 of ``training/qe_data.py``) and for ``--train-items`` training
items (folds 1–19) whose source has at least 3 MT outputs. The segment head (MLP 768 →
384 → 2, initialised from the shipped one) is then trained on the cached vectors with

    MSE(log(1+MQM)/log 26) + 0.5 * BCE(has_major) + w * RankNet(pairs of one source)

and measured on the validation fold by 5-fold cross-validation over its sources (Kendall
all / within a source, as ``training/qe_risk.py``). ``--write`` puts a head trained on all
extracted items into
``mtqc/scorers/weights/qe.safetensors`` (the rest of the file unchanged).

    python -m training.qe_rank --extract --train-items 0     # fold 0 only: ~6 CPU-minutes
    python -m training.qe_rank --train --rank-weight 1 [--write]

Measured and not shipped (training/README.md): with w = 1 the head's within-source
Kendall on the validation fold fell from 0.095 to 0.051. TED, nlnews-dev and WMT23+ are
never read here.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import time
import zlib
from collections import defaultdict
from pathlib import Path

import numpy as np

CACHE = Path(os.environ.get("MTQC_TRAIN_CACHE", "/tmp/mtqc_qe"))
LOG26 = math.log(26.0)


def _select(items: list[dict], n_train: int, seed: int = 0) -> tuple[list[int], list[int]]:
    val = [i for i, it in enumerate(items) if it["fold"] == 0]
    by_src = defaultdict(list)
    for i, it in enumerate(items):
        if it["fold"] != 0:
            by_src[(it["lp"], it["src"])].append(i)
    groups = [g for g in by_src.values() if len(g) >= 3]
    random.Random(seed).shuffle(groups)
    train: list[int] = []
    for g in groups:
        if len(train) >= n_train:
            break
        train += g
    return val, train


def extract(n_train: int, fp32: bool) -> Path:
    import torch

    from mtqc.model import Segment
    from mtqc.scorers.qe import MAX_MT, MAX_SRC, QEScorer
    from mtqc.scorers.qe_net import build_batch
    from training.qe_data import read_items

    items = read_items()
    val, train = _select(items, n_train)
    s = QEScorer(cache=False, quantize=not fp32)
    s.load()
    net = s._net
    out = {}
    for name, idx in (("val", val), ("train", train)):
        t = time.time()
        segs = [Segment(id=str(i), src=items[i]["src"], mt=items[i]["mt"]) for i in idx]
        order = sorted(range(len(segs)), key=lambda k: len(segs[k].src) + len(segs[k].mt))
        pooled = np.zeros((len(segs), net.heads.seg[1].in_features), np.float32)
        for b in range(0, len(order), 32):
            ks = order[b : b + 32]
            src = s._tok.encode([segs[k].src for k in ks])
            mt = s._tok.encode([segs[k].mt for k in ks])
            rows = [(a[0][:MAX_SRC], m[0][:MAX_MT], None) for a, m in zip(src, mt, strict=True)]
            ids, att, mtm, _, _ = build_batch(rows)
            with torch.inference_mode():
                h = net.body(ids, att)
                m = mtm.unsqueeze(-1).to(h.dtype)
                v = torch.cat([h[:, 0], (h * m).sum(1) / m.sum(1).clamp(min=1)], -1)
            pooled[ks] = v.numpy()
        out[name] = {
            "x": pooled,
            "mqm": np.array([items[i]["mqm"] for i in idx], np.float32),
            "major": np.array([float(items[i]["major"]) for i in idx], np.float32),
            "group": np.array(
                [zlib.crc32(f"{items[i]['lp']}|{items[i]['src']}".encode()) for i in idx]
            ),
        }
        print(f"{name}: {len(idx)} items in {time.time() - t:.0f} s", flush=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"rank_{'fp32' if fp32 else 'int8'}.npz"
    np.savez(path, **{f"{k}_{f}": v for k, d in out.items() for f, v in d.items()})
    return path


def _pairs(groups: np.ndarray, mqm: np.ndarray) -> np.ndarray:
    by = defaultdict(list)
    for i, g in enumerate(groups):
        by[g].append(i)
    pairs = []
    for ix in by.values():
        for a in ix:
            for b in ix:
                if mqm[a] > mqm[b]:
                    pairs.append((a, b))
    return np.array(pairs, np.int64).reshape(-1, 2)


def _fit_head(seg, x, mqm, major, groups, rank_weight: float, epochs: int, lr: float, seed=0):
    """Train ``seg`` (in place) on pooled vectors ``x`` with MSE + BCE + ranking loss."""
    import torch
    import torch.nn.functional as F

    torch.manual_seed(seed)
    xt = torch.from_numpy(x)
    yt = torch.from_numpy(np.clip(np.log1p(np.maximum(mqm, 0)) / LOG26, 0, 1.3)).float()
    mt = torch.from_numpy(major).float()
    pairs = torch.from_numpy(_pairs(groups, mqm))
    opt = torch.optim.AdamW(seg.parameters(), lr=lr, weight_decay=0.01)
    seg.train()
    n = len(xt)
    for _ in range(epochs):
        perm = torch.randperm(n)
        pperm = torch.randperm(max(1, len(pairs)))
        for k in range(max(1, n // 64)):
            b = perm[k * 64 : (k + 1) * 64]
            o = seg(xt[b])
            loss = F.mse_loss(o[:, 0], yt[b]) + 0.5 * F.binary_cross_entropy_with_logits(
                o[:, 1], mt[b]
            )
            pb = pairs[pperm[k * 128 : (k + 1) * 128]] if len(pairs) else pairs
            if rank_weight > 0 and len(pb):
                hi, lo = seg(xt[pb[:, 0]]), seg(xt[pb[:, 1]])
                loss = loss + rank_weight * (
                    F.softplus(-(hi[:, 0] - lo[:, 0])).mean()
                    + F.softplus(-(hi[:, 1] - lo[:, 1])).mean()
                )
            opt.zero_grad()
            loss.backward()
            opt.step()
    seg.eval()
    return seg


def train(rank_weight: float, epochs: int, lr: float, fp32: bool, write: bool) -> None:
    """5-fold cross-validation over the validation fold's sources (the head trained on
    4/5, measured on the rest), against the shipped head on the same items; ``--write``
    then trains on the whole validation fold (plus any extracted training items)."""
    import copy

    import torch

    from mtqc.scorers.qe import WEIGHTS_FILE, read_weights
    from mtqc.scorers.qe_net import Heads
    from training.qe_risk import kendall_within
    from training.qe_train import kendall_b

    z = np.load(CACHE / f"rank_{'fp32' if fp32 else 'int8'}.npz")
    d = {k: z[k] for k in z.files}
    config, shipped = read_weights()
    heads = Heads(config["hidden_size"])
    heads.load_state_dict(
        {k[len("heads.") :]: v.float() for k, v in shipped.items() if k.startswith("heads.")}
    )
    heads.eval()
    x, mqm, major, groups = d["val_x"], d["val_mqm"], d["val_major"], d["val_group"]

    def out(seg, xs):
        with torch.no_grad():
            return seg(torch.from_numpy(xs)).numpy()

    def figures(o) -> dict:
        return {
            name: (
                round(kendall_b(o[:, k], mqm), 4),
                round(kendall_within(o[:, k], mqm, groups), 4),
            )
            for k, name in ((0, "reg"), (1, "major_logit"))
        }

    before = figures(out(heads.seg, x))
    print(f"shipped head, validation Kendall all/within: {before}", flush=True)
    rng = np.random.default_rng(0)
    part = {g: int(rng.integers(5)) for g in np.unique(groups)}
    pk = np.array([part[g] for g in groups])
    oof = np.zeros((len(x), 2), np.float32)
    t = time.time()
    for k in range(5):
        tr, te = pk != k, pk == k
        seg = copy.deepcopy(heads.seg)
        _fit_head(seg, x[tr], mqm[tr], major[tr], groups[tr], rank_weight, epochs, lr, seed=k)
        oof[te] = out(seg, x[te])
    after = figures(oof)
    print(
        f"rank weight {rank_weight}, {epochs} epochs, 5-fold CV ({time.time() - t:.0f} s): "
        f"validation Kendall all/within {after}",
        flush=True,
    )
    info = {"before": before, "cv": after, "rank_weight": rank_weight, "epochs": epochs}
    print(json.dumps(info))
    if write:
        from safetensors import safe_open
        from safetensors.torch import save_file

        xs = np.concatenate([x, d["train_x"]]) if len(d["train_x"]) else x
        seg = copy.deepcopy(heads.seg)
        _fit_head(
            seg,
            xs,
            np.concatenate([mqm, d["train_mqm"]]),
            np.concatenate([major, d["train_major"]]),
            np.concatenate([groups, d["train_group"]]),
            rank_weight,
            epochs,
            lr,
        )
        with safe_open(str(WEIGHTS_FILE), framework="pt") as f:
            meta = f.metadata()
        state = dict(shipped)
        for k, v in seg.state_dict().items():
            state[f"heads.seg.{k}"] = v.detach().to(torch.float16).contiguous()
        cfg = json.loads(meta["config"])
        cfg["segment_head"] = {"ranking_finetune": info}
        meta["config"] = json.dumps(cfg)
        save_file(state, str(WEIGHTS_FILE), metadata=meta)
        print(f"wrote {WEIGHTS_FILE}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--extract", action="store_true")
    ap.add_argument("--train-items", type=int, default=6000)
    ap.add_argument("--train", action="store_true")
    ap.add_argument("--rank-weight", type=float, default=1.0)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--fp32", action="store_true")
    ap.add_argument("--write", action="store_true")
    a = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if a.extract:
        print(extract(a.train_items, a.fp32))
    if a.train:
        train(a.rank_weight, a.epochs, a.lr, a.fp32, a.write)


if __name__ == "__main__":
    main()
