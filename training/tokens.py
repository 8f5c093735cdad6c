"""Map encoder tokens to MT words, and the cheap per-word features the head also sees."""

from __future__ import annotations

import numpy as np

from mtqc.scorers.tagger import word_features, word_spans
from training.data import Item


def load_tokens(cache, mode: str) -> dict[str, np.ndarray]:
    """The token table written by ``training.extract``."""
    z = np.load(cache / f"{mode}_tokens.npz")
    return {k: z[k] for k in z.files}


def token_words(items: list[Item], tok: dict[str, np.ndarray]) -> np.ndarray:
    """For each token: the index of its MT word within its item, or -1 (ref/special)."""
    out = np.full(len(tok["ids"]), -1, dtype=np.int32)
    starts = np.r_[0, np.cumsum(tok["lens"])[:-1]]
    for i, it in enumerate(items):
        ws = word_spans(it.mt)
        b, n = starts[i], tok["lens"][i]
        wi = 0
        for k in range(b, b + n):
            if tok["seq"][k] != 0:
                continue
            s, e = tok["offs"][k]
            if e <= s:
                continue
            while wi < len(ws) and ws[wi][1] <= s:
                wi += 1
            if wi < len(ws) and ws[wi][0] <= s < ws[wi][1]:
                out[k] = wi
    return out


def token_extra(items: list[Item], tok: dict[str, np.ndarray], tw: np.ndarray, mode: str):
    """Per token: the cheap features of its word (see ``word_features``), 0 for others."""
    starts = np.r_[0, np.cumsum(tok["lens"])[:-1]]
    rows = []
    for i, it in enumerate(items):
        feats = word_features(it.mt, it.ref if mode == "ref" else None)
        b, n = starts[i], tok["lens"][i]
        for k in range(b, b + n):
            rows.append(feats[tw[k]] if tw[k] >= 0 else [0.0] * len(feats[0] if feats else 0))
    width = max(len(r) for r in rows)
    return np.array([r if r else [0.0] * width for r in rows], dtype=np.float32)
