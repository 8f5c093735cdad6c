"""Records (a TSV/CSV row, a JSONL object) to segments: one field mapping for all.

Known fields: ``mt`` (or ``hyp``), ``ref``, ``src``, ``bt``, ``id``, ``doc`` (or ``doc_id``),
``src_lang``, ``tgt_lang``. Every other field goes to ``Segment.meta`` unchanged, so
nothing the user gave is lost. Field names match case-insensitively.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mtqc.errors import InputError
from mtqc.model import Segment
from mtqc.readers.decode import Source

#: canonical name -> accepted spellings
ALIASES: dict[str, tuple[str, ...]] = {
    "mt": ("mt", "hyp"),
    "ref": ("ref",),
    "src": ("src",),
    "bt": ("bt",),
    "id": ("id",),
    "doc": ("doc", "doc_id"),
    "src_lang": ("src_lang",),
    "tgt_lang": ("tgt_lang",),
}
_CANONICAL = {alias: name for name, aliases in ALIASES.items() for alias in aliases}


class FieldMap:
    """Which input key holds which canonical field, for one set of keys."""

    def __init__(self, keys: Iterable[str], *, name: str, line: int | None, what: str):
        self.known: dict[str, str] = {}  # canonical -> key as written
        self.extra: list[str] = []
        for key in keys:
            canonical = _CANONICAL.get(str(key).strip().lower())
            if canonical is None:
                self.extra.append(key)
            elif canonical in self.known:
                raise InputError(
                    name,
                    f"{what} has both {self.known[canonical]!r} and {key!r}, "
                    f"which both mean {canonical!r}",
                    line=line,
                    hint="keep only one of them",
                )
            else:
                self.known[canonical] = key


def _text(value: Any, field: str, name: str, line: int) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise InputError(
        name,
        f"field {field!r} must be a string, not {type(value).__name__} ({value!r:.40})",
        line=line,
        hint='quote the value, e.g. "mt": "..."',
    )


def _optional(values: Mapping[str, Any], field: str, name: str, line: int) -> str | None:
    value = values.get(field)
    if not value:
        if value is None or value == "":
            return None
        return _text(value, field, name, line)  # 0, False, [] ...: raises
    return value if isinstance(value, str) else _text(value, field, name, line)


def build_segment(
    record: Mapping[str, Any],
    fields: FieldMap,
    *,
    source: Source,
    line: int,
    raw_line: str | None = None,
    encode=None,
) -> Segment:
    """Make a :class:`Segment` from one record; ``line`` is where the record starts.

    ``raw_line`` is the record's physical line when the record fits on one line, and
    ``encode(mt)`` how the format writes the MT text (default: verbatim); together they
    locate ``Segment.mt_column`` (see :func:`mt_column`).
    """
    name = source.name
    values = {canonical: record.get(key) for canonical, key in fields.known.items()}
    mt = values.get("mt")
    if mt is None:
        raise InputError(
            name,
            "record has no 'mt' (or 'hyp') field",
            line=line,
            hint="every record needs the MT text in an 'mt' field",
        )
    if not isinstance(mt, str):
        _text(mt, fields.known["mt"], name, line)
    raw_id = values.get("id")
    if raw_id is None or raw_id == "":
        seg_id = f"{source.stem}:{line}"
    elif isinstance(raw_id, str | int) and not isinstance(raw_id, bool):
        seg_id = str(raw_id).strip() or f"{source.stem}:{line}"
    else:
        raise InputError(
            name,
            f"field 'id' must be a string or an integer, not {type(raw_id).__name__}",
            line=line,
        )
    return Segment(
        id=seg_id,
        mt=mt,
        src=_optional(values, "src", name, line),
        ref=_optional(values, "ref", name, line),
        bt=_optional(values, "bt", name, line),
        src_lang=_optional(values, "src_lang", name, line),
        tgt_lang=_optional(values, "tgt_lang", name, line) or "",
        doc_id=_optional(values, "doc", name, line) or source.stem,
        line=line,
        source_file=name,
        meta={key: record[key] for key in fields.extra if key in record},
        mt_column=mt_column(raw_line, mt, encode),
    )


def mt_column(raw_line: str | None, mt: str, encode=None) -> int | None:
    """Where ``mt`` starts on ``raw_line`` (0-based code points), or None when unknown.

    Known only when the format writes the MT verbatim (``encode(mt) == mt``: no escapes,
    no doubled quotes) and it occurs exactly once on the line; otherwise a column would
    be a guess, and a wrong column is worse than none.
    """
    if raw_line is None or not mt:
        return None
    written = encode(mt) if encode is not None else mt
    if written != mt or raw_line.count(mt) != 1:
        return None
    return raw_line.index(mt)
