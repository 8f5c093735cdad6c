"""Measurement: can a probe on Gemma-3-270M states, reading the Chinese source, find MT errors?

Every shipped mtqc signal is blind to the source. Gemma-3-270M is the only offline model
here that reads Chinese. This script measures (it ships nothing) whether its hidden
states, computed on ``"Translate from Chinese to English:\\n{src}\\nEnglish: " + mt``,
tell erroneous MT words from good ones on the development benchmark
(``../shared/benchmarks/mqm-ted21.zh-en.jsonl``, MT items only).

Two steps, run from the repository root with the project venv::

    # 1. features: per MT word, the mean of Gemma's token states at layer 9 and at the
    #    last (normalised) layer, plus the word's surprisal (max/mean/first token, bits).
    #    Saved as float16 in chunks under $GEMMA_PROBE_DIR (default /tmp/gemma_probe);
    #    an interrupted run resumes. Items of even-ranked source segments come first, so
    #    stopping half-way (--every 2) leaves a subsample with all systems of each kept
    #    segment (within-segment Kendall stays computable).
    MTQC_THREADS=2 HF_HUB_OFFLINE=1 .venv/bin/python -m training.gemma_probe extract [--every 2]
    # 2. probe: leave-one-talk-out MLP over word features; prints the held-out figures
    #    next to the MiniLM tagger's (/tmp/mtqc_tagger/heldout_{ref,tgt}.jsonl) on the same
    #    items, and writes the probe's held-out predictions in mtqc's JSONL shape.
    .venv/bin/python -m training.gemma_probe probe [--hidden 128] [--epochs 4] [--cols all]

Protocol (as ``training/README.md``): for each talk, a probe trained on the other four
predicts it (out-of-fold word probabilities); the decoding threshold for talk d is the one
with the best char F1 on the out-of-fold outputs of the *other* four talks. A word is
positive when it overlaps a gold span (any severity). Flagged words merge into spans
(``mtqc.scorers.tagger.decode_spans``). Segment scores: mean, max and sum of word p.
Figures (``training.metrics``, the same definitions as ``mtqc eval``): char F1
(major+minor, micro), Kendall tau-b of the score vs ``mqm_score`` over all items and
within source segments, flagged-segment precision at recall >= 0.5 (``has_major``).
Gemma is used under the Gemma Terms of Use.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from training.data import Item, docs, load_items, load_sources

#: Where features, predictions and logs go (not committed).
OUT = Path(os.environ.get("GEMMA_PROBE_DIR", "/tmp/gemma_probe"))
#: The prompt put before the MT (the source fills ``{src}``).
PROMPT = "Translate from Chinese to English:\n{src}\nEnglish: "
#: Hidden-state layers read (index into ``hidden_states``: 0 = embeddings; -1 = final norm).
LAYERS = (9, -1)
THRESHOLDS = np.round(np.arange(0.05, 0.9, 0.025), 3)


# --------------------------------------------------------------------------- items


def segment_rank(items: list[Item]) -> dict[tuple[str, int], int]:
    """Rank of each source segment ``(doc, seg)`` in sorted order (for subsampling)."""
    keys = sorted({(it.doc, it.seg) for it in items})
    return {k: i for i, k in enumerate(keys)}


def word_labels(item: Item, words: list[tuple[int, int]]) -> np.ndarray:
    """1 for each word overlapping a gold span (an omission marks one character)."""
    y = np.zeros(len(words), dtype=np.int8)
    for s, e, _ in item.spans:
        if e == s:
            e = s + 1
        for w, (ws, we) in enumerate(words):
            if ws < e and s < we:
                y[w] = 1
    return y


# --------------------------------------------------------------------------- extraction


def pool_words(
    text: str, offsets: list[tuple[int, int]], words: list[tuple[int, int]], hidden, bits
) -> tuple[np.ndarray, np.ndarray]:
    """Per word: mean of its tokens' states; and [max, mean, first] bits, n_tokens, position.

    A token belongs to every word its non-space characters overlap.
    """
    d = hidden[0].shape[1]
    feats = np.zeros((len(words), d * len(hidden)), dtype=np.float32)
    extra = np.zeros((len(words), 5), dtype=np.float32)
    tok = [(s + (len(text[s:e]) - len(text[s:e].lstrip())), e) for s, e in offsets]
    for w, (ws, we) in enumerate(words):
        idx = [i for i, (s, e) in enumerate(tok) if s < we and ws < e]
        if not idx:  # cannot happen with a fast tokenizer; keep the row defined
            idx = [min(range(len(tok)), key=lambda i: abs(tok[i][0] - ws))]
        feats[w] = np.concatenate([h[idx].mean(0) for h in hidden])
        b = np.asarray([bits[i] for i in idx])
        extra[w] = [b.max(), b.mean(), b[0], len(idx), w / max(1, len(words) - 1)]
    return feats, extra


def forward_batch(model, tok, texts: list[str], prefixes: list[str]) -> list[tuple]:
    """Gemma on ``prefix + text``: per text (offsets, bits, [states per layer])."""
    import torch

    from mtqc.scorers._hf import LN2, _encode, start_token_id

    start = start_token_id(tok)
    enc = [_encode(tok, t, p, start, 1024) for t, p in zip(texts, prefixes, strict=True)]
    width = max(len(e[0]) for e in enc)
    pad = tok.pad_token_id if tok.pad_token_id is not None else 0
    ids = torch.full((len(enc), width), pad, dtype=torch.long)
    mask = torch.zeros((len(enc), width), dtype=torch.long)
    for r, (seq, _, _) in enumerate(enc):
        ids[r, : len(seq)] = torch.tensor(seq)
        mask[r, : len(seq)] = 1
    softcap = getattr(model.config, "final_logit_softcapping", None)
    head = model.get_output_embeddings()
    out = []
    with torch.inference_mode():
        o = model.model(input_ids=ids, attention_mask=mask, output_hidden_states=True)
        for r, (seq, first, offs) in enumerate(enc):
            n = len(seq)
            logits = head(o.last_hidden_state[r, first - 1 : n - 1]).float()
            if softcap:
                logits = torch.tanh(logits / softcap) * softcap
            tgt = torch.tensor(seq[first:n])
            lp = logits.gather(1, tgt[:, None])[:, 0] - torch.logsumexp(logits, -1)
            states = [
                (o.last_hidden_state if layer == -1 else o.hidden_states[layer])[r, first:n]
                .float()
                .numpy()
                for layer in LAYERS
            ]
            out.append((offs, (-lp / LN2).tolist(), states))
    return out


def extract(every: int, batch_size: int, chunk: int, limit: int | None) -> None:
    """Compute and save word features for the MT items (resumable)."""
    from mtqc.scorers._hf import load_causal_lm, resolve_lm, set_threads
    from mtqc.scorers.tagger import word_spans

    OUT.mkdir(parents=True, exist_ok=True)
    items = load_items()
    src = load_sources()
    rank = segment_rank(items)
    # even-ranked segments first: stopping half-way leaves the --every 2 subsample
    items = [it for it in items if rank[(it.doc, it.seg)] % every == 0]
    items.sort(key=lambda it: (rank[(it.doc, it.seg)] % 2, 0))
    done = set()
    for f in sorted(OUT.glob("feat_*.npz")):
        done.update(str(i) for i in np.load(f)["ids"])
    todo = [it for it in items if it.id not in done][:limit]
    print(f"{len(items)} items selected, {len(done)} done, {len(todo)} to do", flush=True)
    if not todo:
        return
    set_threads(int(os.environ.get("MTQC_THREADS", "2")))
    t0 = time.time()
    model, tok = load_causal_lm(resolve_lm("gemma-3-270m", allow_gemma=True), "bf16")
    print(f"loaded in {time.time() - t0:.1f} s", flush=True)
    n_files = len(list(OUT.glob("feat_*.npz")))
    t0 = time.time()
    n_done = 0
    for c in range(0, len(todo), chunk):
        part = todo[c : c + chunk]
        prefixes = [PROMPT.format(src=src[it.id]) for it in part]
        lengths = [len(p) + len(it.mt) for p, it in zip(prefixes, part, strict=True)]
        order = sorted(range(len(part)), key=lambda i: -lengths[i])
        rows: dict[int, tuple] = {}
        for b in range(0, len(order), batch_size):
            bi = order[b : b + batch_size]
            res = forward_batch(model, tok, [part[i].mt for i in bi], [prefixes[i] for i in bi])
            for i, (offs, bits, states) in zip(bi, res, strict=True):
                words = word_spans(part[i].mt)
                f, x = pool_words(part[i].mt, offs, words, states, bits)
                rows[i] = (f, x, float(np.sum(bits)), len(bits))
        feats = [rows[i] for i in range(len(part))]
        np.savez(
            OUT / f"feat_{n_files:04d}.npz",
            ids=np.array([it.id for it in part]),
            n_words=np.array([len(r[0]) for r in feats]),
            H=np.concatenate([r[0] for r in feats]).astype(np.float16),
            X=np.concatenate([r[1] for r in feats]).astype(np.float32),
            seg_bits=np.array([r[2] for r in feats]),
            seg_tokens=np.array([r[3] for r in feats]),
        )
        n_files += 1
        n_done += len(part)
        dt = time.time() - t0
        print(
            f"{n_done}/{len(todo)} items, {dt:.0f} s, {n_done / dt:.2f} items/s, "
            f"ETA {(len(todo) - n_done) / (n_done / dt):.0f} s",
            flush=True,
        )


# --------------------------------------------------------------------------- probe


def load_features() -> tuple[list[Item], list[np.ndarray], list[np.ndarray], np.ndarray]:
    """The extracted items (file order), their word features, labels and total bits."""
    by_id = {}
    for f in sorted(OUT.glob("feat_*.npz")):
        z = np.load(f)
        H, X = z["H"], z["X"]
        cut = np.r_[0, np.cumsum(z["n_words"])]
        for k, i in enumerate(z["ids"]):
            a, b = cut[k], cut[k + 1]
            by_id[str(i)] = (H[a:b], X[a:b], float(z["seg_bits"][k]))
    items = [it for it in load_items() if it.id in by_id]
    from mtqc.scorers.tagger import word_spans

    feats, labels = [], []
    for it in items:
        H, X, _ = by_id[it.id]
        x = X.copy()
        x[:, 3] = np.log1p(x[:, 3])
        feats.append(np.concatenate([H.astype(np.float32), x], axis=1))
        labels.append(word_labels(it, word_spans(it.mt)))
    return items, feats, labels, np.array([by_id[it.id][2] for it in items])


def train_mlp(X: np.ndarray, y: np.ndarray, hidden: int, epochs: int, seed: int = 0):
    """A 1-hidden-layer MLP (``hidden`` 0: logistic regression) on standardised X."""
    import torch

    torch.manual_seed(seed)
    mu, sd = X.mean(0), X.std(0) + 1e-5
    Xt = torch.tensor((X - mu) / sd, dtype=torch.float32)
    yt = torch.tensor(y, dtype=torch.float32)
    d = X.shape[1]
    if hidden:
        net = torch.nn.Sequential(
            torch.nn.Dropout(0.1),
            torch.nn.Linear(d, hidden),
            torch.nn.GELU(),
            torch.nn.Dropout(0.1),
            torch.nn.Linear(hidden, 1),
        )
    else:
        net = torch.nn.Sequential(torch.nn.Dropout(0.1), torch.nn.Linear(d, 1))
    pos_w = torch.tensor(float((1 - y.mean()) / max(y.mean(), 1e-3)) ** 0.5)
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_w)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-2)
    g = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        net.train()
        for b in torch.randperm(len(Xt), generator=g).split(256):
            opt.zero_grad()
            loss_fn(net(Xt[b])[:, 0], yt[b]).backward()
            opt.step()
    net.eval()

    def predict(Z: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            z = torch.tensor((Z - mu) / sd, dtype=torch.float32)
            return torch.sigmoid(net(z)[:, 0]).numpy()

    return predict


def segment_ridge(
    items: list[Item], feats: list[np.ndarray], seg_bits: np.ndarray, alpha: float = 1e3
) -> np.ndarray:
    """Out-of-fold (leave-one-talk-out) ridge of log(1 + MQM) on pooled segment features.

    Features: mean of the word features, total surprisal and log word count (standardised
    on the training talks; ``alpha`` fixed in advance, not tuned on the held-out talks).
    """
    X = np.stack(
        [np.r_[f.mean(0), b, np.log1p(len(f))] for f, b in zip(feats, seg_bits, strict=True)]
    )
    y = np.log1p([it.mqm for it in items])
    out = np.zeros(len(items))
    for d in docs(items):
        tr = np.array([it.doc != d for it in items])
        mu, sd = X[tr].mean(0), X[tr].std(0) + 1e-5
        Z = (X[tr] - mu) / sd
        w = np.linalg.solve(Z.T @ Z + alpha * np.eye(Z.shape[1]), Z.T @ (y[tr] - y[tr].mean()))
        out[~tr] = ((X[~tr] - mu) / sd) @ w + y[tr].mean()
    return out


def decode(items: list[Item], wp: list[np.ndarray], t: float) -> list[list[tuple[int, int]]]:
    """Flag words with p >= t; merge adjacent flagged words into spans."""
    from mtqc.scorers.tagger import decode_spans, word_spans

    return [
        [(s, e) for s, e, _ in decode_spans(it.mt, word_spans(it.mt), list(p), t)]
        for it, p in zip(items, wp, strict=True)
    ]


def best_threshold(items: list[Item], wp: list[np.ndarray]) -> float:
    """The threshold with the best char F1 on these items."""
    from training.metrics import char_prf

    return max(THRESHOLDS, key=lambda t: char_prf(items, decode(items, wp, float(t)))[2])


def figures(items: list[Item], spans, score) -> dict[str, float]:
    """char P/R/F1 (any severity), Kendall all/within, P at R >= 0.5 (has_major)."""
    from training.metrics import char_prf, kendall_tau_b, kendall_within, precision_at_recall

    out: dict[str, float] = {}
    if spans is not None:
        out["charP"], out["charR"], out["charF1"] = char_prf(items, spans)
    mqm = [it.mqm for it in items]
    out["tau"] = kendall_tau_b(score, mqm)
    out["tau_within"] = kendall_within(items, score)
    p, r, _ = precision_at_recall([it.has_major for it in items], score)
    out["P@R.5"], out["R"] = p, r
    return out


def tagger_rows(items: list[Item]) -> dict[str, dict[str, float]]:
    """The MiniLM tagger's held-out figures on the same items (if its files exist)."""
    rows = {}
    for mode in ("ref", "tgt", "ref_lm", "tgt_lm"):
        path = Path("/tmp/mtqc_tagger") / f"heldout_{mode}.jsonl"
        if not path.exists():
            continue
        pred = {}
        with open(path, encoding="utf-8") as f:
            for raw in f:
                d = json.loads(raw)
                pred[d["id"]] = d
        spans = [[(fl["start"], fl["end"]) for fl in pred[it.id]["flags"]] for it in items]
        score = [float(pred[it.id]["score"]) for it in items]
        rows[f"MiniLM tagger {mode}"] = figures(items, spans, score)
    return rows


