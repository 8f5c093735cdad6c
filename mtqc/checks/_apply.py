"""Turn a rule's hits into flags (shared by the engine and the fixture tests)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from mtqc.checks.base import Rule
from mtqc.model import Flag, Hit, Segment, Severity


def fingerprint(code: str, text: str) -> str:
    """A stable id for "this rule on this phrase", independent of position and segment.

    Used by baselines and review decisions: the same false alarm on the same words is
    recognised in later runs. Case and inner whitespace are folded.
    """
    norm = " ".join(text.lower().split())
    return hashlib.sha1(f"{code}\x1f{norm}".encode()).hexdigest()[:16]


def flag_from_hit(r: Rule, seg: Segment, hit: Hit, severity: Severity) -> Flag:
    """Stamp a rule's hit into a flag; the span is checked against the text on its side."""
    text = seg.mt if hit.side == "mt" else getattr(seg, hit.side) or ""
    if not 0 <= hit.start <= hit.end <= len(text):
        raise AssertionError(
            f"rule {r.code} produced span {hit.start}:{hit.end} outside the "
            f"{hit.side} text of segment {seg.id} (length {len(text)})"
        )
    span = text[hit.start : hit.end]
    return Flag(
        code=r.code,
        name=r.name,
        segment_id=seg.id,
        start=hit.start,
        end=hit.end,
        text=span,
        severity=severity,
        category=r.category,
        message=hit.message,
        suggestions=list(hit.suggestions),
        evidence=dict(hit.evidence or {}),
        side=hit.side,
        fingerprint=fingerprint(r.code, span),
    )


def apply_rule(
    r: Rule,
    seg: Segment,
    options: Mapping[str, Any] | None = None,
    severity: Severity | None = None,
) -> list[Flag]:
    """Run one rule on one segment with its default options updated by ``options``.

    Severity: ``severity`` if given, else the hit's own, else the rule's default.
    """
    if not r.applies(seg):
        return []
    opts = dict(r.options)
    if options:
        opts.update(options)
    return [
        flag_from_hit(
            r,
            seg,
            hit,
            severity
            if severity is not None
            else (hit.severity if hit.severity is not None else r.severity),
        )
        for hit in r.func(seg, opts)
    ]
