"""TSV and CSV with a header row, parsed with the standard ``csv`` module.

Fields may be quoted (RFC 4180: ``"..."``, a quote inside doubled) to hold tabs, commas or
line breaks; a segment's line is the line where its record starts. The parser is strict:
a field that opens a quote and does not close it properly is an error, never a silently
mangled text.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from mtqc.errors import InputError
from mtqc.model import Segment
from mtqc.readers.decode import MAX_SEGMENT_CHARS, Source, text_lines
from mtqc.readers.records import FieldMap, build_segment

_QUOTE_HINT = (
    "a field that starts with a double quote must be quoted whole, with its inner quotes "
    'doubled: write "Yes," she said. as """Yes,"" she said."'
)


def read_tabular(source: Source, delimiter: str) -> list[Segment]:
    """Read a loaded TSV (``delimiter="\\t"``) or CSV (``","``) file with a header row."""
    return list(iter_tabular(text_lines(source.text), source, delimiter))


def iter_tabular(
    numbered: Iterable[tuple[int, str]], source: Source, delimiter: str
) -> Iterator[Segment]:
    """Read a TSV (``delimiter="\\t"``) or CSV (``","``) input with a header row, record by
    record; ``numbered`` are its ``(line number, line)`` pairs, ``source`` names it."""
    kind = "TSV" if delimiter == "\t" else "CSV"
    last = [""]  # the physical line the csv reader took last

    def feed() -> Iterator[str]:
        for _, line in numbered:
            last[0] = line
            yield line

    reader = csv.reader(feed(), delimiter=delimiter, quotechar='"', strict=True)
    header: list[str] | None = None
    header_line = 0
    fields: FieldMap | None = None
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise _csv_error(source.name, kind, exc, start, reader.line_num) from None
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # blank line
        if header is None:
            header, header_line = row, start
            fields = _check_header(source.name, kind, header, header_line)
            continue
        if len(row) != len(header):
            raise InputError(
                source.name,
                f"row has {len(row)} fields but the header (line {header_line}) has {len(header)}",
                line=start,
                hint=(
                    f"a text that contains {'a tab' if kind == 'TSV' else 'a comma'} must "
                    'be quoted: "..."'
                ),
            )
        assert fields is not None
        raw = last[0].removesuffix("\n").removesuffix("\r") if reader.line_num == start else None
        seg = build_segment(
            dict(zip(header, row, strict=True)), fields, source=source, line=start, raw_line=raw
        )
        if raw is not None and raw.split(delimiter) == row:  # no quoting: exact positions
            k = header.index(fields.known["mt"])
            seg.mt_column = sum(len(f) + 1 for f in row[:k])
        yield seg


def _check_header(name: str, kind: str, header: list[str], line: int) -> FieldMap:
    seen: set[str] = set()
    for number, column in enumerate(header, start=1):
        if not column.strip():
            raise InputError(
                name,
                f"column {number} of the header has no name",
                line=line,
                hint="name every column in the first row (or remove a trailing delimiter)",
            )
        if column in seen:
            raise InputError(name, f"the header names column {column!r} twice", line=line)
        seen.add(column)
    fields = FieldMap(header, name=name, line=line, what="the header")
    if "mt" not in fields.known:
        found = ", ".join(repr(c) for c in header)
        sep = "<TAB>" if kind == "TSV" else ","
        raise InputError(
            name,
            f"{kind} has no 'mt' (or 'hyp') column; the columns found are: {found}",
            line=line,
            hint=(
                f"the first row must be a header naming the columns, e.g. id{sep}mt{sep}ref "
                "(optional: ref, src, bt, id, doc, src_lang, tgt_lang)"
            ),
        )
    return fields


def _csv_error(name: str, kind: str, exc: csv.Error, start: int, at: int) -> InputError:
    message = str(exc)
    if "field larger than field limit" in message:
        return InputError(
            name,
            f"a field of the record is over {csv.field_size_limit():,} characters long; "
            f"the limit for a segment is {MAX_SEGMENT_CHARS:,}",
            line=start,
            hint="split the text into sentences or paragraphs, one record each",
        )
    where = f" (the problem is on line {at})" if at > start else ""
    if "unexpected end of data" in message:
        problem = f"a quoted field that starts here is never closed{where}"
    else:
        problem = f"{kind} cannot be parsed: {message}{where}"
    return InputError(name, problem, line=start, hint=_QUOTE_HINT)
