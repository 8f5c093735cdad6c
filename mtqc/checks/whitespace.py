"""Whitespace, casing and character-level rules (W codes): target text only."""

from __future__ import annotations

import operator
import re
import unicodedata
from collections.abc import Iterator, Mapping
from itertools import islice, repeat
from typing import Any

from mtqc.checks._text import is_abbreviation, is_latin_script, lang_base, word_before
from mtqc.checks.base import rule
from mtqc.model import Hit, Segment

# --------------------------------------------------------------------------- W001

_DOUBLED_RE = re.compile(
    r"(?<![\w'’\-])([^\W\d_]+(?:['’][^\W\d_]+)?)[ \t\u00a0]+(\1)(?![\w'’\-])",
    re.IGNORECASE,
)
# Words whose doubling is grammatical ("what it is is", "he had had") or idiomatic.
DEFAULT_DOUBLE_OK = [
    "had",
    "that",
    "is",
    "was",
    "do",
    "does",
    "bye",
    "ha",
    "no",
    "knock",
    "tut",
    "blah",
    "yada",
    "chop",
    "hush",
    "there",
    "now",
    "well",
    "so",
    "night",
    "boo",
    "choo",
    "ylang",
]
# Cheap pre-check: two equal neighbouring tokens once punctuation is stripped.
_TOKEN_PUNCT = '.,;:!?()[]{}“”‘’"«»—–'
_FUNCTION_WORD_LIST = (
    "the a an of to in on at for and or but is are was were it its this with by from"
)
_FUNCTION_WORDS = frozenset(_FUNCTION_WORD_LIST.split())


