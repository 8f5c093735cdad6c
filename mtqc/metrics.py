"""Reference metrics from sacrebleu: per-segment chrF, BLEU and TER, and corpus scores
with their reproducibility signatures."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

METRIC_NAMES = ("chrf", "bleu", "ter")


def _metrics(tgt_lang: str = "en"):
    from sacrebleu.metrics import BLEU, CHRF, TER

    bleu_kwargs = {"tokenize": "zh"} if tgt_lang.startswith("zh") else {}
    return {"chrf": CHRF(), "bleu": BLEU(effective_order=True, **bleu_kwargs), "ter": TER()}


def segment_scores(
    hyps: Sequence[str], refs: Sequence[str | None], tgt_lang: str = "en"
) -> list[dict[str, float]]:
    """chrF, sentence BLEU (effective order) and TER for each (hyp, ref); {} where no ref."""
    ms = _metrics(tgt_lang)
    out: list[dict[str, float]] = []
    for hyp, ref in zip(hyps, refs, strict=True):
        if not ref:
            out.append({})
            continue
        out.append(
            {name: round(float(m.sentence_score(hyp, [ref]).score), 4) for name, m in ms.items()}
        )
    return out


def corpus_scores(
    hyps: Sequence[str], refs: Sequence[str | None], tgt_lang: str = "en"
) -> dict[str, dict[str, Any]]:
    """Corpus chrF/BLEU/TER over the segments that have a reference, with signatures."""
    pairs = [(h, r) for h, r in zip(hyps, refs, strict=True) if r]
    if not pairs:
        return {}
    hs = [h for h, _ in pairs]
    rs = [[r for _, r in pairs]]
    out: dict[str, dict[str, Any]] = {}
    for name, m in _metrics(tgt_lang).items():
        if name == "bleu":
            from sacrebleu.metrics import BLEU

            m = BLEU()  # corpus BLEU: standard, not effective order
        res = m.corpus_score(hs, rs)
        out[name] = {
            "score": round(float(res.score), 4),
            "signature": str(m.get_signature()),
            "segments": len(pairs),
        }
    return out
