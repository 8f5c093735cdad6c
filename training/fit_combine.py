"""The segment-risk calibration: a sign-constrained logistic regression.

Target: ``has_major`` (a reviewer marked at least one major error), so the risk reads as
"probability of a major error". Inputs: the tagger's per-segment metrics (plus chrF with
a reference), standardised. Evidence of errors may only raise the risk (coefficient >= 0),
chrF may only lower it (<= 0); the length term is free. Fitted by projected gradient
descent with a small L2 penalty. Used by ``training.evaluate``.
"""

from __future__ import annotations

import numpy as np

#: Features per calibration, and the sign each coefficient must have (0 = free).
FEATURES = {
    "reference": [
        "tagger_mqm",
        "tagger_sum_p",
        "tagger_sum_pmajor",
        "tagger_max_pmajor",
        "tagger_error_fraction",
        "chrf",
        "log_words",
    ],
    "target-only": [
        "tagger_mqm",
        "tagger_sum_p",
        "tagger_sum_pmajor",
        "tagger_max_pmajor",
        "tagger_error_fraction",
        "log_words",
    ],
}
SIGNS = {"chrf": -1, "log_words": 0}  # every other feature: +1


def fit_logistic(
    X: np.ndarray,
    y: np.ndarray,
    names: list[str],
    l2: float = 1e-3,
    iters: int = 3000,
    lr: float = 0.5,
) -> dict:
    """Fit; return the JSON-able model ``combine.risk_from`` reads."""
    mu = X.mean(0)
    sd = X.std(0) + 1e-9
    Z = (X - mu) / sd
    signs = np.array([SIGNS.get(n, 1) for n in names])
    w = np.zeros(Z.shape[1])
    b = float(np.log(y.mean() / (1 - y.mean())))
    n = len(y)
    for _ in range(iters):
        p = 1 / (1 + np.exp(-(Z @ w + b)))
        g = Z.T @ (p - y) / n + l2 * w
        w -= lr * g
        b -= lr * float((p - y).mean())
        w = np.where(signs > 0, np.maximum(w, 0), np.where(signs < 0, np.minimum(w, 0), w))
    return {
        "features": list(names),
        "mean": [round(float(v), 6) for v in mu],
        "scale": [round(float(v), 6) for v in sd],
        "coef": [round(float(v), 6) for v in w],
        "intercept": round(b, 6),
        "target": "has_major",
    }