@rule(
    "W001",
    "doubled-word",
    "minor",
    "fluency/grammar",
    options={"allow": DEFAULT_DOUBLE_OK},
)
def doubled_word(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """The same word twice in a row: "the the", "to to".

    What it flags: a word repeated with only whitespace between (case-insensitive). Not
    flagged: words in the ``allow`` option, whose doubling is grammatical or idiomatic
    ("what it is is", "he had had", "that that", "bye bye"); repeated capitalised words
    that form names ("Bora Bora", "Walla Walla"); numbers; repetitions separated by a
    comma ("very, very").
    Why it matters: a doubled word is a classic MT and editing slip that readers notice.
    Example: "The pilot flew to to the border."
    Use instead: "The pilot flew to the border."
    """
    text = seg.mt
    toks = list(map(str.strip, text.lower().split(), repeat(_TOKEN_PUNCT)))
    if not any(map(operator.eq, toks, islice(toks, 1, None))):
        return
    allow: set[str] | None = None
    for m in _DOUBLED_RE.finditer(text):
        word, second = m.group(1), m.group(2)
        low = word.lower()
        if allow is None:
            allow = {w.lower() for w in opts.get("allow", ())}
        if low in allow:
            continue
        if second[:1].isupper() and not second.isupper() and low not in _FUNCTION_WORDS:
            continue  # Bora Bora, Walla Walla
        yield Hit(
            m.start(),
            m.end(),
            f"Doubled word: “{m.group()}”.",
            (word,),
        )


# --------------------------------------------------------------------------- W002

_MULTI_SPACE_RE = re.compile(r"(?<=\S)[ \t\u00a0\u202f]{2,}(?=\S)")


@rule(
    "W002",
    "doubled-whitespace",
    "info",
    "fluency/punctuation",
    options={"after_sentence_end": False},
)
def doubled_whitespace(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """Two or more spaces (or tabs) between words.

    What it flags: a run of two or more spaces or tabs inside the text. Two spaces after
    a sentence end (".  Next") are a typing convention and only flagged when the
    ``after_sentence_end`` option is true.
    Why it matters: stray spaces are left by deleted words or joined segments; they can
    mark an omission and break layout.
    Example: "The pilot  flew to the border."
    Use instead: "The pilot flew to the border."
    """
    text = seg.mt
    if "  " not in text and "\t" not in text and "\u00a0" not in text:
        return
    after_end = bool(opts.get("after_sentence_end", False))
    for m in _MULTI_SPACE_RE.finditer(text):
        if not after_end and text[m.start() - 1] in '.!?:”’"':
            continue
        yield Hit(m.start(), m.end(), f"{m.end() - m.start()} spaces in a row.", (" ",))


# --------------------------------------------------------------------------- W003

_EDGE_SPACE_RE = re.compile(r"^\s+|\s+$")


@rule("W003", "leading-trailing-whitespace", "info", "fluency/punctuation")
def leading_trailing_whitespace(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """Whitespace at the start or end of the segment.

    What it flags: spaces, tabs or line breaks before the first or after the last
    visible character (a segment of only whitespace is flagged whole).
    Why it matters: edge whitespace breaks joins, alignment with the source and exact
    matching in translation memories.
    Example: " The pilot flew to the border. "
    Use instead: "The pilot flew to the border."
    """
    text = seg.mt
    if not text or (not text[0].isspace() and not text[-1].isspace()):
        return
    for m in _EDGE_SPACE_RE.finditer(text):
        where = "Leading" if m.start() == 0 else "Trailing"
        yield Hit(m.start(), m.end(), f"{where} whitespace.", ("",))


# --------------------------------------------------------------------------- W004

_LOWER_START_RE = re.compile(
    r"([.!?])([”’\"»)]?)[ \u00a0]+([“‘\"«(]?)([a-z\u00df-\u00ff][a-z\u00df-\u00ff'’\-]*)(?![\w])"
)


@rule("W004", "lowercase-sentence-start", "minor", "fluency/spelling")
def lowercase_sentence_start(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """A sentence inside the segment that starts with a lowercase letter.

    What it flags: a lowercase word after ".", "!" or "?" and a space. Not flagged: after
    an abbreviation ("e.g. the", "U.S. troops", "approx. two", initials), after an
    ellipsis, after "?" or "!" that closes a quotation ("“Why?” he asked"), and
    lowercase brand names with an inner capital ("iPhone"). The start of the segment is
    not checked (segments may continue a sentence).
    Why it matters: a lowercase sentence start usually means a sentence was split or
    joined wrongly by the MT, or a period was inserted in mid-sentence.
    Example: "The pilot defected. he took his helicopter."
    Use instead: "The pilot defected. He took his helicopter."
    """
    text = seg.mt
    for m in _LOWER_START_RE.finditer(text):
        mark, closer = m.group(1), m.group(2)
        if mark == ".":
            if m.start() > 0 and text[m.start() - 1] == ".":
                continue  # ellipsis
            if is_abbreviation(word_before(text, m.start())):
                continue
        elif closer:
            continue  # “Why?” he asked.
        word = m.group(4)
        yield Hit(
            m.start(4),
            m.end(4),
            f"Sentence starts with a lowercase letter: “{word}”.",
            (word[0].upper() + word[1:],),
        )


# --------------------------------------------------------------------------- W005

_INVISIBLE_RE = re.compile(
    "[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u00ad\u200b\u200e\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufffd]+"
)
_RTL_LANGS = frozenset({"ar", "he", "fa", "ur", "yi", "ps", "sd", "ug", "dv"})
_BIDI_MARKS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _char_name(ch: str) -> str:
    return f"U+{ord(ch):04X} {unicodedata.name(ch, 'CONTROL CHARACTER')}"


@rule("W005", "invisible-character", "minor", "other")
def invisible_character(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """Invisible, control or replacement characters in the text.

    What it flags: zero-width spaces, byte-order marks, soft hyphens, control characters,
    direction marks (except in right-to-left targets) and U+FFFD, the replacement
    character left by a decoding error. Zero-width joiners (emoji, Indic scripts) are
    not flagged.
    Why it matters: invisible characters break search, spell-checking, word counts and
    matching against glossaries; U+FFFD means characters were lost.
    Example: "The pilot[U+200B] flew to the border." (a zero-width space after "pilot")
    Use instead: "The pilot flew to the border."
    """
    text = seg.mt
    if text.isascii() and text.isprintable():
        return
    rtl = lang_base(seg.tgt_lang) in _RTL_LANGS
    for m in _INVISIBLE_RE.finditer(text):
        chars = m.group()
        if rtl and all(c in _BIDI_MARKS for c in chars):
            continue
        names = ", ".join(dict.fromkeys(_char_name(c) for c in chars))
        if "\ufffd" in chars:
            msg = f"Replacement character ({names}): characters were lost in decoding."
            yield Hit(m.start(), m.end(), msg)
        else:
            yield Hit(m.start(), m.end(), f"Invisible character: {names}.", ("",))


# --------------------------------------------------------------------------- W006

# UTF-8 decoded with the wrong single-byte code page: each byte of a multi-byte character
# became one character. A run of such characters is found by encoding it back with each
# candidate code page (bytes it cannot encode borrowed from Windows-1252 / Latin-1, as
# sloppy decoders do) and decoding the bytes as UTF-8.
_CODEPAGES = (
    "cp1252",
    "latin-1",
    "cp1250",
    "cp1251",
    "cp1253",
    "cp1254",
    "cp1257",
    "cp874",
    "iso8859_2",
    "iso8859_5",
    "iso8859_7",
    "iso8859_13",
    "iso8859_15",
    "mac_roman",
    "cp437",
    "cp850",
    "koi8_r",
    "koi8_u",
    "mac_cyrillic",
    "cp1255",
    "cp1256",
)
_NON_ASCII_RUN_RE = re.compile(r"[^\x00-\x7f]{2,}")
# Characters a repaired sequence may be: letters of the common scripts and the usual
# typographic punctuation and symbols (not C1 controls, combining marks or rare blocks).
_REPAIRED_SYMBOLS = frozenset("\u00a0¡¢£¤¥§©«®°±²³´µ¶·¹º»¼½¾¿×÷‐‑–—―‘’‚“”„†‡•…‰‹›€™№−")
_LETTER_RANGES = (
    (0x00C0, 0x024F),
    (0x0370, 0x03FF),
    (0x0400, 0x04FF),
    (0x05D0, 0x05EA),
    (0x0620, 0x064A),
    (0x0E01, 0x0E5B),
    (0x1E00, 0x1EFF),
    (0x3040, 0x30FF),
    (0x4E00, 0x9FFF),
    (0xAC00, 0xD7AF),
    (0x1F300, 0x1FAFF),
)
_CLOSING_QUOTES = frozenset("’”")
_ODD_CATEGORIES = frozenset(["Sm", "Sc", "Sk", "So", "No", "Nd", "Nl", "Cc", "Co", "Cn"])
#: Marks that may follow a word in real text ("KAPCSOLÓ…", "«Принтери»", „Další…“).
_NATURAL_AFTER_LETTER = frozenset("»…“”’–—\u00a0")
_NATURAL_MARKS = frozenset("«»…“”‘’„–—")


def _byte_table(codepage: str, sloppy: bool) -> dict[str, int]:
    table: dict[str, int] = {}
    for cp in ("latin-1", "cp1252", codepage) if sloppy else (codepage,):
        for b in range(0x80, 0x100):
            try:
                table[bytes([b]).decode(cp)] = b
            except UnicodeDecodeError:
                continue
    return table


_TABLES = [(_byte_table(cp, sloppy)) for sloppy in (False, True) for cp in _CODEPAGES]
#: Characters that some code page makes of a UTF-8 lead byte (a cheap first test).
_LEADS = frozenset(ch for t in _TABLES for ch, b in t.items() if 0xC2 <= b <= 0xF4)


def _plausible(ch: str) -> bool:
    if ch in _REPAIRED_SYMBOLS:
        return True
    o = ord(ch)
    return unicodedata.category(ch)[0] == "L" and any(a <= o <= b for a, b in _LETTER_RANGES)


def _odd(text: str, i: int, chunk: str, latin_target: bool) -> bool:
    """Would a reader find ``chunk`` odd? A symbol among letters, a script foreign to a
    Latin-script target, or a capital in mid-word ("KrakĂłw"). Letters of the target's
    own script and ordinary punctuation ("…", "«", "؟") are not odd."""
    lead = unicodedata.category(chunk[0])[0]
    if lead in "SNP" and chunk[0] not in _NATURAL_MARKS:
        return True  # a sequence that starts with a mark: "‚Äô", "├╝"
    for c in chunk[1:]:
        if c in _NATURAL_AFTER_LETTER:
            continue
        if 0x80 <= ord(c) <= 0xBF or unicodedata.category(c) in _ODD_CATEGORIES:
            return True  # a symbol, digit or control after a letter (and ª º µ ¡ «)
    if latin_target and any(c.isalpha() and ord(c) > 0x24F for c in chunk):
        return True
    return i > 0 and text[i - 1].islower() and chunk[0].isupper()


def _decode_at(text: str, i: int, latin_target: bool, odd: bool = True) -> tuple[int, str] | None:
    """The end and repaired character of a mojibake sequence starting at ``text[i]``
    (``odd=False``: also one that looks like ordinary letters, next to known mojibake)."""
    if text[i] not in _LEADS:
        return None
    for table in _TABLES:
        lead = table.get(text[i])
        if lead is None or not 0xC2 <= lead <= 0xF4:
            continue
        end = i + (2 if lead < 0xE0 else 3 if lead < 0xF0 else 4)
        chunk = text[i:end]
        raw = [table.get(c) for c in chunk]
        if len(chunk) < end - i or None in raw:
            continue
        try:
            fixed = bytes(raw).decode("utf-8")  # type: ignore[arg-type]
        except UnicodeDecodeError:
            continue
        if not _plausible(fixed):
            continue
        if odd and not _odd(text, i, chunk, latin_target):
            continue
        if odd and i and text[i - 1].isalpha() and set(chunk[1:]) <= _CLOSING_QUOTES:
            continue  # "café’”": a word, then closing quotes
        return end, fixed
    return None


# What a cut-off sequence (its last byte undefined in the code page and dropped) was.
_CUT_QUOTE_RE = re.compile("(?:\u00e2|\u0e42)(?:\u20ac|\u0080)")


def find_mojibake(text: str) -> list[tuple[int, int, str | None]]:
    """Spans of mojibake in ``text`` with the repaired text (None when it cannot be told)."""
    latin_target = is_latin_script(text)
    out: list[tuple[int, int, str | None]] = []
    for run in _NON_ASCII_RUN_RE.finditer(text):
        i = run.start()
        while i < run.end() - 1:
            found = _decode_at(text, i, latin_target)
            if found is None:
                cut = _CUT_QUOTE_RE.match(text, i)
                if cut and (cut.end() == len(text) or not text[cut.end()].isalnum()):
                    out.append((i, cut.end(), "”" if i and not text[i - 1].isspace() else None))
                    i = cut.end()
                else:
                    i += 1
                continue
            end, fixed = found
            start = i
            floor = max(run.start(), out[-1][1] if out else 0)
            # letters-only mojibake just before ("Îš" before "Ï…" in "ÎšÏ…ÏÎ¹Î¬ÎºÎ¿Ï‚")
            while start - 2 >= floor:
                back = _decode_at(text, start - 2, latin_target, odd=False)
                if back is None or back[0] != start:
                    break
                start, fixed = start - 2, back[1] + fixed
            if out and out[-1][1] == start and out[-1][2] is not None:
                out[-1] = (out[-1][0], end, out[-1][2] + fixed)
            else:
                out.append((start, end, fixed))
            i = end
    return out


@rule("W006", "mojibake", "major", "fluency/spelling")
def mojibake(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """Garbled characters from UTF-8 text decoded with a wrong code page ("Ã©", "â€™").

    What it flags: runs of characters that are the bytes of UTF-8 letters or
    punctuation read with a single-byte code page: Windows-1250 to -1257, Latin-1 and
    other ISO-8859 parts, Windows-874/TIS-620 (Thai), Mac Roman, DOS 437/850, KOI8-R/U,
    e.g. "Ã©" for "é", "Â°" for "°", "â€™" and "โ€™" for "’", "Рџ" for "П". A run counts
    when encoding it back with the code page gives valid UTF-8 of a common letter or mark,
    and the run itself looks odd (a symbol among letters, or a script foreign to a
    Latin-script target); a quotation mark cut off after its first two bytes ("â€" at a
    word end) is flagged too. The suggestion is the repaired text.
    Why it matters: mojibake makes names and quotes unreadable and shows the feed was
    decoded wrongly somewhere upstream; it usually affects the whole document.
    Example: "Zelenskyâ€™s visit to MÃ¼nchen"
    Use instead: "Zelensky’s visit to München"
    """
    text = seg.mt
    if text.isascii():
        return
    for start, end, fixed in find_mojibake(text):
        yield Hit(
            start,
            end,
            f"Garbled characters “{text[start:end]}” (text decoded with the wrong encoding).",
            (fixed,) if fixed else (),
        )


# --------------------------------------------------------------------------- W007

# A symbol glued to the end of a lowercase word and followed by another word: a
# punctuation mark lost to a code-page or font mapping ("hours† Police", "mayor‡ said").
_GLUED_SYMBOL_RE = re.compile(r"(?<=[a-z\u00df-\u00ff])([†‡¤¦§¶])(?=[ \u00a0]+[\w“‘\"'(])")
# ¤ and ¦ have no place inside prose at all, glued to a word on either side.
_STRAY_SYMBOL_RE = re.compile(r"(?<=\w)[¤¦]|[¤¦](?=\w)")


@rule("W007", "symbol-for-punctuation", "minor", "fluency/punctuation")
def symbol_for_punctuation(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """A dagger, section sign or stray symbol where a punctuation mark belongs.

    What it flags: "†", "‡", "§", "¶", "¤" or "¦" glued to the end of a lowercase word
    and followed by another word ("closed for hours† Police", "the mayor‡ said"), and
    "¤" or "¦" glued to a word anywhere. Not flagged: footnote daggers after names and
    capitalised words or before a comma ("Smith†, Jones"), "† 1945" for a death date,
    section and paragraph references ("§ 12", "§12", "¶ 3").
    Why it matters: these symbols replace a full stop, comma or quotation mark when
    text passes through a wrong code page or font; the sentence boundary is lost.
    Example: "The road was closed for hours† Police said the driver fled."
    Use instead: "The road was closed for hours. Police said the driver fled."
    """
    text = seg.mt
    if text.isascii():
        return
    seen: set[int] = set()
    for m in _GLUED_SYMBOL_RE.finditer(text):
        word = re.search(r"[\w’'-]+$", text[: m.start()])
        if word is None or not word.group()[0].islower():
            continue  # a footnote after a name: "Smith† and Jones"
        nxt = text[m.end() :].lstrip(" \u00a0")[:1]
        sugg = (".", ",") if nxt.isupper() else (",", ".")
        seen.add(m.start())
        yield Hit(
            m.start(),
            m.end(),
            f"Symbol “{m.group()}” where a punctuation mark belongs.",
            sugg,
        )
    for m in _STRAY_SYMBOL_RE.finditer(text):
        if m.start() not in seen:
            yield Hit(m.start(), m.end(), f"Stray symbol “{m.group()}” in the text.")
