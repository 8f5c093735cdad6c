"""Reference metrics from sacrebleu: per-segment chrF, BLEU and TER, and corpus scores
with their reproducibility signatures.

chrF and TER are additive over segments: their per-segment statistics are extracted once
and serve both the sentence scores and the corpus score (TER's shift search is the most
expensive step of a reference-mode run). BLEU's sentence score uses effective order and
its corpus score the standard definition, so the two are computed separately (BLEU is
cheap). ``tests/test_metrics.py`` checks the figures against sacrebleu's public API.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

METRIC_NAMES = ("chrf", "bleu", "ter")


def reference_scores(
    hyps: Sequence[str], refs: Sequence[str | None], tgt_lang: str = "en"
) -> tuple[list[dict[str, float]], dict[str, dict[str, Any]]]:
    """Per-segment chrF/BLEU/TER ({} where no reference) and the corpus scores with their
    signatures over the segments that have a reference ({} when none has)."""
    from sacrebleu.metrics import BLEU, CHRF, TER

    per_seg: list[dict[str, float]] = [{} for _ in hyps]
    idx = [i for i, r in enumerate(refs) if r]
    if not idx:
        return per_seg, {}
    hs = [hyps[i] for i in idx]
    rs = [refs[i] or "" for i in idx]
    bleu_kwargs = {"tokenize": "zh"} if tgt_lang.startswith("zh") else {}
    corpus: dict[str, dict[str, Any]] = {}
    for name, metric in (("chrf", CHRF()), ("ter", TER())):
        stats = metric._extract_corpus_statistics(hs, [rs])
        for i, st in zip(idx, stats, strict=True):
            per_seg[i][name] = round(float(metric._aggregate_and_compute([st]).score), 4)
        corpus[name] = _corpus_entry(metric, metric._aggregate_and_compute(stats), len(idx))
    sentence_bleu = BLEU(effective_order=True, **bleu_kwargs)
    for i, h, r in zip(idx, hs, rs, strict=True):
        per_seg[i]["bleu"] = round(float(sentence_bleu.sentence_score(h, [r]).score), 4)
    corpus_bleu = BLEU(**bleu_kwargs)
    corpus["bleu"] = _corpus_entry(corpus_bleu, corpus_bleu.corpus_score(hs, [rs]), len(idx))
    return per_seg, {k: corpus[k] for k in METRIC_NAMES}


def _corpus_entry(metric: Any, score: Any, n: int) -> dict[str, Any]:
    return {
        "score": round(float(score.score), 4),
        "signature": str(metric.get_signature()),
        "segments": n,
    }
