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
from dataclasses import dataclass, field
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
