"""The segment-risk calibrations: sign-constrained linear models on standardised features.

Two objectives, both giving the JSON model ``combine.risk_from`` reads (a logistic of a
linear score, so the risk reads as "probability of a major error"):

* ``logistic``: logistic regression for ``has_major`` (a reviewer marked at least one
  major error);
* ``ridge``: least squares on ``log(1 + mqm_score)`` (the severity-weighted error mass,
  the quantity the Kendall figures rank against), then a one-dimensional logistic fit of
  ``has_major`` on that score (Platt scaling), folded into the coefficients. The ranking
  comes from the regression; the scaling only makes the number a probability.

Inputs: the tagger's per-segment metrics, chrF with a reference, the LM scorer's
surprisal metrics for the ``+lm`` calibrations, and length. Evidence of errors may only
raise the risk (coefficient >= 0), chrF may only lower it (<= 0); length terms are free.
Fitted by projected gradient descent with a small L2 penalty. Used by
``training.evaluate``.
"""

from __future__ import annotations

import numpy as np

_TAGGER = [
    "tagger_mqm",
    "tagger_sum_p",
    "tagger_sum_pmajor",
    "tagger_max_pmajor",
    "tagger_error_fraction",
]
#: LM surprisal features of the ``+lm`` calibrations (see training/README.md);
#: ``log_lm_sum_bits`` is log(1 + lm_sum_bits).
LM_FEATURES = ["lm_sum_bits", "lm_mean_bits", "lm_max_excess", "log_lm_sum_bits"]
#: With a reference: the reference's bits given the MT (and the reference's length).
LM_REF_FEATURES = ["lm_ref_bits", "log_lm_ref_bits", "log_lm_ref_tokens"]

#: Features per calibration, and the sign each coefficient must have (0 = free).
FEATURES = {
    "reference": [*_TAGGER, "chrf", "log_words"],
    "target-only": [*_TAGGER, "log_words"],
    "reference+lm": [*_TAGGER, "chrf", *LM_FEATURES, *LM_REF_FEATURES, "log_words"],
    "target-only+lm": [*_TAGGER, *LM_FEATURES, "log_words"],
}
SIGNS = {  # others: +1
    "chrf": -1,
    "log_words": 0,
    "lm_tokens": 0,
    "log_lm_tokens": 0,
    "log_lm_ref_tokens": 0,
}

#: The objective of each calibration (chosen on held-out figures: training/README.md).
OBJECTIVE = {
    "reference": "logistic",
    "target-only": "logistic",
    "reference+lm": "logistic",
    "target-only+lm": "logistic",
}


def _project(w: np.ndarray, signs: np.ndarray) -> np.ndarray:
    return np.where(signs > 0, np.maximum(w, 0), np.where(signs < 0, np.minimum(w, 0), w))


def _model(names: list[str], mu: np.ndarray, sd: np.ndarray, w: np.ndarray, b: float) -> dict:
    return {
        "features": list(names),
        "mean": [round(float(v), 6) for v in mu],
        "scale": [round(float(v), 6) for v in sd],
        "coef": [round(float(v), 6) for v in w],
        "intercept": round(float(b), 6),
    }


def _logistic(
    Z: np.ndarray, y: np.ndarray, signs: np.ndarray, l2: float, iters: int, lr: float
) -> tuple[np.ndarray, float]:
    w = np.zeros(Z.shape[1])
    b = float(np.log(y.mean() / (1 - y.mean())))
    n = len(y)
    for _ in range(iters):
        p = 1 / (1 + np.exp(-(Z @ w + b)))
        g = Z.T @ (p - y) / n + l2 * w
        w -= lr * g
        b -= lr * float((p - y).mean())
        w = _project(w, signs)
    return w, b


def fit_logistic(
    X: np.ndarray,
    y: np.ndarray,
    names: list[str],
    l2: float = 1e-3,
    iters: int = 3000,
    lr: float = 0.5,
) -> dict:
    """Fit P(has_major); return the JSON-able model ``combine.risk_from`` reads."""
    mu = X.mean(0)
    sd = X.std(0) + 1e-9
    signs = np.array([SIGNS.get(n, 1) for n in names])
    w, b = _logistic((X - mu) / sd, y, signs, l2, iters, lr)
    return {**_model(names, mu, sd, w, b), "target": "has_major"}


def fit_ridge(
    X: np.ndarray,
    y: np.ndarray,
    mqm: np.ndarray,
    names: list[str],
    l2: float = 1e-3,
    iters: int = 3000,
    lr: float = 0.3,
) -> dict:
    """Fit log(1 + mqm) by sign-constrained ridge, then Platt-scale it to P(has_major)."""
    mu = X.mean(0)
    sd = X.std(0) + 1e-9
    Z = (X - mu) / sd
    signs = np.array([SIGNS.get(n, 1) for n in names])
    t = np.log1p(np.maximum(mqm, 0.0))
    w = np.zeros(Z.shape[1])
    b = float(t.mean())
    n = len(t)
    for _ in range(iters):
        r = Z @ w + b - t
        w -= lr * (Z.T @ r / n + l2 * w)
        b -= lr * float(r.mean())
        w = _project(w, signs)
    s = Z @ w + b
    s_mu, s_sd = float(s.mean()), float(s.std()) + 1e-9
    a, c = _logistic(((s - s_mu) / s_sd)[:, None], y, np.array([1]), 0.0, 2000, 0.5)
    scale = float(a[0]) / s_sd  # z = scale * (Zw + b - s_mu) + c: monotone in the score
    return {
        **_model(names, mu, sd, scale * w, scale * (b - s_mu) + c),
        "target": "log1p_mqm, Platt-scaled to has_major",
    }


def fit(X: np.ndarray, y: np.ndarray, mqm: np.ndarray, names: list[str], objective: str) -> dict:
    """Fit one calibration with the named objective (``logistic`` or ``ridge``)."""
    if objective == "logistic":
        return fit_logistic(X, y, names)
    if objective == "ridge":
        return fit_ridge(X, y, mqm, names)
    raise ValueError(f"unknown objective {objective!r}")
