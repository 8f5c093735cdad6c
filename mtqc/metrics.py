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
    acc = ReferenceMetrics(tgt_lang)
    per_seg = acc.add(hyps, refs)
    return per_seg, acc.corpus()


class ReferenceMetrics:
    """Reference metrics batch by batch: :meth:`add` gives the sentence scores of a batch
    and adds its sufficient statistics (chrF n-gram counts, TER edits and lengths, BLEU
    n-gram counts) to running sums, in input order; :meth:`corpus` computes the corpus
    scores from the sums, equal to sacrebleu's corpus scores over all segments at once."""

    def __init__(self, tgt_lang: str = "en"):
        from sacrebleu.metrics import BLEU, CHRF, TER

        bleu_kwargs = {"tokenize": "zh"} if (tgt_lang or "").startswith("zh") else {}
        self._metrics: dict[str, Any] = {"chrf": CHRF(), "ter": TER(), "bleu": BLEU(**bleu_kwargs)}
        self._sentence_bleu = BLEU(effective_order=True, **bleu_kwargs)
        self._sums: dict[str, list[Any] | None] = {name: None for name in self._metrics}
        self.segments = 0

    def add(self, hyps: Sequence[str], refs: Sequence[str | None]) -> list[dict[str, float]]:
        per_seg: list[dict[str, float]] = [{} for _ in hyps]
        idx = [i for i, r in enumerate(refs) if r]
        if not idx:
            return per_seg
        hs = [hyps[i] for i in idx]
        rs = [refs[i] or "" for i in idx]
        for name in ("chrf", "ter", "bleu"):
            metric = self._metrics[name]
            stats = metric._extract_corpus_statistics(hs, [rs])
            if name != "bleu":
                for i, st in zip(idx, stats, strict=True):
                    per_seg[i][name] = round(float(metric._aggregate_and_compute([st]).score), 4)
            self._accumulate(name, stats)
        for i, h, r in zip(idx, hs, rs, strict=True):
            per_seg[i]["bleu"] = round(float(self._sentence_bleu.sentence_score(h, [r]).score), 4)
        self.segments += len(idx)
        return per_seg

    def _accumulate(self, name: str, stats: list[list[Any]]) -> None:
        # the same sums, in the same order, as sacrebleu's ``sum_of_lists`` over all stats
        total = self._sums[name]
        if total is None:
            total = self._sums[name] = [type(stats[0][0])(0.0)] * len(stats[0])
        for st in stats:
            for k, value in enumerate(st):
                total[k] += value

    def corpus(self) -> dict[str, dict[str, Any]]:
        """The corpus scores with their signatures ({} when no segment had a reference)."""
        if not self.segments:
            return {}
        out = {}
        for name in METRIC_NAMES:
            metric = self._metrics[name]
            score = metric._compute_score_from_stats(self._sums[name])
            out[name] = _corpus_entry(metric, score, self.segments)
        return out


def _corpus_entry(metric: Any, score: Any, n: int) -> dict[str, Any]:
    return {
        "score": round(float(score.score), 4),
        "signature": str(metric.get_signature()),
        "segments": n,
    }
