"""Fine-tune the tagger (LoRA deltas on MiniLM's top layers + token/segment heads).

Training reads the frozen layers' output from the cache written by ``training.extract``
(the bottom layers are not trained, so their output is computed once). Two runs:

    python -m training.finetune --mode ref --folds      # leave-one-document-out: OOF predictions
    python -m training.finetune --mode ref --final      # all documents: shipped weights

OOF predictions go to CACHE/oof_ft_<mode>.npz; the final weights to
mtqc/scorers/weights/tagger-<mode>.safetensors (+ config in its metadata).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np

from mtqc.scorers.tagger import build_network, trainable_state
from training.data import CACHE, docs, load_items
from training.tokens import load_tokens, token_extra, token_words

WEIGHTS = Path(__file__).resolve().parents[1] / "mtqc" / "scorers" / "weights"

CONFIG = {"top_layers": [3, 4, 5], "rank": 8, "alpha": 16.0, "n_extra": 4}
EPOCHS = 2
BATCH = 32
LR = 1e-3
POS_WEIGHT = 3.0  # error tokens are ~11% of MT characters
SEG_SCALE = math.log1p(25.0)  # log1p(MQM) / this is ~[0, 1]
RANK_WEIGHT = 0.0  # weight of the within-source ranking loss (--rank-weight)
RANK_SCALE = 10.0  # segment values live in ~[0, 1]: scale differences for the logistic


class Data:
    """Per-item views of the cached token table."""

    def __init__(self, items, mode: str):
        self.items = items
        self.tok = load_tokens(CACHE, mode)
        self.tw = token_words(items, self.tok)
        self.extra = token_extra(items, self.tok, self.tw, mode)
        self.hid = np.load(CACHE / f"{mode}_hidden.npy", mmap_mode="r")
        self.starts = np.r_[0, np.cumsum(self.tok["lens"])[:-1]]
        self.lens = self.tok["lens"]
        k = CONFIG["top_layers"][0]
        self.h_in = np.asarray(self.hid[:, k])  # [N_tok, 384] float16: input of layer k

    def batch(self, idx):
        import torch

        T = int(max(self.lens[i] for i in idx))
        B = len(idx)
        h = np.zeros((B, T, 384), np.float32)
        mask = np.zeros((B, T), np.float32)
        mt = np.zeros((B, T), bool)
        ex = np.zeros((B, T, CONFIG["n_extra"]), np.float32)
        y = np.zeros((B, T, 2), np.float32)
        for j, i in enumerate(idx):
            s, n = self.starts[i], self.lens[i]
            h[j, :n] = self.h_in[s : s + n]
            mask[j, :n] = 1
            mt[j, :n] = self.tw[s : s + n] >= 0
            ex[j, :n] = self.extra[s : s + n]
            y[j, :n, 0] = self.tok["y_any"][s : s + n]
            y[j, :n, 1] = self.tok["y_maj"][s : s + n]
        seg = np.array([math.log1p(self.items[i].mqm) / SEG_SCALE for i in idx], np.float32)
        t = torch.from_numpy
        return t(h), t(mask), t(mt), t(ex), t(y), t(seg)


def forward(encoder, heads, h, mask, mt, ex):
    """Run the trained top layers from the cached input; token logits and segment value."""
    import torch

    ext = (1.0 - mask)[:, None, None, :] * torch.finfo(torch.float32).min
    for li in CONFIG["top_layers"]:
        out = encoder.encoder.layer[li](h, attention_mask=ext)
        h = out[0] if isinstance(out, tuple) else out
    tok_logits = heads.tok(torch.cat([h, ex], -1))
    m = mt.float().unsqueeze(-1)
    pooled = torch.cat([h[:, 0], (h * m).sum(1) / m.sum(1).clamp(min=1)], -1)
    return tok_logits, heads.seg(pooled).squeeze(-1)


def batches(data, idx, shuffle, rng, by_source=False):
    """Length-sorted batches of ``BATCH`` items; with ``by_source``, whole source segments
    (all systems' translations of one sentence stay in one batch, for the ranking loss)."""
    if by_source:
        groups: dict[tuple[str, int], list[int]] = {}
        for i in idx:
            groups.setdefault((data.items[i].doc, data.items[i].seg), []).append(i)
        order = sorted(groups.values(), key=lambda g: max(data.lens[i] for i in g))
        chunks, cur = [], []
        for g in order:
            if cur and len(cur) + len(g) > BATCH:
                chunks.append(cur)
                cur = []
            cur = cur + g
        if cur:
            chunks.append(cur)
    else:
        idx = sorted(idx, key=lambda i: data.lens[i])
        chunks = [idx[b : b + BATCH] for b in range(0, len(idx), BATCH)]
    if shuffle:
        rng.shuffle(chunks)
    return chunks


def ranking_loss(data, b, segp):
    """Pairwise logistic loss between translations of the same source segment: the one
    with the higher MQM penalty must get the higher segment value (RankNet)."""
    import torch

    key = [(data.items[i].doc, data.items[i].seg) for i in b]
    mqm = torch.tensor([data.items[i].mqm for i in b])
    same = torch.tensor([[a == c for c in key] for a in key])
    worse = (mqm[:, None] > mqm[None, :]) & same
    if not worse.any():
        return segp.sum() * 0.0
    diff = (segp[:, None] - segp[None, :])[worse]
    return torch.nn.functional.softplus(-RANK_SCALE * diff).mean()


def train(data, train_idx, seed=0):
    import torch

    from mtqc.scorers.align import load_encoder

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    _, enc = load_encoder()
    enc, heads = build_network(enc, CONFIG)
    params = [p for p in enc.parameters() if p.requires_grad] + list(heads.parameters())
    opt = torch.optim.AdamW(params, lr=LR, weight_decay=0.01)
    n_steps = EPOCHS * len(batches(data, train_idx, False, None, by_source=RANK_WEIGHT > 0))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=LR, total_steps=n_steps, pct_start=0.1)
    pw = torch.tensor([POS_WEIGHT, POS_WEIGHT])
    for li in CONFIG["top_layers"]:
        enc.encoder.layer[li].train()
    heads.train()
    for ep in range(EPOCHS):
        t0, tot = time.time(), 0.0
        for b in batches(data, train_idx, True, rng, by_source=RANK_WEIGHT > 0):
            h, mask, mt, ex, y, seg = data.batch(b)
            logits, segp = forward(enc, heads, h, mask, mt, ex)
            lt = torch.nn.functional.binary_cross_entropy_with_logits(
                logits[mt], y[mt], pos_weight=pw
            )
            ls = torch.nn.functional.mse_loss(segp, seg)
            loss = lt + ls
            if RANK_WEIGHT > 0:
                loss = loss + RANK_WEIGHT * ranking_loss(data, b, segp)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            tot += float(loss.detach())
        print(f"  epoch {ep}: loss {tot:.1f} {time.time() - t0:.0f}s", flush=True)
    enc.eval()
    heads.eval()
    return enc, heads


