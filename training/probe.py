"""Frozen-encoder baseline: an MLP probe over MiniLM token states, leave-one-document-out.

    python -m training.probe --mode ref
    python -m training.evaluate --mode ref --oof /tmp/mtqc_tagger/oof_probe_ref.npz

Writes CACHE/oof_probe_<mode>.npz (out-of-fold token probabilities; no segment head).
Kept as the measured baseline that shows why the encoder is fine-tuned instead.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from training.data import CACHE, docs, load_items
from training.tokens import load_tokens, token_extra, token_words

LAYERS = (2, 3, 4, 5, 6)


def train_mlp(X, Y, epochs=4, hidden=256, seed=0, lr=1e-3):
    import torch

    torch.manual_seed(seed)
    net = torch.nn.Sequential(
        torch.nn.Dropout(0.1),
        torch.nn.Linear(X.shape[1], hidden),
        torch.nn.GELU(),
        torch.nn.Dropout(0.1),
        torch.nn.Linear(hidden, Y.shape[1]),
    )
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=0.01)
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)
    n = len(Xt)
    for _ in range(epochs):
        perm = torch.randperm(n)
        net.train()
        for b in range(0, n, 256):
            idx = perm[b : b + 256]
            loss = torch.nn.functional.binary_cross_entropy_with_logits(net(Xt[idx]), Yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    net.eval()
    return net


def main() -> None:
    import torch

    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["ref", "tgt"], default="ref")
    args = ap.parse_args()
    torch.set_num_threads(2)
    items = load_items()
    tok = load_tokens(CACHE, args.mode)
    tw = token_words(items, tok)
    extra = token_extra(items, tok, tw, args.mode)
    hid = np.load(CACHE / f"{args.mode}_hidden.npy", mmap_mode="r")
    mt = np.flatnonzero(tw >= 0)
    X = np.concatenate(
        [np.asarray(hid[mt][:, list(LAYERS)]).reshape(len(mt), -1).astype(np.float32), extra[mt]],
        axis=1,
    )
    mu, sd = X.mean(0), X.std(0) + 1e-4
    X = (X - mu) / sd
    Y = np.stack([tok["y_any"][mt], tok["y_maj"][mt]], 1).astype(np.float32)
    doc_of = np.array([items[i].doc for i in tok["item"][mt]])
    P = np.zeros_like(Y)
    for d in docs(items):
        t0 = time.time()
        tr, te = doc_of != d, doc_of == d
        net = train_mlp(X[tr], Y[tr])
        with torch.no_grad():
            P[te] = torch.sigmoid(net(torch.from_numpy(X[te]))).numpy()
        print(d, f"{time.time() - t0:.0f}s", flush=True)
    np.savez(
        CACHE / f"oof_probe_{args.mode}.npz",
        tok_index=mt,
        p=P,
        item=tok["item"][mt],
        word=tw[mt],
        seg=np.zeros(len(items)),
    )


if __name__ == "__main__":
    main()
