"""Tell the format of a file whose extension says nothing (``out.hyp``, ``newstest.zh-en.en``).

The first bytes decide: an XML document whose root is ``<xliff>`` or ``<tmx>``; a gettext
catalogue (a ``msgid "..."`` line); JSON lines (the first non-blank line a JSON object);
anything else is plain text, one segment per line, as sacrebleu reads it. Only the start
of the file is read here; the reader then checks the whole file as usual.
"""

from __future__ import annotations

import json
import re

#: how much of the file is looked at
SNIFF_BYTES = 65_536

_PROLOG = re.compile(
    r"\A(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>)*", re.S | re.I
)
_ROOT = re.compile(r"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_PO_LINE = re.compile(r'^msgid\s+"', re.M)


def sniff(head: bytes) -> str:
    """The format name for a file starting with ``head`` (``"text"`` when unsure)."""
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    body = text[_PROLOG.match(text).end() :]  # type: ignore[union-attr]
    if body.startswith("<"):
        root = _ROOT.match(body)
        name = root.group(2).lower() if root else ""
        if name in ("xliff", "tmx"):
            return name
        return "text"
    if _PO_LINE.search(text) and re.search(r'^msgstr(\[\d+\])?\s+"', text, re.M):
        return "po"
    first = next((line for line in text.split("\n") if line.strip()), "")
    if first.lstrip().startswith("{"):
        try:
            record = json.loads(first)
        except ValueError:
            return "text"
        if isinstance(record, dict):
            return "jsonl"
    return "text"
