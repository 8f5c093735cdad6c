"""The Dutch→English gazetteer (``data/gazetteer.nl-en.tsv``) and name helpers for N rules.

The gazetteer lists Dutch and Belgian institutions, parties, courts, agencies, companies,
newspapers, sports teams and events, and places, each with its Dutch forms, the English
forms a translation may use, and the word-by-word renderings MT produces that are wrong.
Rules T004 (institution-literal) and N008 (name-translated-src) flag those renderings;
N006 (name-missing-src) uses it to know that a Dutch name is present in the MT in its
English form ("Den Haag" = "The Hague").

TSV format (UTF-8, TAB-separated, ``#`` lines and blank lines ignored, first other line
the header; ``|`` separates alternatives inside a field):

``id``        unique key, shown in the evidence; usable in T004's ``disable`` option.
``kind``      ``name`` (an institution, event or team with an established English name),
              ``exonym`` (a place English writes its own way: Antwerpen → Antwerp) or
              ``keep`` (a name English keeps in Dutch: towns, companies, newspapers).
``type``      what it is (court, party, town ...), for readers of the list.
``country``   BE, NL, EU, INT ...
``nl``        the Dutch forms. A form starting with a lowercase letter also matches with
              a capital (sentence start); one starting uppercase matches exactly.
``en``        accepted English forms (case-insensitive); the first is the suggestion.
``literal``   wrong word-by-word renderings, matched case-sensitively as whole words (a
              leading "The" also matches "the"); may be empty.
``severity``  ``minor`` or ``major``.
``context``   empty (the literal is wrong anywhere), ``source`` (only when the segment's
              source has one of the Dutch forms), optionally followed by a space and
              ``unless:REGEX`` (not when REGEX matches the MT sentence, case-insensitive).
``source``    where the English name, or the keep-as-is convention, is documented.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from mtqc.checks._text import LazyPattern, Pattern, fold
from mtqc.errors import ConfigError
from mtqc.model import Severity

PATH = Path(__file__).parent / "data" / "gazetteer.nl-en.tsv"
COLUMNS = ("id", "kind", "type", "country", "nl", "en", "literal", "severity", "context", "source")
KINDS = ("name", "exonym", "keep")


@dataclass(frozen=True, slots=True)
class GazEntry:
    """One gazetteer entry."""

    id: str
    kind: str
    type: str
    country: str
    nl: tuple[str, ...]
    en: tuple[str, ...]
    literal: tuple[str, ...]
    severity: Severity
    needs_source: bool
    unless: Pattern | None
    source: str
    line: int
    nl_regex: Pattern  # any Dutch form, in a source text (compiled when first used)
    en_regex: Pattern  # any English form, in the MT (compiled when first used)


def _split(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split("|") if v.strip())


def _words(form: str) -> str:
    return r"\s+".join(re.escape(w) for w in form.split())


def dutch_form_regex(form: str) -> str:
    """A Dutch form as a case-sensitive pattern; a lowercase first letter may be capital."""
    body = _words(form)
    if form[:1].islower():
        body = f"[{form[0].upper()}{form[0]}]" + body[1:]
    return rf"(?<![\w-]){body}(?![\w-])"


def literal_regex(form: str) -> str:
    """A literal rendering as a case-sensitive pattern ("The X" also as "the X")."""
    body = _words(form)
    if form.startswith("The "):
        body = "[Tt]he" + body[3:]
    return rf"(?<![\w-]){body}(?![\w-])"


def load_gazetteer(path: Path | str = PATH) -> tuple[GazEntry, ...]:
    """Read and validate the gazetteer; errors name the file and the line."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"{path}: cannot read gazetteer ({err})") from err
    lines = [
        (n, line)
        for n, line in enumerate(raw.splitlines(), 1)
        if line.strip() and not line.startswith("#")
    ]
    if not lines:
        raise ConfigError(f"{path}: the gazetteer is empty (expected a header line)")
    header = [c.strip() for c in lines[0][1].split("\t")]
    if tuple(header) != COLUMNS:
        raise ConfigError(f"{path}:{lines[0][0]}: header must be {', '.join(COLUMNS)}")
    out: list[GazEntry] = []
    seen: set[str] = set()
    for n, line in lines[1:]:
        where = f"{path}:{n}"
        values = [v.strip() for v in line.split("\t")]
        if len(values) != len(COLUMNS):
            raise ConfigError(f"{where}: {len(values)} fields, expected {len(COLUMNS)}")
        row = dict(zip(COLUMNS, values, strict=True))
        for col in ("id", "kind", "nl", "en", "severity", "source"):
            if not row[col]:
                raise ConfigError(f"{where}: column '{col}' is empty")
        if row["id"] in seen:
            raise ConfigError(f"{where}: duplicate id '{row['id']}'")
        seen.add(row["id"])
        if row["kind"] not in KINDS:
            raise ConfigError(f"{where}: kind must be one of {', '.join(KINDS)}")
        context, _, unless_rx = row["context"].partition("unless:")
        if context.strip() not in ("", "source"):
            raise ConfigError(f"{where}: context must be empty, 'source' or '... unless:REGEX'")
        nl, en, literal = _split(row["nl"]), _split(row["en"]), _split(row["literal"])
        try:
            severity = Severity.parse(row["severity"])
            # checked now; compiled when first used (forms are escaped, so only the
            # context regex can be invalid)
            unless = LazyPattern(unless_rx, re.IGNORECASE) if unless_rx else None
            if unless is not None:
                re.compile(unless_rx, re.IGNORECASE)
            nl_regex = LazyPattern("|".join(dutch_form_regex(f) for f in nl))
            en_regex = LazyPattern(
                "|".join(
                    rf"(?<![\w-]){_words(f)}(?![\w-])" for f in sorted(en, key=len, reverse=True)
                ),
                re.IGNORECASE,
            )
        except (ValueError, re.error) as err:
            raise ConfigError(f"{where}: {err}") from err
        clash = {fold(x) for x in literal} & {fold(x) for x in en}
        if clash:
            raise ConfigError(f"{where}: literal {sorted(clash)} is also an accepted English form")
        out.append(
            GazEntry(
                row["id"],
                row["kind"],
                row["type"],
                row["country"],
                nl,
                en,
                literal,
                severity,
                context.strip() == "source",
                unless,
                row["source"],
                n,
                nl_regex,
                en_regex,
            )
        )
    return tuple(out)


