"""Turn a rule's hits into flags (shared by the engine and the fixture tests)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from mtqc.checks.base import Rule
from mtqc.model import Flag, Segment, Severity


def fingerprint(code: str, text: str) -> str:
    """A stable id for "this rule on this phrase", independent of position and segment.

    Used by baselines and review decisions: the same false alarm on the same words is
    recognised in later runs. Case and inner whitespace are folded.
    """
    norm = " ".join(text.lower().split())
    return hashlib.sha1(f"{code}\x1f{norm}".encode()).hexdigest()[:16]


def apply_rule(
    r: Rule,
    seg: Segment,
    options: Mapping[str, Any] | None = None,
    severity: Severity | None = None,
) -> list[Flag]:
    """Run one rule on one segment; return its flags, offsets checked against the text."""
    if not r.applies(seg):
        return []
    opts = dict(r.options)
    if options:
        opts.update(options)
    flags: list[Flag] = []
    for hit in r.func(seg, opts):
        text_on_side = seg.mt if hit.side == "mt" else getattr(seg, hit.side) or ""
        if not (0 <= hit.start <= hit.end <= len(text_on_side)):
            raise AssertionError(
                f"rule {r.code} produced span {hit.start}:{hit.end} outside the "
                f"{hit.side} text of segment {seg.id} (length {len(text_on_side)})"
            )
        span = text_on_side[hit.start : hit.end]
        flags.append(
            Flag(
                code=r.code,
                name=r.name,
                segment_id=seg.id,
                start=hit.start,
                end=hit.end,
                text=span,
                severity=severity or hit.severity or r.severity,
                category=r.category,
                message=hit.message,
                suggestions=list(hit.suggestions),
                evidence=dict(hit.evidence or {}),
                side=hit.side,
                fingerprint=fingerprint(r.code, span),
            )
        )
    return flags
