"""Number, time, date and unit conventions of the source language kept in an English
target (N010): "85.000 visitors", "2,5 million", "22u15", "until 1/10", "90 km/u".

Each finder is a small regex with guards for the English wordings that look alike
(decimals "1.085 dollars", thousands "2,500", lists "1,2 and 3", fractions "2/3",
"24/7", versions "3.100"). When the source is given, the same written form in the
source confirms that the MT copied the source's convention; a source that writes the
figure the English way ("1,085" = 1.085) vetoes the flag.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from mtqc.checks._text import lang_base, number_symbols
from mtqc.checks.base import rule
from mtqc.checks.untranslated import is_dutch_line
from mtqc.model import Hit, Segment, Severity

#: Source languages that write 85.000 / 2,5 / day-month dates (the default assumption
#: when the source language is unknown is *not* made: only the safe cases are flagged).
_DAY_FIRST_LIST = "nl de fr es it pt da sv no nb nn fi pl cs sk sl hr ro hu tr id ru uk"
DAY_FIRST_LANGS = frozenset(_DAY_FIRST_LIST.split())

_MONTH_LIST = (
    "January February March April May June July August September October November December"
)
MONTHS = _MONTH_LIST.split()
_B = r"(?<![\w.,/:\u00a3$\u20ac-])"  # not glued to a word, a number or a code before
_E = r"(?![\w/]|[.,:]\d)"  # not glued to a word, a number or a code after

# --------------------------------------------------------------------------- finders

_THOUSANDS_RE = re.compile(rf"(?<![\w.,/:-])(\d{{1,3}}(?:\.\d{{3}})+)(,\d+)?{_E}")
_DEC_COMMA_RE = re.compile(rf"(?<![\w.,/:-])(\d{{1,3}}),(\d{{1,2}}){_E}")
_COUNT_NOUN_RE = re.compile(
    r"[ \u00a0](?:people|persons|visitors|inhabitants|residents|jobs|homes|houses|"
    r"households|participants|spectators|fans|students|pupils|children|employees|"
    r"workers|staff|cases|victims|deaths|dead|cars|vehicles|signatures|members|"
    r"passengers|tickets|votes|voters|refugees|soldiers|troops|animals|trees|"
    r"vacancies|places|beds|copies|users|customers|patients|companies|families|"
    r"[A-Z][a-z]+ers)\b"
)
_VERSION_BEFORE_RE = re.compile(
    r"(?:version|versions|v|release|build|update|firmware|python|ios|android|windows|"
    r"chapter|section|article|paragraph|rule|verse|psalm|no|nr|number)\.?[ \u00a0]*$",
    re.IGNORECASE,
)
#: Precise measurements may keep trailing zeros ("1.250 kg", "1.230 seconds").
_PRECISE_UNIT_AFTER_RE = re.compile(
    r"[ \u00a0]?(?:s|secs?|seconds?|ms|mg|g|kg|mm|cm|m|ml|l|carats?|ct|V|A|Hz|GHz)(?![\w])"
)
_DEC_UNIT_AFTER_RE = re.compile(
    r"[ \u00a0]?(?:million|billion|thousand|trillion|mln|bn|percent|per cent|%|"
    r"percentage points?|points?|degrees?|°|tons?|tonnes?|kilos?|kilograms?|kg|grams?|km|"
    r"kilomet(?:er|re)s?|met(?:er|re)s?|m|cm|mm|lit(?:er|re)s?|l|hours?|minutes?|"
    r"seconds?|years?|months?|weeks?|days?|times|euros?|dollars?|pounds?|hectares?|"
    r"square|cubic|inhabitants|children|goals)(?![\w])",
    re.IGNORECASE,
)
_CURRENCY_BEFORE_RE = re.compile(r"(?:€|\$|£|EUR|USD)[ \u00a0]?$")
_LIST_AFTER_RE = re.compile(r"\s*(?:,|and\b|or\b|&|to\b|-|–)\s*\d")

_TIME_CONTEXT = (
    r"(?:at|around|about|from|until|till|to|by|before|after|since|between|and|"
    r"approximately|roughly|om|rond|tegen|vanaf|tot|morning|afternoon|evening|night|"
    r"tonight|today|midnight|noon|monday|tuesday|wednesday|thursday|friday|saturday|"
    r"sunday)"
)
_TIME_CONTEXT_RE = re.compile(rf"\b{_TIME_CONTEXT}\b[\w ,]{{0,12}}$", re.IGNORECASE)
_FLEMISH_TIME_RE = re.compile(rf"{_B}([01]?\d|2[0-3])u([0-5]\d)?(?![\w])")
_HOURS_TIME_RE = re.compile(
    rf"{_B}([01]?\d|2[0-3])[.:]([0-5]\d)[ \u00a0]?(uur|u|hours|hour|hrs|h)(?![\w])"
)
_H_TIME_RE = re.compile(rf"{_B}([01]?\d|2[0-3])h([0-5]\d)(?![\w])")
_OM_TIME_RE = re.compile(r"(?<![\w])om[ \u00a0]([01]?\d|2[0-3])[.:]([0-5]\d)(?![\w]|[.,]\d)")

_DATE_RE = re.compile(
    r"(?<![\w/.,:-])([0-3]?\d)/([01]?\d)(?:/((?:19|20)?\d\d))?(?![\w/]|[.,]\d|[ \u00a0]?%)"
)
_DATE_CONTEXT_RE = re.compile(
    r"\b(?:on|until|till|from|since|before|after|through|between|including|"
    r"dated|tot|vanaf|op|monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
    r"[ \u00a0]+$",
    re.IGNORECASE,
)
_DATE_NAMES = frozenset({"9/11", "7/7", "24/7", "4/20", "3/11", "11/9"})
_FRACTION_AFTER_RE = re.compile(r"[ \u00a0]?(?:of|th|st|nd|rd|majority|share)\b", re.I)

#: every finder above needs a digit glued to one of these, or "km/u": lines without are skipped
_CANDIDATE_RE = re.compile(r"\d[.,:/uh]|km/u")
_KMU_RE = re.compile(r"(?<=\d)([ \u00a0]?)(km/u)(?![\w/])")


def _src_has(seg: Segment, token: str) -> bool | None:
    """True: the source writes ``token`` exactly; False: a source that lacks it; None: no source."""
    if not seg.src:
        return None
    return re.search(rf"(?<![\d.,]){re.escape(token)}(?![\d]|[.,]\d)", seg.src) is not None


def _src_english_form(seg: Segment, token: str) -> bool:
    """The source writes the figure the *English* way ("1,085" for MT "1.085")."""
    if not seg.src:
        return False
    swapped = token.translate(str.maketrans(".,", ",."))
    return swapped != token and _src_has(seg, swapped) is True


def _src_writes_english_style(seg: Segment) -> bool:
    """The source language is known and, by CLDR, writes a decimal point and groups
    thousands with a comma (Chinese, Japanese, Hebrew, English ...): a figure such as
    "[1,1]" or "1.100" copied from it is not a European number format."""
    symbols = number_symbols(seg.src_lang)
    return symbols is not None and symbols[1] == "."


def source_locale_name(seg: Segment) -> str:
    """The source language's English name from CLDR (Babel), "" when unknown: "German"."""
    if not seg.src_lang:
        return ""
    try:
        from babel import Locale, UnknownLocaleError
    except ImportError:  # pragma: no cover - babel is a core dependency
        return ""
    try:
        return Locale.parse(lang_base(seg.src_lang)).get_display_name("en") or ""
    except (UnknownLocaleError, ValueError, TypeError, LookupError):
        return ""


