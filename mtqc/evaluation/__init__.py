"""``mtqc eval``: measure the checker against human-annotated error spans.

Typical use (the CLI does the same)::

    from mtqc.evaluation import evaluate, format_result, load_gold, load_predictions

    gold = load_gold("mqm.jsonl")                 # or a WMT QE task-2 .tsv
    result = evaluate(gold, load_predictions("out.jsonl"), threshold=0.5)
    print(format_result(result))                  # or fmt="json"

Without a predictions file, run the checker on ``gold_to_segments(gold)`` and pass the
Report to :func:`evaluate` directly. Modules: :mod:`.gold` (readers),
:mod:`.predictions`, :mod:`.metrics` (pure computations, every definition documented),
:mod:`.run` (the join), :mod:`.report` (formatting).
"""

from __future__ import annotations

from mtqc.evaluation.gold import GoldItem, GoldSpan, gold_to_segments, load_gold, mqm_penalty
from mtqc.evaluation.predictions import (
    PredFlag,
    Prediction,
    load_predictions,
    predictions_from_report,
)
from mtqc.evaluation.report import format_result
from mtqc.evaluation.run import EvalResult, evaluate

__all__ = [
    "EvalResult",
    "GoldItem",
    "GoldSpan",
    "PredFlag",
    "Prediction",
    "evaluate",
    "format_result",
    "gold_to_segments",
    "load_gold",
    "load_predictions",
    "mqm_penalty",
    "predictions_from_report",
]
