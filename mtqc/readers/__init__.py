"""Input readers: files (or stdin) in, :class:`~mtqc.model.Segment` objects out — a list
(:func:`read_segments`) or one at a time (:func:`iter_segments`).

Formats (``FORMATS``), chosen by ``fmt`` or by the file's extension:

========  =============================  ==============================================
name      extensions                     one segment per
========  =============================  ==============================================
text      .txt (and stdin by default)    non-blank line (blank lines: paragraph breaks)
tsv       .tsv                           row, under a header row naming the columns
csv       .csv                           row, under a header row naming the columns
jsonl     .jsonl .ndjson                 line holding a JSON object
xliff     .xlf .xliff .sdlxliff          ``<trans-unit>`` (1.2) / ``<segment>`` (2.0)
          .mqxliff .mxliff               (memoQ, Phrase)
tmx       .tmx                           ``<tu>``
po        .po .pot                       gettext entry (``msgid`` → src, ``msgstr`` → mt)
========  =============================  ==============================================

Any other extension (``out.hyp``, ``newstest.zh-en.en``, none) is sniffed
(:mod:`mtqc.readers.sniff`): an ``<xliff>``/``<tmx>`` root, a gettext catalogue, JSON
lines; anything else is plain text.

Records (TSV, CSV, JSONL) use the fields ``mt`` (or ``hyp``), ``ref``, ``src``, ``bt``,
``id``, ``doc``, ``src_lang``, ``tgt_lang``; any other field is kept in ``Segment.meta``.

Guarantees, whatever the format:

* every problem is an :class:`~mtqc.errors.InputError` naming the file (``<stdin>`` for
  ``-``), the line where known, and what to do;
* input must be UTF-8 (a BOM is allowed), but an XML file (XLIFF, TMX) is decoded as its
  ``<?xml encoding?>`` declaration says (or as UTF-16 with a UTF-16 BOM); CRLF and CR
  line ends are read as LF;
* nothing is dropped or truncated silently: an empty input, a unit without a translation,
  parallel files of different lengths and duplicate ids are errors;
* text holds no NUL (U+0000) and no unpaired surrogate (U+D800–U+DFFF), and metadata
  nests at most :data:`MAX_META_DEPTH` levels (:mod:`mtqc.readers.textcheck`), so every
  output and store can hold whatever a reader returns;
* no text field may be longer than :data:`MAX_SEGMENT_CHARS` characters — a longer
  "segment" is almost always a whole document on one line, which no checker or model
  handles well;
* ``segment.line`` is the 1-based line of the segment in its file (a record's first line;
  for XML, the line of the element holding the MT text);
* language: a language given by the input (record field, XLIFF/TMX attribute) wins; the
  ``src_lang``/``tgt_lang`` arguments fill in where the input says nothing; ``tgt_lang``
  defaults to ``"en"``, and ``src_lang`` stays ``None`` (the engine detects it).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, TextIO

from mtqc.errors import InputError
from mtqc.model import Segment
from mtqc.readers.decode import (
    MAX_SEGMENT_CHARS,
    STDIN,
    STDIN_NAME,
    Lines,
    Source,
    check_path,
    load,
)
from mtqc.readers.ids import SeenIds
from mtqc.readers.jsonl import iter_jsonl, read_jsonl
from mtqc.readers.po import read_po
from mtqc.readers.sniff import SNIFF_BYTES, sniff
from mtqc.readers.tabular import iter_tabular, read_tabular
from mtqc.readers.text import attach_parallel_iter, iter_text, read_text
from mtqc.readers.textcheck import MAX_META_DEPTH
from mtqc.readers.textcheck import check_segments as check_text
from mtqc.readers.tmx import read_tmx
from mtqc.readers.xliff import read_xliff

__all__ = [
    "FORMATS",
    "MAX_META_DEPTH",
    "SegmentStream",
    "MAX_SEGMENT_CHARS",
    "detect_format",
    "iter_segments",
    "read_segments",
]

FORMATS: tuple[str, ...] = ("text", "tsv", "csv", "jsonl", "xliff", "tmx", "po")
#: formats parsed whole (loaded, then given out unit by unit)
WHOLE: frozenset[str] = frozenset({"xliff", "tmx", "po"})

EXTENSIONS: dict[str, str] = {
    ".txt": "text",
    ".tsv": "tsv",
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".xlf": "xliff",
    ".xliff": "xliff",
    ".sdlxliff": "xliff",
    ".mqxliff": "xliff",
    ".mxliff": "xliff",
    ".tmx": "tmx",
    ".po": "po",
    ".pot": "po",
}

_FORMAT_HINT = "pass --input-format with one of: " + ", ".join(FORMATS)


def detect_format(path: str) -> str:
    """The format name for ``path`` by its extension (``"-"`` is ``"text"``); a file with
    any other extension is sniffed (:func:`mtqc.readers.sniff.sniff`), and one that cannot
    be read is ``"text"`` (reading it then says why)."""
    if path == STDIN:
        return "text"
    suffix = Path(path).suffix.lower()
    known = EXTENSIONS.get(suffix)
    if known is not None:
        return known
    try:
        with open(path, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError:
        return "text"
    return sniff(head)


def read_segments(
    mt: str,
    *,
    ref: str | None = None,
    src: str | None = None,
    bt: str | None = None,
    fmt: str | None = None,
    src_lang: str | None = None,
    tgt_lang: str | None = None,
    stdin: TextIO | BinaryIO | None = None,
) -> list[Segment]:
    """Read the segments of ``mt`` (a path, or ``"-"`` for stdin).

    ``ref``, ``src`` and ``bt`` are parallel plain-text files (reference translation,
    source, back-translation), only for plain-text MT; they must have exactly as many
    non-blank lines as the MT. ``fmt`` is one of :data:`FORMATS` (default: by extension;
    ``text`` for stdin). ``stdin`` replaces ``sys.stdin.buffer`` (for tests).
    Raises :class:`~mtqc.errors.InputError` for anything that cannot be read as asked.
    :func:`iter_segments` gives the same segments one at a time.
    """
    return list(
        iter_segments(
            mt, ref=ref, src=src, bt=bt, fmt=fmt, src_lang=src_lang, tgt_lang=tgt_lang, stdin=stdin
        )
    )


def iter_segments(
    mt: str,
    *,
    ref: str | None = None,
    src: str | None = None,
    bt: str | None = None,
    fmt: str | None = None,
    src_lang: str | None = None,
    tgt_lang: str | None = None,
    stdin: TextIO | BinaryIO | None = None,
) -> SegmentStream:
    """The segments of ``mt`` one at a time, as :func:`read_segments` reads them.

    Arguments are checked now; the input is read as the iterator is advanced. Text, TSV,
    CSV and JSONL are read line by line (memory does not grow with the file, except for
    the ids of TSV/CSV/JSONL records, kept to refuse duplicates: 12 bytes an id past
    100,000 records, :class:`~mtqc.readers.ids.SeenIds`); parallel ``--ref``,
    ``--src`` and ``--bt`` files are read in step with the MT, and a different number of
    lines is an error when the shorter one ends (naming both counts). XLIFF and TMX are
    parsed whole (an XML tree holds its file in memory: a few times its size), then
    given out unit by unit. An input error can therefore come after segments were given.
    """
    name = STDIN_NAME if mt == STDIN else mt
    check_path(mt)
    fmt = _resolve_format(mt, name, fmt)
    parallel = {side: path for side, path in (("ref", ref), ("src", src), ("bt", bt)) if path}
    if parallel and fmt != "text":
        flags = ", ".join(f"--{side}" for side in parallel)
        raise InputError(
            name,
            f"{flags} can only be used with plain-text MT, and this input is {fmt}",
            hint=f"put the texts into columns/fields of the {fmt} input instead"
            if fmt in ("tsv", "csv", "jsonl")
            else "XLIFF, TMX and PO files carry the source themselves",
        )
    paths = [mt, *parallel.values()]
    if paths.count(STDIN) > 1:
        raise InputError(STDIN_NAME, "only one input can be read from stdin ('-')")
    for path in parallel.values():
        check_path(path)
    stream = SegmentStream()
    stream._it = _iter(
        mt,
        parallel,
        fmt,
        src_lang=src_lang,
        tgt_lang=tgt_lang,
        stdin=stdin,
        skipped=stream.skipped,
    )
    return stream


class SegmentStream(Iterator[Segment]):
    """The segments of an input, one at a time (what :func:`iter_segments` returns).

    ``skipped`` counts the units the input holds that are not segments, by reason (today
    ``"translate=no"``: XLIFF units marked not to translate; ``"obsolete"``: ``#~`` PO
    entries); it is complete once the
    stream is exhausted (XLIFF is parsed whole before the first segment is given).
    """

    def __init__(self) -> None:
        self.skipped: dict[str, int] = {}
        self._it: Iterator[Segment] = iter(())

    def __next__(self) -> Segment:
        return next(self._it)


def _iter(
    mt: str,
    parallel: dict[str, str],
    fmt: str,
    *,
    src_lang: str | None,
    tgt_lang: str | None,
    stdin: TextIO | BinaryIO | None,
    skipped: dict[str, int],
) -> Iterator[Segment]:
    if fmt in WHOLE:
        source = _checked_load(mt, stdin, fmt)
        lines: Lines | None = None
        segments: Iterable[Segment] = _read(
            source, fmt, src_lang=src_lang, tgt_lang=tgt_lang, skipped=skipped
        )
        name = source.name
    else:
        lines = Lines(mt, stdin=stdin)
        name = lines.name
        named = Source(lines.name, lines.stem, "")
        numbered = _not_blank(lines)
        if fmt == "text":
            segments = iter_text(numbered, lines.name, lines.stem)
        elif fmt == "jsonl":
            segments = iter_jsonl(numbered, named)
        else:
            segments = iter_tabular(numbered, named, "\t" if fmt == "tsv" else ",")
    files = {"mt": name}
    if parallel:
        others = []
        for side, path in parallel.items():
            other = Lines(path, stdin=stdin)
            others.append((side, other.name, other))
            files[side] = other.name
        segments = attach_parallel_iter(segments, name, others)
    seen = None if fmt == "text" else SeenIds()  # text ids are line numbers
    count = 0
    for seg in segments:
        check_text((seg,), files)
        _check_lengths((seg,), files)
        if seen is not None:
            first = seen.add(seg.id, seg.line)
            if first is not None:  # the id was there already
                raise InputError(
                    name,
                    f"duplicate id {seg.id!r} (first used on line {first})",
                    line=seg.line,
                    hint="ids must be unique: reports and baselines are keyed on them",
                )
        seg.tgt_lang = seg.tgt_lang or tgt_lang or "en"
        seg.src_lang = seg.src_lang or src_lang or None
        count += 1
        yield seg
    if not count and lines is not None:
        if not lines.has_text:
            raise _empty(name)
        raise _no_segments(name)


def _not_blank(lines: Lines) -> Iterator[tuple[int, str]]:
    """``lines``, but an input of nothing but whitespace is "empty" before any parsing."""
    leading: list[tuple[int, str]] = []
    it = iter(lines)
    for item in it:
        leading.append(item)
        if item[1].strip():
            break
    if not lines.has_text:
        raise _empty(lines.name)
    yield from leading
    yield from it


def _resolve_format(mt: str, name: str, fmt: str | None) -> str:
    if fmt is None:
        return detect_format(mt)
    normalized = fmt.strip().lower()
    if normalized not in FORMATS:
        raise InputError(name, f"unknown input format {fmt!r}", hint=_FORMAT_HINT)
    return normalized


def _checked_load(path: str, stdin: TextIO | BinaryIO | None, fmt: str) -> Source:
    source = load(path, stdin=stdin, xml=fmt in ("xliff", "tmx"))
    if not source.text.strip():
        raise _empty(source.name)
    return source


def _empty(name: str) -> InputError:
    return InputError(
        name,
        "is empty: no segments to check",
        hint="give a file with one segment per line (or records, XLIFF/TMX units or PO entries)",
    )


def _no_segments(name: str) -> InputError:
    return InputError(
        name,
        "no segments: the input holds a header or markup but no text to check",
        hint="check that this is the right file",
    )


def _read(
    source: Source,
    fmt: str,
    *,
    src_lang: str | None,
    tgt_lang: str | None,
    skipped: dict[str, int] | None = None,
):
    if fmt == "text":
        segments = read_text(source)
    elif fmt == "tsv":
        segments = read_tabular(source, "\t")
    elif fmt == "csv":
        segments = read_tabular(source, ",")
    elif fmt == "jsonl":
        segments = read_jsonl(source)
    elif fmt == "xliff":
        segments = read_xliff(source, skipped)
    elif fmt == "po":
        segments = read_po(source, skipped)
    else:
        segments = read_tmx(source, src_lang=src_lang, tgt_lang=tgt_lang)
    if not segments:
        raise _no_segments(source.name)
    return segments


def _check_lengths(segments: Iterable[Segment], files: dict[str, str]) -> None:
    """``files`` names the file each side came from when it is not the MT's file."""
    limit = MAX_SEGMENT_CHARS
    for seg in segments:
        if (
            len(seg.mt) <= limit
            and len(seg.src or "") <= limit
            and len(seg.ref or "") <= limit
            and len(seg.bt or "") <= limit
        ):
            continue
        for side in ("mt", "src", "ref", "bt"):
            text = getattr(seg, side) or ""
            if len(text) > limit:
                where = f" ({side})" if side != "mt" else ""
                raise InputError(
                    files.get(side, files["mt"]),
                    f"segment {seg.id!r}{where} is {len(text):,} characters long; "
                    f"the limit is {limit:,}",
                    line=seg.meta.get(f"{side}_line", seg.line),
                    hint="split the text into sentences or paragraphs, one segment per line",
                )


def _check_unique_ids(name: str, segments: list[Segment]) -> None:
    if len({seg.id for seg in segments}) == len(segments):
        return
    seen: dict[str, Segment] = {}
    for seg in segments:
        first = seen.setdefault(seg.id, seg)
        if first is not seg:
            raise InputError(
                name,
                f"duplicate id {seg.id!r} (first used on line {first.line})",
                line=seg.line,
                hint="ids must be unique: reports and baselines are keyed on them",
            )
