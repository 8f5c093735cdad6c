"""R rules: comparison with a reference translation (same language as the MT).

R001 aligns the MT to the reference word by word (:func:`mtqc.checks._align.align`) and
flags MT phrases with no counterpart in the reference — not a bag-of-words difference:
a word the reference has elsewhere in the sentence still counts as aligned, and the
suggestion is what the reference says at the same place.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mtqc.checks._align import cached_align
from mtqc.checks.base import rule
from mtqc.model import Hit, Segment, Severity


@rule(
    "R001",
    "unaligned-mt-span",
    "minor",
    "accuracy/mistranslation",
    needs=("ref",),
    options={
        "min_content": 2,
        "minor_content": 3,
        "min_coverage": 0.25,
        "max_share": 0.5,
        "merge_gap": 1,
    },
)
def unaligned_span(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """An MT phrase with no counterpart in the reference translation.

    What it flags: runs of MT words that the word alignment to the reference leaves
    unaligned (no exact, stemmed, moved or near-spelling match) and that hold at least
    ``min_content`` content words (not stopwords or punctuation). Runs separated by at
    most ``merge_gap`` aligned stopwords or punctuation marks are merged. To keep a free
    but correct paraphrase from lighting up the whole line, nothing is flagged when less
    than ``min_coverage`` of the MT's content words align, and at most ``max_share`` of
    the MT's content words are flagged (the longest runs first). Runs with fewer than
    ``minor_content`` content words (often a synonym or a paraphrase the alignment
    cannot match) get severity info; longer ones the rule's severity (minor). With
    ``minor_content = 2`` (the default before 2026-11-30) R001 flagged 26 of 161 clean
    lines of the Dutch→English development set (flag precision 0.80 over all rules in
    reference mode); with 3 it flags 3 (0.95), so a flag is usually right. On WMT21 TED
    zh→en, two content words flagged 25 % of MT lines at 19 % character precision;
    ``min_content = 1`` flags 70 % of lines. The
    suggestion is the reference wording between the run's aligned neighbours; the
    evidence gives it and the share of the MT's content words that align (``coverage``).
    Why it matters: where MT and reference say different things, the MT is often wrong
    (a mistranslation, an addition); a reviewer can compare the two phrases at a glance.
    Example: MT ``The ⟦spillover action⟧ was prepared for months.`` with reference
    "The defection operation was prepared for months."
    Use instead: the reference wording if it fits, here "defection operation".
    """
    al = cached_align(seg.mt, seg.ref or "")
    n_content = sum(1 for t in al.mt_tokens if t.is_content)
    if not n_content or al.coverage < opts["min_coverage"]:
        return
    toks = al.mt_tokens
    # merge runs separated by a few aligned non-content tokens: [i, j, content, parts]
    merged: list[list[Any]] = []
    for r in al.mt_runs:
        if merged:
            last = merged[-1]
            between = toks[last[1] : r.i]
            if len(between) <= opts["merge_gap"] and not any(t.is_content for t in between):
                last[1] = r.j
                last[2] += r.content
                last[3].append(r)
                continue
        merged.append([r.i, r.j, r.content, [r]])
    budget = int(opts["max_share"] * n_content)
    chosen = []
    for i, j, content, parts in sorted(merged, key=lambda m: -m[2]):
        if content < opts["min_content"] or content > budget:
            continue
        budget -= content
        chosen.append((i, j, content, parts))
    if not chosen:
        return
    for i, j, content, parts in sorted(chosen):
        start, end = toks[i].start, toks[j - 1].end
        gaps = [p for p in parts if p.other_end > p.other_start]
        ref_words = (
            al.ref[min(p.other_start for p in gaps) : max(p.other_end for p in gaps)]
            if gaps
            else ""
        )
        phrase = seg.mt[start:end]
        if ref_words:
            msg = f"‘{phrase}’ has no counterpart in the reference, which has ‘{ref_words}’ here."
        else:
            msg = f"‘{phrase}’ has no counterpart in the reference (possible addition)."
        yield Hit(
            start,
            end,
            msg,
            suggestions=(ref_words,) if ref_words else (),
            evidence={
                "reference_words": ref_words,
                "coverage": round(al.coverage, 3),
            },
            severity=None if content >= opts["minor_content"] else Severity.INFO,
        )
