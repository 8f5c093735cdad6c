"""JSON Lines: one JSON object per line (``.jsonl`` / ``.ndjson``); blank lines skipped."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from mtqc.errors import InputError
from mtqc.model import Segment
from mtqc.readers.decode import Source, text_lines
from mtqc.readers.records import FieldMap, build_segment

_JSON_TYPES = {list: "array", str: "string", int: "number", float: "number", bool: "boolean"}


class _NotJson(ValueError):
    """NaN / Infinity: Python's json reads them, JSON does not have them."""


def _reject_constant(name: str) -> float:
    raise _NotJson(name)


def _json_text(text: str) -> str:
    """How JSON writes a string's content (between its quotes), escapes included."""
    return json.dumps(text, ensure_ascii=False)[1:-1]


def read_jsonl(source: Source) -> list[Segment]:
    """One :class:`Segment` per object of a loaded source."""
    return list(iter_jsonl(text_lines(source.text), source))


def iter_jsonl(numbered: Iterable[tuple[int, str]], source: Source) -> Iterator[Segment]:
    """One :class:`Segment` per object; keys as in :mod:`mtqc.readers.records`.
    ``numbered`` are the ``(line number, line)`` pairs of the input; ``source`` names it."""
    decoder = json.JSONDecoder(parse_constant=_reject_constant)
    field_maps: dict[tuple[str, ...], FieldMap] = {}  # records mostly share their keys
    for number, line in numbered:
        line = line.removesuffix("\n")
        if not line.strip():
            continue
        try:
            record = decoder.decode(line)
        except json.JSONDecodeError as exc:
            raise InputError(
                source.name,
                f"line is not valid JSON (column {exc.colno}): {exc.msg}",
                line=number,
                hint='each line must hold one complete JSON object, e.g. {"id": "1", "mt": "..."}',
            ) from None
        except _NotJson as exc:
            raise InputError(
                source.name,
                f"line holds {exc.args[0]}, which is not JSON",
                line=number,
                hint="write a number, null or a string instead",
            ) from None
        except RecursionError:
            raise InputError(
                source.name,
                "line holds JSON nested too deeply to read",
                line=number,
                hint="flatten the record: mtqc reads flat records with string fields",
            ) from None
        except ValueError as exc:  # e.g. an integer of more than 4,300 digits
            raise InputError(
                source.name,
                f"line holds a value mtqc cannot read: {str(exc).split(';')[0]}",
                line=number,
                hint="write very long numbers as strings, or leave them out",
            ) from None
        if not isinstance(record, dict):
            raise InputError(
                source.name,
                f"line holds a JSON {_JSON_TYPES.get(type(record), 'value')}, not an object",
                line=number,
                hint='each line must hold one JSON object, e.g. {"id": "1", "mt": "..."}',
            )
        keys = tuple(record)
        fields = field_maps.get(keys)
        if fields is None:
            fields = FieldMap(keys, name=source.name, line=number, what="the record")
            field_maps[keys] = fields
        yield build_segment(
            record, fields, source=source, line=number, raw_line=line, encode=_json_text
        )
