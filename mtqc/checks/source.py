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
from difflib import SequenceMatcher
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from mtqc.checks import _dictionary as nl_dict
from mtqc.checks._align import STOPWORDS
from mtqc.checks._text import lang_base
from mtqc.checks.base import rule
from mtqc.errors import ConfigError
from mtqc.model import Hit, Segment, Severity

DATA = Path(__file__).parent / "data"
FALSE_FRIENDS = DATA / "false_friends.nl-en.tsv"
SENSE_TRAPS = DATA / "sense_traps.nl-en.tsv"
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


@cache
def _sense_traps() -> tuple[FalseFriend, ...]:
    return tuple(load_false_friends(SENSE_TRAPS))


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


@lru_cache(maxsize=8)
def _any_english(entries: tuple[FalseFriend, ...]) -> re.Pattern[str]:
    """One pattern for the English forms of all ``entries``: a pre-filter."""
    return re.compile("|".join(f"(?:{e.english.pattern})" for e in entries), re.IGNORECASE)


def lexicon_hits(
    seg: Segment, entries: tuple[FalseFriend, ...], opts: Mapping[str, Any]
) -> Iterator[Hit]:
    """Hits of a false-friend-format list on a segment (S001, S002): the English form in the
    MT, the Dutch form in the source, the context satisfied, no other source word that
    translates to the English word (dictionary), and no span T001 already flags."""
    if not dutch_to_english(seg):
        return
    src, mt = seg.src or "", seg.mt
    if not _any_english(entries).search(mt):
        return  # the common case: no English look-alike of any entry in the MT
    disabled = frozenset(opts.get("disable", ()))
    taken = _t001_spans(seg)
    glosses: frozenset[str] | None = None
    for e in entries:
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
    return lexicon_hits(seg, _false_friends(), opts)