def predict(enc, heads, data, idx):
    """Token probabilities (MT tokens) and segment values for items ``idx``."""
    import torch

    rows_tok, rows_p, segs = [], [], {}
    with torch.no_grad():
        for b in batches(data, idx, False, None):
            h, mask, mt, ex, _, _ = data.batch(b)
            logits, segp = forward(enc, heads, h, mask, mt, ex)
            p = torch.sigmoid(logits).numpy()
            for j, i in enumerate(b):
                s, n = data.starts[i], data.lens[i]
                sel = np.flatnonzero(mt[j, :n].numpy())
                rows_tok.append(s + sel)
                rows_p.append(p[j, sel])
                segs[i] = float(segp[j])
    return np.concatenate(rows_tok), np.concatenate(rows_p), segs


def main() -> None:
    import torch

    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["ref", "tgt"], default="ref")
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--folds", action="store_true")
    g.add_argument("--final", action="store_true")
    ap.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads (1 avoids thrashing on a shared 2-core machine)",
    )
    ap.add_argument(
        "--rank-weight",
        type=float,
        default=RANK_WEIGHT,
        help="weight of a pairwise loss ranking translations of the same source by MQM",
    )
    ap.add_argument("--tag", default="", help="suffix of the OOF cache file (experiments)")
    args = ap.parse_args()
    globals()["RANK_WEIGHT"] = args.rank_weight
    torch.set_num_threads(args.threads)
    items = load_items()
    data = Data(items, args.mode)
    t_all = time.time()
    if args.folds:
        toks, ps, seg = [], [], np.zeros(len(items))
        for d in docs(items):
            t0 = time.time()
            tr = [i for i, it in enumerate(items) if it.doc != d]
            te = [i for i, it in enumerate(items) if it.doc == d]
            print(f"fold {d}: train {len(tr)} items, test {len(te)}", flush=True)
            enc, heads = train(data, tr)
            t, p, s = predict(enc, heads, data, te)
            toks.append(t)
            ps.append(p)
            for i, v in s.items():
                seg[i] = v
            print(f"fold {d}: {time.time() - t0:.0f}s", flush=True)
            np.savez(
                CACHE / f"fold_ft_{args.mode}{args.tag}_{d}.npz",
                tok_index=t,
                p=p,
                item=data.tok["item"][t],
                word=data.tw[t],
                seg=np.array([s[i] for i in te]),
                items=np.array(te),
            )
        tok = np.concatenate(toks)
        np.savez(
            CACHE / f"oof_ft_{args.mode}{args.tag}.npz",
            tok_index=tok,
            p=np.concatenate(ps),
            item=data.tok["item"][tok],
            word=data.tw[tok],
            seg=seg,
        )
    else:
        from safetensors.torch import save_file

        enc, heads = train(data, list(range(len(items))))
        state = {k: v.half().contiguous() for k, v in trainable_state(enc, heads, CONFIG).items()}
        WEIGHTS.mkdir(parents=True, exist_ok=True)
        meta = {
            "config": json.dumps(CONFIG),
            "mode": args.mode,
            "trained_on": "mqm-ted21.zh-en MT items, all 5 documents",
            "encoder": "sentence-transformers/all-MiniLM-L6-v2",
        }
        save_file(state, str(WEIGHTS / f"tagger-{args.mode}.safetensors"), metadata=meta)
    print(f"total {time.time() - t_all:.0f}s")


if __name__ == "__main__":
    main()
