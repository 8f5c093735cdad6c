"""Word alignment of an MT sentence to a reference (same language), for rules and scorers.

``align(mt, ref)`` tokenizes both texts, then aligns tokens in three passes:

1. **Monotone anchors** — the longest common subsequences of normalized tokens
   (case-folded, a light English stem: ``-s``/``-es``/``-ed``/``-ing``/``-ly`` removed,
   curly quotes folded), found with :class:`difflib.SequenceMatcher` on token keys.
   A lone stopword or punctuation anchor that sits in the middle of long unaligned
   stretches on both sides is dropped (it is usually a coincidence, not a
   correspondence).
2. **Moved words** — an unaligned MT content word whose key occurs among the unaligned
   reference words anywhere (word-order differences: "yesterday he said" / "he said
   yesterday") is aligned to the nearest such reference word.
3. **Near matches** — inside a gap between two anchors, an unaligned MT content word
   and an unaligned reference content word whose spellings are close
   (``colour``/``color``, ``organised``/``organization``) are aligned.

The result gives aligned pairs, unaligned MT and reference *runs* (maximal sequences of
consecutive unaligned tokens), and for each run the *counterpart* on the other side: the
unaligned tokens between the alignment points of the run's two aligned neighbours (what
the reference says instead, or what the MT says instead of an omitted phrase).

All spans are half-open code-point offsets. Standard library only; about 30–80 µs for a
pair of 25-word sentences.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from typing import NamedTuple

#: A token: a word (letters/digits with inner apostrophes, hyphens, dots or commas in
#: numbers) or a single non-space, non-word character.
TOKEN_RE = re.compile(r"\w+(?:[-'’.,]\w+)*|[^\w\s]")

#: English function words: never content, never enough to make a run worth flagging.
_STOPWORD_TEXT = """
    a an the this that these those some any each every no all both either neither
    of to in on at by for from with without into onto upon about above below over under
    between among through during before after since until till across against along
    around behind beyond near off out up down via per than as like unlike
    and or but nor so yet if then else when while because although though whether
    i me my mine we us our ours you your yours he him his she her hers it its
    they them their theirs one ones who whom whose which what where why how
    is are was were be been being am do does did done doing have has had having
    will would shall should can could may might must ought
    not no n't 's ’s 're 've 'll 'd just also too very really quite rather still even
    only already again ever never always often here there now then thus therefore
    such same other another more most less least much many few several own
    s t ll ve re d m o y
    don't doesn't didn't can't cannot won't isn't aren't wasn't weren't haven't hasn't
    hadn't couldn't wouldn't shouldn't it's that's there's here's what's let's i'm i've
    i'd i'll we're we've we'll you're you've you'll he's she's they're they've they'll
