"""Choose the reference-alignment scorer's layer and similarity threshold (M005).

Leave-one-document-out: for each document, the (layer, threshold) with the best char F1
on the other four documents is applied to it; prints the held-out figures.

    python -m training.tune_align
"""

from __future__ import annotations

import json

import numpy as np

from mtqc.scorers.align import ReferenceAlignmentScorer, align_words, unaligned_runs
from training.data import CACHE, docs, load_items
from training.metrics import char_prf, kendall_tau_b, kendall_within

LAYERS = (3, 4, 5, 6)
TAUS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65)


def main() -> None:
    import torch

    torch.set_num_threads(1)
    items = load_items()
    sc = ReferenceAlignmentScorer()
    mts = sc.embed_layers([it.mt for it in items], LAYERS)
    refs_u = sorted({it.ref for it in items})
    remb = dict(zip(refs_u, sc.embed_layers(refs_u, LAYERS), strict=True))
    spans = {}
    for L in LAYERS:
        als = []
        for it, (mws, mv, _) in zip(items, mts, strict=True):
            rws, rv, _ = remb[it.ref]
            mw = [it.mt[s:e] for s, e in mws]
            als.append((mw, mws, align_words(mw, [it.ref[s:e] for s, e in rws], mv[L] @ rv[L].T)))
        for tau in TAUS:
            spans[(L, tau)] = [
                [(mws[a][0], mws[b][1]) for a, b in unaligned_runs(mw, al, tau)]
                for mw, mws, al in als
            ]
    held = [None] * len(items)
    chosen = {}
    for d in docs(items):
        tr = [i for i, it in enumerate(items) if it.doc != d]
        best = max(
            spans, key=lambda k: char_prf([items[i] for i in tr], [spans[k][i] for i in tr])[2]
        )
        chosen[d] = best
        for i, it in enumerate(items):
            if it.doc == d:
                held[i] = spans[best][i]
    p, r, f = char_prf(items, held)
    _, _, fm = char_prf(items, held, major=True)
    sims = np.array([float(m[2] @ remb[it.ref][2]) for it, m in zip(items, mts, strict=True)])
    mqm = [it.mqm for it in items]
    res = {
        "chosen": {d: list(k) for d, k in chosen.items()},
        "char_p": round(p, 3),
        "char_r": round(r, 3),
        "char_f1": round(f, 3),
        "char_f1_major": round(fm, 3),
        "ref_similarity_kendall_all": round(kendall_tau_b(-sims, mqm), 3),
        "ref_similarity_kendall_within": round(kendall_within(items, -sims), 3),
    }
    print(json.dumps(res, indent=1))
    (CACHE / "results_align.json").write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
