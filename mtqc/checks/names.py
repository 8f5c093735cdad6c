"""Names of institutions, places and people that Dutch→English MT renders word by word.

* T004 (institution-literal) flags the gazetteer's literal renderings of institution,
  event and place names ("Round of Flanders", "correctional court", "Federal Parquet");
  it also checks text without a source.
* N008 (name-translated-src) compares with a Dutch source: a person or place name of the
  source that the MT translated as English words ("Brouwer" → "Brewer", "Lier" → "Liar",
  "De Lijn" → "The Line").

The gazetteer and its format: :mod:`mtqc.checks._gazetteer`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cache
from typing import Any

from mtqc.checks import _dictionary
from mtqc.checks._gazetteer import (
    GazEntry,
    _words,
    gazetteer,
    literal_regex,
    names_in_source,
    rendered_in,
    sentence_initial,
)
from mtqc.checks._text import LazyPattern, fold, lang_base
from mtqc.checks.base import rule
from mtqc.checks.terms import KeyIndex, TermEntry, match_entries
from mtqc.model import Hit, Segment

LIST = "gazetteer.nl-en.tsv"
_KEY_RE = re.compile(r"[^\W\d_]{3,}")


def _why(e: GazEntry, lit: str) -> str:
    nl, en = e.nl[0], e.en[0]
    if any(fold(lit) == fold(f) for f in e.nl):
        return f"English writes the Dutch name ‘{nl}’ as ‘{en}’."
    if e.kind == "keep":
        return f"‘{lit}’ translates the name ‘{nl}’ word by word; English keeps it as ‘{nl}’."
    return f"‘{lit}’ is a word-by-word rendering of Dutch ‘{nl}’; in English it is ‘{en}’."


@cache
def _literal_entries(kinds: tuple[str, ...]) -> tuple[tuple[TermEntry, GazEntry], ...]:
    """One term-list entry per literal rendering of the gazetteer entries of ``kinds``."""
    out = []
    for e in gazetteer():
        if e.kind not in kinds:
            continue
        for lit in e.literal:
            words = sorted(_KEY_RE.findall(lit.lower()), key=len, reverse=True)
            if not words:
                continue  # a literal of two-letter words ("As" → "Ash"): N008's evidence
            suggestions = e.nl if e.kind == "keep" else e.en
            term = TermEntry(
                id=e.id,
                src="nl",
                tgt="en",
                severity=e.severity,
                keys=(words[0],),
                regex=LazyPattern(literal_regex(lit)),
                suggestions=suggestions[:3],
                why=_why(e, lit),
                example=lit,
                unless=e.unless,
                only=None,
                line=e.line,
                source=e.nl_regex if e.needs_source else None,
            )
            out.append((term, e))
    return tuple(out)


@cache
def _index(kinds: tuple[str, ...]) -> tuple[KeyIndex, dict[int, GazEntry]]:
    pairs = _literal_entries(kinds)
    return KeyIndex([t for t, _ in pairs]), {id(t): e for t, e in pairs}


@cache
def _keep_regex() -> re.Pattern[str]:
    """Multi-word names English keeps in Dutch ("Gazet van Antwerpen"), in an MT."""
    forms = sorted({f for e in gazetteer() if e.kind == "keep" for f in e.nl if " " in f}, key=len)
    body = "|".join(re.escape(f) for f in reversed(forms))
    return re.compile(rf"(?<![\w-])(?:{body})(?![\w-])")


def _inside_a_name(mt: str, start: int, end: int, e: GazEntry) -> bool:
    """The span lies inside an English form of its entry, or inside a longer name: an
    English form of another entry or a multi-word name English keeps in Dutch."""
    if any(m.start() <= start and end <= m.end() for m in e.en_regex.finditer(mt)):
        return True
    longer = [m.span() for m in _keep_regex().finditer(mt)]
    longer += [m.span() for m in _all_english_regex().finditer(mt)]
    return any(a <= start and end <= b and b - a > end - start for a, b in longer)


@cache
def _all_english_regex() -> re.Pattern[str]:
    """Every entry's English forms in one pattern, longest first (one scan of the MT
    instead of one per entry; a span inside its own entry's form is found before)."""
    forms = sorted({f for e in gazetteer() for f in e.en}, key=len, reverse=True)
    body = "|".join(rf"(?<![\w-]){_words(f)}(?![\w-])" for f in forms)
    return re.compile(body, re.IGNORECASE)


