"""Dutch→English dictionary senses from the system's FreeDict database (when installed).

Debian's ``dict-freedict-nld-eng`` (FreeDict Dutch-English, GPL-2.0-or-later, 22,747
headwords, generated from Ergane) installs ``/usr/share/dictd/freedict-nld-eng.dict.dz``.
mtqc reads it at run time the way a spell checker reads a system dictionary: it is
never copied into mtqc. ``$MTQC_FREEDICT_NLD_ENG`` points to another copy of the file.
Without the file, :func:`available` is False and the rules that need senses stay quiet.

The dictd data file is a gzip-compatible dictzip; each entry is a headword line
``word /ipa/`` followed by sense lines, numbered (``1. affair, business, case``) or not.
"""

from __future__ import annotations

import gzip
import os
import re
from functools import cache
from pathlib import Path

DEFAULT_PATHS = (
    Path("/usr/share/dictd/freedict-nld-eng.dict.dz"),
    Path("/usr/local/share/dictd/freedict-nld-eng.dict.dz"),
)
_HEAD_RE = re.compile(r"^(\S[^/\n]*?) /[^/\n]*/\s*$")
_NUM_RE = re.compile(r"^\d+\.\s*")


def dictionary_path() -> Path | None:
    """The FreeDict nld-eng data file to read, or None when none is installed."""
    env = os.environ.get("MTQC_FREEDICT_NLD_ENG")
    candidates = (Path(env),) if env else DEFAULT_PATHS
    for path in candidates:
        if path.is_file():
            return path
    return None


def available() -> bool:
    """True when a Dutch→English dictionary can be read."""
    return bool(senses_table())


def parse_dictd(text: str) -> dict[str, tuple[tuple[str, ...], ...]]:
    """Parse dictd entries into ``{headword: (sense group, ...)}``.

    Each sense group is a tuple of English glosses (lower-cased, stripped). The database's
    own header entries (``00-database-…``) are skipped. Headwords are lower-cased; a
    headword that occurs twice gets the groups of both entries.
    """
    table: dict[str, list[tuple[str, ...]]] = {}
    head: str | None = None
    for line in text.splitlines():
        m = _HEAD_RE.match(line)
        if m:
            head = m.group(1).strip().lower()
            if head.startswith("00-database"):
                head = None
            continue
        if head is None or not line.strip():
            continue
        glosses = tuple(
            g.strip().lower().replace("\u2010", "-")
            for g in _NUM_RE.sub("", line.strip()).split(",")
            if g.strip()
        )
        if glosses:
            table.setdefault(head, []).append(glosses)
    return {k: tuple(v) for k, v in table.items()}


@cache
def senses_table() -> dict[str, tuple[tuple[str, ...], ...]]:
    """The whole installed dictionary (read once per process; about 0.2 s), or ``{}``."""
    path = dictionary_path()
    if path is None:
        return {}
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, EOFError, UnicodeDecodeError):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return {}
    return parse_dictd(text)


def senses(word: str) -> tuple[tuple[str, ...], ...]:
    """The sense groups of a Dutch headword (lower-cased lookup), ``()`` when unknown.

    ``senses("zaak")`` → ``(("affair", "business", "businessdeal", "case", "matter"),
    ("boutique", "shop", "store"))`` with the Debian package installed.
    """
    return senses_table().get(word.lower(), ())


def translations(word: str) -> frozenset[str]:
    """Every English gloss of a Dutch headword, all senses together (lower-cased)."""
    return frozenset(g for group in senses(word) for g in group)
