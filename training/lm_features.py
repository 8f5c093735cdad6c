"""Per-item LM metrics (M001, SmolLM2 surprisal) for every MT item of the benchmark.

The metrics are computed by the runtime scorer itself (:class:`LMFluencyScorer`), so the
calibration in ``training.evaluate`` is fitted on exactly what ``--models tagger,lm``
produces: the MT's surprisal, and (``lm_ref_bits``) the reference's surprisal given the
MT. The reference's own fluency is not a feature: it is the same for every system of a
source segment, so it cannot rank translations of one sentence.

Output: ``$MTQC_TRAIN_CACHE/lm_features.npz`` with ``ids`` (item ids, file order),
``names`` (metric names) and ``X`` (items × metrics). Work is saved in chunks, so an
interrupted run resumes where it stopped.

    MTQC_THREADS=2 HF_HUB_OFFLINE=1 .venv/bin/python -m training.lm_features
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from training.data import CACHE, load_items

#: The LM scorer's segment metrics, in the order stored.
LM_METRICS = (
    "lm_sum_bits",
    "lm_mean_bits",
    "lm_max_bits",
    "lm_max_excess",
    "lm_tokens",
    "lm_flagged_words",
    "lm_ref_bits",
    "lm_ref_tokens",
)

OUT = CACHE / "lm_features.npz"


def load_lm_features(ids: list[str]) -> dict[str, np.ndarray]:
    """The cached LM metrics for the given item ids: ``{metric: array}``.

    Raises FileNotFoundError / KeyError when the cache is missing or incomplete.
    """
    return load_features(OUT, ids)


def load_features(path, ids: list[str]) -> dict[str, np.ndarray]:
    """Cached per-item metrics (``path``: an npz of ids/names/X) for ``ids``."""
    data = np.load(path, allow_pickle=False)
    index = {str(k): i for i, k in enumerate(data["ids"])}
    rows = np.array([index[i] for i in ids])
    names = [str(n) for n in data["names"]]
    return {n: data["X"][rows, j] for j, n in enumerate(names)}


def main(argv: list[str] | None = None) -> None:
    """Score every MT item with the LM scorer and cache its metrics."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--chunk", type=int, default=256, help="items between saves")
    args = ap.parse_args(argv)

    from mtqc.model import Segment
    from mtqc.scorers.lm import LMFluencyScorer

    def rows(chunk: list) -> list[list[float]]:
        segs = [Segment(id=it.id, mt=it.mt, ref=it.ref, tgt_lang="en") for it in chunk]
        outs = scorer.score(segs)
        return [[float(o.metrics.get(m, np.nan)) for m in LM_METRICS] for o in outs]

    scorer = LMFluencyScorer(batch_size=args.batch_size, cache=False)
    score_in_chunks(OUT, LM_METRICS, scorer, rows, args.chunk)


def score_in_chunks(path, names: tuple[str, ...], scorer, rows, chunk_size: int) -> None:
    """Fill the metric cache at ``path`` for every MT item not in it yet: ``rows(items)``
    gives their metric rows (``names`` order); saved after every chunk, so a stopped run
    resumes. ``scorer`` is loaded only when there is work."""
    items = load_items()
    done = load_cached(path)
    todo = [it for it in items if it.id not in done]
    print(f"{len(items)} items, {len(done)} cached, {len(todo)} to score", flush=True)
    if todo:
        scorer.load()
    t0 = time.time()
    for c in range(0, len(todo), chunk_size):
        chunk = todo[c : c + chunk_size]
        for it, row in zip(chunk, rows(chunk), strict=True):
            done[it.id] = row
        save_cached(path, items, done, names)
        print(f"{c + len(chunk)}/{len(todo)} scored, {time.time() - t0:.0f} s", flush=True)
    print(f"wrote {path}")


def load_cached(path) -> dict[str, list[float]]:
    """Item id -> cached metric row (empty when nothing is cached yet)."""
    if not path.exists():
        return {}
    data = np.load(path, allow_pickle=False)
    return {str(k): list(map(float, row)) for k, row in zip(data["ids"], data["X"], strict=True)}


def save_cached(path, items: list, done: dict[str, list[float]], names: tuple[str, ...]) -> None:
    """Write the cached rows (in benchmark order) atomically."""
    ids = [it.id for it in items if it.id in done]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(
        tmp,
        ids=np.array(ids),
        names=np.array(names),
        X=np.array([done[i] for i in ids], dtype=np.float64).reshape(len(ids), len(names)),
    )
    tmp.replace(path)


if __name__ == "__main__":
    main()
