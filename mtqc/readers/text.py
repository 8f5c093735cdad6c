"""Plain text: one segment per line, blank lines are paragraph breaks.

Parallel plain-text files (reference, source, back-translation) are aligned by segment
order; their non-blank line count must equal the MT's, or the whole read fails: a
misaligned comparison is worse than none.
"""

from __future__ import annotations

from collections.abc import Iterator

from mtqc.errors import InputError
from mtqc.model import Segment
from mtqc.readers.decode import Source


def lines(text: str) -> Iterator[tuple[int, str]]:
    """``(line number, line)`` for every non-blank line; the text keeps its own spaces."""
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            yield number, line


def read_text(source: Source) -> list[Segment]:
    """One :class:`Segment` per non-blank line; ``meta["paragraph"]`` counts paragraphs."""
    segments: list[Segment] = []
    paragraph = 0
    previous = -1
    for number, line in lines(source.text):
        if number != previous + 1:
            paragraph += 1
        previous = number
        segments.append(
            Segment(
                id=f"{source.stem}:{number}",
                mt=line,
                doc_id=source.stem,
                line=number,
                source_file=source.name,
                tgt_lang="",
                meta={"paragraph": paragraph},
            )
        )
    return segments


def attach_parallel(segments: list[Segment], mt_name: str, side: str, other: Source) -> None:
    """Set ``side`` (``"ref"``, ``"src"`` or ``"bt"``) on each segment from ``other``.

    ``meta[f"{side}_line"]`` records the line the text came from in ``other``.
    """
    other_lines = list(lines(other.text))
    if len(other_lines) != len(segments):
        raise InputError(
            mt_name,
            f"{mt_name} has {len(segments)} segments but {other.name} has "
            f"{len(other_lines)}: the {side} file must have one non-blank line per MT line",
            hint=(
                "the files are aligned line by line (blank lines are ignored); make both "
                "files have the same number of non-blank lines — mtqc never truncates"
            ),
        )
    for seg, (number, line) in zip(segments, other_lines, strict=True):
        setattr(seg, side, line)
        seg.meta[f"{side}_line"] = number
