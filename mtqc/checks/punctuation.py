"""Punctuation and typography rules (P codes): target text only, no companions needed."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from mtqc.checks._text import inside, is_abbreviation, lang_base, url_spans, word_before
from mtqc.checks.base import rule
from mtqc.model import Flag, Hit, Segment, SegmentResult

_PUNCT = ".,;:!?"
# Suggested replacement for a run of mixed marks: the strongest mark first.
_STRENGTH = "?!.;:,"


def _suggest(run: str) -> tuple[str, ...]:
    marks = sorted(set(run), key=_STRENGTH.index)
    return tuple(marks)


# --------------------------------------------------------------------------- P001

_RUN_RE = re.compile(r"[.,;:!?]{2,}")
_INTERROBANGS = frozenset({"?!", "!?", "?!?", "!?!"})


@rule(
    "P001",
    "doubled-punctuation",
    "minor",
    "fluency/punctuation",
    options={"allow": ["?!", "!?"]},
)
def doubled_punctuation(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """Two or more punctuation marks in a row, such as "said..", ",," or "!!".

    What it flags: runs of sentence punctuation written twice or combined ("..", ",,",
    ",.", "!!", "??", "?."). An ellipsis ("...", "…"), an abbreviation point followed by a
    comma or colon ("e.g.,", "U.S.:", "Inc.,") and the marks listed in the ``allow`` option
    (default "?!" and "!?") are not flagged.
    Why it matters: doubled marks are a typical MT and post-editing artifact (a period
    added after a sentence that already had one) and look careless in print.
    Example: "He left the country.. It was late." (".." is flagged).
    Use instead: one mark: "He left the country. It was late."
    """
    text = seg.mt
    allow = set(opts.get("allow", ()))
    urls: list[tuple[int, int]] | None = None
    for m in _RUN_RE.finditer(text):
        run = m.group()
        dots = len(run) - len(run.lstrip("."))
        if dots >= 3 and len(run) - dots <= 1:  # "...", "...." and "...?" are ellipses
            continue
        if run in allow or (run in _INTERROBANGS and "?!" in allow):
            continue
        if (
            len(run) == 2
            and run[0] == "."
            and run[1] in ",;:"
            and is_abbreviation(word_before(text, m.start()))
        ):
            continue
        if urls is None:
            urls = url_spans(text)
        if inside(m.start(), urls):
            continue
        yield Hit(m.start(), m.end(), f"Doubled punctuation: “{run}”.", _suggest(run))


# --------------------------------------------------------------------------- P002

_LONE_RE = re.compile(r"(?:\s+|^)([.,;:!?]+)(?=\s|$)")
_SPACED_ELLIPSIS_RE = re.compile(r"\.(?:[ \u00a0]\.){2,}")


@rule("P002", "stray-punctuation", "minor", "fluency/punctuation")
def stray_punctuation(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """A punctuation mark standing alone after another mark, as in "the action. . It".

    What it flags: a lone ".", ",", ";", ":", "!" or "?" separated by spaces from a
    preceding punctuation mark, or standing alone at the start of the segment. The span
    includes the space before the stray mark, so deleting the span fixes the text. A
    spaced ellipsis (". . .") is not flagged; a mark after a word ("word .") is left to
    P006.
    Why it matters: a leftover sentence mark from MT or segment joining is a visible
    error readers notice immediately.
    Example: "..., without specifying the date of the action. . It would have ..."
    Use instead: "..., without specifying the date of the action. It would have ..."
    """
    text = seg.mt
    if " " not in text:
        return
    ellipses: list[tuple[int, int]] | None = None
    for m in _LONE_RE.finditer(text):
        tok_start = m.start(1)
        if tok_start > 0 and (m.start() == 0 or text[m.start() - 1] not in _PUNCT):
            continue
        if m.group(1).startswith("..."):
            continue
        if ellipses is None:
            ellipses = [e.span() for e in _SPACED_ELLIPSIS_RE.finditer(text)]
        if inside(tok_start, ellipses):
            continue
        end = m.end() if tok_start > 0 else m.end() + (len(text) > m.end())
        start = m.start() if tok_start > 0 else 0
        yield Hit(
            start,
            end,
            f"Stray punctuation mark “{m.group(1)}” after another mark.",
            ("",),
        )


# --------------------------------------------------------------------------- P003

# Opening → closing quote pairs by target language; "default" is English-style.
_QUOTE_PAIRS: dict[str, tuple[tuple[str, str], ...]] = {
    "default": (("“", "”"), ("«", "»")),
    "de": (("„", "“"), ("»", "«")),
    "pl": (("„", "”"), ("«", "»")),
}
for _lang in ("cs", "sk", "sl", "hr", "bg", "lt", "et", "is", "da"):
    _QUOTE_PAIRS[_lang] = _QUOTE_PAIRS["de"]
for _lang in ("ro", "hu", "nl"):
    _QUOTE_PAIRS[_lang] = (("„", "”"), ("“", "”"), ("«", "»"))
_STRAIGHT_DQ_RE = re.compile(r'(?<!\d)"')
_ANY_QUOTE = frozenset('“”«»„"‘')
_SPACE_BEFORE = frozenset(" \t\u00a0\u202f([{—–-/")


def _opener_shaped(text: str, i: int) -> bool:
    before = text[i - 1] if i > 0 else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    return before in _SPACE_BEFORE and not after.isspace()


def _closer_shaped(text: str, i: int) -> bool:
    before = text[i - 1] if i > 0 else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    return not before.isspace() and (after.isspace() or after in _PUNCT + ")]}—–-")


_PAIR_RES: dict[tuple[str, str], re.Pattern[str]] = {}


def _paired_quotes(text: str, op: str, cl: str) -> Iterator[Hit]:
    regex = _PAIR_RES.get((op, cl))
    if regex is None:
        regex = _PAIR_RES[(op, cl)] = re.compile(f"[{re.escape(op + cl)}]")
    stack: list[int] = []
    for m in regex.finditer(text):
        i, ch = m.start(), m.group()
        if ch == op:
            if stack and _closer_shaped(text, i) and not _opener_shaped(text, i):
                # “hello“ — an opening mark used as the closing one
                stack.pop()
                yield Hit(i, i + 1, f"Opening quote {op} used as a closing quote.", (cl,))
            else:
                stack.append(i)
        elif ch == cl:
            if stack:
                stack.pop()
            elif _opener_shaped(text, i) and not _closer_shaped(text, i):
                # ”hello” — a closing mark used as the opening one
                stack.append(-1)
                yield Hit(i, i + 1, f"Closing quote {cl} used as an opening quote.", (op,))
            else:
                yield Hit(
                    i, i + 1, f"Closing quote {cl} has no opening quote.", evidence={"unopened": cl}
                )
    for i in stack:
        if i >= 0:
            yield Hit(
                i,
                i + 1,
                f"Opening quote {op} is never closed.",
                (op + "…" + cl,),
                evidence={"unclosed": op},
            )


def _straight_marks(text: str) -> list[int]:
    """Positions of the straight double quotes that are quotation marks.

    A " after a digit is an inch mark (a 27" monitor) unless it closes a quotation
    opened before it: "Agenda 2030", "COVID-19".
    """
    marks: list[int] = []
    is_open = False
    start = 0
    while (i := text.find('"', start)) >= 0:
        start = i + 1
        if i > 0 and text[i - 1].isdigit():
            if is_open and _closer_shaped(text, i):
                marks.append(i)
                is_open = False
            continue
        marks.append(i)
        is_open = not is_open
    return marks


def _straight_quotes(text: str) -> Iterator[Hit]:
    marks = _straight_marks(text)
    if len(marks) % 2 == 0:
        return
    # Pair them left to right by shape; the one that cannot pair is flagged.
    open_at: int | None = None
    bad: int | None = None
    for i in marks:
        if open_at is None:
            if _closer_shaped(text, i) and not _opener_shaped(text, i):
                bad = i
                break
            open_at = i
        else:
            if _opener_shaped(text, i) and not _closer_shaped(text, i):
                bad = open_at
                break
            open_at = None
    if bad is None:
        bad = open_at if open_at is not None else marks[-1]
    opens, closes = _opener_shaped(text, bad), _closer_shaped(text, bad)
    shape = "opens" if opens and not closes else "closes" if closes and not opens else ""
    yield Hit(bad, bad + 1, 'Straight quote " has no partner.', evidence={"straight": shape})


def _single_quotes(text: str) -> Iterator[Hit]:
    # ’ doubles as the apostrophe, so only an opening ‘ with no possible closer is flagged.
    start = 0
    while (i := text.find("‘", start)) >= 0:
        start = i + 1
        if i + 1 < len(text) and text[i + 1].isdigit():  # ‘90s: a wrong apostrophe, not a quote
            continue
        closers = [
            j
            for j in range(i + 1, len(text))
            if text[j] == "’" and not (j + 1 < len(text) and text[j + 1].isalnum())
        ]
        if not closers:
            yield Hit(i, i + 1, "Opening quote ‘ is never closed.", ("‘…’",))


@rule("P003", "unbalanced-quotes", "minor", "fluency/punctuation")
def unbalanced_quotes(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """A quotation mark without its partner, or pointing the wrong way.

    What it flags: an opening “ or « that is never closed, a closing ” or » with no
    opening mark, “ used where ” belongs (and the reverse), an odd straight " (inch marks
    such as 27" are ignored, but a " after a digit that closes an open quotation is a
    quote: "Agenda 2030", "COVID-19"), and an opening ‘ with no closing ’. Apostrophes
    (don’t, the ’90s, the players’ union) are never counted as quotes. Quote pairs follow the target
    language („…“ for German, „…” for Polish and Dutch, “…” and «…» otherwise). A
    quotation left open at the end of a paragraph is not flagged when the next paragraph
    of the same document opens with the same mark (the convention for a quotation that
    runs over several paragraphs), nor one that a later segment of the same document
    closes (a quotation of several sentences, one segment each, up to
    :data:`QUOTATION_SPAN` segments on): :func:`continued_quotations`, run by the engine.
    Why it matters: MT often drops or flips a quotation mark, which changes where a
    quotation ends and who is being quoted.
    Example: "He said “I don’t want to be part of it. And he left."
    Use instead: "He said “I don’t want to be part of it.” And he left."
    """
    text = seg.mt
    if not _ANY_QUOTE.intersection(text):
        return
    pairs = _QUOTE_PAIRS.get(lang_base(seg.tgt_lang), _QUOTE_PAIRS["default"])
    hits: list[Hit] = []
    for op, cl in pairs:
        if op in text or cl in text:
            hits.extend(_paired_quotes(text, op, cl))
    if '"' in text:
        hits.extend(_straight_quotes(text))
    if "‘" in text:
        hits.extend(_single_quotes(text))
    yield from sorted(hits, key=lambda h: h.start)


#: How many segments after an unclosed quotation its closing mark may come (a quotation
#: of several sentences, one segment each).
QUOTATION_SPAN = 8


#: Each opening quotation mark's closing marks, in any language's pairs ("“" → "”", "“").
_CLOSERS: dict[str, frozenset[str]] = {
    op: frozenset(c for pairs in _QUOTE_PAIRS.values() for o, c in pairs if o == op)
    for pairs in _QUOTE_PAIRS.values()
    for op, _ in pairs
}


def _first_mark(
    results: Sequence[SegmentResult], marks: frozenset[str]
) -> tuple[SegmentResult, str] | None:
    """The first of ``results`` whose MT holds one of ``marks``, and the first such mark."""
    for r in results:
        for ch in r.segment.mt:
            if ch in marks:
                return r, ch
    return None


def _quote_flag(result: SegmentResult, key: str, value: str) -> Flag | None:
    return next(
        (f for f in result.flags if f.code == "P003" and f.evidence.get(key) == value), None
    )


def continued_quotations(results: Sequence[SegmentResult]) -> None:
    """Drop the P003 flags of a quotation that runs over several segments of a document.

    Two conventions, both correct typography: (1) a multi-paragraph quotation opens every
    paragraph with an opening mark and closes only the last one, so a paragraph whose
    quotation is unclosed is correct when the next paragraph opens with the same mark;
    (2) a quotation of several sentences split one sentence per segment opens in one
    segment and closes in a later one (‘He said: “Today is my first day.’ … ‘It is hard
    to find words.”’), so an unclosed opening mark and the first quotation mark of the
    next segments (up to :data:`QUOTATION_SPAN` later, segments without quotation marks
    between them) when that is an unopened closing mark pair up and neither is flagged;
    likewise an odd straight quote shaped as an opening one with a later odd one shaped
    as a closing one. Only within one document (``doc_id`` and source file). ``results``
    are in input order; flags are removed in place.
    """
    for i, cur in enumerate(results):
        a = cur.segment
        same_doc: list[SegmentResult] = []
        for r in results[i + 1 : i + 1 + QUOTATION_SPAN]:
            if r.segment.doc_id != a.doc_id or r.segment.source_file != a.source_file:
                break
            same_doc.append(r)
        if not same_doc:
            continue
        opener = same_doc[0].segment.mt.lstrip()[:1]
        if opener:  # (1) the next paragraph opens with the same mark
            cur.flags = [
                f
                for f in cur.flags
                if not (f.code == "P003" and f.evidence.get("unclosed") == opener)
            ]
        for f in [f for f in cur.flags if f.code == "P003"]:  # (2) closed further on
            mark = f.evidence.get("unclosed")
            straight = f.evidence.get("straight") == "opens"
            if not mark and not straight:
                continue
            closers = _CLOSERS[mark] if mark else frozenset('"')
            # the first later segment with one of these marks (those before it are
            # sentences inside the quotation) must start with an unpaired closing one
            found = _first_mark(same_doc, closers | {mark} if mark else closers)
            if found is None or found[1] not in closers:
                continue
            later, first = found
            key, value = ("straight", "closes") if straight else ("unopened", first)
            partner = _quote_flag(later, key, value)
            if partner is not None and later.segment.mt[partner.start] == first:
                cur.flags.remove(f)
                later.flags.remove(partner)


# --------------------------------------------------------------------------- P004

_CURLY_DQ_RE = re.compile(r"[“”]")
_STRAIGHT_APOS_RE = re.compile(r"(?<=[^\W\d_])'(?=[^\W\d_])")
_CURLY_APOS_RE = re.compile(r"(?<=[^\W\d_])’(?=[^\W\d_])")


def _minority(
    text: str, a: re.Pattern[str], b: re.Pattern[str], a_name: str, b_name: str
) -> Iterator[Hit]:
    ma, mb = list(a.finditer(text)), list(b.finditer(text))
    if not ma or not mb:
        return
    few, style, other = (ma, a_name, b_name) if len(ma) <= len(mb) else (mb, b_name, a_name)
    for m in few:
        yield Hit(
            m.start(),
            m.end(),
            f"Mixed quote styles: {style} here, {other} elsewhere in the segment.",
            evidence={"minority": style, "majority": other},
        )


@rule("P004", "mixed-quote-styles", "info", "fluency/inconsistency")
def mixed_quote_styles(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """Straight and typographic quotes or apostrophes mixed in one segment.

    What it flags: a segment that uses both straight double quotes (") and typographic
    ones (“ ”), or both straight (') and typographic (’) apostrophes inside words. The
    less frequent style is flagged (straight on a tie). Inch marks (27") are ignored.
    Why it matters: mixed styles betray text pasted from different sources or partly
    post-edited MT, and house style requires one.
    Example: "“I don’t know,” he said. "We can't stay.""
    Use instead: "“I don’t know,” he said. “We can’t stay.”"
    """
    text = seg.mt
    if '"' in text and ("“" in text or "”" in text):
        yield from _minority(text, _STRAIGHT_DQ_RE, _CURLY_DQ_RE, "straight quotes", "“ ”")
    if "'" in text and "’" in text:
        yield from _minority(
            text, _STRAIGHT_APOS_RE, _CURLY_APOS_RE, "straight apostrophes", "’ apostrophes"
        )


# --------------------------------------------------------------------------- P005

_BRACKETS = {")": "(", "]": "[", "}": "{"}
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_ANY_BRACKET = frozenset("()[]{}")
_BRACKET_RE = re.compile(r"[()\[\]{}]")
# "1)", "a)", "iv)" list enumerators and ":)" emoticons are not unbalanced brackets.
_ENUMERATOR_RE = re.compile(r"(?:^|(?<=[\s(]))(?:\d{1,2}|[A-Za-z]|[ivxIVX]{1,4})\)")
_EMOTICON_RE = re.compile(r"[:;=][-']?[()\[\]]")


@rule("P005", "unbalanced-brackets", "minor", "fluency/punctuation")
def unbalanced_brackets(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """A parenthesis or bracket without its partner.

    What it flags: an opening "(", "[" or "{" that is never closed, and a closing one with
    no opening partner (or closing the wrong kind). List enumerators such as "1)" or "a)"
    and emoticons such as ":)" are not flagged.
    Why it matters: MT regularly drops one bracket of a pair, which leaves readers unsure
    where an aside ends.
    Example: "The pilot (28 years old is now in Ukraine."
    Use instead: "The pilot (28 years old) is now in Ukraine."
    """
    text = seg.mt
    if not _ANY_BRACKET.intersection(text):
        return
    hits = list(_bracket_hits(text, set()))
    if hits:
        skip = {m.end() - 1 for m in _ENUMERATOR_RE.finditer(text)}
        skip.update(m.end() - 1 for m in _EMOTICON_RE.finditer(text))
        yield from _bracket_hits(text, skip)


def _bracket_hits(text: str, skip: set[int]) -> Iterator[Hit]:
    stack: list[tuple[int, str]] = []
    for m in _BRACKET_RE.finditer(text):
        i, ch = m.start(), m.group()
        if ch in _OPENERS:
            if i not in skip:
                stack.append((i, ch))
        elif ch in _BRACKETS:
            want = _BRACKETS[ch]
            if stack and stack[-1][1] == want:
                stack.pop()
            elif any(o == want for _, o in stack):
                while stack[-1][1] != want:
                    j, o = stack.pop()
                    yield Hit(j, j + 1, f"Opening “{o}” is never closed.", (o + "…" + _OPENERS[o],))
                stack.pop()
            elif i not in skip:
                yield Hit(i, i + 1, f"Closing “{ch}” has no opening “{want}”.")
    for j, o in stack:
        yield Hit(j, j + 1, f"Opening “{o}” is never closed.", (o + "…" + _OPENERS[o],))


# --------------------------------------------------------------------------- P006

_SPACE_PUNCT_RE = re.compile(r"([ \t\u00a0\u202f]+)([,.;:!?])(?![\w.])")
_FRENCH_SPACED = frozenset(";:!?»")


@rule(
    "P006",
    "space-before-punctuation",
    "minor",
    "fluency/punctuation",
    options={"french_spacing_langs": ["fr"]},
)
def space_before_punctuation(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """A space between a word and the punctuation mark that follows it ("word ,").

    What it flags: whitespace before ",", ".", ";", ":", "!" or "?" that ends a word. The
    span covers the space and the mark; the suggestion is the mark alone. Not flagged: a
    mark that starts a token (".NET", " .5", " ..."), emoticons (" :)"), a stray mark
    after another mark (left to P002), and ";", ":", "!", "?" in targets whose typography
    spaces them (``french_spacing_langs``, default French). In a Chinese or Japanese
    target an ASCII mark in CJK text is left to P009, whose fix is the fullwidth mark.
    Why it matters: tokenised MT output ("word , word .") and careless joins leave these
    spaces; they look like typing errors.
    Example: "The pilot , who is 28 , is in Ukraine ."
    Use instead: "The pilot, who is 28, is in Ukraine."
    """
    text = seg.mt
    if " " not in text:
        return
    french = lang_base(seg.tgt_lang) in set(opts.get("french_spacing_langs", ()))
    cjk = _fullwidth_target(seg)
    for m in _SPACE_PUNCT_RE.finditer(text):
        mark = m.group(2)
        if m.start() == 0:
            continue
        if cjk and _ascii_mark_in_cjk(text, m.start(), m.start(2), m.end()):
            continue  # an ASCII mark in Chinese/Japanese text: P009 suggests the fullwidth one
        prev = text[m.start() - 1]
        if prev.isspace() or prev in _PUNCT or prev in "([{“‘«—–-":
            continue
        if french and mark in _FRENCH_SPACED:
            continue
        after = text[m.end()] if m.end() < len(text) else ""
        if mark in ":;" and after in "()[]-":  # emoticons
            continue
        yield Hit(m.start(), m.end(), f"Space before “{mark}”.", (mark,))


# --------------------------------------------------------------------------- P007

_GLUED_RE = re.compile(r"[.!?,;][”’»)]?(?=[^\W\d_]{2})")


def _glued(text: str, start: int, end: int) -> bool:
    """Is the mark at ``start:end`` glued between two words that need a space?"""
    if start < 2:
        return False
    a, b = text[start - 2], text[start - 1]
    if text[start] in ",;":
        return a.isalpha() and b.isalpha()
    nxt = text[end : end + 2]
    return b.islower() and (a.islower() or a.isdigit()) and nxt[0].isupper() and nxt[1].islower()


@rule("P007", "missing-space-after-punctuation", "minor", "fluency/punctuation")
def missing_space_after_punctuation(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """No space after a sentence mark or comma: "the action.It would", "red,green".

    What it flags: ".", "!" or "?" (optionally with a closing quote or bracket) between a
    lowercase word and a capitalised word with no space, and "," or ";" glued between two
    words. The span is the mark; the suggestion adds the space. Not flagged: decimals
    (3.5), abbreviations (e.g., U.S., Ph.D.), acronyms and product names (ASP.NET),
    URLs, e-mail addresses and domains. In a Chinese or Japanese target an ASCII mark
    between CJK characters is left to P009: its fix is the fullwidth mark (，), not ", ".
    Why it matters: a lost space usually comes from joining segments or stripping markup
    and makes two sentences run together.
    Example: "It was late.The pilot flew on."
    Use instead: "It was late. The pilot flew on."
    """
    text = seg.mt
    urls: list[tuple[int, int]] | None = None
    cjk = _fullwidth_target(seg)
    for m in _GLUED_RE.finditer(text):
        if not _glued(text, m.start(), m.end()):
            continue
        if cjk and _ascii_mark_in_cjk(text, m.start(), m.start(), m.start() + 1):
            continue  # "我们,明天": the fix is "，" (P009), not ", "
        if urls is None:
            urls = url_spans(text)
        if inside(m.start(), urls):
            continue
        mark = m.group()
        yield Hit(m.start(), m.end(), f"No space after “{mark}”.", (mark + " ",))


# --------------------------------------------------------------------------- P009

#: Target languages written with fullwidth (ideographic) punctuation.
_FULLWIDTH_LANGS = frozenset({"zh", "ja", "yue", "cmn", "lzh", "wuu"})
_CJK_CHAR_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_FULLWIDTH_TO_ASCII = {
    "，": ",",
    "、": ",",
    "。": ".",
    "．": ".",
    "；": ";",
    "：": ":",
    "！": "!",
    "？": "?",
    "（": "(",
    "）": ")",
    "【": "[",
    "】": "]",
    "「": "“",
    "」": "”",
    "『": "‘",
    "』": "’",
}
_FULLWIDTH_RE = re.compile(f"[{''.join(_FULLWIDTH_TO_ASCII)}]")
_ASCII_TO_FULLWIDTH = {
    ",": "，",
    ";": "；",
    ":": "：",
    "!": "！",
    "?": "？",
    "(": "（",
    ")": "）",
    ".": "。",
}
_ASCII_MARK_RE = re.compile(r"[ \t]*([,;:!?().])[ \t]*")


def _is_cjk(ch: str) -> bool:
    return bool(ch) and _CJK_CHAR_RE.match(ch) is not None


def _fullwidth_target(seg: Segment) -> bool:
    return lang_base(seg.tgt_lang) in _FULLWIDTH_LANGS


def _ascii_mark_in_cjk(text: str, start: int, mark_at: int, end: int) -> bool:
    """Is the ASCII mark at ``mark_at`` (with spaces ``start:end``) punctuating CJK text?"""
    mark = text[mark_at]
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    if mark == "(":
        return _is_cjk(after) or (_is_cjk(before) and not after.isascii())
    if mark == ".":
        return _is_cjk(before) and (not after or _is_cjk(after))
    if mark == ")":
        return _is_cjk(before)
    return _is_cjk(before) or (_is_cjk(after) and not before.isspace())


@rule("P009", "script-punctuation", "minor", "fluency/punctuation")
def script_punctuation(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """Punctuation of another script: fullwidth ，。（） in English, ASCII , . in Chinese.

    What it flags: in a target written with Latin, Cyrillic, Greek or other spaced
    scripts, a fullwidth or ideographic mark (，、。；：！？（）【】「」『』) that does not sit
    next to CJK text (a quoted Chinese name keeps its own marks); the suggestion is the
    ASCII mark, with the space that the target's typography puts after it. In a Chinese
    or Japanese target (``zh``, ``ja``, ``yue``), an ASCII , ; : ! ? ( ) or sentence-final
    . that punctuates CJK text, with any spaces around it; the suggestion is the
    fullwidth mark (，；：！？（）。), or 、 for a Japanese comma — not ", ", because CJK
    punctuation carries its own spacing. Korean uses ASCII punctuation and is not checked
    for it. Decimals, times (3:00), URLs and Latin words inside CJK text are left alone.
    Why it matters: mixing scripts' punctuation is a visible sign of unedited MT or of
    text pasted from the source, and it breaks line wrapping and spacing.
    Example: "He said，we will meet tomorrow。" in an English target.
    Use instead: "He said, we will meet tomorrow."
    """
    text = seg.mt
    if _fullwidth_target(seg):
        japanese = lang_base(seg.tgt_lang) == "ja"
        urls: list[tuple[int, int]] | None = None
        for m in _ASCII_MARK_RE.finditer(text):
            if not _ascii_mark_in_cjk(text, m.start(), m.start(1), m.end()):
                continue
            if urls is None:
                urls = url_spans(text)
            if inside(m.start(1), urls):
                continue
            mark = m.group(1)
            full = "、" if japanese and mark == "," else _ASCII_TO_FULLWIDTH[mark]
            yield Hit(
                m.start(),
                m.end(),
                f"ASCII “{mark}” in {'Japanese' if japanese else 'Chinese'} text.",
                (full,),
            )
        return
    if not _FULLWIDTH_RE.search(text):
        return
    kept_open = 0
    for m in _FULLWIDTH_RE.finditer(text):
        i, mark = m.start(), m.group()
        before = text[i - 1] if i else ""
        after = text[i + 1] if i + 1 < len(text) else ""
        if _is_cjk(before) or (mark in "（【「『" and _is_cjk(after)):
            kept_open += mark in "（【「『"
            continue  # CJK text quoted inside the target keeps its marks
        if mark in "）】」』" and kept_open:
            kept_open -= 1
            continue  # closes a bracket that CJK text opened: 王小明（Wang）
        ascii_mark = _FULLWIDTH_TO_ASCII[mark]
        fix = ascii_mark
        if ascii_mark in ",.;:!?)]”’" and after and (after.isalnum() or after in "(“‘"):
            fix += " "
        if ascii_mark in "([“‘" and before and before.isalnum():
            fix = " " + fix
        lang = lang_base(seg.tgt_lang) or "en"
        yield Hit(
            i,
            i + 1,
            f"Fullwidth “{mark}” in a target in '{lang}', which uses ASCII punctuation.",
            (fix,),
        )
