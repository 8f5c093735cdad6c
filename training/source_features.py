"""Per-item source-evidence metrics (M003, Gemma-3-270M) for every MT item of the benchmark.

Like :mod:`training.lm_features`, the metrics come from the runtime scorer itself
(:class:`~mtqc.scorers.source.SourceEvidenceScorer`), so a calibration fitted on them is
fitted on exactly what ``--models source --lm gemma-3-270m --accept-model-terms``
produces: ``src_gain_bits`` (how many bits the source saves on the whole MT),
``src_gain_per_word``, ``src_cond_mean_bits`` (bits per word given the source) and
``src_unsupported_words``; plus ``src_cond_bits`` and ``src_plain_bits`` (totals).
Gemma is used under the Gemma Terms of Use (https://ai.google.dev/gemma/terms).

Output: ``$MTQC_TRAIN_CACHE/source_features.npz`` (``ids``, ``names``, ``X``), saved in
chunks so an interrupted run resumes.

    MTQC_THREADS=2 HF_HUB_OFFLINE=1 .venv/bin/python -m training.source_features
"""

from __future__ import annotations

import argparse

import numpy as np

from training.data import CACHE, load_sources
from training.lm_features import score_in_chunks

#: The source scorer's segment metrics, in the order stored.
SOURCE_METRICS = (
    "src_gain_bits",
    "src_gain_per_word",
    "src_cond_mean_bits",
    "src_unsupported_words",
    "src_cond_bits",
    "src_plain_bits",
)

OUT = CACHE / "source_features.npz"


def main(argv: list[str] | None = None) -> None:
    """Score every MT item with the source scorer and cache its metrics."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--chunk", type=int, default=128, help="items between saves")
    args = ap.parse_args(argv)

    from mtqc.model import Segment
    from mtqc.scorers import ScorerOutput
    from mtqc.scorers.source import SourceEvidenceScorer

    src = load_sources()
    scorer = SourceEvidenceScorer(
        "gemma-3-270m", accept_model_terms=True, batch_size=args.batch_size, cache=False
    )

    def rows(chunk: list) -> list[list[float]]:
        segs = [
            Segment(id=it.id, mt=it.mt, src=src[it.id], src_lang="zh", tgt_lang="en")
            for it in chunk
        ]
        out = []
        for seg, words in zip(segs, scorer.word_gains(segs), strict=True):
            o = ScorerOutput()
            scorer._m003(seg, words, o)
            m = dict(o.metrics)
            m["src_cond_bits"] = sum(w["cond_bits"] for w in words)
            m["src_plain_bits"] = sum(w["bits"] for w in words)
            out.append([float(m.get(k, np.nan)) for k in SOURCE_METRICS])
        return out

    score_in_chunks(OUT, SOURCE_METRICS, scorer, rows, args.chunk)


if __name__ == "__main__":
    main()