def _thousands(seg: Segment, text: str) -> Iterator[Hit]:
    for m in _THOUSANDS_RE.finditer(text):
        grouped, dec = m.group(1), m.group(2)
        token = m.group()
        if grouped.startswith("0") or _VERSION_BEFORE_RE.search(text, 0, m.start()):
            continue
        if _src_english_form(seg, token):
            continue
        confirmed = _src_has(seg, token)
        if confirmed and _src_writes_english_style(seg):
            continue  # copied from a source that reads it as a decimal
        groups = grouped.split(".")
        after = text[m.end() :]
        strong = (
            len(groups) > 2
            or dec is not None
            or confirmed
            or (grouped.endswith("0") and not _PRECISE_UNIT_AFTER_RE.match(after))
            or _COUNT_NOUN_RE.match(after)
        )
        if not strong:
            continue
        english = ",".join(groups) + ("." + dec[1:] if dec else "")
        name = source_locale_name(seg)
        style = f"the {name} (source)" if name and confirmed else "the Dutch/European"
        yield Hit(
            m.start(),
            m.end(),
            f"“{token}” uses {style} thousands dot; an English reader reads "
            f"it as {float(grouped.replace('.', '', len(groups) - 2)):g}.",
            (english,),
            evidence={
                "convention": "thousands-dot",
                "source_confirms": confirmed,
                "source_locale": lang_base(seg.src_lang) or None,
            },
            severity=Severity.MAJOR,
        )