def literal_hits(
    seg: Segment, kinds: tuple[str, ...], disabled: frozenset[str] = frozenset()
) -> list[tuple[int, int, TermEntry, GazEntry]]:
    """Literal renderings of gazetteer names of ``kinds`` in the MT of ``seg``.

    A match inside an accepted English form of the same entry is not a literal ("South
    Station" inside "Brussels South Station"); nor is one when the MT also has the
    entry's Dutch name (the rendering is then a gloss beside the name).
    """
    index, entry_of = _index(kinds)
    out = []
    named: set[str] | None = None
    for start, end, term in match_entries(index, seg, disabled):
        e = entry_of[id(term)]
        if e.needs_source:
            # the Dutch name as a name: "Geel" starting a sentence is the colour
            if named is None:
                named = {g.entry.id for g in names_in_source(seg.src or "")}
            if e.id not in named:
                continue
        if _inside_a_name(seg.mt, start, end, e):
            continue
        if e.kind == "keep" and any(
            not (start <= m.start() and m.end() <= end)
            for f in e.nl
            for m in re.finditer(rf"(?<![\w-]){re.escape(f)}(?![\w-])", seg.mt)
        ):
            continue
        out.append((start, end, term, e))
    return out


@rule(
    "T004",
    "institution-literal",
    "minor",
    "terminology/inappropriate",
    options={"disable": []},
)
def institution_literal(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """A Dutch or Belgian institution, event or place name rendered word by word.

    What it flags: renderings that MT produces by translating the parts of a Dutch name,
    where English has an established name of its own: ‘Round of Flanders’ (Ronde van
    Vlaanderen → Tour of Flanders), ‘correctional court’ (correctionele rechtbank →
    criminal court), ‘Consultation Committee’ (Overlegcomité → Concertation Committee),
    ‘Central Bureau of Statistics’ (CBS → Statistics Netherlands), ‘Orange’ for the
    Dutch team Oranje, and Dutch place names left untranslated where English has an
    exonym (‘Antwerpen’ → Antwerp). The renderings come from the gazetteer
    ``data/gazetteer.nl-en.tsv`` (about 600 Dutch and Belgian names with their English
    forms and sources). Renderings that are ordinary English elsewhere are flagged only
    when the source has the Dutch name; names correctly rendered (Raad van State →
    Council of State) are never flagged. Names that English keeps in Dutch (De Lijn,
    De Standaard) are N008's when the segment has a source; without one, T004 flags
    those of their renderings that English never uses (‘Salt Lion’ for Zoutleeuw,
    ‘Kitchen Champion Division’; the gazetteer entries without a ``source`` context).
    Option ``disable``: entry ids to switch off.
    Why it matters: readers and editors look the name up; a home-made rendering names
    nothing (‘Public Ministry’) or the wrong body (‘correctional’ courts are about prisons).
    Example: ``The ⟦Round of Flanders⟧ starts in Bruges.``
    Use instead: the established name: ``The Tour of Flanders starts in Bruges.``
    """
    disabled = frozenset(opts.get("disable", ()))
    # without a source, also the renderings of kept names that are never English
    # ("Salt Lion" for Zoutleeuw; their gazetteer context is empty); with one, N008's
    kinds = ("name", "exonym") if (seg.src or "").strip() else ("name", "exonym", "keep")
    for start, end, term, e in literal_hits(seg, kinds, disabled):
        yield _literal_hit(start, end, term, e)


def _literal_hit(start: int, end: int, term: TermEntry, e: GazEntry) -> Hit:
    """A gazetteer literal rendering as a hit: the entry's reason, fix and line."""
    return Hit(
        start,
        end,
        term.why,
        suggestions=term.suggestions,
        evidence={"entry": e.id, "list": LIST, "line": e.line, "dutch": e.nl[0]},
        severity=e.severity,
    )


# =========================================================================== N008

# Capitalised Dutch words that are titles or institution words, not names: "Koning
# Filip" → "King Philippe" and "de Kamer" → "the House" are translations, not errors.
_NOT_NAMES_LIST = """
koning koningin prins prinses kroonprins kroonprinses hertog hertogin graaf gravin
baron keizer paus kardinaal bisschop pater zuster broeder dokter professor meester
minister premier president voorzitter burgemeester schepen wethouder gouverneur
senator kamerlid generaal kolonel kapitein commissaris inspecteur rechter procureur
sint heilige god heer here allah christus kamer senaat parlement regering kabinet
staat rijk raad hof rechtbank parket ministerie gemeente stad provincie gewest
gemeenschap unie bond partij commissie dienst agentschap instituut universiteit
hogeschool school ziekenhuis kerk kathedraal paleis museum station luchthaven haven
brug straat plein markt park noord zuid oost west noorden zuiden oosten westen
midden europa wereld aarde zon maan kerstmis kerst pasen pinksteren allerheiligen
ramadan suikerfeest nieuwjaar nieuwjaarsdag hemelvaart hemelvaartsdag pinkstermaandag
paasmaandag kerstavond oudejaarsavond allerzielen driekoningen carnaval moederdag
vaderdag valentijnsdag
"""
_NOT_NAMES = frozenset(_NOT_NAMES_LIST.split())
# English words a capitalised Dutch word correctly becomes (demonyms, languages, days).
_PROPER_EN_LIST = """
belgian dutch flemish walloon french german english british american european
russian ukrainian chinese spanish italian polish turkish moroccan congolese israeli
palestinian arab arabic muslim christian catholic protestant jewish african asian
greek swiss austrian swedish danish norwegian finnish irish scottish portuguese
japanese indian brazilian mexican canadian australian syrian afghan iranian iraqi
monday tuesday wednesday thursday friday saturday sunday january february march
april may june july august september october november december god lord christmas
easter king queen prince princess minister president mayor saint dutchman dutchmen
dutchwoman fleming flemings frenchman englishman
"""
_PROPER_EN = frozenset(_PROPER_EN_LIST.split())
_PARTICLES = {"de": ("the",), "den": ("the",), "het": ("the",), "van": ("of", "from")}
_ARTICLES = frozenset(("de", "het", "een", "des", "der"))
# Words after which a capitalised word names a portfolio or a body: "minister van Werk".
_PORTFOLIO_HEADS_LIST = """
minister ministers ministerie staatssecretaris schepen wethouder commissaris departement
dienst agentschap federale vlaamse vlaams
"""
_PORTFOLIO_HEADS = frozenset(_PORTFOLIO_HEADS_LIST.split())
_WORD_RE = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


@dataclass(frozen=True, slots=True)
class _Tok:
    start: int
    end: int
    text: str

    @property
    def low(self) -> str:
        return self.text.lower()


def _tokens(text: str) -> list[_Tok]:
    return [_Tok(m.start(), m.end(), m.group()) for m in _WORD_RE.finditer(text)]


_CALENDAR_LIST = """
maandag monday dinsdag tuesday woensdag wednesday donderdag thursday vrijdag friday
zaterdag saturday zondag sunday januari january februari february maart march april
april mei may juni june juli july augustus august september september oktober october
november november december december
"""
_CALENDAR_WORDS = _CALENDAR_LIST.split()
_CALENDAR = dict(zip(_CALENDAR_WORDS[::2], _CALENDAR_WORDS[1::2], strict=True))


@cache
def _glosses(word: str) -> frozenset[str]:
    """One-word English glosses of a Dutch word, its inflections stripped if need be."""
    out: set[str] = {_CALENDAR[word]} if word in _CALENDAR else set()
    for w in (
        word,
        word[:-1] if word.endswith("e") else "",
        word[:-2] if word.endswith("en") else "",
    ):
        if len(w) >= 2:
            out.update(g for g in _dictionary.translations(w) if g.isalpha())
    return frozenset(out)


@cache
def _english_words() -> frozenset[str]:
    """Common English words: the one-word glosses of the Dutch dictionary and the shipped
    list of frequent English words, less the English forms of proper nouns."""
    from mtqc.checks.untranslated import word_list

    glosses = {
        g
        for groups in _dictionary.senses_table().values()
        for grp in groups
        for g in grp
        if g.isalpha()
    }
    proper = {w for forms in _proper_nouns().values() for w in forms}
    return frozenset((glosses | word_list("en_words.txt")) - proper - _english_names())


def _compound_glosses(word: str) -> set[str]:
    """English renderings of a Dutch compound part by part: nieuwpoort → "newport"."""
    out: set[str] = set()
    for i in range(3, len(word) - 2):
        head, tail = word[:i], word[i:]
        heads = _glosses(head) or (_glosses(head[:-1]) if head.endswith("s") else frozenset())
        if not heads:
            continue
        tails = _glosses(tail)
        out.update(h + " " + t for h in heads for t in tails)
    return out


def _evidence(name: str, mt_words: list[_Tok], k: int, other: frozenset[str]) -> tuple[int, str]:
    """How MT word ``k`` renders the Dutch name word ``name``: ``(1, kind)``, or
    ``(0, "")``."""
    low = name.lower()
    w = mt_words[k].low
    if w in other or w in _PROPER_EN or w in _english_names():
        return 0, ""
    if w in _proper_nouns().get(low, ()):
        return 0, ""  # an established English form: Ierland → Ireland
    if w in _glosses(low):
        return 1, "dictionary"
    if len(low) >= 6:
        compounds = _compound_glosses(low)
        if w in {c.replace(" ", "") for c in compounds}:
            return 1, "compound"
    if (
        len(low) >= 4
        and w[:1] == low[:1]
        and w in _english_words()
        and SequenceMatcher(None, low, w).ratio() >= 0.75
    ):
        return 1, "look-alike"
    return 0, ""


_HEAD_RE = re.compile(r"^([A-Z][^/\n]*?) /[^/\n]*/\s*$", re.M)


@cache
def _proper_nouns() -> dict[str, frozenset[str]]:
    """Capitalised headwords of the dictionary (places, peoples, given names) with their
    English forms: ``{"ierland": {"ireland"}, "nederlander": {"dutchman"}}``. Their
    translation is established, so rendering them in English is right."""
    path = _dictionary.dictionary_path()
    if path is None:
        return {}
    table = _dictionary.senses_table()
    try:
        import gzip

        with gzip.open(path, "rt", encoding="utf-8") as fh:
            heads = _HEAD_RE.findall(fh.read())
    except (OSError, EOFError, UnicodeDecodeError):
        return {}
    out: dict[str, frozenset[str]] = {}
    for h in heads:
        low = h.strip().lower()
        out[low] = frozenset(w for grp in table.get(low, ()) for g in grp for w in g.split())
    return out


@cache
def _english_names() -> frozenset[str]:
    """One-word English forms of the gazetteer's translated names and exonyms."""
    return frozenset(
        w.lower()
        for e in gazetteer()
        if e.kind != "keep"
        for f in e.en
        for w in _WORD_RE.findall(f)
    )


def _candidate_words(src: str, toks: list[_Tok]) -> list[int]:
    """Indexes of source words that may be person or place names.

    A capitalised word counts when it does not start a sentence or a quotation, is not a
    title or institution word, and its run of capitalised words follows neither an
    article ("het Nationaal Hitteplan", "de Antwerpse ...": bodies and adjectives) nor a
    portfolio head ("minister van Landbouw"). A capital "De"/"Den"/"Van" inside a
    sentence is a particle of the name that follows.
    """
    out: list[int] = []
    run_ok = True
    for i, tok in enumerate(toks):
        t = tok.text
        prev = toks[i - 1] if i else None
        gap = src[prev.end : tok.start] if prev else ""
        cap = t[:1].isupper() and not t.isupper()
        continues = (
            cap
            and prev is not None
            and gap == " "
            and prev.text[:1].isupper()
            and prev.low not in _ARTICLES
        )
        if not continues:
            run_ok = True
            article = (
                prev is not None
                and prev.low in _ARTICLES
                and not (prev.text[:1].isupper() and not sentence_initial(src, prev.start))
            )
            portfolio = (
                prev is not None
                and prev.low in ("van", "voor")
                and i >= 2
                and toks[i - 2].low in _PORTFOLIO_HEADS
            )
            if (article or portfolio) and gap.strip() == "":
                run_ok = False
            opener = src[: tok.start].rstrip(" ")[-1:]
            if opener and opener in '“"‘«(':
                run_ok = False
        if not cap or not run_ok or len(t) < 3 or t.lower() in _NOT_NAMES:
            continue
        if t.lower() in _PARTICLES or sentence_initial(src, tok.start):
            continue
        out.append(i)
    return out


def _translated_run(src: str, toks: list[_Tok], i: int, mt_low: set[str]) -> bool:
    """The run of capitalised words around ``toks[i]`` has two or more words, and every
    one of them is translated in the MT (a gloss of it is an MT word)."""

    def linked(a: _Tok, b: _Tok) -> bool:
        return (
            src[a.end : b.start] == " "
            and a.text[:1].isupper()
            and b.text[:1].isupper()
            and a.low not in _ARTICLES
            and not sentence_initial(src, a.start)
        )

    lo = hi = i
    while lo > 0 and linked(toks[lo - 1], toks[lo]):
        lo -= 1
    while hi + 1 < len(toks) and linked(toks[hi], toks[hi + 1]):
        hi += 1
    if hi == lo:
        return False
    return all(_glosses(t.low) & mt_low for t in toks[lo : hi + 1])


@rule("N008", "name-translated-src", "major", "accuracy/mistranslation", needs=("src",))
def name_translated_src(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """A Dutch person or place name that the MT translated as English words.

    What it flags: with a Dutch source, an MT word standing where the source has a name
    (a capitalised word that does not start the sentence, or a name of the gazetteer
    ``data/gazetteer.nl-en.tsv``) when the name is absent from the MT and the MT word is
    (1) a dictionary translation of the name's word (surname Mol → ‘Mole’; FreeDict
    Dutch-English, when installed), (2) its parts translated (Nieuwpoort → ‘Newport’,
    Zeeland → ‘Sealand’), (3) a common English word that looks like it (Lier → ‘Liar’,
    Brouwer → ‘Brewer’), or (4) a literal rendering the gazetteer lists for a name
    English keeps (De Lijn → ‘The Line’, De Standaard → ‘The Standard’). A translated
    particle is part of the span (De Wilde → ‘The Wild’; Jan de Groot → ‘Jan the
    Groot’). Titles and institution words (Koning, Kamer), demonyms and names with an
    English exonym (Den Haag → The Hague, Rode Duivels → Red Devils) are not flagged.
    Why it matters: a name turned into a word makes a different, often absurd, statement
    (‘stabbing in Liar’) and loses the person or place the story is about.
    Example: MT "Former alderman Ruud Brewer was acquitted." with source "Oud-wethouder
    Ruud Brouwer werd vrijgesproken."
    Use instead: the source's name: "Former alderman Ruud Brouwer was acquitted."
    """
    if lang_base(seg.src_lang) not in ("nl", "") or lang_base(seg.tgt_lang) not in ("en", ""):
        return
    src, mt = seg.src or "", seg.mt
    if not src.strip() or not mt.strip():
        return
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken)

    # (4) literal renderings of names English keeps
    for start, end, term, e in literal_hits(seg, ("keep",)):
        taken.append((start, end))
        yield _literal_hit(start, end, term, e)
    # (5) a particle translated in a kept name: "Jan the Groot", "The Bilt"
    for start, end, dutch in _particle_hits(src, mt):
        if free(start, end):
            taken.append((start, end))
            yield Hit(
                start,
                end,
                f"The name ‘{dutch}’ has its particle translated; English keeps ‘{dutch}’.",
                suggestions=(dutch,),
                evidence={"source_name": dutch, "evidence": "particle"},
            )
    if not _dictionary.available():
        return
    # (1)-(3) evidence from the dictionary and spelling
    gaz = names_in_source(src)
    translated_names = [g for g in gaz if g.entry.kind != "keep"]
    src_toks = _tokens(src)
    mt_toks = _tokens(mt)
    mt_fold = fold(mt)
    src_low = {t.low for t in src_toks}
    candidates = set(_candidate_words(src, src_toks))
    mt_low = {t.low for t in mt_toks}
    for i, tok in enumerate(src_toks):
        in_gaz = next((g for g in gaz if g.start <= tok.start < g.end), None)
        if in_gaz is not None and in_gaz in translated_names:
            continue  # a name with an English form: translating it is right
        if in_gaz is None and i not in candidates:
            continue
        if in_gaz is None and _translated_run(src, src_toks, i, mt_low):
            continue  # "Goede Vrijdag" → "Good Friday": a name English translates
        if in_gaz is not None and (len(tok.text) < 3 or not tok.text[:1].isupper()):
            continue
        if tok.low in _PARTICLES or re.search(
            rf"(?<![\w-]){re.escape(fold(tok.text))}(?![\w-])", mt_fold
        ):
            continue  # the name is there
        if in_gaz is not None and rendered_in(in_gaz.entry, mt):
            continue
        other = (
            frozenset(
                g for t in src_toks if t is not tok and t.low != tok.low for g in _glosses(t.low)
            )
            | src_low
        )
        rel = tok.start / max(1, len(src))
        best = None
        for k, w in enumerate(mt_toks):
            if not w.text[:1].isupper():
                continue
            n, kind = _evidence(tok.text, mt_toks, k, other)
            if not n:
                continue
            dist = abs(w.start / max(1, len(mt)) - rel)
            if dist <= 0.3 and (best is None or dist < best[0]):
                best = (dist, k, n, kind)
        if best is None:
            continue
        _, k, n, kind = best
        start, end = mt_toks[k].start, mt_toks[k + n - 1].end
        dutch = tok.text
        prev = src_toks[i - 1] if i else None
        particle = prev is not None and prev.low in _PARTICLES and prev.end + 1 == tok.start
        if particle and (
            prev.text[0].isupper() or (in_gaz is not None and in_gaz.start <= prev.start)
        ):
            dutch = f"{prev.text} {tok.text}"
            before = mt[:start].rstrip()
            m = re.search(r"(?<![\w-])(\w+)$", before)
            if m and m.group(1).lower() in _PARTICLES[prev.low]:
                start = m.start(1)
        if in_gaz is not None:
            dutch = in_gaz.text
        if not free(start, end):
            continue
        taken.append((start, end))
        yield Hit(
            start,
            end,
            f"‘{mt[start:end]}’ looks like the name ‘{dutch}’ translated as "
            f"{'words' if ' ' in mt[start:end] else 'a word'}; names stay as they are.",
            suggestions=(dutch,),
            evidence={"source_name": dutch, "source_start": tok.start, "evidence": kind},
        )


_PARTICLE_SRC_RE = re.compile(
    r"(?<![\w-])(?:(?P<first>[A-Z][\w’'-]+) (?P<low>de|den)"
    r"|(?P<cap>De|Den|Van|Van der|Van den)) (?P<name>[A-Z][\w’'-]+)"
)


def _particle_hits(src: str, mt: str) -> Iterator[tuple[int, int, str]]:
    """A kept surname or place whose Dutch particle the MT translated."""
    for m in _PARTICLE_SRC_RE.finditer(src):
        if m.group("cap"):
            if sentence_initial(src, m.start()):
                continue
            particle = m.group("cap")
            dutch = m.group()
        else:
            first = m.group("first")
            if first.lower() in _NOT_NAMES or _dictionary.senses(first.lower()):
                continue  # "Universiteit van Amsterdam", "Volgens de ..."
            particle = m.group("low")
            dutch = m.group()[len(first) + 1 :]
        name = m.group("name")
        if name.lower() in _NOT_NAMES or re.search(rf"(?<![\w-]){re.escape(dutch)}(?![\w-])", mt):
            continue
        english = "|".join(
            {
                "de": "the",
                "den": "the",
                "van": "of|from",
                "van der": "of the|from the",
                "van den": "of the|from the",
            }[particle.lower()].split("|")
        )
        for t in re.finditer(rf"(?<![\w-])(?i:{english}) {re.escape(name)}(?![\w-])", mt):
            yield t.start(), t.end(), dutch


# =========================================================================== for N006


@cache
def _dutch_words() -> frozenset[str]:
    from mtqc.checks.untranslated import word_list

    return word_list("nl_words.txt")


def _is_dutch_word(word: str) -> bool:
    """An ordinary Dutch word (dictionary headword, or a frequent Dutch word)."""
    low = word.lower()
    return bool(_glosses(low)) or low in _dutch_words()


def src_name_accounted(src: str, start: int, end: int, mt: str) -> bool:
    """True when the source name at ``src[start:end]`` is not missing from the MT.

    That is: a gazetteer name inside it is rendered in the MT in an accepted English
    form, its Dutch form or a listed literal (Den Haag → "The Hague"; a literal is T004's
    or N008's to flag, not a missing name); or at least half of its words are translated
    in the MT (their dictionary glosses, or those of a compound's parts, are MT words:
    "Landelijke Studentenvakbond" → "National Student Union"); or it is a sentence's
    first word, an ordinary Dutch word, plus one capitalised label ("Lees Ook"), which
    is not a name.
    """
    text = src[start:end]
    toks = _tokens(text)
    gaz = names_in_source(src)
    label = len(toks) == 2 and sentence_initial(src, start) and _is_dutch_word(toks[0].text)
    if label and not any(g.start <= start < g.end for g in gaz):
        return True
    for g in gaz:
        if g.start < end and start < g.end:
            e = g.entry
            lits = [re.search(literal_regex(lit), mt) for lit in e.literal]
            if rendered_in(e, mt) or any(lits):
                return True
    if not _dictionary.available():
        return False
    mt_words = {t.low for t in _tokens(mt)}
    words = [t.low for t in toks if t.low not in _PARTICLES]
    translated = 0
    for w in words:
        glosses = set(_glosses(w))
        if len(w) >= 6:
            for c in _compound_glosses(w):
                glosses.update(c.split())
        if glosses & mt_words:
            translated += 1
    return bool(words) and translated * 2 >= len(words)
