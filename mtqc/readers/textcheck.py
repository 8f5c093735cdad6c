"""What text an input may hold, decided once for every reader.

Every string a reader produces — the MT, source, reference and back-translation, the id,
document and language fields, and every string (key or value) kept in ``Segment.meta`` —
must be text that every output and store can hold:

* no NUL (U+0000): PostgreSQL cannot store it and terminals and XML outputs cannot show
  it (JSON writes it as ``\\u0000``, XLIFF 2.0 as ``<cp hex="0"/>``);
* no unpaired surrogate (U+D800–U+DFFF): not a character at all, it cannot be encoded as
  UTF-8 (JSON ``"\\ud800"`` without its low half, XLIFF 2.0 ``<cp hex="D800"/>``);
* metadata nested at most :data:`MAX_META_DEPTH` levels deep.

Other control characters are allowed: rule W005 flags them where they matter.
A violation is an :class:`~mtqc.errors.InputError` naming the file, the line, the field,
the character and its position, and what to do.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from mtqc.errors import InputError
from mtqc.model import Segment

#: how deep metadata (extra JSONL fields) may nest: objects in lists in objects ...
MAX_META_DEPTH = 32

_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")
_FIELDS = ("mt", "src", "ref", "bt", "id", "doc_id", "src_lang", "tgt_lang")
_FIELD_NAMES = {"doc_id": "doc"}


def check_segments(segments: list[Segment], files: Mapping[str, str]) -> None:
    """Raise :class:`InputError` for the first string no output could hold.

    ``files`` maps a side (``mt``, ``ref``, ``src``, ``bt``) to the file it came from.
    """
    search = _FORBIDDEN.search
    for seg in segments:
        for field in _FIELDS:
            value = getattr(seg, field)
            if value and search(value):
                side = field if field in ("src", "ref", "bt") else "mt"
                name = files.get(side, files["mt"])
                line = seg.meta.get(f"{side}_line", seg.line) if side != "mt" else seg.line
                raise _bad_char(name, line, _FIELD_NAMES.get(field, field), value)
        if seg.meta:
            _check_meta(seg, files["mt"])


def _check_meta(seg: Segment, name: str) -> None:
    stack: list[tuple[Any, str, int]] = [(seg.meta, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            if _FORBIDDEN.search(value):
                raise _bad_char(name, seg.line, path or "metadata", value)
            continue
        if isinstance(value, float) and not math.isfinite(value):
            raise InputError(
                name,
                f"field {path!r} holds {value!r}, which is not a JSON number",
                line=seg.line,
                hint="write a number, null or a string instead of NaN or Infinity",
            )
        if not isinstance(value, dict | list):
            continue
        if depth > MAX_META_DEPTH:
            top = path.split(".")[0].split("[")[0]
            raise InputError(
                name,
                f"field {top!r} is nested more than {MAX_META_DEPTH} levels deep",
                line=seg.line,
                hint="flatten the extra fields, or leave them out of the file given to mtqc",
            )
        if isinstance(value, dict):
            for k, v in value.items():
                key = str(k)
                if _FORBIDDEN.search(key):
                    raise _bad_char(name, seg.line, "a field name", key)
                stack.append((v, f"{path}.{key}" if path else key, depth + 1))
        else:
            for i, v in enumerate(value):
                stack.append((v, f"{path}[{i}]", depth + 1))


def forbidden_char(value: str) -> str | None:
    """``"a NUL character (U+0000)"`` / ``"an unpaired surrogate U+D800"``, or None."""
    m = _FORBIDDEN.search(value)
    if m is None:
        return None
    ch = m.group()
    return "a NUL character (U+0000)" if ch == "\0" else f"an unpaired surrogate U+{ord(ch):04X}"


def _bad_char(name: str, line: int | None, field: str, value: str) -> InputError:
    m = _FORBIDDEN.search(value)
    assert m is not None
    ch = m.group()
    pos = m.start()
    if ch == "\0":
        what = "a NUL character (U+0000)"
        hint = (
            "remove it from the input (in JSON it is written \\u0000, in XLIFF 2.0 "
            '<cp hex="0"/>): mtqc checks text, and no report or store can hold NUL'
        )
    else:
        what = f"an unpaired surrogate U+{ord(ch):04X} (not a character)"
        hint = (
            "fix the text where it was produced: in JSON a \\ud800-\\udbff escape must be "
            "followed by its \\udc00-\\udfff partner, in XLIFF 2.0 a <cp> must name a real "
            "character; or remove it"
        )
    return InputError(
        name,
        f"field {field!r} holds {what} at character {pos + 1}",
        line=line or None,
        hint=hint,
    )