def _decimal_comma(seg: Segment, text: str) -> Iterator[Hit]:
    for m in _DEC_COMMA_RE.finditer(text):
        token = m.group()
        after = text[m.end() :]
        if _LIST_AFTER_RE.match(after) or _VERSION_BEFORE_RE.search(text, 0, m.start()):
            continue
        if _src_english_form(seg, token):
            continue
        confirmed = _src_has(seg, token)
        if confirmed and _src_writes_english_style(seg):
            continue  # "[1,1]" copied from a Chinese source: not a decimal there either
        unit = _DEC_UNIT_AFTER_RE.match(after)
        currency = _CURRENCY_BEFORE_RE.search(text, max(0, m.start() - 5), m.start())
        if not (confirmed or unit or currency):
            continue
        yield Hit(
            m.start(),
            m.end(),
            f"“{token}” uses a decimal comma; English writes a decimal point.",
            (f"{m.group(1)}.{m.group(2)}",),
            evidence={"convention": "decimal-comma", "source_confirms": confirmed},
        )


def english_time(hour: int, minute: int) -> tuple[str, ...]:
    """English forms of a 24-hour time: ``(22, 15)`` → ``("10.15pm", "22:15")``."""
    if (hour, minute) == (0, 0):
        return ("midnight", "00:00")
    if (hour, minute) == (12, 0):
        return ("noon", "12pm")
    h12 = hour % 12 or 12
    half = "am" if hour < 12 else "pm"
    twelve = f"{h12}{half}" if minute == 0 else f"{h12}.{minute:02d}{half}"
    return (twelve, f"{hour:02d}:{minute:02d}")


def _time_hit(m: re.Match[str], hour: str, minute: str | None, what: str) -> Hit:
    return Hit(
        m.start(),
        m.end(),
        f"“{m.group()}” is the {what} way of writing a time; English writes "
        f"“{english_time(int(hour), int(minute or 0))[0]}”.",
        english_time(int(hour), int(minute or 0)),
        evidence={"convention": "time"},
    )


def _times(seg: Segment, text: str) -> Iterator[Hit]:
    for m in _FLEMISH_TIME_RE.finditer(text):
        if m.group(2) is None and not _TIME_CONTEXT_RE.search(text, 0, m.start()):
            continue  # a bare "9u" only after "at", "from", "until"…
        yield _time_hit(m, m.group(1), m.group(2), "Flemish")
    for m in _HOURS_TIME_RE.finditer(text):
        unit = m.group(3).lower()
        if unit not in {"uur", "u", "hour"} and not _TIME_CONTEXT_RE.search(text, 0, m.start()):
            continue  # "10.30 hours" may be a duration
        yield _time_hit(m, m.group(1), m.group(2), "Dutch")
    for m in _H_TIME_RE.finditer(text):
        if _TIME_CONTEXT_RE.search(text, 0, m.start()):
            yield _time_hit(m, m.group(1), m.group(2), "French/Belgian")
    for m in _OM_TIME_RE.finditer(text):
        yield _time_hit(m, m.group(1), m.group(2), "Dutch")


#: A dotted day.month.year date ("12.10.2025"): the European form, day first.
_DOTTED_DATE_RE = re.compile(r"(?<![\w.,:/-])([0-3]?\d)\.([01]?\d)\.((?:19|20)\d\d)(?![\w]|[.,]\d)")
_VERSION_WORD_RE = re.compile(r"(?:version|v|release|build|no|nr|number)\.?\s*$", re.I)


def _dotted_dates(text: str) -> Iterator[Hit]:
    for m in _DOTTED_DATE_RE.finditer(text):
        day, month, year = int(m.group(1)), int(m.group(2)), m.group(3)
        if not (1 <= day <= 31 and 1 <= month <= 12):
            continue
        if _VERSION_WORD_RE.search(text, max(0, m.start() - 10), m.start()):
            continue  # "version 12.10.2025"
        yield Hit(
            m.start(),
            m.end(),
            f"Dotted day.month.year date “{m.group()}”: the Dutch and European form; English "
            "news writes the month name.",
            (f"{day} {MONTHS[month - 1]} {year}",),
            evidence={"convention": "date", "day_first": True},
        )


