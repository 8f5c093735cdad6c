"""S rules: the MT compared with its Dutch source (and back-translation), Dutch→English.

* **S001** a Dutch false friend in the source rendered by its English look-alike
  (``data/false_friends.nl-en.tsv``).
* **S003** a negation in a source sentence that the MT sentence lacks.
* **S004** a divergence between the source and the back-translation, mapped to the MT.

The rules apply when the target is English and the source language is Dutch (or not
given). Rules that need word senses read the system dictionary
(:mod:`mtqc.checks._dictionary`) and stay quiet where it is not installed.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from mtqc.checks import _dictionary as nl_dict
from mtqc.checks._text import lang_base
from mtqc.checks.base import rule
from mtqc.errors import ConfigError
from mtqc.model import Hit, Segment, Severity

DATA = Path(__file__).parent / "data"
FALSE_FRIENDS = DATA / "false_friends.nl-en.tsv"
_FF_COLUMNS = ("id", "dutch", "english", "right", "severity", "context", "source", "why")
_WORD_RE = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")


def dutch_to_english(seg: Segment) -> bool:
    """True when the segment is Dutch→English (source language Dutch or not given)."""
    return lang_base(seg.src_lang) in ("nl", "") and (lang_base(seg.tgt_lang) or "en") == "en"


def _whole(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-])(?:{pattern})(?![\w-])", re.IGNORECASE)


# =========================================================================== S001


@dataclass(frozen=True, slots=True)
class FalseFriend:
    """One entry of the false-friend list."""

    id: str
    dutch: re.Pattern[str]
    english: re.Pattern[str]
    right: tuple[str, ...]
    severity: Severity
    only: re.Pattern[str] | None
    unless: re.Pattern[str] | None
    source: str
    why: str
    line: int


def load_false_friends(path: Path | str = FALSE_FRIENDS) -> list[FalseFriend]:
    """Read and validate a false-friend TSV (columns in the file's header comment).

    Raises :class:`~mtqc.errors.ConfigError` naming the file, the line and the problem.
    """
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"{path}: cannot read false-friend list ({err})") from err
    lines = [(n, x) for n, x in enumerate(raw.splitlines(), 1) if x.strip() and x[0] != "#"]
    if not lines or tuple(c.strip() for c in lines[0][1].split("\t")) != _FF_COLUMNS:
        raise ConfigError(f"{path}: the header must be {' TAB '.join(_FF_COLUMNS)}")
    out: list[FalseFriend] = []
    seen: set[str] = set()
    for n, line in lines[1:]:
        values = next(csv.reader([line], delimiter="\t", quoting=csv.QUOTE_NONE))
        if len(values) != len(_FF_COLUMNS):
            raise ConfigError(f"{path}:{n}: {len(values)} fields, expected {len(_FF_COLUMNS)}")
        row = dict(zip(_FF_COLUMNS, (v.strip() for v in values), strict=True))
        for col in ("id", "dutch", "english", "right", "severity", "source", "why"):
            if not row[col]:
                raise ConfigError(f"{path}:{n}: column '{col}' is empty")
        if row["id"] in seen:
            raise ConfigError(f"{path}:{n}: duplicate id '{row['id']}'")
        seen.add(row["id"])
        only = unless = None
        try:
            if row["context"]:
                kind, _, rx = row["context"].partition(":")
                if kind not in ("only", "unless") or not rx:
                    raise ConfigError(f"{path}:{n}: context must be 'only:REGEX' or 'unless:REGEX'")
                if kind == "only":
                    only = re.compile(rx, re.IGNORECASE)
                else:
                    unless = re.compile(rx, re.IGNORECASE)
            entry = FalseFriend(
                id=row["id"],
                dutch=_whole(row["dutch"]),
                english=_whole(row["english"]),
                right=tuple(r.strip() for r in row["right"].split("|") if r.strip()),
                severity=Severity.parse(row["severity"]),
                only=only,
                unless=unless,
                source=row["source"],
                why=row["why"],
                line=n,
            )
        except (re.error, ValueError) as err:
            raise ConfigError(f"{path}:{n}: {err}") from err
        out.append(entry)
    return out


@cache
def _false_friends() -> tuple[FalseFriend, ...]:
    return tuple(load_false_friends(FALSE_FRIENDS))


def _t001_spans(seg: Segment) -> list[tuple[int, int]]:
    """Spans T001 already flags on this segment (S001 leaves them to T001)."""
    from mtqc.checks.terms import DATA as TERMS_DATA
    from mtqc.checks.terms import _cached_list, match_entries

    return [
        (s, e)
        for s, e, _ in match_entries(_cached_list(str(TERMS_DATA / "calques.nl-en.tsv")), seg)
    ]


def _other_glosses(src: str, skip: list[tuple[int, int]]) -> frozenset[str]:
    """English glosses of the source words outside ``skip`` (empty without a dictionary)."""
    out: set[str] = set()
    for m in _WORD_RE.finditer(src):
        if any(m.start() < e and m.end() > s for s, e in skip):
            continue
        out |= nl_dict.word_translations(m.group())
    return frozenset(out)


def _nearest(src_hits: list[re.Match[str]], mt_hits: list[re.Match[str]], src: str, mt: str):
    """The MT matches closest (by relative position) to the source matches, one each."""
    if len(mt_hits) <= len(src_hits):
        return mt_hits
    free = list(mt_hits)
    chosen = []
    for d in src_hits:
        rel = d.start() / max(1, len(src))
        best = min(free, key=lambda m: abs(m.start() / max(1, len(mt)) - rel))
        free.remove(best)
        chosen.append(best)
    return sorted(chosen, key=lambda m: m.start())


@rule(
    "S001",
    "source-false-friend",
    "major",
    "accuracy/mistranslation",
    needs=("src",),
    options={"disable": []},
)
def source_false_friend(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """A Dutch false friend in the source rendered by its English look-alike.

    What it flags: an English word in the MT that looks like a Dutch word of the source but
    means something else, from the list ``data/false_friends.nl-en.tsv`` (over a hundred
    entries: ‘parquet’ for Belgian "parket" (the prosecutor's office), ‘monsters’ for
    "monsters" (samples), ‘recipe’ for "recept" (prescription), ‘trekkers’ for "trekkers"
    (tractors), ‘exploiter’ for "uitbater" (operator), ‘curator’ for "curator" (bankruptcy
    administrator)…). It flags only when the source has the Dutch word, some entries only
    in a context (‘monsters’ when the source speaks of samples being taken or analysed),
    and not when another word of the source translates to the English word (with the
    system dictionary). Spans that T001 already flags are left to T001. Option
    ``disable``: entry ids to switch off.
    Why it matters: the English look-alike reads fluently, so a reader trusts it, but it
    says something else than the source.
    Example: ``According to the ⟦parquet⟧, the suspect fled.`` with source "Volgens het
    parket is de verdachte gevlucht."
    Use instead: the entry's rendering: ``public prosecutor's office``.
    """
    if not dutch_to_english(seg):
        return
    src, mt = seg.src or "", seg.mt
    disabled = frozenset(opts.get("disable", ()))
    taken = _t001_spans(seg)
    glosses: frozenset[str] | None = None
    for e in _false_friends():
        if e.id in disabled:
            continue
        mt_hits = list(e.english.finditer(mt))
        if not mt_hits:
            continue
        src_hits = list(e.dutch.finditer(src))
        if not src_hits:
            continue
        if (e.only and not e.only.search(src)) or (e.unless and e.unless.search(src)):
            continue
        if glosses is None:
            glosses = _other_glosses(src, [])
        for m in _nearest(src_hits, mt_hits, src, mt):
            word = m.group().lower()
            # another source word (not the look-alike) translates to this English word
            others = _other_glosses(src, [d.span() for d in src_hits]) if word in glosses else ()
            if word in others:
                continue
            if any(m.start() < t_end and m.end() > t_start for t_start, t_end in taken):
                continue
            dutch = ", ".join(dict.fromkeys(d.group() for d in src_hits))
            yield Hit(
                m.start(),
                m.end(),
                f"{e.why} The source has “{dutch}”.",
                suggestions=e.right,
                evidence={"entry": e.id, "source_words": dutch, "reference": e.source},
                severity=e.severity,
            )
