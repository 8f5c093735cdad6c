"""Model scorers, loaded lazily by ``"module:Class"`` name so that ``import mtqc`` never
imports torch.

A scorer is a class with::

    code: str                 # its flag code, e.g. "M001"
    name: str                 # kebab-case
    needs: frozenset[str]     # sides it needs: subset of {"src", "ref", "bt"}
    def __init__(self, **options): ...      # cheap: no heavy imports here
    def load(self) -> None: ...             # heavy imports and model loading happen here
    def signature(self) -> str: ...         # e.g. "lm:SmolLM2-135M-Instruct@3f2a1b9c|fp32"
    def score(self, segments: list[Segment]) -> list[ScorerOutput]: ...

``score`` receives the segments that have what the scorer needs (the engine filters) and
returns one :class:`ScorerOutput` per segment, in order. Batching (length-sorted) and the
text-hash cache are the scorer's business; :class:`mtqc.scorers.cache.TextCache` helps.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from mtqc.checks._apply import fingerprint
from mtqc.errors import UsageError
from mtqc.model import Flag, Segment, Severity

#: name → "module:Class". Names are what users pass to ``--models``.
SCORERS: dict[str, str] = {
    "lm": "mtqc.scorers.lm:LMFluencyScorer",
    "align": "mtqc.scorers.align:ReferenceAlignmentScorer",
    "source": "mtqc.scorers.source:SourceEvidenceScorer",
    "tagger": "mtqc.scorers.tagger:SpanTagger",
    "qe": "mtqc.scorers.qe:QEScorer",
}


@dataclass(slots=True)
class ScorerOutput:
    """What a scorer says about one segment."""

    flags: list[Flag] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)


class Scorer(Protocol):
    code: str
    name: str
    needs: frozenset[str]

    def load(self) -> None: ...

    def signature(self) -> str: ...

    def score(self, segments: list[Segment]) -> list[ScorerOutput]: ...


def model_codes() -> dict[str, tuple[str, str]]:
    """``{flag code: (scorer name, scorer docstring)}`` for ``mtqc rule M002`` (the scorer
    modules are imported, their models are not loaded)."""
    import inspect

    out: dict[str, tuple[str, str]] = {}
    for name, target in SCORERS.items():
        module_name, _, cls_name = target.partition(":")
        cls = getattr(importlib.import_module(module_name), cls_name)
        doc = inspect.getdoc(cls) or ""
        for attr in ("code", "bt_code"):
            code = getattr(cls, attr, None)
            if code:
                out.setdefault(code, (name, doc))
    return dict(sorted(out.items()))


def load_scorer(name: str, **options: Any) -> Scorer:
    """Instantiate scorer ``name`` (not yet loaded: call ``.load()``)."""
    try:
        target = SCORERS[name]
    except KeyError:
        raise UsageError(
            f"unknown model scorer {name!r}; available: {', '.join(sorted(SCORERS))}"
        ) from None
    module_name, _, cls_name = target.partition(":")
    module = importlib.import_module(module_name)
    cls = getattr(module, cls_name)
    try:
        return cls(**options)
    except TypeError as e:
        raise UsageError(f"model scorer {name!r}: {e}") from None


FLAG_POLICY_FILE = Path(__file__).resolve().parent / "weights" / "flag_policy.json"


@lru_cache(maxsize=1)
def flag_policy() -> dict[str, float | None]:
    """``{code: show_at}`` from ``weights/flag_policy.json`` (``training/flag_policy.py``).

    ``show_at`` is the lowest flag score at which that model flag code was at least 60 %
    precise on the development data, or None when it never was. Codes not in the file
    were not measured and are left as the scorer made them.
    """
    try:
        data = json.loads(FLAG_POLICY_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {code: entry.get("show_at") for code, entry in data.get("codes", {}).items()}


def apply_flag_policy(flags: list[Flag]) -> list[Flag]:
    """Precision first: a model flag below its calibrated ``show_at`` becomes ``info``.

    The flag stays in the report (JSON, HTML) as a hint with
    ``evidence["below_show_at"]``, but does not count as a finding (``--fail-on``,
    flagged lines, rule precision). ``[model-options.<scorer>] show_flags = "all"``
    keeps every flag at the scorer's own severity.
    """
    policy = flag_policy()
    for f in flags:
        if f.code not in policy or f.severity == Severity.INFO:
            continue
        show_at = policy[f.code]
        if show_at is None or f.score is None or f.score < show_at:
            f.evidence["below_show_at"] = show_at
            f.evidence["scorer_severity"] = str(f.severity)
            f.severity = Severity.INFO
    return flags


def text_key(*parts: str | None) -> str:
    """A stable cache key for a tuple of texts."""
    h = hashlib.sha256()
    for p in parts:
        h.update(b"\x00" if p is None else p.encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()


def make_flag(
    code: str,
    name: str,
    seg: Segment,
    start: int,
    end: int,
    *,
    severity: Severity,
    category: str,
    message: str,
    suggestions: list[str] | None = None,
    evidence: dict[str, Any] | None = None,
    score: float | None = None,
    side: str = "mt",
) -> Flag:
    """A scorer's flag on ``seg``: the span's text and fingerprint filled in from the side."""
    text = (seg.mt if side == "mt" else getattr(seg, side) or "")[start:end]
    return Flag(
        code=code,
        name=name,
        segment_id=seg.id,
        start=start,
        end=end,
        text=text,
        severity=severity,
        category=category,
        message=message,
        suggestions=list(suggestions or []),
        score=score,
        evidence=dict(evidence or {}),
        side=side,
        fingerprint=fingerprint(code, text),
    )
