"""Numbers, units, currencies and names compared with the reference or the source (N codes).

Each comparison has two codes, one per companion text, so a report says which text the
MT was compared with: N001/N003/N005 need the reference (``needs=("ref",)``), N002/N004/
N006 need the source (``needs=("src",)``). With both present, both run.

Where the flag goes: something in the MT that is absent from the other text is flagged
on the MT (``side="mt"``), with the other text's unmatched item as the suggestion when
there is one to pair it with. Something in the other text that is missing from the MT
and cannot be paired with an MT item is flagged on that text (``side="ref"`` or
``side="src"``) at its own offsets, so the reviewer sees exactly what was dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any

from mtqc.checks._text import fold, is_latin_script, lang_base, number_symbols
from mtqc.checks.base import rule
from mtqc.checks.conventions import MONTHS, english_time
from mtqc.checks.untranslated import word_list
from mtqc.model import Hit, Segment, Severity

# =========================================================================== numbers

_LATIN = r"A-Za-z\u00c0-\u024f"
# A number not glued to a preceding Latin word ("MI-8", "G7", "COVID-19" are names).
_NUM_CORE = (
    rf"(?<![{_LATIN}\d.,])"
    r"(\d{{1,3}}(?:[{groups}]\d{{3}})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?)(?![\d])"
)
_SCALE = (
    r"(?:[ \u00a0]?(thousand|million|billion|trillion|mln|mn|bn|duizend|miljoen|miljard|"
    r"tausend|millionen|million|milliarden|mille|millions|milliards|mil|millones|"
    rf"万|萬|亿|億|千|百万)(?![{_LATIN}]))?"
)
_SPACES = " \u00a0\u202f\u2009"
_NUM_RE_PLAIN = re.compile(_NUM_CORE.format(groups=r",.\u00a0\u202f\u2009'’") + _SCALE)
_NUM_RE_SPACE = re.compile(_NUM_CORE.format(groups=r",. \u00a0\u202f\u2009'’") + _SCALE)
_SCALES = {
    "thousand": 1e3,
    "duizend": 1e3,
    "tausend": 1e3,
    "mille": 1e3,
    "千": 1e3,
    "万": 1e4,
    "萬": 1e4,
    "million": 1e6,
    "millions": 1e6,
    "millionen": 1e6,
    "mln": 1e6,
    "mn": 1e6,
    "miljoen": 1e6,
    "millones": 1e6,
    "百万": 1e6,
    "亿": 1e8,
    "億": 1e8,
    "billion": 1e9,
    "bn": 1e9,
    "miljard": 1e9,
    "milliarden": 1e9,
    "milliards": 1e9,
    "trillion": 1e12,
    "mil": 1e3,
}


def _norm(v: float) -> float:
    return float(f"{v:.10g}")


@lru_cache(maxsize=4096)
def number_values(token: str) -> frozenset[float]:
    """Every value a written number can stand for, e.g. ``"500.000"`` → {500.0, 500000.0}.

    Both conventions are tried: "," or "." as the thousands separator (with the other as
    the decimal mark); spaces and apostrophes only ever group thousands.
    """
    digits = re.sub(r"[ \u00a0\u202f\u2009'’]", "", token)
    values: set[float] = set()
    for group, dec in ((",", "."), (".", ",")):
        parts = digits.split(dec)
        if len(parts) > 2:
            continue
        whole = parts[0]
        groups = whole.split(group)
        if len(groups) > 1 and (
            not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:])
        ):
            continue
        if len(parts) == 2 and (not parts[1].isdigit() or group in parts[1]):
            continue
        text = "".join(groups) + ("." + parts[1] if len(parts) == 2 else "")
        try:
            values.add(_norm(float(text)))
        except ValueError:
            continue
    # a space-grouped number ("500 000") with no other separator
    if not values and digits.isdigit():
        values.add(float(digits))
    return frozenset(values)


def _space_grouped(lang: str | None) -> bool:
    """Does the language (CLDR) group thousands with a space ("2 500")?"""
    symbols = number_symbols(lang)
    return symbols is not None and symbols[0] in _SPACES


def locale_number_value(token: str, lang: str | None) -> float | None:
    """The one value ``token`` has when written by the rules of ``lang`` (CLDR symbols).

    German ``"2.500"`` → 2500.0, English ``"2.500"`` → 2.5, French ``"2,5"`` → 2.5; None
    when the token does not fit the language's convention (English-style ``"1.5"`` in a
    German text) or the language is unknown: then both readings stay possible.
    """
    symbols = number_symbols(lang)
    if symbols is None:
        return None
    group, dec = symbols
    digits = token
    if group in _SPACES or group in "'’":
        digits = re.sub(rf"[{_SPACES}'’]", "", digits)
        group = ""
    parts = digits.split(dec)
    if len(parts) > 2:
        return None
    groups = parts[0].split(group) if group else [parts[0]]
    if len(groups) > 1 and (not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:])):
        return None
    whole = "".join(groups)
    if not whole.isdigit() or (len(parts) == 2 and not parts[1].isdigit()):
        return None
    return _norm(float(whole + ("." + parts[1] if len(parts) == 2 else "")))


def _literal_in(token: str, text: str) -> bool:
    """``token`` occurs in ``text`` as a whole figure (not inside a longer number)."""
    return re.search(rf"(?<![\d.,]){re.escape(token)}(?![\d]|[.,]\d)", text) is not None


@dataclass(frozen=True, slots=True)
class Num:
    start: int
    end: int
    text: str
    values: frozenset[float]


_CODE_PREFIX_RE = re.compile(rf"(?:^|(?<=[\s(“\"]))[{_LATIN}]+$")


def _is_code(text: str, start: int) -> bool:
    """A number in a name or code: "MI-8", "COVID-19", "F-16" (but not "hole-30")."""
    if start < 2 or text[start - 1] != "-":
        return False
    m = _CODE_PREFIX_RE.search(text, max(0, start - 12), start - 1)
    return bool(m) and (len(m.group()) <= 2 or any(c.isupper() for c in m.group()))


#: Placeholders and inline-code tokens whose digits are ids, not quantities.
_PLACEHOLDER_RE = re.compile(r"\{\{[^{}]{1,40}\}\}|\{[^{}\s]{1,40}\}|%\d+\$[sdif]|%[sdif]")


def find_numbers(
    text: str, lang: str = "en", strict: bool = False, copied_from: str = ""
) -> list[Num]:
    """The digit-written numbers of ``text`` with their possible values (scale words applied).

    Spaces group thousands only in languages whose CLDR group symbol is a space. With
    ``strict``, a number that fits the CLDR convention of ``lang`` has that one value
    (a German source's "2.500" is 2500, never 2.5); otherwise every reading is kept. A
    figure that also occurs verbatim in ``copied_from`` (the MT copying the source's
    "2.500") keeps every reading even with ``strict``.
    """
    regex = _NUM_RE_SPACE if _space_grouped(lang) else _NUM_RE_PLAIN
    out: list[Num] = []
    codes = [c.span() for c in _PLACEHOLDER_RE.finditer(text)] if "{" in text or "%" in text else []
    for m in regex.finditer(text):
        if _is_code(text, m.start()):
            continue
        if any(a <= m.start() < b for a, b in codes):
            continue  # a placeholder or inline code ({0}, {x:2}, %1$s) is not a quantity
        values = set(number_values(m.group(1)))
        if strict and not (copied_from and _literal_in(m.group(1), copied_from)):
            exact = locale_number_value(m.group(1), lang)
            if exact is not None:
                values = {exact}
        scale = m.group(2)
        if scale:
            # the scaled value only: "2.4 billion" must not match "2.4 million"
            factor = _SCALES.get(scale.lower(), 1.0)
            values = {_norm(v * factor) for v in values}
        end = m.end(1)
        # "the 90s" may be "the 1990s"
        if len(m.group(1)) == 2 and text[end : end + 1] == "s":
            n = int(m.group(1))
            values.update((1900.0 + n, 2000.0 + n))
        if values:
            out.append(Num(m.start(1), m.end() if scale else end, m.group(), frozenset(values)))
    return out


# Number words only *excuse* a difference ("three" in the reference matches "3" in the MT);
# they are never flagged themselves (too ambiguous: "one of", Dutch "een" = "a").
_NUMBER_WORDS: dict[str, float] = {}
for _lang_words in (
    # English
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty",
    "zeroth first second third fourth fifth sixth seventh eighth ninth tenth eleventh "
    "twelfth thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth "
    "twentieth",
    # Dutch, German, French, Spanish
    "nul een twee drie vier vijf zes zeven acht negen tien elf twaalf dertien veertien "
    "vijftien zestien zeventien achttien negentien twintig",
    "null eins zwei drei vier fünf sechs sieben acht neun zehn elf zwölf",
    "zéro un deux trois quatre cinq six sept huit neuf dix onze douze",
    "cero uno dos tres cuatro cinco seis siete ocho nueve diez once doce",
):
    for _i, _w in enumerate(_lang_words.split()):
        _NUMBER_WORDS.setdefault(_w, float(_i))
_NUMBER_WORDS.update(
    {
        "thirty": 30,
        "forty": 40,
        "fifty": 50,
        "sixty": 60,
        "seventy": 70,
        "eighty": 80,
        "ninety": 90,
        "hundred": 100,
        "thousand": 1e3,
        "million": 1e6,
        "billion": 1e9,
        "dozen": 12,
        "twice": 2,
        "both": 2,
        "pair": 2,
        "couple": 2,
        "half": 0.5,
        "dertig": 30,
        "veertig": 40,
        "vijftig": 50,
        "zestig": 60,
        "zeventig": 70,
        "tachtig": 80,
        "negentig": 90,
        "honderd": 100,
        "duizend": 1e3,
        "zwanzig": 20,
        "hundert": 100,
        "tausend": 1e3,
        "vingt": 20,
        "cent": 100,
        "mille": 1e3,
        "veinte": 20,
        "cien": 100,
        "mil": 1e3,
    }
)
_MULTIPLIERS = {"hundred": 100.0, "honderd": 100.0, "hundert": 100.0, "cent": 100.0}
_BIG = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "duizend": 1e3, "tausend": 1e3}
_WORD_RE = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")

_CJK_DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "兩": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CJK_UNITS = {"十": 10, "百": 100, "千": 1000}
_CJK_BIG = {"万": 1e4, "萬": 1e4, "亿": 1e8, "億": 1e8}
_CJK_NUM_RE = re.compile("[〇零一二两兩三四五六七八九十百千万萬亿億]+")
_CJK_DIGIT_SCALE_RE = re.compile(r"(\d+(?:\.\d+)?)\s?([十百千万萬亿億])")


def _cjk_value(run: str) -> float:
    total, section, digit = 0.0, 0.0, 0.0
    for ch in run:
        if ch in _CJK_DIGITS:
            digit = _CJK_DIGITS[ch]
        elif ch in _CJK_UNITS:
            section += (digit or 1) * _CJK_UNITS[ch]
            digit = 0
        else:
            total += (section + digit) * _CJK_BIG[ch]
            section = digit = 0
    return total + section + digit


def word_number_values(text: str) -> set[float]:
    """Values of numbers written in words ("twenty-five", "three hundred", "五十", "3万")."""
    values: set[float] = set()
    if not text.isascii():
        for m in _CJK_NUM_RE.finditer(text):
            values.add(_norm(_cjk_value(m.group())))
        for m in _CJK_DIGIT_SCALE_RE.finditer(text):
            scale = {**_CJK_UNITS, **_CJK_BIG}[m.group(2)]
            values.add(_norm(float(m.group(1)) * scale))
    current: float | None = None
    total = 0.0
    for m in _WORD_RE.finditer(text.lower()):
        parts = m.group().split("-")
        if not all(p in _NUMBER_WORDS for p in parts):
            if current is not None:
                values.add(_norm(total + current))
            current, total = None, 0.0
            continue
        for p in parts:
            v = float(_NUMBER_WORDS[p])
            values.add(v)
            if p in _MULTIPLIERS and current is not None:
                current *= v
            elif p in _BIG:
                total += (current or 1.0) * v
                current = 0.0
            else:
                current = (current or 0.0) + v
    if current is not None:
        values.add(_norm(total + current))
    return values


# Times of day and day-month dates are compared as what they denote, so that a correct
# conversion ("22u15" → "10.15pm", "21.00 uur" → "9pm", "1/10" → "1 October") matches.
# Their values live far above any written number (the component numbers are kept too).
_TIME_BASE = 1e15
_DATE_BASE = 2e15
_CLOCK_RE = re.compile(
    r"(?<![\w.,:/])(2[0-3]|[01]?\d)(?:([.:hu])([0-5]\d))?(?!\d)"
    r"(?:[ \u00a0]?((?i:a\.m\.|p\.m\.|am|pm|uur|uhr|u|h|heures?|hours|hrs|o['’]clock))(?![\w]))?"
)
#: Words before a time of day: Dutch, English, German, French, Spanish, Italian.
_CLOCK_BEFORE_RE = re.compile(
    r"(?:\b(?:om|rond|tegen|vanaf|van|tot|at|around|from|until|till|by|before|after|"
    r"um|gegen|ab|bis|von|à|a|vers|dès|jusqu['’]à|las|alle|ore|dalle)[ \u00a0]+)$",
    re.IGNORECASE,
)
#: Suffixes that make a bare hour a time of day after a time word ("om 9 uur", "à 9h").
_HOUR_SUFFIXES = frozenset({"uur", "u", "uhr", "h", "heure", "heures"})
_MONTH_NAMES = {
    name: i
    for names in (
        "january february march april may june july august september october november december",
        "januari februari maart april mei juni juli augustus september oktober november december",
        "jan feb mar apr may jun jul aug sep oct nov dec",
    )
    for i, name in enumerate(names.split(), 1)
}
_MONTH_ALT = "|".join(sorted(_MONTH_NAMES, key=len, reverse=True))
_NUM_DATE_RE = re.compile(r"(?<![\w/.,-])([0-3]?\d)/([01]?\d)(?:/(\d{4}|\d{2}))?(?![\w/]|[.,]\d)")
#: Day.month.year (German, Dutch, Nordic, Slavic ...): "3.10.2023", "am 3.10."
_DOTTED_DATE_RE = re.compile(
    r"(?<![\w/.,-])([0-3]?\d)\.([01]?\d)\.(?:((?:19|20)\d\d)(?![\w/]|[.,]\d)|(?=\s|$))"
)
_DAY_MONTH_RE = re.compile(
    rf"(?<![\w.,])([0-3]?\d)(?:st|nd|rd|th|e)?(?: of)?[ \u00a0]({_MONTH_ALT})(?![\w])"
    rf"|(?<![\w])({_MONTH_ALT})\.?[ \u00a0]([0-3]?\d)(?:st|nd|rd|th)?(?![\w]|[.,]\d)",
    re.IGNORECASE,
)


def _clock_values(m: re.Match[str], text: str) -> set[float]:
    hour, sep, minute, suffix = m.group(1), m.group(2), m.group(3), (m.group(4) or "").lower()
    before = _CLOCK_BEFORE_RE.search(text, 0, m.start()) is not None
    clock_sep = sep in ("u", "h", ":") or (sep == "." and before)
    if not suffix and not (minute and clock_sep):
        return set()
    if (
        suffix in ("h", "hours", "hrs", "uur", "u", "uhr", "heure", "heures")
        and not minute
        and not (suffix in _HOUR_SUFFIXES and before)
    ):
        return set()  # "5 hours", "5 uur" are durations; "om 9 uur", "à 9h" are times
    h, mins = int(hour), int(minute or 0)
    if suffix.startswith(("a", "p")):
        if not 1 <= h <= 12:
            return set()
        hours = {h % 12 + (12 if suffix.startswith("p") else 0)}
    elif h <= 12:
        hours = {h % 12, h % 12 + 12}
    else:
        hours = {h}
    return {_TIME_BASE + hh * 60 + mins for hh in hours}


def _merge(
    nums: list[Num], start: int, end: int, text: str, extra: set[float], only: bool = False
) -> list[Num]:
    """Merge the numbers inside ``start:end`` into one token with ``extra`` among its
    values; with ``only``, ``extra`` replaces their values (a date is not its day number:
    "3 October" must not match a "3" elsewhere)."""
    inside = [n for n in nums if start <= n.start and n.end <= end]
    values = set(extra) if only else set(extra).union(*(n.values for n in inside))
    merged = Num(start, end, text[start:end], frozenset(values))
    return sorted([n for n in nums if n not in inside] + [merged], key=lambda n: n.start)


@lru_cache(maxsize=128)
def date_order(lang: str | None) -> str:
    """``"dm"`` or ``"md"``: the order of day and month in the CLDR short date pattern of
    ``lang`` (Babel): German ``dd.MM.yy`` → dm, US English ``M/d/yy`` → md; ``""`` when
    the language is unknown or untagged (both readings stay possible)."""
    if not lang:
        return ""
    try:
        from babel import Locale, UnknownLocaleError
        from babel.dates import get_date_format
    except ImportError:  # pragma: no cover - babel is a core dependency
        return ""
    try:
        pattern = get_date_format("short", locale=Locale.parse(lang.replace("-", "_"))).pattern
    except (UnknownLocaleError, ValueError, TypeError, LookupError):
        return ""
    d, mo = pattern.find("d"), pattern.find("M")
    if d < 0 or mo < 0:
        return ""
    return "dm" if d < mo else "md"


@lru_cache(maxsize=128)
def _month_name_re(lang: str) -> tuple[re.Pattern[str], dict[str, int]] | None:
    """Day-month and month-day dates with the month names of ``lang`` (CLDR, via Babel):
    "3. Oktober", "1er octobre 2023", "3 de octubre", "Oktober 3"."""
    try:
        from babel import Locale, UnknownLocaleError
        from babel.dates import get_month_names
    except ImportError:  # pragma: no cover - babel is a core dependency
        return None
    try:
        loc = Locale.parse(lang.replace("-", "_"))
        names: dict[str, int] = {}
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for i, name in get_month_names(width, context, loc).items():
                    key = name.lower().rstrip(".")
                    if len(key) >= 3 and key.isalpha():
                        names.setdefault(key, int(i))
    except (UnknownLocaleError, ValueError, TypeError, LookupError):
        return None
    if not names:
        return None
    alt = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    regex = re.compile(
        rf"(?<![\w.,])([0-3]?\d)(?:\.|er|e|º|°|st|nd|rd|th)?(?:[ \u00a0]+de)?[ \u00a0]+"
        rf"({alt})\.?(?:[ \u00a0]+(?:de[ \u00a0]+)?((?:19|20)\d\d))?(?![\w])"
        rf"|(?<![\w])({alt})\.?[ \u00a0]+([0-3]?\d)(?:st|nd|rd|th)?"
        rf"(?:,?[ \u00a0]+((?:19|20)\d\d))?(?![\w]|[.,]\d)",
        re.IGNORECASE,
    )
    return regex, names


def with_times_and_dates(
    text: str, nums: list[Num], lang: str = "", date_order_of_lang: bool = True
) -> list[Num]:
    """``nums`` with times of day and dates merged into one token each, whose values
    include what they denote ("22u15", "14.30 Uhr", "à 9h", "10.15pm", "1/10",
    "3.10.2023", "1 October", "3. Oktober", "le 3 octobre"); a date's year is among its
    values. With ``lang``, numeric dates take the day/month order of its CLDR short
    date pattern and month names come from its CLDR calendar (Babel) besides the
    English and Dutch ones; without it both orders stay possible. With
    ``date_order_of_lang`` false, ``lang`` gives month names only (an English MT may
    write either order)."""
    if not nums:
        return nums
    for m in _CLOCK_RE.finditer(text):
        extra = _clock_values(m, text)
        if extra:
            nums = _merge(nums, m.start(), m.end(), text, extra)
    order = date_order(lang) if date_order_of_lang else ""
    for m in _NUM_DATE_RE.finditer(text):
        a, b = int(m.group(1)), int(m.group(2))
        readings = {"dm": ((a, b),), "md": ((b, a),)}.get(order, ((a, b), (b, a)))
        extra = {_DATE_BASE + mo * 100 + d for d, mo in readings if 1 <= mo <= 12}
        if extra and min(a, b) >= 1 and max(a, b) <= 31:
            extra |= _year_values(m.group(3))
            nums = _merge(nums, m.start(), m.end(), text, extra, only=bool(m.group(3)))
    for m in _DOTTED_DATE_RE.finditer(text):
        day, month = int(m.group(1)), int(m.group(2))
        if 1 <= day <= 31 and 1 <= month <= 12:
            extra = {_DATE_BASE + month * 100 + day} | _year_values(m.group(3))
            nums = _merge(nums, m.start(), m.end(), text, extra, only=True)
    for m in _DAY_MONTH_RE.finditer(text):
        day = int(m.group(1) or m.group(4))
        month = _MONTH_NAMES[(m.group(2) or m.group(3)).lower()]
        if 1 <= day <= 31:
            nums = _merge(nums, m.start(), m.end(), text, {_DATE_BASE + month * 100 + day}, True)
    base = lang_base(lang)
    found = _month_name_re(base) if base and base not in ("en", "nl") else None
    if found is not None:
        regex, names = found
        for m in regex.finditer(text):
            day = int(m.group(1) or m.group(5))
            month = names[(m.group(2) or m.group(4)).lower()]
            if 1 <= day <= 31:
                year = m.group(3) or m.group(6)
                extra = {_DATE_BASE + month * 100 + day} | _year_values(year)
                end = m.end() - (not year and text[m.end() - 1] == ".")  # a full stop
                nums = _merge(nums, m.start(), end, text, extra, only=True)
    return nums


def _year_values(year: str | None) -> set[float]:
    if not year:
        return set()
    y = int(year)
    return {float(y if len(year) == 4 else 2000 + y)}


def _is_year(num: Num) -> bool:
    return len(num.text) == 4 and num.text.isdigit() and 1000 <= int(num.text) <= 2199


def _english_number(num: Num) -> str:
    """A suggestion for a source-side number: its value in English digits when unambiguous."""
    special = sorted(v for v in num.values if v >= _TIME_BASE)
    if special:
        if len(special) == 1 and special[0] >= _DATE_BASE:
            month, day = divmod(int(special[0] - _DATE_BASE), 100)
            return f"{day} {MONTHS[month - 1]}"
        if len(special) == 1:
            return english_time(*divmod(int(special[0] - _TIME_BASE), 60))[0]
        return num.text
    if len(num.values) == 1:
        (v,) = num.values
        if v.is_integer():
            return f"{int(v):,}" if v >= 10000 else str(int(v))
        return f"{v:g}"
    return num.text


_DIGIT_RE = re.compile(r"\d")


def _unmatched(nums: list[Num], other_nums: list[Num], other_text: str) -> list[Num]:
    """The numbers of ``nums`` whose values appear neither among ``other_nums`` nor as
    number words in ``other_text`` (the words are parsed only when needed)."""
    other_all = set().union(*(n.values for n in other_nums)) if other_nums else set()
    other_words: set[float] | None = None
    out: list[Num] = []
    for n in nums:
        if n.values & other_all:
            continue
        if other_words is None:
            other_words = word_number_values(other_text)
        if n.values & other_words:
            continue
        out.append(n)
    return out


def compare_numbers(seg: Segment, side: str, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """Numbers in the MT absent from ``side`` (flagged on the MT) and the reverse."""
    other = getattr(seg, side) or ""
    mt = seg.mt
    if not _DIGIT_RE.search(mt) and not _DIGIT_RE.search(other):
        return
    other_lang = (seg.src_lang if side == "src" else seg.tgt_lang) or ""
    ignore = {float(v) for v in opts.get("ignore_values", (0, 1))}
    src_side = side == "src"
    mt_nums = with_times_and_dates(
        mt,
        find_numbers(mt, seg.tgt_lang, strict=src_side, copied_from=other),
        lang=seg.tgt_lang or "",
        date_order_of_lang=False,
    )
    other_nums = with_times_and_dates(
        other,
        find_numbers(other, other_lang, strict=src_side),
        lang=other_lang,
        date_order_of_lang=src_side,
    )
    mt_nums = [n for n in mt_nums if not n.values <= ignore]
    other_nums = [n for n in other_nums if not n.values <= ignore]
    if not mt_nums and not other_nums:
        return
    extra_mt = _unmatched(mt_nums, other_nums, other)
    missing = _unmatched(other_nums, mt_nums, mt)

    label = "reference" if side == "ref" else "source"
    for i, n in enumerate(extra_mt):
        kind = "Year" if _is_year(n) else "Number"
        if i < len(missing):
            o = missing[i]
            sugg = o.text if side == "ref" else _english_number(o)
            yield Hit(
                n.start,
                n.end,
                f"{kind} “{n.text}” differs from the {label}, which has “{o.text}”.",
                (sugg,),
                evidence={f"{side}_number": o.text, f"{side}_start": o.start},
            )
        else:
            yield Hit(
                n.start,
                n.end,
                f"{kind} “{n.text}” does not appear in the {label}.",
                evidence={f"{side}_numbers": [o.text for o in other_nums]},
            )
    for o in missing[len(extra_mt) :]:
        kind = "year" if _is_year(o) else "number"
        yield Hit(
            o.start,
            o.end,
            f"The {label} {kind} “{o.text}” is missing from the MT.",
            (o.text if side == "ref" else _english_number(o),),
            side=side,
        )


@rule("N001", "number-mismatch-ref", "major", "accuracy/mistranslation", needs=("ref",))
def number_mismatch_ref(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """Numbers that differ between the MT and the reference.

    What it flags: a digit-written number in the MT whose value is not in the reference
    (on the MT, with the reference's unmatched number as the suggestion), and a reference
    number the MT lacks (on the reference text, ``side="ref"``, when there is no MT
    number to pair it with). Values are compared, not spellings: "500,000", "500.000" and
    "500 000" match, scale words apply ("5 million" = "5,000,000"), and number words on
    the other side excuse a digit ("twenty" for 20). Numbers glued to names ("MI-8",
    "COVID-19") and the values in ``ignore_values`` (default 0 and 1, often written "a"
    or "no") are skipped. Years get their own message.
    Why it matters: a wrong number, amount or year is a serious accuracy error that
    readers cannot detect and that fluent MT hides well.
    Example: MT "The law offers 50,000 dollars." with reference "The law offers $500,000."
    Use instead: the reference's number: "The law offers 500,000 dollars."
    """
    return compare_numbers(seg, "ref", opts)


@rule("N002", "number-mismatch-src", "major", "accuracy/mistranslation", needs=("src",))
def number_mismatch_src(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """Numbers that differ between the MT and the source.

    What it flags: a digit-written number in the MT whose value is not in the source
    (on the MT, with the source's unmatched number, in English digits when unambiguous,
    as the suggestion), and a source number the MT lacks (on the source text,
    ``side="src"``, when there is no MT number to pair it with). Values are compared, not
    spellings: Dutch "500.000" and "3,5" match English "500,000" and "3.5". Source
    numbers are read by the source language's CLDR convention (Babel's group and decimal
    symbols) when they fit it: German "2.500" is 2,500, so "2.5" in the MT is flagged; a
    source figure that does not fit it ("1.5" in Dutch) keeps both readings. MT numbers
    are read by the target's convention ("2,500" in English is 2,500, not 2.5), except a
    figure copied verbatim from the source, which keeps both readings (a copied "2.500"
    is N010's convention flag, not a wrong number). Spaces group thousands where CLDR
    says so (French, Swedish, Russian ...). Dates and times are compared as dates and
    times: "am 3.10.2023" = "on 3 October 2023", "um 14.30 Uhr" = "at 2:30 pm", "van
    9.00 tot 17.30 uur" = "from 9 am to 5:30 pm", "le 03/04/2024 à 9h" = "on April 3,
    2024 at 9 am"; numeric source dates take the day/month order of the source's CLDR
    short date pattern, and source month names come from its CLDR calendar (Babel:
    "3. Oktober", "3 de octubre"), so "3 October" → "10 March" is flagged. Scale words
    apply ("5 miljoen", "5万" = 5,000,000 / 50,000); number words and Chinese numerals
    in the source excuse a digit in the MT ("drie", "三" for 3). Numbers glued to names
    ("MI-8") and ``ignore_values`` (default 0 and 1) are skipped. Years get their own
    message.
    Why it matters: a wrong number, amount or year is a serious accuracy error that a
    reader of the translation cannot detect.
    Example: MT "The law offers 50,000 dollars." with source "De wet biedt 500.000 dollar."
    Use instead: the source's number: "The law offers 500,000 dollars."
    """
    return compare_numbers(seg, "src", opts)


# =========================================================================== units

# Unit lexicons by language: canonical unit → surface forms (regex alternatives).
_UNITS: dict[str, dict[str, str]] = {
    "en": {
        "dollar": r"dollars?|USD|US\$|\$",
        "euro": r"euros?|EUR|€",
        "pound": r"pounds?(?: sterling)?|GBP|£|lbs?",
        "yuan": r"yuan|renminbi|RMB|CNY",
        "yen": r"yen|JPY|¥",
        "ruble": r"r[ou]ubles?",
        "rupee": r"rupees?",
        "franc": r"francs?",
        "percent": r"%|percent|per cent",
        "point": r"percentage points?",
        "km": r"km|kilomet(?:er|re)s?",
        "mile": r"miles?",
        "metre": r"met(?:er|re)s?",
        "cm": r"cm|centimet(?:er|re)s?",
        "mm": r"mm|millimet(?:er|re)s?",
        "foot": r"feet|foot|ft",
        "inch": r"inch(?:es)?",
        "kg": r"kg|kilos?|kilogram(?:me)?s?",
        "gram": r"grams?|grammes?",
        "tonne": r"tonnes?|tons?",
        "celsius": r"°C|degrees? Celsius",
        "fahrenheit": r"°F|degrees? Fahrenheit",
        "hour": r"hours?|hrs?",
        "minute": r"minutes?|mins?",
        "second": r"seconds?|secs?",
        "day": r"days?",
        "week": r"weeks?",
        "month": r"months?",
        "year": r"years?",
        "decade": r"decades?",
        "century": r"centur(?:y|ies)",
        "hectare": r"hectares?",
        "acre": r"acres?",
        "litre": r"lit(?:er|re)s?",
        "gallon": r"gallons?",
    },
    "nl": {
        "dollar": r"dollars?|USD|\$",
        "euro": r"euros?|EUR|€",
        "pound": r"pond(?: sterling)?|GBP|£",
        "percent": r"%|procent",
        "point": r"procentpunt(?:en)?",
        "km": r"km|kilometers?",
        "mile": r"mijl",
        "metre": r"meters?",
        "cm": r"cm|centimeters?",
        "kg": r"kg|kilo(?:gram)?s?",
        "gram": r"gram",
        "tonne": r"ton",
        "hour": r"uur",
        "minute": r"minuten|minuut",
        "second": r"seconden?",
        "day": r"dagen|dag",
        "week": r"weken|week",
        "month": r"maanden|maand",
        "year": r"jaar|jaren",
        "century": r"eeuwen|eeuw",
        "hectare": r"hectare",
        "litre": r"liters?",
    },
    "de": {
        "dollar": r"Dollar|USD|\$",
        "euro": r"Euro|EUR|€",
        "pound": r"Pfund|GBP|£",
        "percent": r"%|Prozent",
        "point": r"Prozentpunkte?",
        "km": r"km|Kilometer",
        "mile": r"Meilen?",
        "metre": r"Meter",
        "kg": r"kg|Kilo(?:gramm)?",
        "tonne": r"Tonnen?",
        "hour": r"Stunden?",
        "minute": r"Minuten?",
        "day": r"Tagen?|Tage",
        "week": r"Wochen?",
        "month": r"Monaten?|Monate",
        "year": r"Jahren?|Jahre",
    },
    "fr": {
        "dollar": r"dollars?|USD|\$",
        "euro": r"euros?|EUR|€",
        "pound": r"livres?(?: sterling)?|GBP|£",
        "percent": r"%|pour ?cent",
        "km": r"km|kilomètres?",
        "metre": r"mètres?",
        "kg": r"kg|kilos?|kilogrammes?",
        "tonne": r"tonnes?",
        "hour": r"heures?",
        "minute": r"minutes?",
        "day": r"jours?",
        "week": r"semaines?",
        "month": r"mois",
        "year": r"ans|années?",
    },
    "es": {
        "dollar": r"dólares|dólar|USD|\$",
        "euro": r"euros?|EUR|€",
        "percent": r"%|por ciento",
        "km": r"km|kilómetros?",
        "metre": r"metros?",
        "kg": r"kg|kilos?|kilogramos?",
        "tonne": r"toneladas?",
        "hour": r"horas?",
        "minute": r"minutos?",
        "day": r"días?",
        "week": r"semanas?",
        "month": r"meses|mes",
        "year": r"años?",
    },
    "zh": {
        "dollar": r"美元|美金|\$",
        "euro": r"欧元|€",
        "pound": r"英镑|磅|£",
        "yen": r"日元",
        "yuan": r"元|人民币|块钱|块",
        "ruble": r"卢布",
        "percent": r"%|％",
        "point": r"个百分点",
        "km": r"公里|千米|km",
        "mile": r"英里",
        "metre": r"米",
        "cm": r"厘米",
        "mm": r"毫米",
        "foot": r"英尺",
        "inch": r"英寸",
        "kg": r"公斤|千克",
        "gram": r"克",
        "tonne": r"吨",
        "hour": r"个?小时",
        "minute": r"分钟",
        "week": r"个?星期|周",
        "month": r"个月",
        "year": r"年",
    },
}
_PREFIX_UNITS = r"US\$|\$|€|£|¥|USD|EUR|GBP|RMB|CNY"
_PREFIX_CANON = {"US$": "dollar", "$": "dollar", "USD": "dollar", "€": "euro", "EUR": "euro"}
_PREFIX_CANON.update({"£": "pound", "GBP": "pound", "RMB": "yuan", "CNY": "yuan", "¥": "yen"})
_PREFIX_RE = re.compile(rf"(?:{_PREFIX_UNITS})[ \u00a0]?$")


def _alternatives(pattern: str) -> list[str]:
    """Split a regex at its top-level ``|`` (not inside groups)."""
    parts, depth, cur = [], 0, ""
    for ch in pattern:
        depth += (ch == "(") - (ch == ")")
        if ch == "|" and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    return [*parts, cur]


def _compile_units(table: dict[str, str], cjk: bool) -> tuple[re.Pattern[str], dict[str, str]]:
    forms: list[tuple[str, str]] = []
    for canon, alts in table.items():
        forms.extend((alt, canon) for alt in _alternatives(alts))
    forms.sort(key=lambda f: -len(f[0]))
    end = "" if cjk else rf"(?![{_LATIN}])"
    pattern = "|".join(f"(?P<u{i}>{alt})" for i, (alt, _) in enumerate(forms))
    regex = re.compile(rf"[ \u00a0\-]?(?:{pattern}){end}", re.IGNORECASE if not cjk else 0)
    return regex, {f"u{i}": canon for i, (_, canon) in enumerate(forms)}


_UNIT_RES = {lang: _compile_units(t, cjk=lang == "zh") for lang, t in _UNITS.items()}
#: How a source-side unit is suggested in English.
_UNIT_NAMES = {
    "dollar": "dollars",
    "euro": "euros",
    "pound": "pounds",
    "yuan": "yuan",
    "yen": "yen",
    "ruble": "rubles",
    "rupee": "rupees",
    "franc": "francs",
    "percent": "percent",
    "point": "percentage points",
    "km": "kilometres",
    "mile": "miles",
    "metre": "metres",
    "cm": "centimetres",
    "mm": "millimetres",
    "foot": "feet",
    "inch": "inches",
    "kg": "kilograms",
    "gram": "grams",
    "tonne": "tonnes",
    "celsius": "°C",
    "fahrenheit": "°F",
    "hour": "hours",
    "minute": "minutes",
    "second": "seconds",
    "day": "days",
    "week": "weeks",
    "month": "months",
    "year": "years",
    "decade": "decades",
    "century": "centuries",
    "hectare": "hectares",
    "acre": "acres",
    "litre": "litres",
    "gallon": "gallons",
}


@dataclass(frozen=True, slots=True)
class Unit:
    num: Num
    canon: str
    start: int
    end: int


def find_units(text: str, lang: str) -> list[Unit]:
    """Numbers of ``text`` that carry a currency or unit, with the unit's span."""
    base = lang_base(lang) or "en"
    compiled = _UNIT_RES.get(base)
    if compiled is None:
        return []
    regex, canon_of = compiled
    out: list[Unit] = []
    for n in find_numbers(text, lang):
        m = regex.match(text, n.end)
        if m and m.lastgroup:
            s, e = m.span(m.lastgroup)
            out.append(Unit(n, canon_of[m.lastgroup], s, e))
            continue
        p = _PREFIX_RE.search(text, max(0, n.start - 4), n.start)
        if p:
            sym = p.group().strip()
            out.append(Unit(n, _PREFIX_CANON[sym], p.start(), p.start() + len(sym)))
    return out


_SYMBOLS = {"dollar": "$", "euro": "€", "pound": "£", "yen": "¥", "percent": "%"}


def _unit_suggestion(mt_unit: str, other_unit: str, canon: str, side: str) -> str | None:
    """The other side's unit written the way the MT writes its own (word or symbol)."""
    mt_word, other_word = mt_unit[:1].isalpha(), other_unit[:1].isalpha()
    if side == "ref" and mt_word == other_word:
        return other_unit
    if mt_word:
        return _UNIT_NAMES.get(canon)
    return _SYMBOLS.get(canon)


def compare_units(seg: Segment, side: str, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """A number that matches the other side in value but carries a different unit."""
    other = getattr(seg, side) or ""
    if lang_base(seg.tgt_lang) not in _UNIT_RES:
        return
    other_lang = (seg.src_lang if side == "src" else seg.tgt_lang) or ""
    if lang_base(other_lang) not in _UNIT_RES:
        return
    mt_units = find_units(seg.mt, seg.tgt_lang)
    if not mt_units:
        return
    other_units = find_units(other, other_lang)
    if not other_units:
        return
    label = "reference" if side == "ref" else "source"
    for u in mt_units:
        same_value = [o for o in other_units if o.num.values & u.num.values]
        if not same_value or any(o.canon == u.canon for o in same_value):
            continue
        o = same_value[0]
        wanted = _unit_suggestion(seg.mt[u.start : u.end], other[o.start : o.end], o.canon, side)
        yield Hit(
            u.start,
            u.end,
            f"Unit “{seg.mt[u.start : u.end]}” for {u.num.text} differs from the {label}, "
            f"which has “{other[o.start : o.end]}”.",
            (wanted,) if wanted else (),
            evidence={f"{side}_text": other[o.num.start : o.end], "unit": o.canon},
        )


@rule("N003", "unit-mismatch-ref", "major", "accuracy/mistranslation", needs=("ref",))
def unit_mismatch_ref(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """A number whose currency or unit differs from the reference ("euros" for "$").

    What it flags: the currency or unit of an MT number when the reference has the same
    value with a different currency or unit: euros vs dollars, miles vs kilometres,
    percent vs percentage points, months vs years. Spellings of one unit match ("$500"
    = "500 dollars", "km" = "kilometres"). Only numbers that carry a unit on both sides
    are compared; a differing number is N001's business. English targets only.
    Why it matters: a wrong currency or unit changes the amount as much as a wrong digit.
    Example: MT "a reward of 500,000 euros" with reference "a reward of $500,000"
    Use instead: the reference's unit: "a reward of 500,000 dollars" / "$500,000"
    """
    return compare_units(seg, "ref", opts)


@rule("N004", "unit-mismatch-src", "major", "accuracy/mistranslation", needs=("src",))
def unit_mismatch_src(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """A number whose currency or unit differs from the source ("euros" for "dollar").

    What it flags: the currency or unit of an MT number when the source has the same
    value with a different one. Source units are read for Dutch, German, French, Spanish
    and Chinese sources (e.g. "dollar", "Prozent", "kilomètres", "美元", "公里"); other
    source languages and non-English targets are skipped.
    Why it matters: a wrong currency or unit changes the amount as much as a wrong digit.
    Example: MT "a reward of 500,000 euros" with source "een beloning van 500.000 dollar"
    Use instead: the source's unit: "a reward of 500,000 dollars"
    """
    return compare_units(seg, "src", opts)


# =========================================================================== names

_UP = "A-Z\u00c0-\u00d6\u00d8-\u00de"
_LOW = "a-z\u00df-\u00f6\u00f8-\u00ff"
_CAP_WORD = rf"(?:[{_UP}][{_LOW}]+(?:[-’'][{_UP}]?[{_LOW}]+)*|[{_UP}]{{2,}}|[{_UP}]\.)"
_CONNECTOR = r"(?:de|van|der|den|von|la|le|du|da|di|del|bin|ibn|al|ter|ten|of|y)"
_NAME_RE = re.compile(
    rf"\b{_CAP_WORD}(?:[ \u00a0]+(?:{_CONNECTOR}[ \u00a0]+)*{_CAP_WORD})+(?![\w-])"
)
_CAP_TOKEN_RE = re.compile(rf"[{_UP}][\w’'-]*")
_TOKEN_RE = re.compile(r"[^\W\d_]{3,}")
# Capitalised only because they start a sentence (or are always capitalised but are not
# names): dropped from the front of a candidate name.
_NOT_NAME_START_LIST = """
the a an in on at for but and or so yet as if when while after before since although though
this that these those there here then his her their our my its your we he she they it
according also however meanwhile last next every each all both some many most no not what why
how who where which with without by from of to into over under during despite about
de het een en maar als toen na voor volgens ook deze dit die er hij zij ze wij
der die das ein eine und aber nach laut auch le la les un une et mais selon aussi
el los las uno una y pero según también
monday tuesday wednesday thursday friday saturday sunday january february march april may
june july august september october november december
"""
#: Imperative verbs that open an instruction before a UI label ("Click Save", "Choose
#: File", "Cliquez Enregistrer", "Pulse Guardar"): the label after them is not a name.
_INSTRUCTION_VERB_LIST = """
click double-click right-click tap press select choose pick open close enter type go
navigate use check uncheck clear enable disable turn set add remove delete insert drag
scroll expand collapse restart install
klik kies selecteer druk open sluit typ ga gebruik vink tik
cliquez cliquer sélectionnez choisissez appuyez ouvrez fermez saisissez tapez allez utilisez
haga pulse seleccione elija abra cierre escriba vaya use pulsa selecciona elige abre
clicca seleziona scegli premi apri chiudi digita vai usa
clique selecione escolha pressione abra feche digite
"""
_NOT_NAME_START = frozenset(_NOT_NAME_START_LIST.split()) | frozenset(
    _INSTRUCTION_VERB_LIST.split()
)
_SENTENCE_END = frozenset(".!?:")


@dataclass(frozen=True, slots=True)
class Name:
    start: int
    end: int
    text: str
    words: tuple[str, ...]  # folded content words


def _title_case(text: str) -> bool:
    """A headline in Title Case: nearly all words of 3+ letters after the first are capitalised."""
    long_words = _TOKEN_RE.findall(text)[1:]
    if len(long_words) < 5:
        return False
    caps = sum(1 for w in long_words if w[0].isupper())
    return caps / len(long_words) > 0.8


def find_names(text: str) -> list[Name]:
    """Multi-word capitalised names in ``text``, without sentence-initial function words."""
    out: list[Name] = []
    for m in _NAME_RE.finditer(text):
        start, name = m.start(), m.group()
        if start and text[start - 1] in "’'.-":
            continue
        before = text[:start].rstrip(' \u00a0“‘"«(')
        if not before or before[-1] in _SENTENCE_END:
            first = name.split(None, 1)[0]
            if first.lower() in _NOT_NAME_START:
                rest = name[len(first) :].lstrip()
                start = m.end() - len(rest)
                name = rest
                if not _NAME_RE.fullmatch(name):
                    continue
        tokens = [t for t in _CAP_TOKEN_RE.findall(name) if len(t) > 1 and t[-1] != "."]
        if sum(1 for t in tokens if not t.isupper()) == 0:
            continue  # all-caps labels ("LOOK ALSO") are not names
        words = tuple(_name_word(t) for t in tokens)
        out.append(Name(start, start + len(name), name, words))
    return out


_ACRONYM_RE = re.compile(r"\b(?:[A-Z]\.){2,}|\b[A-Z]{2,}\b")
_CAP_WORDS_RE = re.compile(rf"(?<![\w’'-])[{_UP}][\w’'-]*")


def _capitalised_words(text: str) -> set[str]:
    """Folded capitalised words ("Kuzminov's" → "kuzminov"): where a name's words may be."""
    return {_name_word(w) for w in _CAP_WORDS_RE.findall(text)}


def _name_word(word: str) -> str:
    """Folded, without a possessive or plural "s": "Studios" ~ "Studio", "Kuzminov's"."""
    w = fold(re.sub(r"[’']s$", "", word))
    return w[:-1] if len(w) > 3 and w.endswith("s") else w


def _contains(haystack: str, needle: str) -> bool:
    """``needle`` occurs in ``haystack`` as whole words."""
    start = 0
    while (i := haystack.find(needle, start)) >= 0:
        j = i + len(needle)
        if (i == 0 or not haystack[i - 1].isalnum()) and (
            j == len(haystack) or not haystack[j].isalnum()
        ):
            return True
        start = i + 1
    return False


def _aligned(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Same length and at least one word in the same position: "Brian Green"/"Brian Greene"."""
    return len(a) == len(b) and any(x == y for x, y in zip(a, b, strict=True))


def _initials(name: Name) -> str:
    return "".join(w[0] for w in name.words).upper() if len(name.words) >= 2 else ""


def _word_found(word: str, mt_words: set[str], fuzzy: bool) -> bool:
    if word in mt_words:
        return True
    if not fuzzy:
        return False
    return any(
        (len(w) >= 4 and w[:4] == word[:4]) or SequenceMatcher(None, word, w).ratio() >= 0.75
        for w in mt_words
        if abs(len(w) - len(word)) <= 3
    )


def _glossary_renders(name: Name, src: str, mt: str, opts: Mapping[str, Any]) -> bool:
    """A glossary term (option ``glossary``: the config's ``[[glossary]]`` terms, which
    the engine also passes to T002) whose source overlaps the name and one of whose
    targets is in the MT: the name is translated as the user requires."""
    import json

    from mtqc.checks.terms import _glossary

    terms = opts.get("glossary") or []
    for g in _glossary(json.dumps(list(terms), sort_keys=True)):
        for m in g.source.finditer(src):
            overlaps = m.start() < name.end and name.start < m.end()
            if overlaps and any(p.search(mt) for p in g.targets):
                return True
    return False


#: Abbreviated titles written before a name ("Dr", "Prof."), compared without the point.
_NAME_TITLES = frozenset(["dr", "prof", "mr", "mrs", "ms", "st", "sr", "jr"])


def _only_the_descriptor_differs(name: Name, found: list[str]) -> bool:
    """The MT has the person's name but another title or descriptor before it ("the
    Danish Ida Mortensen" for "Dane Ida Mortensen", "Doctor" for "Dr", "Pediatrician" for
    "Paediatrician"): the words missing from the MT all come first, are titles or
    ordinary English words, and at least two words of the name follow, all found."""
    k = 0
    while k < len(name.words) and name.words[k] not in found:
        k += 1
    rest = name.words[k:]
    return (
        k > 0
        and len(rest) >= 2
        and all(w in found for w in rest)
        and all(_title_or_word(w) for w in name.words[:k])
    )


def _title_or_word(word: str) -> bool:
    """A title or an ordinary English word, in British or American spelling."""
    w = word.lower().rstrip(".")
    if w in _NAME_TITLES:
        return True
    words = word_list("en_words.txt")
    return any(v in words for v in (w, w.replace("ae", "e"), w.replace("our", "or")))


def compare_names(seg: Segment, side: str, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """Names of the other text missing from the MT: on the MT when an MT name can be
    blamed (a partial or similar name), else on the other text."""
    other = getattr(seg, side) or ""
    mt = seg.mt
    fuzzy = side == "src"
    if side == "src":
        if lang_base(seg.src_lang) in set(opts.get("skip_langs", ())):
            return
        if not is_latin_script(other):
            return
    other_names = find_names(other)
    if not other_names:
        return
    mt_fold = fold(mt)
    other_names = [n for n in other_names if n.words and not _contains(mt_fold, fold(n.text))]
    if not other_names or _title_case(other) or _title_case(mt):
        return
    if side == "src" and opts.get("glossary"):
        other_names = [n for n in other_names if not _glossary_renders(n, other, mt, opts)]
        if not other_names:
            return
    if side == "src" and lang_base(seg.src_lang) in ("nl", ""):
        from mtqc.checks.names import src_name_accounted  # the Dutch gazetteer

        other_names = [n for n in other_names if not src_name_accounted(other, n.start, n.end, mt)]
        if not other_names:
            return
    mt_names = find_names(mt)
    mt_words = _capitalised_words(mt)
    other_fold = fold(other)
    other_words = _capitalised_words(other)
    acronyms = {w.replace(".", "") for w in _ACRONYM_RE.findall(mt)}
    free_mt = [
        n
        for n in mt_names
        if not _contains(other_fold, fold(n.text))
        and not any(_word_found(w, other_words, fuzzy) for w in n.words)
    ]
    label = "reference" if side == "ref" else "source"
    min_ratio = 0.6 if fuzzy else 0.4
    for name in other_names:
        found = [w for w in name.words if _word_found(w, mt_words, fuzzy)]
        if len(found) == len(name.words) or _initials(name) in acronyms:
            continue
        if found:
            if fuzzy:
                continue  # transliterations differ between languages
            if _only_the_descriptor_differs(name, found):
                continue
            blamed = next((n for n in mt_names if _aligned(n.words, name.words)), None)
            if blamed is not None and not _contains(other_fold, fold(blamed.text)):
                yield Hit(
                    blamed.start,
                    blamed.end,
                    f"Name “{blamed.text}” differs from the {label}, which has “{name.text}”.",
                    (name.text,),
                    evidence={f"{side}_name": name.text, f"{side}_start": name.start},
                )
            continue
        similar = [
            n
            for n in free_mt
            if SequenceMatcher(None, fold(n.text), fold(name.text)).ratio() >= min_ratio
        ]
        if similar:
            n = similar[0]
            free_mt.remove(n)
            yield Hit(
                n.start,
                n.end,
                f"Name “{n.text}” is not in the {label}, which has “{name.text}”.",
                (name.text,),
                evidence={f"{side}_name": name.text, f"{side}_start": name.start},
            )
        else:
            yield Hit(
                name.start,
                name.end,
                f"The {label} name “{name.text}” is missing from the MT.",
                side=side,
                severity=Severity.MINOR,
            )


@rule("N005", "name-mismatch-ref", "major", "accuracy/mistranslation", needs=("ref",))
def name_mismatch_ref(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """A multi-word name in the reference that the MT lacks or spells differently.

    What it flags: a capitalised multi-word name of the reference ("Maksim Kuzminov",
    "Air Force") that does not occur in the MT (case and accents ignored). If the MT has
    a name sharing some of its words ("Maxim Kuzminov") or a similar unmatched name, that
    MT name is flagged with the reference's spelling as the suggestion; if the MT has
    nothing to blame, the name is flagged on the reference (``side="ref"``). A name of
    which the MT keeps every word (e.g. in another order) is not flagged; nor are
    sentence-initial words ("The", "According"), all-caps labels or headlines in Title
    Case, nor a name whose only difference is a title or descriptor before it (MT "the
    Danish Ida Mortensen", "Doctor Annelies Goossens" for reference "Dane Ida Mortensen",
    "Dr Annelies Goossens").
    Why it matters: names that are dropped, mistransliterated or translated as common
    words are among the most damaging MT errors in news.
    Example: MT "Kiev said the pilot Maxim Kuzmin is in Ukraine." with reference
    "Kyiv said the pilot, Maksim Kuzminov, is in Ukraine."
    Use instead: the reference's name: "Maksim Kuzminov".
    """
    return compare_names(seg, "ref", opts)


@rule(
    "N006",
    "name-missing-src",
    "minor",
    "accuracy/omission",
    needs=("src",),
    options={"skip_langs": ["de", "lb"], "glossary": []},
)
def name_missing_src(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """A multi-word name in a Latin-script source that the MT lacks.

    What it flags: a capitalised multi-word name of the source none of whose words
    occurs in the MT, even approximately (case, accents, shared first four letters and
    close spellings are accepted, so "Koezminov" matches "Kuzminov" and "Staten" matches
    "States"). When the MT has an unmatched name that looks similar, the MT name is
    flagged with the source name as the suggestion; otherwise the name is flagged on the
    source (``side="src"``). Only for Latin-script sources (skipped for Chinese, Arabic,
    Cyrillic ...) and not for languages that capitalise all nouns (``skip_langs``,
    default German and Luxembourgish). Names that are translated by convention ("Rode
    Kruis" → "Red Cross") can be false alarms, hence the minor severity; a name that
    the user's glossary renders (the config's ``[[glossary]]`` terms, passed by the
    engine as option ``glossary`` as to T002) is not missing when the MT has one of its
    targets ("De Tweede Kamer" → "the House of Representatives"), nor, for a Dutch
    source, one that mtqc's gazetteer renders. A sentence-initial instruction verb
    before a UI label ("Click Save", "Choose File", "Cliquez Enregistrer", "Klik
    Opslaan") is not a name.
    Why it matters: names that are dropped or translated as common words are among the
    most damaging MT errors in news.
    Example: MT "The minister visited the city." with source "Minister Hanneke Vos
    bezocht de stad."
    Use instead: keep the name: "Minister Hanneke Vos visited the city."
    """
    return compare_names(seg, "src", opts)


# =========================================================================== formatting

_LONG_NUMBER_RE = re.compile(r"\d{5,}")
_NOT_BEFORE_LONG = frozenset(".,:/#+-'’_")
_NOT_AFTER_LONG = frozenset("/-_")
#: Nouns that name an identifier, not a quantity: the number after them (or after them
#: plus "is", "number", ":") labels something ("the ZIP code is 90210", "PO Box 12345").
_ID_NOUNS = (
    r"no|nr|num|number|id|code|zip|zip\s*code|post\s*code|postal\s*code|postcode|box|p\.?\s*o\.?\s*box|"
    r"port|error|err|exception|status|extension|ext|account|acct|invoice|order\s+(?:no|number|id)|ticket|case|"
    r"flight|room|suite|apt|serial|model|version|build|ref|reference|pin|patent|route|item|"
    r"part|product|sku|isbn|issn|batch|lot|policy|customer|member|user|tel|phone|fax|page|"
    r"p|pp|issue|bug|pr|cve|kb|doi|bus|line|platform|gate|seat|channel|station|#"
)
_ID_BEFORE_RE = re.compile(
    rf"(?:\b(?:{_ID_NOUNS})|#)\.?(?:\s+(?:no|nr|number|id|code)\.?)?"
    r"(?:\s+(?:is|was|are|were|reads))?\s*[:=#]?\s*[\"“'‘(]?$",
    re.I,
)
#: An identifier noun right after the number ("the 60098 error", "12345 port").
_ID_AFTER_RE = re.compile(
    r"^[\"”'’)]?\s+(?:error|code|exception|status|port|message|error\s+code)\b", re.I
)
#: A US state or Canadian province code before the number: a ZIP code ("CA 90210").
_STATE_BEFORE_RE = re.compile(r"\b[A-Z]{2}\s$")
_OPEN_QUOTES, _CLOSE_QUOTES = "\"“'‘«", "\"”'’»"


@rule(
    "N007",
    "unformatted-large-number",
    "minor",
    "locale/convention",
    options={"langs": ["en"]},
)
def unformatted_large_number(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """A number of five or more digits written without thousands separators ("40000").

    What it flags: an integer of 10,000 or more written as a bare run of digits in an
    English target (``langs`` option). Not flagged: four-digit numbers and years,
    numbers with a leading zero, numbers inside codes, URLs, decimals, and identifiers,
    which are labels, not quantities: a number after an identifier noun ("No. 12345",
    "#40213", "ID 55123", "the ZIP code is 90210", "PO Box 12345", "port 44300", "error
    60098", "flight 12345", "invoice number: 20231"), before one ("the 60098 error"),
    after a two-letter state code ("CA 90210"), or alone in quotes ("the "60098"
    error"); and numbers glued to letters or hyphens. Follows English (CLDR ``en``)
    grouping: a comma every three digits.
    Why it matters: English style groups thousands with commas; MT copies the source's
    bare digits, which readers mis-count ("400000" vs "40000").
    Example: "40000 years ago, we were still drawing on cave walls."
    Use instead: "40,000 years ago, we were still drawing on cave walls."
    """
    if lang_base(seg.tgt_lang) not in set(opts.get("langs", ())):
        return
    text = seg.mt
    for m in _LONG_NUMBER_RE.finditer(text):
        start, end = m.span()
        digits = m.group()
        before = text[start - 1] if start else " "
        after = text[end : end + 2]
        if digits[0] == "0" or before.isalnum() or before in _NOT_BEFORE_LONG:
            continue
        if after[:1].isalnum() or after[:1] in _NOT_AFTER_LONG:
            continue
        if after[:1] in ".," and after[1:2].isdigit():
            continue  # 12345.67 or a grouped number with a wrong group
        if _ID_BEFORE_RE.search(text[max(0, start - 30) : start]):
            continue  # "ZIP code 90210", "PO Box 12345", "port 44300", "error: 60098"
        if _ID_AFTER_RE.match(text[end : end + 20]) or _STATE_BEFORE_RE.search(
            text[max(0, start - 4) : start]
        ):
            continue  # "the 60098 error", "Beverly Hills, CA 90210"
        if before in _OPEN_QUOTES and after[:1] in _CLOSE_QUOTES:
            continue  # a quoted number is a label: the "60098" error
        yield Hit(
            start,
            end,
            f"Large number “{digits}” has no thousands separators.",
            (f"{int(digits):,}",),
        )
