"""Plain text: one segment per line, blank lines are paragraph breaks.

Parallel plain-text files (reference, source, back-translation) are aligned by segment
order and read in step with the MT; their non-blank line count must equal the MT's, or
the read fails naming both counts: a misaligned comparison is worse than none.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from mtqc.errors import InputError
from mtqc.model import Segment
from mtqc.readers.decode import Source, text_lines


def lines(text: str) -> Iterator[tuple[int, str]]:
    """``(line number, line)`` for every non-blank line; the text keeps its own spaces."""
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            yield number, line


def nonblank(numbered: Iterable[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    """The non-blank lines of ``(number, line)`` pairs, without their line ends."""
    for number, line in numbered:
        if line.strip():
            yield number, line.removesuffix("\n")


def iter_text(numbered: Iterable[tuple[int, str]], name: str, stem: str) -> Iterator[Segment]:
    """One :class:`Segment` per non-blank line; ``meta["paragraph"]`` counts paragraphs."""
    paragraph = 0
    previous = -1
    for number, line in nonblank(numbered):
        if number != previous + 1:
            paragraph += 1
        previous = number
        yield Segment(
            id=f"{stem}:{number}",
            mt=line,
            doc_id=stem,
            line=number,
            source_file=name,
            tgt_lang="",
            meta={"paragraph": paragraph},
        )


def read_text(source: Source) -> list[Segment]:
    """One :class:`Segment` per non-blank line of a loaded source."""
    return list(iter_text(text_lines(source.text), source.name, source.stem))


def attach_parallel_iter(
    segments: Iterable[Segment],
    mt_name: str,
    others: list[tuple[str, str, Iterable[tuple[int, str]]]],
) -> Iterator[Segment]:
    """Set each side (``"ref"``, ``"src"``, ``"bt"``) from its file's non-blank lines, in
    step with the MT segments. ``others`` are ``(side, file name, numbered lines)``.

    ``meta[f"{side}_line"]`` records the line the text came from. When a file runs out
    before the MT or the MT before it, both are counted to their ends and the error names
    both counts.
    """
    streams = [(side, name, nonblank(numbered)) for side, name, numbered in others]
    count = 0
    it = iter(segments)
    for seg in it:
        for side, name, stream in streams:
            nxt = next(stream, None)
            if nxt is None:
                mt_total = count + 1 + sum(1 for _ in it)
                raise _mismatch(mt_name, mt_total, name, count, side)
            number, line = nxt
            setattr(seg, side, line)
            seg.meta[f"{side}_line"] = number
        count += 1
        yield seg
    for side, name, stream in streams:
        extra = sum(1 for _ in stream)
        if extra:
            raise _mismatch(mt_name, count, name, count + extra, side)


def _mismatch(mt_name: str, n_mt: int, other: str, n_other: int, side: str) -> InputError:
    if not n_other:
        return InputError(
            other,
            "is empty: no segments to check",
            hint="give a file with one segment per line (or records, or XLIFF/TMX units)",
        )
    return InputError(
        mt_name,
        f"has {n_mt} segments but the {side} file {other} has "
        f"{n_other}: it must have one non-blank line per MT line",
        hint=(
            "the files are aligned line by line (blank lines are ignored); make both "
            "files have the same number of non-blank lines — mtqc never truncates"
        ),
    )


def attach_parallel(segments: list[Segment], mt_name: str, side: str, other: Source) -> None:
    """Set ``side`` on each of ``segments`` from a loaded ``other`` file (see
    :func:`attach_parallel_iter`)."""
    for _ in attach_parallel_iter(segments, mt_name, [(side, other.name, text_lines(other.text))]):
        pass
