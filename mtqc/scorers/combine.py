"""The calibrated per-segment risk: model evidence and rule flags → one number in [0, 1].

``combine(metrics, flags, mode)`` reads the segment's metrics (those the tagger scorer
writes, ``tagger_*``, plus ``chrf`` in reference mode, plus the LM scorer's ``lm_*`` when
it ran) and returns a sign-constrained logistic model's estimate that a professional
reviewer would mark a major error in the segment. There are four calibrations:
``reference`` / ``target-only`` (tagger only), and ``reference+lm`` / ``target-only+lm``
that also read the LM surprisal metrics and are used when those are present (``--models
tagger,lm``). The weights (``weights/combine.json``) are fitted by
``training/fit_combine.py`` on out-of-fold tagger outputs of the development benchmark;
``training/README.md`` has the procedure and the held-out figures. When the needed
metrics are absent (the tagger did not run), it returns None and the caller falls back
to the rules-only heuristic.

Standard library only.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path

from mtqc.model import Flag, Severity
from mtqc.scoring import chrf_risk

WEIGHTS_FILE = Path(__file__).resolve().parent / "weights" / "combine.json"

#: Codes of flags that are model evidence already counted through the model metrics.
MODEL_CODES = ("M001", "M002", "M005", "M006")

#: Suffix of the calibrations that also read the LM scorer's metrics.
LM_SUFFIX = "+lm"

#: The LM metric whose presence selects an LM-aware calibration.
LM_MARKER = "lm_sum_bits"


def feature_values(
    metrics: Mapping[str, float], flags: Sequence[Flag], names: Sequence[str]
) -> list[float] | None:
    """The values of the named features, or None when one of them is unavailable.

    Features are metric names, or ``log_words`` (log of the tagger's word count), or
    ``log_<metric>`` (``log(1 + metric)``, e.g. ``log_lm_sum_bits``), or ``rule_major`` /
    ``rule_minor`` (counts of non-model flags of that severity or worse).
    """
    out = []
    for name in names:
        if name == "log_words":
            if "tagger_words" not in metrics:
                return None
            out.append(math.log1p(float(metrics["tagger_words"])))
        elif name.startswith("log_") and name[4:] in metrics:
            v = float(metrics[name[4:]])
            if math.isnan(v):
                return None
            out.append(math.log1p(max(v, 0.0)))
        elif name == "rule_major":
            out.append(
                float(
                    sum(
                        1
                        for f in flags
                        if f.code not in MODEL_CODES and f.severity >= Severity.MAJOR
                    )
                )
            )
        elif name == "rule_minor":
            out.append(
                float(
                    sum(
                        1
                        for f in flags
                        if f.code not in MODEL_CODES and f.severity == Severity.MINOR
                    )
                )
            )
        else:
            v = metrics.get(name)
            if v is None or (isinstance(v, float) and math.isnan(v)):
                return None
            out.append(float(v))
    return out


@lru_cache(maxsize=1)
def load_weights(path: str | None = None) -> dict:
    """The shipped calibration: ``{"reference": {...}, "target-only": {...}}``."""
    with open(path or WEIGHTS_FILE, encoding="utf-8") as f:
        return json.load(f)


def calibration_for(metrics: Mapping[str, float], mode: str) -> str:
    """Which calibration applies: the reference one when the tagger read a reference,
    with the ``+lm`` suffix when the LM scorer's metrics are present too."""
    if metrics.get("tagger_ref", 0.0) >= 0.5 and "chrf" in metrics:
        base = "reference"
    else:
        base = "target-only"
    return base + LM_SUFFIX if LM_MARKER in metrics else base


def risk_from(values: Sequence[float], model: Mapping) -> float:
    """Logistic of the standardised linear score (the model's mean/scale/coef/intercept)."""
    z = float(model["intercept"])
    for x, mu, sd, w in zip(values, model["mean"], model["scale"], model["coef"], strict=True):
        z += w * (x - mu) / sd
    z = max(-30.0, min(30.0, z))
    return 1.0 / (1.0 + math.exp(-z))


def qe_risk(metrics: Mapping[str, float]) -> float | None:
    """The risk from the QE scorer (M006) alone: the mean of its P(major error) and its
    predicted MQM penalty on a 0–1 scale (``log(1 + MQM) / log(26)``). Not fitted: both
    heads ranked held-out training documents about equally (Kendall 0.38 / 0.41,
    ``training/README.md``), and the mean keeps the number a probability-like score."""
    if "qe_major_p" not in metrics or "qe_reg" not in metrics:
        return None
    reg = min(1.0, max(0.0, float(metrics["qe_reg"])))
    return 0.5 * float(metrics["qe_major_p"]) + 0.5 * reg


def combine(metrics: Mapping[str, float], flags: Sequence[Flag], mode: str) -> float | None:
    """The calibrated risk in [0, 1], or None if neither the tagger's nor the QE scorer's
    metrics are present. Without the tagger, the QE scorer's :func:`qe_risk` is used,
    combined by noisy-or with sentence chrF's risk when the segment has a reference."""
    if "tagger_words" not in metrics:
        risk = qe_risk(metrics)
        if risk is not None and "chrf" in metrics:
            # with a reference the QE risk does not replace chrF's evidence: noisy-or of
            # both (TED, src+mt+ref: Kendall all / within 0.197 / 0.064, against QE alone
            # 0.207 / 0.061 and chrF alone 0.098 / 0.061; training/README.md)
            risk = 1.0 - (1.0 - risk) * (1.0 - chrf_risk(float(metrics["chrf"])))
        return risk
    try:
        weights = load_weights()
    except (OSError, ValueError):
        return None
    name = calibration_for(metrics, mode)
    # an LM-aware calibration that is not shipped or lacks a metric: the tagger-only one
    names = [name, name.removesuffix(LM_SUFFIX)] if name.endswith(LM_SUFFIX) else [name]
    for cal in names:
        model = weights.get(cal)
        if model is None:
            continue
        values = feature_values(metrics, flags, model["features"])
        if values is not None:
            return risk_from(values, model)
    return None