def probe(hidden: int, epochs: int, cols: str) -> None:
    """Leave-one-talk-out probe; print held-out figures and write predictions."""
    items, feats, labels, seg_bits = load_features()
    d_h = 640
    sel = {
        "all": slice(None),
        "l9": np.r_[0:d_h, 2 * d_h : 2 * d_h + 5],
        "last": np.r_[d_h : 2 * d_h + 5],
        "bits": np.r_[2 * d_h : 2 * d_h + 5],
    }[cols]
    feats = [f[:, sel] for f in feats]
    talks = docs(items)
    print(f"{len(items)} items, {len(talks)} talks, {sum(len(x) for x in labels)} words")
    t0 = time.time()
    oof: list[np.ndarray | None] = [None] * len(items)
    for d in talks:
        tr = [i for i, it in enumerate(items) if it.doc != d]
        te = [i for i, it in enumerate(items) if it.doc == d]
        predict = train_mlp(
            np.concatenate([feats[i] for i in tr]),
            np.concatenate([labels[i] for i in tr]),
            hidden,
            epochs,
        )
        p = predict(np.concatenate([feats[i] for i in te]))
        cut = np.r_[0, np.cumsum([len(feats[i]) for i in te])]
        for k, i in enumerate(te):
            oof[i] = p[cut[k] : cut[k + 1]]
    print(f"folds trained in {time.time() - t0:.0f} s")
    wp = [p if p is not None else np.zeros(0) for p in oof]
    spans: list[list[tuple[int, int]]] = [[] for _ in items]
    for d in talks:
        tr = [i for i, it in enumerate(items) if it.doc != d]
        te = [i for i, it in enumerate(items) if it.doc == d]
        t = best_threshold([items[i] for i in tr], [wp[i] for i in tr])
        for i, s in zip(te, decode([items[i] for i in te], [wp[i] for i in te], t), strict=True):
            spans[i] = s
        print(f"  {d}: threshold {t}")
    rows = {}
    agg = {
        "sum p": [float(p.sum()) for p in wp],
        "mean p": [float(p.mean()) if len(p) else 0.0 for p in wp],
        "max p": [float(p.max()) if len(p) else 0.0 for p in wp],
    }
    for name, score in agg.items():
        rows[f"Gemma probe ({cols}, h{hidden}), score = {name}"] = figures(items, spans, score)
    rows["Gemma total surprisal (prompted)"] = figures(items, None, list(seg_bits))
    rows["Gemma segment ridge (mean states, bits, length)"] = figures(
        items, None, list(segment_ridge(items, feats, seg_bits))
    )
    rows.update(tagger_rows(items))
    keys = ("charP", "charR", "charF1", "tau", "tau_within", "P@R.5", "R")
    print(f"{'row':58s} " + " ".join(f"{k:>10s}" for k in keys))
    for name, r in rows.items():
        print(f"{name:58s} " + " ".join(f"{r.get(k, float('nan')):10.3f}" for k in keys))
    with open(OUT / f"heldout_{cols}_h{hidden}.jsonl", "w", encoding="utf-8") as f:
        for it, s, p in zip(items, spans, agg["sum p"], strict=True):
            flags = [{"start": a, "end": b, "severity": "minor"} for a, b in s]
            f.write(json.dumps({"id": it.id, "score": p, "flags": flags}) + "\n")


def main(argv: list[str] | None = None) -> None:
    """Command line: ``extract`` or ``probe``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    ex = sub.add_parser("extract", help="Gemma word features (resumable)")
    ex.add_argument("--every", type=int, default=1, help="keep every n-th source segment")
    ex.add_argument("--batch-size", type=int, default=8)
    ex.add_argument("--chunk", type=int, default=200, help="items per saved file")
    ex.add_argument("--limit", type=int, default=None, help="stop after this many items")
    pr = sub.add_parser("probe", help="leave-one-talk-out probe and figures")
    pr.add_argument("--hidden", type=int, default=128, help="0: logistic regression")
    pr.add_argument("--epochs", type=int, default=4)
    pr.add_argument("--cols", choices=("all", "l9", "last", "bits"), default="all")
    args = ap.parse_args(argv)
    if args.cmd == "extract":
        extract(args.every, args.batch_size, args.chunk, args.limit)
    else:
        probe(args.hidden, args.epochs, args.cols)


if __name__ == "__main__":
    main()