"""
STOPWORDS: frozenset[str] = frozenset(_STOPWORD_TEXT.split())

_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "„": '"', "–": "-", "—": "-"})
_SUFFIXES = ("ings", "ing", "ed", "es", "ly", "s")


#: Irregular English verb forms → base form (so "flew" aligns with "flies").
_IRREGULAR_TEXT = """
arose arise arisen arise ate eat eaten eat became become began begin begun begin
bent bend bet bet bit bite bitten bite bled bleed blew blow blown blow bore bear
borne bear bought buy bound bind bred breed broke break broken break brought bring
built build burnt burn caught catch chose choose chosen choose clung cling dealt deal
did do done do drew draw drawn draw drove drive driven drive drank drink drunk drink
dug dig fed feed fell fall fallen fall felt feel fled flee flew fly flown fly forbade
forbid forgot forget forgotten forget forgave forgive forgiven forgive froze freeze
frozen freeze fought fight found find gave give given give got get gotten get went go
gone go grew grow grown grow hung hang heard hear held hold hid hide hidden hide kept
keep knew know known know laid lay led lead left leave lent lend lit
light lost lose made make meant mean met meet paid pay rode ride ridden ride rang ring
rung ring rose rise risen rise ran run said say saw see seen see sought seek sold sell
sent send set set shook shake shaken shake shone shine shot shoot showed show shown show
shrank shrink shut shut sang sing sung sing sank sink sunk sink sat sit slept sleep slid
slide spoke speak spoken speak spent spend spun spin split split spread spread stood
stand stole steal stolen steal stuck stick struck strike swore swear sworn swear swept
sweep swam swim swum swim took take taken take taught teach tore tear torn tear told
tell thought think threw throw thrown throw understood understand woke wake woken wake
wore wear worn wear won win wound wind wrote write written write children child men man
goes go does do
women woman people person mice mouse feet foot teeth tooth better good best good worse
bad worst bad
"""
_IRREGULAR_WORDS = _IRREGULAR_TEXT.split()
IRREGULAR: dict[str, str] = dict(zip(_IRREGULAR_WORDS[::2], _IRREGULAR_WORDS[1::2], strict=True))


def stem(word: str) -> str:
    """A cheap English stem for matching: ``"helped"``, ``"helping"``, ``"helps"`` → ``"help"``;
    irregular forms map to their base (``"flew"`` → ``"fly"`` → ``"fly"``)."""
    w = word.casefold().translate(_QUOTES)
    if w.endswith("'s"):
        w = w[:-2]
    if w in IRREGULAR:
        w = IRREGULAR[w]
    if not w.isalpha() or len(w) <= 3:
        return w
    if len(w) == 4:
        return w[:-1] if w[-1] == "s" and w[-2] not in "su" else w  # eyes -> eye
    if w.endswith(("ied", "ies")) and len(w) >= 5:
        w = w[:-3] + "y"  # studies, studied, flies -> study, fly
    else:
        for suf in _SUFFIXES:
            if w.endswith(suf) and len(w) - len(suf) >= 3:
                w = w[: -len(suf)]
                if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiouls":
                    w = w[:-1]  # stopped -> stopp -> stop
                break
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]  # prepare / prepared -> prepar
    return w


class Token(NamedTuple):
    """One token of a text: its code-point span, surface text and matching key."""

    start: int
    end: int
    text: str
    key: str
    is_word: bool
    is_content: bool


@lru_cache(maxsize=65536)
def _word_info(word: str) -> tuple[str, bool]:
    low = word.casefold().translate(_QUOTES)
    if low in STOPWORDS:
        return low, False
    return stem(word), not (len(low) == 1 and low.isalpha())


_new_token = tuple.__new__


def tokenize(text: str) -> list[Token]:
    """Tokens of ``text`` with spans, stems and a content-word flag."""
    out: list[Token] = []
    append = out.append
    for m in TOKEN_RE.finditer(text):
        t = m.group()
        start, end = m.span()
        if t[0].isalnum() or t[0] == "_":
            key, content = _word_info(t)
            append(_new_token(Token, (start, end, t, key, True, content)))
        else:
            append(_new_token(Token, (start, end, t, t.translate(_QUOTES), False, False)))
    return out


@dataclass(frozen=True, slots=True)
class Run:
    """Maximal run of consecutive unaligned tokens on one side (token indices ``[i, j)``,
    trimmed of punctuation and function words at both ends), with the unaligned tokens
    the other side has between the same alignment points."""

    i: int
    j: int
    start: int
    end: int
    content: int  # number of content words in the run
    other_i: int  # counterpart token range on the other side, [other_i, other_j)
    other_j: int
    other_start: int  # counterpart code-point span (start == end when empty)
    other_end: int
    other_content: int


@dataclass(slots=True)
class Alignment:
    """The alignment of ``mt`` to ``ref``.

    ``pairs`` maps MT token index → reference token index (monotone anchors, moved words
    and near matches alike); ``kinds`` says which pass aligned each pair
    (``"exact"``, ``"moved"``, ``"near"``).
    """

    mt: str
    ref: str
    mt_tokens: list[Token]
    ref_tokens: list[Token]
    pairs: dict[int, int]
    kinds: dict[int, str]
    mt_runs: list[Run]
    ref_runs: list[Run]

    @property
    def coverage(self) -> float:
        """Share of MT content words that are aligned (1.0 when the MT has none)."""
        content = [i for i, t in enumerate(self.mt_tokens) if t.is_content]
        if not content:
            return 1.0
        return sum(1 for i in content if i in self.pairs) / len(content)

    @property
    def ref_coverage(self) -> float:
        """Share of reference content words that are aligned (1.0 when it has none)."""
        aligned = set(self.pairs.values())
        content = [j for j, t in enumerate(self.ref_tokens) if t.is_content]
        if not content:
            return 1.0
        return sum(1 for j in content if j in aligned) / len(content)

    def ref_words(self, run: Run) -> str:
        """The reference text that stands where an MT run stands (``""`` when none)."""
        return self.ref[run.other_start : run.other_end]

    def mt_words(self, run: Run) -> str:
        """The MT text that stands where a reference run stands (``""`` when none)."""
        return self.mt[run.other_start : run.other_end]


def _similar(a: str, b: str) -> bool:
    """Close spellings of one word (``colour``/``color``, ``organised``/``organized``)."""
    la, lb = len(a), len(b)
    if min(la, lb) < 5 or a[:3] != b[:3] or min(la, lb) < 0.7 * max(la, lb):
        return False
    if a[:6] == b[:6]:
        return True
    return SequenceMatcher(None, a, b, autojunk=False).ratio() >= 0.8


def _runs(
    tokens: list[Token],
    other: list[Token],
    aligned: set[int],
    other_aligned: set[int],
    anchor: dict[int, int],
) -> list[Run]:
    """Unaligned runs on one side and their counterparts between monotone neighbours."""
    n = len(tokens)
    keys = sorted(anchor)
    runs: list[Run] = []
    i = 0
    while i < n:
        if i in aligned:
            i += 1
            continue
        j = i
        while j < n and j not in aligned:
            j += 1
        # trim punctuation and function words at the edges
        a, b = i, j
        while a < b and not tokens[a].is_content:
            a += 1
        while b > a and not tokens[b - 1].is_content:
            b -= 1
        if a < b:
            pos = bisect_left(keys, a)
            left = keys[pos - 1] if pos else None
            pos = bisect_left(keys, b)
            right = keys[pos] if pos < len(keys) else None
            lo = anchor[left] + 1 if left is not None else 0
            hi = anchor[right] if right is not None else len(other)
            if hi < lo:
                lo, hi = hi, hi
            free = [k for k in range(lo, hi) if k not in other_aligned]
            # the counterpart is the unaligned stretch between the neighbours
            oi = free[0] if free else lo
            oj = free[-1] + 1 if free else lo
            while oi < oj and not other[oi].is_content:
                oi += 1
            while oj > oi and not other[oj - 1].is_content:
                oj -= 1
            o_start = other[oi].start if oi < oj else (other[lo - 1].end if lo > 0 else 0)
            o_end = other[oj - 1].end if oi < oj else o_start
            runs.append(
                Run(
                    i=a,
                    j=b,
                    start=tokens[a].start,
                    end=tokens[b - 1].end,
                    content=sum(1 for k in range(a, b) if tokens[k].is_content),
                    other_i=oi,
                    other_j=oj,
                    other_start=o_start,
                    other_end=o_end,
                    other_content=sum(
                        1 for k in range(oi, oj) if other[k].is_content and k not in other_aligned
                    ),
                )
            )
        i = j
    return runs


def align(mt: str, ref: str) -> Alignment:
    """Align the tokens of ``mt`` to those of ``ref`` (see the module docstring)."""
    mt_toks = tokenize(mt)
    ref_toks = tokenize(ref)
    a_keys = [t.key for t in mt_toks]
    b_keys = [t.key for t in ref_toks]
    sm = SequenceMatcher(None, a_keys, b_keys, autojunk=False)
    blocks = [blk for blk in sm.get_matching_blocks() if blk.size]
    covered = {blk.a + k for blk in blocks for k in range(blk.size)}
    anchor: dict[int, int] = {}
    for blk in blocks:
        # a lone function word or punctuation mark floating between unaligned stretches
        # is a coincidence, not a correspondence
        if (
            blk.size == 1
            and not mt_toks[blk.a].is_content
            and blk.a - 1 not in covered
            and blk.a + 1 not in covered
        ):
            continue
        for k in range(blk.size):
            anchor[blk.a + k] = blk.b + k
    pairs = dict(anchor)
    kinds = dict.fromkeys(anchor, "exact")

    # pass 2: moved words (content words only)
    used = set(pairs.values())
    free_ref: dict[str, list[int]] = {}
    for j, t in enumerate(ref_toks):
        if j not in used and t.is_content:
            free_ref.setdefault(t.key, []).append(j)
    if free_ref:
        scale = len(ref_toks) / max(1, len(mt_toks))
        for i, t in enumerate(mt_toks):
            if i in pairs or not t.is_content:
                continue
            cands = free_ref.get(t.key)
            if cands:
                j = min(cands, key=lambda c: abs(c - i * scale))
                cands.remove(j)
                pairs[i] = j
                kinds[i] = "moved"
                used.add(j)

    # pass 3: near matches inside each gap between monotone anchors
    anchors = sorted(anchor.items())
    bounds = [(-1, -1), *anchors, (len(mt_toks), len(ref_toks))]
    for (i0, j0), (i1, j1) in zip(bounds, bounds[1:], strict=False):
        if i1 - i0 <= 1 or j1 - j0 <= 1:
            continue
        ref_free = [j for j in range(j0 + 1, j1) if j not in used and ref_toks[j].is_content]
        if not ref_free:
            continue
        for i in range(i0 + 1, i1):
            t = mt_toks[i]
            if i in pairs or not t.is_content:
                continue
            a = t.text.casefold()
            for j in ref_free:
                if j not in used and _similar(a, ref_toks[j].text.casefold()):
                    pairs[i] = j
                    kinds[i] = "near"
                    used.add(j)
                    break

    mt_aligned, ref_aligned = set(pairs), set(pairs.values())
    mt_runs = _runs(mt_toks, ref_toks, mt_aligned, ref_aligned, anchor)
    inverse = {j: i for i, j in anchor.items()}
    ref_runs = _runs(ref_toks, mt_toks, ref_aligned, mt_aligned, inverse)
    return Alignment(mt, ref, mt_toks, ref_toks, pairs, kinds, mt_runs, ref_runs)


@lru_cache(maxsize=256)
def cached_align(mt: str, ref: str) -> Alignment:
    """:func:`align`, memoised for the last few pairs so that several rules on the same
    segment share one alignment. The result is shared: do not modify it."""
    return align(mt, ref)
