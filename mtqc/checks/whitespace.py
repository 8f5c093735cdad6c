"""Whitespace, casing and character-level rules (W codes): target text only."""

from __future__ import annotations

import operator
import re
import unicodedata
from collections.abc import Iterator, Mapping
from itertools import islice, repeat
from typing import Any

from mtqc.checks._text import is_abbreviation, lang_base, word_before
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

# What UTF-8 continuation bytes (0x80–0xBF) look like when decoded as Windows-1252.
_CONT = "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(0x80, 0xC0))
_MOJIBAKE_RE = re.compile(
    f"[\u00c2-\u00c5][{re.escape(_CONT)}]|\u00e2[\u20ac\u0080-\u00bf][{re.escape(_CONT)}]?"
)


def _repair(chunk: str) -> str | None:
    try:
        fixed = chunk.encode("cp1252").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        try:
            fixed = chunk.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return None
    return fixed if fixed != chunk else None


@rule("W006", "mojibake", "major", "fluency/spelling")
def mojibake(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """Garbled characters from UTF-8 text decoded as Windows-1252 or Latin-1 ("Ã©", "â€™").

    What it flags: the two- and three-character sequences that UTF-8 letters and
    punctuation turn into when read with the wrong encoding, e.g. "Ã©" for "é", "Â°"
    for "°" and "â€™" for "’". The suggestion is the repaired character when it can be
    recovered.
    Why it matters: mojibake makes names and quotes unreadable and shows the feed was
    decoded wrongly somewhere upstream; it usually affects the whole document.
    Example: "Zelenskyâ€™s visit to MÃ¼nchen"
    Use instead: "Zelensky’s visit to München"
    """
    text = seg.mt
    if text.isascii():
        return
    for m in _MOJIBAKE_RE.finditer(text):
        fixed = _repair(m.group())
        yield Hit(
            m.start(),
            m.end(),
            f"Garbled characters “{m.group()}” (text decoded with the wrong encoding).",
            (fixed,) if fixed else (),
        )
