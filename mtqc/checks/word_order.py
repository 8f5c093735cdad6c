"""G rules: grammar — Dutch word order left in English.

Dutch is verb-second in main clauses (a fronted adverbial pushes the subject behind the
finite verb: "Op maandag moeten de patiënten wachten") and verb-final in clauses with an
auxiliary ("De raad had het plan al goedgekeurd"), and it puts long participle phrases
before the noun ("de in 1985 gebouwde reactor"). MT that keeps these orders produces
English a reader stumbles over. :func:`dutch_word_order` finds the shapes that English
never has, so that a flag is nearly always right; the suggestion names the English order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from mtqc.checks._text import lang_base, lower_words
from mtqc.checks.base import rule
from mtqc.model import Hit, Segment

_S = r"(?:^|(?<=[.!?:;] )|(?<=[.!?:][”\"’)] )|(?<=[“\"‘(]))"
_MODAL = r"(?:must|can|could|will|would|should|may|might|shall)"
_DET = r"(?:the|a|an|his|her|their|our|its|these|those)"
_SUBJ_PRON = r"(?:he|she|they|we|I|you)"
_PARTICIPLE = (  # lowercase even in the case-insensitive patterns ("Mohamed" is a name)
    r"(?-i:[a-z]+ed|been|done|made|taken|given|seen|found|held|paid|sold|built|won|lost|"
    r"put|set|cut|hit|shot|left|brought|bought|caught|taught|thought|told|kept|sent|spent|"
    r"begun|written|driven|broken|chosen|spoken|stolen|known|shown|thrown|drawn|grown|"
    r"flown|fallen|hidden|risen|laid|led|met|read|run|said|struck|sworn|torn|worn|won)"
)
_ADVERBIAL = re.compile(
    r"\b(?:already|yet|still|again|never|recently|yesterday|today|earlier|meanwhile|"
    r"last (?:week|month|year|night|weekend)|this (?:week|month|year|morning|afternoon|evening)|"
    r"on (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|in \d{4}|"
    r"for (?:years|months|weeks|days|decades))\b",
    re.IGNORECASE,
)
_DET_RE = re.compile(r"\b(?:the|a|an|his|her|their|its|our|this|that|these|those)\b", re.I)
_VERBISH_RE = re.compile(
    r"\b(?:to|is|are|was|were|be|being|has|have|had|will|would|can|could|must|should|"
    r"may|might|did|does|do|who|which|that|and|or|but)\b",
    re.IGNORECASE,
)

#: (1) A modal directly followed by a determiner or subject pronoun, outside questions:
#: "At the hospitals must the patients wait", "On Monday will they vote".
_MODALS = frozenset(_MODAL[3:-1].split("|"))
_HAVE = frozenset({"has", "have", "had"})
_PREPOSITIONS = frozenset(
    ["in", "on", "at", "by", "for", "from", "since", "during", "after", "before", "under", "with"]
)

MODAL_INVERSION_RE = re.compile(
    rf"(?<![\w-])(?P<verb>{_MODAL}) (?P<subj>{_DET} [\w'’-]+|{_SUBJ_PRON}|(?-i:[a-z]+[^suy\W]s))(?= [\w-])",
    re.IGNORECASE,
)
#: Words ending in -s that may follow a modal in English (adverbs, verbs in -ss/-us).
_S_WORDS_TEXT = (
    "always perhaps nevertheless nonetheless sometimes afterwards towards besides overseas "
    "indoors outdoors downstairs upstairs nowadays backwards forwards regardless unless "
    "thus hers ours yours its his this whereas as us alas"
)
_S_WORDS_OK = frozenset(_S_WORDS_TEXT.split())
_INVERSION_OK_RE = re.compile(
    r"\b(?:as|so|nor|neither|than|only|never|nowhere|rarely|seldom|hardly|little|not|"
    r"no sooner|under no|at no|why|how|what|where|when|who|whom|which|whether|if)\s+"
    r"(?:[\w'’-]+\s+){0,6}$"
    # a long restrictive phrase fronted: "Only by adhering to the principles of
    # equality and mutual respect can we …"
    r"|(?:^|\s)(?:[Oo]nly|[Nn]ot until|[Nn]ot only|[Oo]nly when|[Oo]nly if)\s+"
    r"(?:[\w'’,-]+\s+){7,20}$",
    re.IGNORECASE,
)
#: (2) An auxiliary, then a determiner phrase and an adverbial, then the participle at
#: the end of the clause: "The council had on Monday the plan already approved."
VERB_FINAL_RE = re.compile(
    rf"(?<![\w-])(?P<aux>has|have|had)(?P<mid>(?: [\w'’-]+){{3,9}}?) "
    rf"(?P<part>{_PARTICIPLE})(?=\s*[.,;:!?]|\s*$)",
    re.IGNORECASE,
)
#: (3) A determiner followed by a preposition phrase and a participle before the noun:
#: "the in 1985 commissioned reactor".
PRENOMINAL_RE = re.compile(
    rf"(?<![\w-])(?P<det>the|a|an|this|these|those|its|their)"
    rf" (?P<pp>(?:in|on|at|by|for|from|since|during|after|before|under|with)"
    rf"(?: [\w'’-]+){{1,5}}?) (?P<part>{_PARTICIPLE}) (?P<noun>[a-z][\w-]+)",
    re.IGNORECASE,
)
#: (4) A reporting verb before its subject at the start of a sentence:
#: "That reports the police", "This writes the newspaper".
REPORTING_INVERSION_RE = re.compile(
    rf"{_S}(?P<obj>That|This) (?P<verb>reports|reported|says|said|writes|wrote|announces|"
    r"announced|tells|told|lets know|let know) (?!a (?:lot|great deal|bit|little)\b)"
    r"(?P<subj>(?:the|a|an|his|her|their) [\w-]+(?: [\w-]+){0,3}?"
    # "Dat zegt woordvoerder Jan Peeters": a role noun without article, then a name
    r"|(?:spokes(?:man|woman|person)|minister|mayor|prosecutor|director|chairman|chairwoman|"
    r"president|professor|expert|coach|lawyer|councillor|alderman|economist|researcher|"
    r"virologist|manager|doctor|CEO|Minister|Mayor|Professor|Dr\.?)"
    r"(?: [A-Z][\w'’-]+){1,3})"
    r"(?=\s*[.;,!]|\s*$| (?:on|in|at|after|to|during|this|last|yesterday|today)\b)",
)
#: (5) Sentence-initial "Also" before the subject: "Also the police were there",
#: "Also extractors are being caught" (Dutch "Ook de politie was er").
ALSO_SUBJECT_RE = re.compile(
    rf"{_S}(?P<also>Also) (?P<subj>(?:{_DET}|many|several|some|most|both) [\w-]+|"
    r"(?-i:[a-z][a-z-]+s)(?=,| (?:are|were|have|had|will|can|could|must|should|may|might)\b))",
)


def _sentence_before(text: str, pos: int) -> str:
    cut = max(text.rfind(c, 0, pos) for c in '.!?;:“"')
    return text[cut + 1 : pos]


def _in_question(text: str, pos: int) -> bool:
    ends = [i for i in (text.find(c, pos) for c in ".!?") if i >= 0]
    return bool(ends) and text[min(ends)] == "?"


def _modal_inversions(text: str) -> Iterator[Hit]:
    for m in MODAL_INVERSION_RE.finditer(text):
        if m["subj"].lower() in _S_WORDS_OK:
            continue
        before = _sentence_before(text, m.start())
        if not before.strip() or _in_question(text, m.start()):
            continue  # "Can the police …?", a sentence-initial modal
        if _INVERSION_OK_RE.search(before) or before.rstrip().endswith(","):
            continue  # "as will the minister", "Only then can the …", "…, can they"
        if re.search(r"\b(?:if|should|were|had)\b", before, re.I) and m["verb"].lower() in (
            "should",
        ):
            continue
        yield Hit(
            m.start(),
            m.end(),
            f"‘{m.group()}’: the verb comes before its subject, Dutch verb-second order "
            "after a fronted phrase; English keeps the subject first.",
            (f"{m['subj']} {m['verb']}",),
            evidence={"pattern": "verb-second", "verb": m["verb"], "subject": m["subj"]},
        )


_MID_ADVERBS = frozenset(
    ["already", "yet", "still", "also", "again", "never", "recently", "just", "even"]
)


def _english_order(aux: str, mid: str, part: str) -> str:
    """``had`` + ``on Monday the plan already`` + ``approved`` →
    ``had already approved the plan on Monday``: adverbs before the participle, the
    determiner phrase as its object, the other adverbials after it."""
    words = mid.split()
    adverbs = [w for w in words if w.lower() in _MID_ADVERBS]
    rest = [w for w in words if w.lower() not in _MID_ADVERBS]
    articles = ("the", "a", "an", "his", "her", "their", "its", "our")
    det = next((i for i, w in enumerate(rest) if w.lower() in articles), 0)
    head = [aux, *adverbs, part]
    return " ".join(head + rest[det:] + rest[:det])


def _verb_final(text: str) -> Iterator[Hit]:
    for m in VERB_FINAL_RE.finditer(text):
        mid = m["mid"]
        if not _DET_RE.search(mid) or not _ADVERBIAL.search(mid) or _VERBISH_RE.search(mid):
            continue
        if re.search(r"\b[a-z]+(?:ed|en)\b", mid.split()[0], re.I):
            continue  # "had stopped …": the participle is already in place
        yield Hit(
            m.start(),
            m.end(),
            f"‘{m['part']}’ stands at the end of the clause, after its object and "
            "adverbials: Dutch verb-final order; English puts the participle right after "
            f"‘{m['aux']}’.",
            (_english_order(m["aux"], mid, m["part"]),),
            evidence={"pattern": "verb-final", "auxiliary": m["aux"], "participle": m["part"]},
        )


def _prenominal(text: str) -> Iterator[Hit]:
    for m in PRENOMINAL_RE.finditer(text):
        if _VERBISH_RE.search(m["pp"]):
            continue
        yield Hit(
            m.start(),
            m.end(),
            f"‘{m.group()}’: a phrase between the article and its noun, Dutch "
            "order; English puts the participle phrase after the noun.",
            (f"{m['det']} {m['noun']}, {m['part']} {m['pp']},",),
            evidence={"pattern": "prenominal-participle", "participle": m["part"]},
        )


def _reporting(text: str) -> Iterator[Hit]:
    for m in REPORTING_INVERSION_RE.finditer(text):
        yield Hit(
            m.start(),
            m.end(),
            f"‘{m.group()}’: the reporting verb comes before its subject (Dutch ‘Dat meldt "
            "de politie’); English: the subject first.",
            (f"{m['subj'][0].upper()}{m['subj'][1:]} {m['verb']} this",),
            evidence={"pattern": "reporting-inversion", "verb": m["verb"]},
        )


def _also(text: str) -> Iterator[Hit]:
    for m in ALSO_SUBJECT_RE.finditer(text):
        yield Hit(
            m.start(),
            m.end(),
            f"‘{m.group()}’: sentence-initial ‘Also’ before the subject is Dutch order "
            "(‘Ook de politie …’); English puts ‘also’ after the subject or the verb.",
            (f"{m['subj'][0].upper()}{m['subj'][1:]} … also", f"{m['subj']}, too,"),
            evidence={"pattern": "also-first"},
        )


@rule("G001", "dutch-word-order", "minor", "fluency/grammar")
def dutch_word_order(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """Dutch word order left in English: verb-second, verb-final and pre-noun phrases.

    What it flags, in an English target (source Dutch or not given), only shapes English
    does not have: (1) a modal directly before a determiner or subject pronoun outside
    questions and the English inversions (‘as will the minister’, ‘only then can the …’):
    ‘At the hospitals must the patients wait’; (2) ‘has/have/had’, then a determiner
    phrase and a time adverbial, then the participle at the end of the clause: ‘The
    council had on Monday the plan already approved’; (3) an article, a preposition
    phrase and a participle before the noun: ‘the in 1985 commissioned reactor’; (4) a
    sentence that opens ‘That/This’ + reporting verb + subject: ‘That reports the
    police’, ‘That says spokesperson Jan Peeters’; (5) sentence-initial ‘Also’ before the subject: ‘Also the police were there’.
    Why it matters: word-for-word Dutch order makes English hard to read and can hide
    who did what to whom.
    Example: ``The ⟦in 1985 commissioned⟧ reactor …`` → flagged from the article.
    Use instead: English order: ‘The reactor, commissioned in 1985, …’; ‘The council had
    already approved the plan on Monday’; ‘The police reported this’.
    """
    if (lang_base(seg.tgt_lang) or "en") != "en" or lang_base(seg.src_lang) not in ("", "nl"):
        return
    text = seg.mt
    words = lower_words(text)  # each shape needs its trigger words: skip the scan without
    hits = [
        *(_modal_inversions(text) if words & _MODALS else ()),
        *(_verb_final(text) if words & _HAVE else ()),
        *(_prenominal(text) if words & _PREPOSITIONS else ()),
        *(_reporting(text) if "That " in text or "This " in text else ()),
        *(_also(text) if "Also " in text else ()),
    ]
    kept: list[Hit] = []
    for h in sorted(hits, key=lambda h: (h.start, -h.end)):
        if not kept or h.start >= kept[-1].end:
            kept.append(h)
    yield from kept