def _dates(seg: Segment, text: str) -> Iterator[Hit]:
    yield from _dotted_dates(text)
    src_base = lang_base(seg.src_lang)
    day_first_src = bool(src_base) and src_base in DAY_FIRST_LANGS
    for m in _DATE_RE.finditer(text):
        day, month = int(m.group(1)), int(m.group(2))
        token = m.group()
        if not (1 <= day <= 31 and 1 <= month <= 12) or token in _DATE_NAMES:
            continue
        if _FRACTION_AFTER_RE.match(text, m.end()):
            continue
        context = _DATE_CONTEXT_RE.search(text, max(0, m.start() - 24), m.start())
        confirmed = _src_has(seg, token) if seg.src else None
        year = m.group(3)
        if not (context or confirmed or (year and len(year) == 4)):
            continue
        name = f"{day} {MONTHS[month - 1]}" + (f" {year}" if year and len(year) == 4 else "")
        if day > 12:
            yield Hit(
                m.start(),
                m.end(),
                f"Numeric day/month date “{token}”; English news writes the month name.",
                (name,),
                evidence={"convention": "date", "day_first": True},
            )
            continue
        us = f"{MONTHS[day - 1]} {month}" + (f", {year}" if year and len(year) == 4 else "")
        if day_first_src or confirmed:
            yield Hit(
                m.start(),
                m.end(),
                f"Day/month date “{token}” kept from the source; an American reader reads "
                f"it as {us}.",
                (name,),
                evidence={"convention": "date", "day_first": True},
                severity=Severity.MAJOR,
            )
        elif day != month:
            yield Hit(
                m.start(),
                m.end(),
                f"Ambiguous numeric date “{token}”: {name} (day/month) or {us} "
                "(month/day); write the month name.",
                (name, us),
                evidence={"convention": "date", "day_first": None},
            )


def _units(seg: Segment, text: str) -> Iterator[Hit]:
    for m in _KMU_RE.finditer(text):
        yield Hit(
            m.start(2),
            m.end(2),
            "“km/u” is the Dutch abbreviation (kilometer per uur); English writes “km/h”.",
            ("km/h",),
            evidence={"convention": "unit"},
        )


@rule(
    "N010",
    "dutch-number-format",
    "minor",
    "locale/convention",
    options={"langs": ["en"]},
)
def dutch_number_format(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """Dutch/European number, time, date and unit conventions kept in an English target.

    What it flags: thousands dots ("85.000 visitors", "1.100 jobs"; major: an English
    reader reads 85.000 as 85), decimal commas before a unit, scale word or after a
    currency sign ("2,5 million", "4,5 percent", "€2,50"), Flemish and Dutch times
    ("22u15", "21.00 uur", "21.00 hours" after "at"/"from"/"evening", "om 14.30"),
    numeric day/month dates after "on"/"until"/"from" ("until 1/10"; major when the
    source language writes day/month, minor and with both readings otherwise;
    "14/06" can only be day/month) and "km/u". Each flag suggests the English form.
    Not flagged: English decimals ("1.085 dollars", "34.7 degrees"), thousands
    ("2,500"), lists ("1,2 and 3"), versions and sections ("version 3.100"), fractions
    ("2/3 of", "24/7", "9/11"), times with am/pm ("5.00 am"). With a source, the same
    written figure there confirms the flag and an English-style figure there vetoes it;
    so does the same figure in a source whose language writes decimal points (CLDR via
    Babel: "[1,1]" or "1.100" copied from Chinese is not a European format).
    Conventions followed: the English target's CLDR ``en`` symbols ("," groups, "."
    marks decimals; 12-hour times with am/pm; "1 October"); the source's, when
    ``src_lang`` is known, name the convention in the message ("the German (source)
    thousands dot" for "2.500" copied from a German source).
    Why it matters: MT copies digits verbatim, so "85.000" reaches readers as eighty-five
    and "1/10" as January 10.
    Example: "An estimated 40.000 visitors came until 1/10, from 11u30 at 110 km/u."
    Use instead: "An estimated 40,000 visitors came until 1 October, from 11.30am at
    110 km/h." A line that is Dutch as a whole is left to U001.
    """
    if lang_base(seg.tgt_lang) not in set(opts.get("langs", ("en",))):
        return
    text = seg.mt
    if _CANDIDATE_RE.search(text) is None:
        return
    if lang_base(seg.src_lang) in ("", "nl") and is_dutch_line(text):
        return  # the whole line is Dutch: U001's one finding
    hits = [
        *_thousands(seg, text),
        *_decimal_comma(seg, text),
        *_times(seg, text),
        *_dates(seg, text),
        *_units(seg, text),
    ]
    seen: list[tuple[int, int]] = []
    for h in sorted(hits, key=lambda h: (h.start, -h.end)):
        if any(s < h.end and h.start < e for s, e in seen):
            continue
        seen.append((h.start, h.end))
        yield h
