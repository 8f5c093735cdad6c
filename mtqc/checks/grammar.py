"""G rules: grammar — Dutch tense use and Dutch countable nouns carried into English.

Dutch uses the present perfect for single past events with a time ("heeft maandag
aangekondigd") and the present tense for states that began in the past ("test het
systeem sinds de lente"); English needs the simple past ("announced on Monday") and the
present perfect ("has been testing … since the spring"). Dutch "onderzoek" and "advies"
are countable ("een onderzoek"); English "research" and "advice" are not. These rules
flag the English shapes that result, which native English avoids.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from mtqc.checks._text import lang_base
from mtqc.checks.base import rule
from mtqc.model import Hit, Segment

_DAYS = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_MONTHS = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December)"
)
_PARTICIPLE = (
    r"(?:[a-z]+ed|been|done|made|taken|given|seen|found|held|paid|sold|built|won|lost|"
    r"put|set|cut|hit|shot|left|brought|bought|caught|taught|thought|told|kept|sent|spent|"
    r"begun|written|driven|broken|chosen|spoken|stolen|known|shown|thrown|drawn|grown|"
    r"flown|fallen|hidden|risen|laid|led|met|read|run|said|struck|come|become|gone|got|"
    r"gotten|had|heard|felt|fought|ridden|sunk|won|withdrawn|undergone|overtaken)"
)
#: A definite past time: with it English uses the simple past, never the present perfect.
_PAST_TIME = (
    rf"yesterday(?: (?:morning|afternoon|evening))?|last (?:night|week|weekend|month|year|"
    rf"season|summer|winter|spring|autumn|{_DAYS})|(?:on )?{_DAYS}(?: (?:morning|afternoon|"
    rf"evening|night))?|(?:\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|several|a few|"
    rf"a couple of) (?:days?|weeks?|months?|years?) ago|in (?:19|20)\d\d|"
    rf"on \d{{1,2}} {_MONTHS}|on {_MONTHS} \d{{1,2}}"
)
PERFECT_PAST_RE = re.compile(
    rf"(?<![\w'’-])(?P<aux>has|have)(?: (?:not|also|already|just|now|finally|officially))?"
    rf" (?P<part>{_PARTICIPLE})\b(?P<gap>(?: [^\s.,;:!?“”\"]+){{0,10}}?) (?P<time>{_PAST_TIME})\b",
)
_MODAL_BEFORE_RE = re.compile(
    r"\b(?:would|could|should|might|must|may|will|shall|can|to|not|n't)\s+$", re.IGNORECASE
)
#: "to" before a verb (an infinitive clause has its own time): "has decided to visit on Monday".
_INFINITIVE_RE = re.compile(
    r"\bto (?!the |a |an |his |her |their |its |our |this |that |these |those |[A-Z]|\d)"
)
_GAP_STOP = re.compile(
    r"\b(?:that|which|who|whom|whose|when|where|while|because|if|after|before|until|since|"
    r"and|but|or|will|would|is|was|are|were|had|has|have|than|as|every|each|"
    r"next|coming|from)\b",
    re.IGNORECASE,
)
BORN_RE = re.compile(
    r"(?<![\w-])(?P<be>is) born (?=(?:in|on) (?:[A-Z]|\d))",
)
#: A present-tense verb whose state began at a past point: "is mandatory since last year".
PRESENT_SINCE_RE = re.compile(
    r"(?<![\w'’-])(?P<verb>is|are|am|isn't|aren't|can(?:not)?|can't|does not|do not|"
    r"lives|works|tests|runs|leads|plays|remains|stays|lies|stands|owns|holds|uses|"
    r"exists|applies|respects|lasts|knows|belongs|sits)\b"
    r"(?P<gap>(?: [^\s.,;:!?“”\"]+){0,8}?) since (?P<time>(?:19|20)\d\d|then|"
    rf"last \w+|early \w+|{_DAYS}|{_MONTHS}|yesterday|the (?:spring|summer|autumn|winter|"
    r"start|beginning|end|middle)|this (?:morning|week|year|month)|\d)",
)
_SINCE_OK = re.compile(
    r"\b(?:years?|months?|weeks?|days?|decades?|hours?|long|time|ago|ever|first|last|"
    r"best|worst|most|least|highest|lowest|biggest|largest|smallest|strongest|weakest|"
    r"fastest|slowest|[a-z]+est|has|have|had|been|will|would)\b",
    re.IGNORECASE,
)
#: Mass nouns that Dutch counts: "een onderzoek" → "a research".
COUNTED_MASS_RE = re.compile(
    r"(?<![\w-])(?P<det>[Aa]n?|[Oo]ne) (?P<noun>research|advice|information|evidence|"
    r"furniture|equipment|luggage|baggage|homework|feedback)\b"
    # the noun heads its phrase: what follows is punctuation, a preposition, a clause or
    # a verb, not another noun it modifies ("an information management system", "an
    # evidence-based method" are English)
    r"(?=\s*[.,;:!?)”\"]|\s*$| (?:about|on|from|of|into|by|among|amongst|to|for|that|"
    r"which|who|with|in|at|under|over|during|after|before|and|or|but|as|than|so|"
    r"because|if|where|when|while|was|is|has|had|have|will|would|can|could|may|might|"
    r"must|should|shows?|showed|shown|finds?|found|says?|said|reveals?|revealed|"
    r"suggests?|suggested|concludes?|concluded|indicates?|indicated|confirms?|"
    r"confirmed|proves?|proved|carried|conducted|published|commissioned|led|done|"
    r"made|given|issued|received|requested|asked|needed|showing|finding|proving)\b)",
)


def _perfect_with_past_time(text: str) -> Iterator[Hit]:
    for m in PERFECT_PAST_RE.finditer(text):
        if _MODAL_BEFORE_RE.search(text, 0, m.start()):
            continue  # "would have happened last month": a modal perfect, not Dutch tense
        if _GAP_STOP.search(m["gap"]) or _INFINITIVE_RE.search(m["gap"] + " "):
            continue
        if re.search(r"\b(?:for|by|till|until|through|starting)$", m["gap"], re.IGNORECASE):
            continue  # "has issued a warning for Sunday": a time ahead, not the event's
        end = m.end("part")
        yield Hit(
            m.start(),
            end,
            f"‘{text[m.start() : end]}’ with a definite past time (‘{m['time']}’): Dutch "
            "uses the present perfect here (‘heeft … aangekondigd’); English needs the "
            "simple past.",
            (f"{m['part']} (simple past)",),
            evidence={"pattern": "perfect-with-past-time", "time": m["time"]},
        )


def _is_born(text: str) -> Iterator[Hit]:
    for m in BORN_RE.finditer(text):
        if re.search(r"\b(?:every|each|per)\b", text, re.IGNORECASE):
            continue
        yield Hit(
            m.start(),
            m.end() - 1,
            "‘is born’ for a birth in the past: Dutch ‘is geboren’ is the present perfect; "
            "English says ‘was born’.",
            ("was born",),
            evidence={"pattern": "is-born"},
        )


def _present_since(text: str) -> Iterator[Hit]:
    for m in PRESENT_SINCE_RE.finditer(text):
        if (
            _SINCE_OK.search(m["gap"])
            or m["verb"].lower() in ("is", "are")
            and re.search(r"\bit (?:is|are)$", text[: m.end("verb")], re.IGNORECASE)
        ):
            continue  # "the highest since 2008", "it is years since", "has been … since"
        yield Hit(
            m.start(),
            m.end("gap"),
            f"‘{text[m.start() : m.end('gap')].strip()}’ with ‘since {m['time']}’: Dutch "
            "uses the present tense for a state that began in the past (‘sinds’); "
            "English needs the present perfect (‘has been …’, ‘has not been able to …’).",
            ("has been …",),
            evidence={"pattern": "present-with-since", "since": m["time"]},
        )


def _counted_mass(text: str) -> Iterator[Hit]:
    for m in COUNTED_MASS_RE.finditer(text):
        noun = m["noun"]
        fix = {"research": "a study", "advice": "a piece of advice", "evidence": "proof"}
        yield Hit(
            m.start(),
            m.end(),
            f"‘{m.group()}’: English ‘{noun}’ is uncountable; Dutch counts it (‘een "
            "onderzoek’, ‘een advies’).",
            (fix.get(noun, noun), f"some {noun}"),
            evidence={"pattern": "counted-mass-noun", "noun": noun},
        )


def _english_from_dutch(seg: Segment) -> bool:
    return (lang_base(seg.tgt_lang) or "en") == "en" and lang_base(seg.src_lang) in ("", "nl")


@rule("G002", "dutch-tense", "minor", "fluency/grammar")
def dutch_tense(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """Dutch tense use carried into English: perfect with a past time, present with ‘since’.

    What it flags, in an English target (source Dutch or not given): (1) the present
    perfect with a definite past time in the same clause (‘has announced on Thursday’,
    ‘have moved … on Tuesday morning’, ‘has risen in 2019’; not across ‘that’, ‘when’,
    ‘and’ or another verb); (2) ‘is born in/on …’ for a person's birth; (3) a present
    tense with ‘since’ + a past point (‘is mandatory since last year’, ‘tests the system
    since the spring’, ‘can no longer enter since Sunday’; not ‘the highest since 2008’
    or ‘it is years since’).
    Why it matters: Dutch uses the perfect for finished events and the present for
    states that began earlier; English readers notice at once, and ‘is mandatory since
    last year’ can read as a future obligation.
    Example: ``The company ⟦has announced⟧ on Thursday that 450 jobs will go.``
    Use instead: ``The company announced on Thursday …``; ``This has been mandatory
    since last year.``; ``who was born in Groningen``.
    """
    if not _english_from_dutch(seg):
        return
    text = seg.mt
    hits = [*_perfect_with_past_time(text), *_is_born(text), *_present_since(text)]
    last_end = -1
    for h in sorted(hits, key=lambda h: h.start):
        if h.start >= last_end:
            yield h
            last_end = h.end


@rule("G003", "counted-mass-noun", "minor", "fluency/grammar")
def counted_mass_noun(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """An uncountable English noun used with ‘a/an/one’: ‘a research’, ‘an advice’.

    What it flags, in an English target (source Dutch or not given): ‘a/an/one’ directly
    before research, advice, information, evidence, furniture, equipment, luggage,
    baggage, homework or feedback used as a noun: followed by punctuation, a
    preposition, a clause or a verb (not as a modifier: ‘a research project’, ‘an
    information management system’, ‘an evidence-based method’ are fine).
    Why it matters: Dutch ‘een onderzoek’, ‘een advies’ are countable; the English
    mass nouns are not, and ‘a research’ marks the text as a literal translation.
    Example: ``This is shown by ⟦a research⟧ among schools.``
    Use instead: ``a study``, ``a survey``, ``a piece of advice``, ``some information``.
    """
    if _english_from_dutch(seg):
        yield from _counted_mass(seg.mt)