@cache
def gazetteer() -> tuple[GazEntry, ...]:
    """The packaged gazetteer (read once)."""
    return load_gazetteer(PATH)


_SENT_END = ".!?:"
_OPENERS = " \u00a0“‘\"«('-–—"


def sentence_initial(text: str, start: int) -> bool:
    """True when ``text[start:]`` starts a sentence (or a quotation opening one)."""
    before = text[:start].rstrip(_OPENERS)
    return not before or before[-1] in _SENT_END


@dataclass(frozen=True, slots=True)
class SourceName:
    """A gazetteer name found in a source text."""

    entry: GazEntry
    start: int
    end: int
    text: str


_KEY_WORD_RE = re.compile(r"[^\W\d_]+")


@cache
def _by_key_word() -> dict[str, tuple[GazEntry, ...]]:
    """Entries by the longest word of each Dutch form (lower-cased): a pre-filter."""
    index: dict[str, list[GazEntry]] = {}
    for e in gazetteer():
        for form in e.nl:
            words = _KEY_WORD_RE.findall(form.lower())
            key = max(words, key=len) if words else form.lower()
            if e not in index.setdefault(key, []):
                index[key].append(e)
    return {k: tuple(v) for k, v in index.items()}


@lru_cache(maxsize=256)
def names_in_source(src: str) -> tuple[SourceName, ...]:
    """The gazetteer names in a Dutch text, longest first where they overlap.

    A one-word form that is also a sentence's first word is not taken for a name when
    the word is an ordinary Dutch word ("Geel" starting a sentence is "yellow", not the
    town), unless the form is a multi-word or hyphenated name.
    """
    from mtqc.checks._dictionary import senses  # late: the table loads on first use

    index = _by_key_word()
    words = set(_KEY_WORD_RE.findall(src.lower()))
    entries = {id(e): e for w in words for e in index.get(w, ())}
    found: list[SourceName] = []
    for e in sorted(entries.values(), key=lambda e: e.line):
        for m in e.nl_regex.finditer(src):
            word = m.group()
            one_word = " " not in word and "-" not in word
            if one_word and sentence_initial(src, m.start()) and senses(word.lower()):
                continue
            found.append(SourceName(e, m.start(), m.end(), word))
    found.sort(key=lambda s: (-(s.end - s.start), s.start))
    kept: list[SourceName] = []
    for s in found:
        if all(s.end <= k.start or s.start >= k.end for k in kept):
            kept.append(s)
    return tuple(sorted(kept, key=lambda s: s.start))


def rendered_in(entry: GazEntry, mt: str) -> bool:
    """True when the MT has an English form of ``entry`` or keeps its Dutch name."""
    return bool(entry.en_regex.search(mt)) or any(
        _contains_fold(fold(mt), fold(f)) for f in entry.nl
    )


def _contains_fold(haystack: str, needle: str) -> bool:
    return bool(re.search(rf"(?<![\w-]){re.escape(needle)}(?![\w-])", haystack))
