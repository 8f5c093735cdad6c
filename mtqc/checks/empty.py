"""U006: an empty (or whitespace-only) target for a source that has text.

An empty target is what a translation tool writes for a segment nobody translated (memoQ
``NotStarted``, an empty ``<target/>``, an empty ``mt`` cell in a TSV with a ``src``
column). Every other rule sees nothing to flag in it, so without this rule it would
score 0 and pass the gate.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mtqc.checks.base import rule
from mtqc.model import Hit, Segment


@rule("U006", "empty-target", "major", "accuracy/omission", needs=("src",))
def empty_target(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """The MT is empty or only whitespace, and the source has text.

    What it flags: a segment whose MT holds nothing but whitespace (spaces, tabs, line
    breaks, no-break spaces) while its source holds text; the span is the whole MT
    (zero-width when it is empty). Inline codes are text here: a target that holds only
    a placeholder is not empty.
    Why it matters: the segment was not translated (a tool's "not started" unit, an empty
    cell); no other rule can flag an absence, so it would pass.
    Example: ``<target/>`` (or ``<target> </target>``) for ``<source>Klik op Opslaan.</source>``.
    Use instead: translate the segment, or mark the unit ``translate="no"`` if it must stay
    as it is.
    """
    if seg.mt.strip() or not (seg.src or "").strip():
        return
    yield Hit(
        0,
        len(seg.mt),
        "The MT is empty: the source has text but the segment was not translated.",
        evidence={"source_chars": len(seg.src or "")},
    )
