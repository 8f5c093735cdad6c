"""Small, stable text helpers shared by rule modules (not a rule module itself).

Everything here works on code-point offsets, like :class:`~mtqc.model.Hit`.
Keep it small: rule authors import from it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

#: A word: letters/digits, with inner apostrophes or hyphens ("don't", "don’t", "well-known").
WORD_RE = re.compile(r"\w+(?:['’\-]\w+)*")

#: Latin letters (incl. accented) — used to decide whether a text is Latin-script.
_LATIN_LETTER_RE = re.compile(r"[A-Za-z\u00c0-\u024f]")
_ANY_LETTER_RE = re.compile(r"[^\W\d_]")

#: A whitespace-delimited token that looks like a URL, e-mail address or domain.
URL_RE = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\w+", re.IGNORECASE)


def words(text: str) -> list[tuple[int, int, str]]:
    """The words of ``text`` as ``(start, end, word)`` code-point spans."""
    return [(m.start(), m.end(), m.group()) for m in WORD_RE.finditer(text)]


#: A run of letters and digits: the words of term-list keys and of the lines they match.
ALNUM_RUN_RE = re.compile(r"[^\W_]+")


@lru_cache(maxsize=256)
def lower_words(text: str) -> frozenset[str]:
    """The lowercased runs of letters and digits of ``text`` (``"Don't-stop"`` →
    ``{"don", "t", "stop"}``): a cheap test of whether a rule's trigger words occur at
    all, shared by the rules that ask it of the same line."""
    return frozenset(ALNUM_RUN_RE.findall(text.lower()))


@lru_cache(maxsize=1024)
def lang_base(tag: str | None) -> str:
    """The primary language subtag, lowercased: ``"fr-CA"`` → ``"fr"``; ``None`` → ``""``.
    (Memoised: every rule asks it of the same few tags, ~25 times a segment.)"""
    if not tag:
        return ""
    return tag.replace("_", "-").split("-", 1)[0].lower()


def is_latin_script(text: str, threshold: float = 0.8) -> bool:
    """True when at least ``threshold`` of the letters in ``text`` are Latin letters."""
    if text.isascii():
        return _ANY_LETTER_RE.search(text) is not None
    letters = _ANY_LETTER_RE.findall(text)
    if not letters:
        return False
    latin = len(_LATIN_LETTER_RE.findall(text))
    return latin / len(letters) >= threshold


def fold(text: str) -> str:
    """Lowercase and strip diacritics (``"Zelenskyi"`` ~ ``"Zélenskyi"``) for comparisons."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def url_spans(text: str) -> list[tuple[int, int]]:
    """Spans of URLs, e-mail addresses and ``www.`` hosts; rules skip matches inside them."""
    if "." not in text:
        return []
    return [m.span() for m in URL_RE.finditer(text)]


def inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    """True when ``pos`` falls inside one of the half-open ``spans``."""
    return any(s <= pos < e for s, e in spans)


# Words after which "." is an abbreviation point, so ".," / ".:" / ". lowercase" is fine.
_ABBREVIATION_WORDS = """
etc al vs cf ca approx incl excl esp resp viz inc ltd co corp llc plc jr sr mr mrs ms dr
prof gen col lt sgt capt gov sen rep rev st ave blvd no nos vol vols fig figs p pp ed eds ch
sec min max avg est dept govt univ assn bros jan feb mar apr jun jul aug sep sept oct nov dec
mon tue tues wed thu thur thurs fri sat sun ft oz lb lbs yd sq hr hrs
"""
#: Words after which "." is an abbreviation point (lowercase, without the dot).
ABBREVIATIONS = frozenset(_ABBREVIATION_WORDS.split())


def word_before(text: str, pos: int) -> str:
    """The run of letters and dots that ends at ``pos`` (e.g. ``"e.g"``, ``"U.S"``, ``"etc"``)."""
    i = pos
    while i > 0 and (text[i - 1].isalpha() or text[i - 1] == "."):
        i -= 1
    return text[i:pos].strip(".")


def is_abbreviation(word: str) -> bool:
    """``word`` (without its final dot) reads as an abbreviation: ``e.g``, ``U.S``, ``Inc``, ``J``."""
    return "." in word or len(word) == 1 or word.lower() in ABBREVIATIONS


class LazyPattern:
    """A regular expression compiled when first used, for the large packaged lexicons
    (term lists, gazetteer): a run compiles only the entries whose key words occur in
    its lines, instead of some 2,000 patterns at start (about 0.5 s). Has the
    ``finditer``/``search``/``match``/``fullmatch`` methods of :class:`re.Pattern`;
    ``compiled`` gives the pattern itself (and raises :class:`re.error` when invalid:
    the packaged lists are compiled whole by the tests)."""

    __slots__ = ("pattern", "flags", "_compiled")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self.flags = flags
        self._compiled: re.Pattern[str] | None = None

    @property
    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(self.pattern, self.flags)
        return self._compiled

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return self.compiled.finditer(text)

    def search(self, text: str) -> re.Match[str] | None:
        return self.compiled.search(text)

    def match(self, text: str) -> re.Match[str] | None:
        return self.compiled.match(text)

    def fullmatch(self, text: str) -> re.Match[str] | None:
        return self.compiled.fullmatch(text)

    def __repr__(self) -> str:
        return f"LazyPattern({self.pattern!r}, {self.flags})"


#: a compiled pattern, or one compiled when first used
Pattern = re.Pattern[str] | LazyPattern


@lru_cache(maxsize=512)
def number_symbols(lang: str | None) -> tuple[str, str] | None:
    """The CLDR thousands-group and decimal symbols of a language tag, from Babel.

    ``"de"`` → ``(".", ",")``, ``"en-US"`` → ``(",", ".")``, ``"fr"`` → ``("\\u202f", ",")``,
    ``"de-CH"`` → ``("’", ".")``; None for an unknown or empty tag.
    """
    if not lang:
        return None
    try:
        from babel import Locale, UnknownLocaleError
        from babel.numbers import get_decimal_symbol, get_group_symbol
    except ImportError:  # pragma: no cover - babel is a core dependency
        return None
    try:
        loc = Locale.parse(lang.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        try:
            loc = Locale.parse(lang_base(lang))
        except (UnknownLocaleError, ValueError, TypeError):
            return None
    return get_group_symbol(loc), get_decimal_symbol(loc)
