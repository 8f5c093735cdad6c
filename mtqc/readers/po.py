"""gettext PO/POT (``.po``, ``.pot``), parsed with :mod:`polib`.

Each entry is a segment: ``msgid`` → src, ``msgstr`` → mt. A plural entry gives one
segment per ``msgstr[n]``, with ``msgid_plural`` as the source of every form after the
first (id ``<stem>:<line>[n]``). ``segment.line`` is the entry's first line (its comments
included), the id ``<stem>:<line>``. ``msgctxt``, the ``#:`` occurrences (``"file:line"``),
the ``#,`` flags, the comments and ``fuzzy`` (a translation the translator did not confirm)
go to ``meta``. The header's ``Language`` is the target language. Obsolete entries
(``#~``) are not segments: they are counted in ``skipped["obsolete"]``. An untranslated
entry (empty ``msgstr``, as in every ``.pot`` template) is read with an empty MT, which
rule U006 flags.
"""

from __future__ import annotations

import os
from typing import Any

import polib

from mtqc.errors import InputError
from mtqc.model import Segment
from mtqc.readers.decode import Source


def read_po(source: Source, skipped: dict[str, int] | None = None) -> list[Segment]:
    """Read a gettext PO/POT file (already decoded as UTF-8)."""
    if _looks_like_a_path(source.text):
        raise _not_po(source.name, "it holds a file name, not PO entries", None)
    try:
        po = polib.pofile(source.text, wrapwidth=0)
    except Exception as exc:  # noqa: BLE001 - polib raises OSError, ValueError, ... on bad input
        message = str(exc) or type(exc).__name__
        line = None
        marker = "(line "
        if marker in message:
            digits = message.split(marker, 1)[1].split(")")[0]
            line = int(digits) if digits.isdigit() else None
        raise _not_po(source.name, message, line) from None
    tgt_lang = (po.metadata.get("Language") or "").strip().replace("_", "-")
    segments: list[Segment] = []
    obsolete = 0
    for entry in po:
        if entry.obsolete:
            obsolete += 1
            continue
        meta: dict[str, Any] = {}
        if entry.msgctxt is not None:
            meta["msgctxt"] = entry.msgctxt
        if entry.occurrences:
            meta["occurrences"] = [f"{f}:{n}" if n else f for f, n in entry.occurrences]
        if entry.flags:
            meta["flags"] = list(entry.flags)
        if entry.fuzzy:
            meta["fuzzy"] = True
        if entry.comment:
            meta["comment"] = entry.comment
        if entry.tcomment:
            meta["translator_comment"] = entry.tcomment
        line = int(entry.linenum or 0)
        common = {
            "tgt_lang": tgt_lang,
            "doc_id": source.stem,
            "line": line,
            "source_file": source.name,
            "mt_column": None,
        }
        base = f"{source.stem}:{line}"
        if entry.msgid_plural:
            forms = sorted(entry.msgstr_plural.items()) or [(0, "")]
            for n, text in forms:
                segments.append(
                    Segment(
                        id=f"{base}[{n}]",
                        mt=text or "",
                        src=entry.msgid if int(n) == 0 else entry.msgid_plural,
                        meta={**meta, "plural_form": int(n)},
                        **common,
                    )
                )
            continue
        segments.append(
            Segment(id=base, mt=entry.msgstr or "", src=entry.msgid, meta=meta, **common)
        )
    if obsolete and skipped is not None:
        skipped["obsolete"] = skipped.get("obsolete", 0) + obsolete
    if not segments:
        raise InputError(
            source.name,
            "no segments: the PO file has no entries"
            + (f" (only {obsolete} obsolete ones)" if obsolete else ""),
            hint="check that this is the translated catalogue",
        )
    return segments


def _looks_like_a_path(text: str) -> bool:
    """polib reads a string that names an existing file as that file: never let it."""
    candidate = text.strip()
    if not candidate or "\n" in candidate or len(candidate) > 4096:
        return False
    try:
        return os.path.isfile(candidate) or os.path.isfile(text)
    except (OSError, ValueError):
        return False


def _not_po(name: str, problem: str, line: int | None) -> InputError:
    return InputError(
        name,
        f"cannot be read as a gettext PO file: {problem}",
        line=line,
        hint="check the file with `msgfmt --check-format -o /dev/null FILE`",
    )