@rule(
    "S002",
    "source-sense-contradicted",
    "major",
    "accuracy/mistranslation",
    needs=("src",),
    options={"disable": []},
)
def source_sense_contradicted(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """A Dutch word with two senses rendered in the sense its source context rules out.

    What it flags: an English word in the MT that renders a Dutch source word in the wrong
    one of its senses, from the list ``data/sense_traps.nl-en.tsv``: ‘case’ for a "zaak"
    that is opened or stands in a street (a shop), ‘frost’ for "vorst" beside a king or a
    palace (a monarch), ‘ships’ for "schepen van financiën" (an alderman), ‘released’ for
    "vrijgesproken" (acquitted), ‘borrowed’ for "uitgeleend" (lent), ‘shot dead’ for
    "neergeschoten" when the source says nothing of a death. Each entry names the source
    context that decides; the checks are those of S001 (the English form, the Dutch form,
    the context, no other source word translating to it, nothing T001 already flags). The
    system dictionary's senses alone were measured too imprecise (0.11 on the development
    set) to flag a word, so the list is curated. Option ``disable``: entry ids to switch off.
    Why it matters: the wrong sense is a real English word in a fluent sentence, and it
    changes what happened (an acquittal is not a release, a shop is not a court case).
    Example: ``The suspect was ⟦released⟧ of all charges.`` for "De verdachte werd van alle
    feiten vrijgesproken."
    Use instead: the sense the context selects: ``acquitted``.
    """
    return lexicon_hits(seg, _sense_traps(), opts)


# =========================================================================== S003

#: Dutch negation words (ANS 20.4): sentence negation and negative pronouns/adverbs.
NEGATION_NL = re.compile(
    r"(?<![\w-])(?:niet|geen|nooit|niemand|niets|nergens|noch|allerminst|geenszins|nimmer|"
    r"evenmin|zonder)(?![\w-])",
    re.IGNORECASE,
)
#: English negation, including words that carry it lexically ("unable", "fail to",
#: "less than", "impossible"), so that a rephrased negation is not taken for a lost one.
NEGATION_EN = re.compile(
    r"(?<![\w-])(?:not|no|never|nobody|nothing|none|nowhere|neither|nor|without|cannot|"
    r"hardly|barely|scarcely|less|fewer|least|lack\w*|fail\w*|refus\w*|instead|rather|"
    r"un[a-z]{4,}|non-?[a-z]+|impossib\w*|insufficient\w*|inadequate\w*|den(?:y|ies|ied)|"
    r"[a-z]+less|absen\w*|free|zero|nil|stop(?:s|ped)?|avoid\w*|ban(?:s|ned)?|forbid\w*|"
    r"yet to|at most)"
    r"(?![\w-])|n['’]t(?![\w])",
    re.IGNORECASE,
)
_SENT_RE = re.compile(r"[^.!?]+(?:[.!?]+[”\"’)]*|$)")
_CLAUSE_SPLIT_NL = re.compile(
    r"[,;:()“”\"]|(?<![\w-])(?:en|maar|want|omdat|dat|terwijl|als|al|of|die|wat|toen)(?![\w-])",
    re.IGNORECASE,
)
_NL_FUNCTION = frozenset(
    [
        "de",
        "het",
        "een",
        "en",
        "of",
        "maar",
        "dat",
        "die",
        "dit",
        "deze",
        "wat",
        "wie",
        "waar",
        "hoe",
        "als",
        "om",
        "te",
        "van",
        "voor",
        "in",
        "op",
        "aan",
        "met",
        "bij",
        "naar",
        "uit",
        "over",
        "door",
        "tot",
        "zijn",
        "is",
        "was",
        "waren",
        "wordt",
        "werd",
        "worden",
        "zal",
        "zou",
        "zullen",
        "zouden",
        "kan",
        "kon",
        "kunnen",
        "heeft",
        "had",
        "hebben",
        "moet",
        "moest",
        "moeten",
        "mag",
        "mocht",
        "wil",
        "wilde",
        "er",
        "ook",
        "nog",
        "al",
        "wel",
        "dan",
        "toen",
        "zich",
        "hij",
        "zij",
        "ze",
        "wij",
        "we",
        "jij",
        "je",
        "u",
        "ik",
        "hun",
        "hen",
        "haar",
        "hem",
        "ons",
        "onze",
        "mijn",
        "zijn",
    ]
)


def _sentences(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _SENT_RE.finditer(text) if m.group().strip()]


def _paired_sentences(src: str, mt: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Source and MT sentences paired by position when both have as many, else the whole texts."""
    a, b = _sentences(src), _sentences(mt)
    if len(a) == len(b) and a:
        return list(zip(a, b, strict=True))
    return [((0, len(src)), (0, len(mt)))]


def _en_match(a: str, b: str) -> bool:
    """Two English words that are one word up to inflection (``proven``/``prove``)."""
    from mtqc.checks._align import stem

    if a == b or stem(a) == stem(b):
        return True
    short, long_ = sorted((stem(a), stem(b)), key=len)
    return len(short) >= 4 and long_.startswith(short)


def _cognate(nl: str, en: str) -> bool:
    """A Dutch and an English word spelled alike (``concurrent``, ``minister``, ``Lier``)."""
    nl, en = nl.lower(), en.lower()
    return nl == en or (min(len(nl), len(en)) >= 5 and nl[:5] == en[:5])


def mt_words_for(dutch: str, mt: str, lo: int, hi: int) -> list[tuple[int, int]]:
    """Spans of the words of ``mt[lo:hi]`` that translate the Dutch word ``dutch``
    (dictionary glosses of its lemmas, one-word glosses only, or a cognate spelling)."""
    glosses = [g for g in nl_dict.word_translations(dutch) if g.isalpha()]
    out = []
    for m in _WORD_RE.finditer(mt, lo, hi):
        w = m.group().lower()
        if _cognate(dutch, w) or any(_en_match(w, g) for g in glosses):
            out.append(m.span())
    return out


def _negated_words(src: str, neg: re.Match[str], lo: int, hi: int) -> list[str]:
    """Content words of the clause of ``neg``, the ones after it first."""
    starts = [lo] + [m.end() for m in _CLAUSE_SPLIT_NL.finditer(src, lo, neg.start())]
    c_lo = max(starts)
    nxt = _CLAUSE_SPLIT_NL.search(src, neg.end(), hi)
    c_hi = nxt.start() if nxt else hi
    after = [m.group() for m in _WORD_RE.finditer(src, neg.end(), c_hi)]
    before = [m.group() for m in _WORD_RE.finditer(src, c_lo, neg.start()) if m.group().islower()]
    before = before[::-1]
    return [
        w
        for w in after + before[:2]
        if w.lower() not in _NL_FUNCTION and not NEGATION_NL.fullmatch(w) and len(w) > 2
    ]


@rule("S003", "negation-dropped", "major", "accuracy/omission", needs=("src",))
def negation_dropped(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """A negation in a Dutch source sentence that the MT sentence lacks.

    What it flags: a source sentence with more negations (niet, geen, nooit, niemand,
    niets, nergens, noch, evenmin, zonder, geenszins, allerminst) than its MT sentence has
    (not, no, n't, never, nobody, nothing, none, neither, without, and words that carry the
    negation: unable, fail to, less than, impossible…). The flag goes on the MT word that
    translates the negated Dutch word (with the system dictionary, or a cognate); when none
    is found, on the Dutch negation in the source (``side="src"``). Sentences are paired
    by position when source and MT have as many; otherwise the whole segment is compared.
    Why it matters: a lost "not" turns the statement into its opposite, and the English
    stays perfectly fluent, so nobody notices.
    Example: ``According to the court, it has been ⟦proven⟧ that the money was his.`` for
    "Volgens de rechtbank is niet bewezen dat het geld voor hem was."
    Use instead: restore the negation: ``it has not been proven``.
    """
    if not dutch_to_english(seg):
        return
    src, mt = seg.src or "", seg.mt
    for (s_lo, s_hi), (m_lo, m_hi) in _paired_sentences(src, mt):
        negs = list(NEGATION_NL.finditer(src, s_lo, s_hi))
        if not negs or len(negs) <= len(NEGATION_EN.findall(mt[m_lo:m_hi])):
            continue
        for neg in negs:
            target = next(
                (
                    spans[0]
                    for w in _negated_words(src, neg, s_lo, s_hi)
                    if (spans := mt_words_for(w, mt, m_lo, m_hi))
                ),
                None,
            )
            message = (
                f"The source negates this (“{neg.group()}”), the MT does not: "
                "check for a lost “not”/“no”, which reverses the meaning."
            )
            ev = {"source_negation": neg.group(), "source_sentence": src[s_lo:s_hi].strip()}
            if target:
                yield Hit(*target, message, evidence=ev)
            else:
                yield Hit(
                    neg.start(),
                    neg.end(),
                    f"“{neg.group()}” in the source has no counterpart in the MT sentence: "
                    "check for a lost negation.",
                    evidence=ev,
                    side="src",
                )
            break  # one flag per sentence


# =========================================================================== S004

_SOUND_ALIKE = frozenset({("z", "s"), ("k", "c"), ("c", "k"), ("v", "f"), ("s", "z")})


def _look_alike(dutch: str, english: str) -> bool:
    """An English word spelled like the Dutch word, or like the head of a Dutch compound
    (``spits``/``spit``, ``kot``/``cot``, ``Lier``/``Liar``, ``ploegchefs``/``chefs``)."""
    nl, en = dutch.lower(), english.lower()
    if nl == en or len(en) < 3:
        return False
    if len(en) >= 4 and len(nl) > len(en) + 2 and nl.endswith(en[:-1]):
        return True  # the head of a compound
    if nl[0] != en[0] and (nl[0], en[0]) not in _SOUND_ALIKE:
        return False
    return SequenceMatcher(None, nl, en, autojunk=False).ratio() >= 0.6


_DEVOICE = str.maketrans("fs", "vz")


def _same_stem(a: str, b: str) -> bool:
    """Two Dutch words sharing their first four letters (or all of a shorter one), with
    Dutch final devoicing undone: f/v and s/z alternate in one stem ("halfweg" /
    "halverwege", "huis" / "huizen")."""
    n = min(4, len(a), len(b))
    return a[:n].lower().translate(_DEVOICE) == b[:n].lower().translate(_DEVOICE)


@rule(
    "S004",
    "round-trip-divergence",
    "major",
    "accuracy/mistranslation",
    needs=("src", "bt"),
    options={"without_dictionary": False},
)
def round_trip_divergence(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """An English look-alike of a Dutch source word that the back-translation does not
    bring back.

    What it flags: a word of the MT spelled like a Dutch word of the source (``spit`` for
    "spits", ``cot`` for "kot", ``Liar`` for the town "Lier", ``runner`` for "renner")
    where the back-translation has a different Dutch word in that place ("spuug",
    "kinderbedje", "Leugenaar", "hardloper") and the dictionary does not list the English
    word among the source word's senses. The back-translation is a literal translation of
    the MT, so it shows what the look-alike means in Dutch: when that is not the source
    word, the MT copied the form, not the meaning. Source and back-translation are compared
    word by word (:class:`difflib.SequenceMatcher`); a changed stretch is at most three
    words on each side, and a back-translation word sharing the source word's stem (a
    paraphrase, an inflection) is no divergence. Spans S001, S002 or T001 flag are left to
    them.
    Needs the source and the back-translation (round-trip mode); no model. The system
    dictionary vetoes look-alikes that are among the source word's senses; without it the
    rule is quiet (option ``without_dictionary: true`` runs it anyway, less precisely).
    Why it matters: look-alikes read fluently and hide a wrong sense or a translated name;
    the round trip is the evidence a reviewer needs.
    Example: ``The storm caused flooding in ⟦Sealand⟧.`` for "in Zeeland" /
    back-translation "in Sealand" (a province's name translated as if it were words).
    Use instead: what the source means: ``Zeeland``.
    """
    if not dutch_to_english(seg):
        return
    src, bt, mt = seg.src or "", seg.bt or "", seg.mt
    if src.strip() == bt.strip():
        return
    if not nl_dict.available() and not opts.get("without_dictionary"):
        return  # measured below 0.6 precise without the dictionary's sense veto
    s_words = list(_WORD_RE.finditer(src))
    b_words = list(_WORD_RE.finditer(bt))
    m_words = [m for m in _WORD_RE.finditer(mt) if m.group().lower() not in STOPWORDS]
    bt_lower = {m.group().lower() for m in b_words}
    taken = [
        (h.start, h.end) for h in lexicon_hits(seg, _false_friends() + _sense_traps(), {})
    ] + _t001_spans(seg)
    done: set[tuple[int, int]] = set()
    sm = SequenceMatcher(
        None,
        [m.group().lower() for m in s_words],
        [m.group().lower() for m in b_words],
        autojunk=False,
    )
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag != "replace" or i2 - i1 > 3 or j2 - j1 > 3:
            continue
        block = [m.group() for m in b_words[j1:j2]]
        for s in s_words[i1:i2]:
            word = s.group()
            if len(word) < 3 or word.lower() in _NL_FUNCTION or word.lower() in bt_lower:
                continue
            if any(_same_stem(word, b) for b in block):
                continue
            senses = [g for g in nl_dict.word_translations(word) if g.isalpha()]
            for m in m_words:
                span = m.span()
                if span in done or not _look_alike(word, m.group()):
                    continue
                if any(_en_match(m.group().lower(), g) for g in senses):
                    continue
                if any(span[0] < e and span[1] > b for b, e in taken):
                    continue
                done.add(span)
                yield Hit(
                    *span,
                    f"“{m.group()}” looks like the source word “{word}”, but the "
                    f"back-translation has “{' '.join(block)}” there: the English word "
                    f"does not mean “{word}”.",
                    evidence={"source": word, "back_translation": " ".join(block)},
                )
