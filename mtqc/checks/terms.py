"""T rules: term lists — calques and false friends, glossaries, forbidden terms.

* :func:`term_list_rule` is the factory: it turns a TSV term list into a registered rule.
  The built-in T001 is ``data/calques.nl-en.tsv`` (Dutch→English false friends and
  calques); a project can register its own lists the same way.
* T002 (glossary) and T003 (forbidden terms) read their terms from rule options, which
  the configuration fills in.

Term-list TSV format (UTF-8; ``#`` lines and blank lines are ignored; the first
non-comment line is the header naming the columns, in any order):

``id``
    a short unique key for the entry (``eventually-possibly``), shown in the evidence and
    usable in the rule's ``disable`` option.
``pair``
    the language pair, ``nl-en``: the entry applies when the segment's target language is
    ``en`` and its source language is ``nl`` or not given.
``severity``
    ``minor`` when the wording is merely suspicious, ``major`` when it is nearly always
    wrong.
``keys``
    a fast pre-filter: comma-separated keys, each one or more word prefixes, one of at
    least 3 letters (``sound`` matches "sounds", "sounded"; ``would have`` needs both
    words); the pattern is tried
    only on lines where, for some key, every prefix starts a word of the line. Every
    match of the pattern must contain a key (the tests check the examples).
``pattern``
    a Python regular expression, matched case-insensitively (use ``(?-i:...)`` for a
    case-sensitive part) and never inside a word. Macros: ``{S}`` the start of a sentence,
    ``{NUM}`` a number in digits or words, ``{DAY}`` a weekday, ``{MONTH}`` a month name.
``suggest``
    ``|``-separated replacements.
``why``
    the plain-language reason, naming the source-language word.
``example``
    an English sentence with the span the entry must flag marked ``⟦…⟧`` (checked by the
    tests).
``context`` (optional)
    ``unless:REGEX`` — skip when REGEX matches anywhere in the sentence of the match;
    ``only:REGEX`` — flag only when it does (both case-insensitive);
    ``source:REGEX`` — flag only when the segment has a source text and REGEX matches
    it: for false friends that are ordinary English words ("eventually", "actual") and
    are wrong only when the source has the Dutch word (skipped without a source);
    ``narration:REGEX`` — flag only outside quotations (a newsroom convention such as
    ‘in our country’ is the journalist's calque, but a quoted speaker may say it), and,
    as with ``unless``, skip when REGEX matches the sentence (``narration:-`` for none).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from mtqc.checks._text import ALNUM_RUN_RE, LazyPattern, Pattern, lang_base, lower_words
from mtqc.checks.base import rule
from mtqc.errors import ConfigError
from mtqc.model import Hit, Segment, Severity

DATA = Path(__file__).parent / "data"

_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    "fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    "eighty|ninety|a hundred|hundred|several|many|a few|a couple of"
)
MACROS = {
    "{S}": r"(?:^|(?<=[.!?:;] )|(?<=[.!?:][”\"’)] )|(?<=[“\"‘(]))",
    "{NUM}": rf"(?:\d+(?:[.,]\d+)?|{_NUMBER_WORDS})",
    "{DAY}": r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)",
    "{MONTH}": (
        r"(?:january|february|march|april|may|june|july|august|september|october|"
        r"november|december)"
    ),
}
COLUMNS = ("id", "pair", "severity", "keys", "pattern", "suggest", "why", "example")


@dataclass(frozen=True, slots=True)
class TermEntry:
    """One entry of a term list."""

    id: str
    src: str
    tgt: str
    severity: Severity
    keys: tuple[str, ...]
    regex: Pattern
    suggestions: tuple[str, ...]
    why: str
    example: str
    unless: Pattern | None
    only: Pattern | None
    line: int
    source: Pattern | None = None
    narration: bool = False


def compile_pattern(pattern: str, *, lazy: bool = False) -> Pattern:
    """Expand the macros and compile ``pattern`` so it never matches inside a word
    (``lazy``: a :class:`~mtqc.checks._text.LazyPattern`, compiled when first used)."""
    for name, value in MACROS.items():
        pattern = pattern.replace(name, value)
    full = rf"(?<![\w-])(?:{pattern})(?![\w-])"
    return LazyPattern(full, re.IGNORECASE) if lazy else re.compile(full, re.IGNORECASE)


def load_term_list(path: Path | str, *, lazy: bool = False) -> list[TermEntry]:
    """Read and validate a term-list TSV (format in the module docstring).

    Raises :class:`~mtqc.errors.ConfigError` naming the file, the line and the problem.
    ``lazy`` (the packaged lists, whose patterns the tests compile whole): patterns are
    compiled when an entry's key words first occur in a line, not here.
    """
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"{path}: cannot read term list ({err})") from err
    numbered = [
        (n, line)
        for n, line in enumerate(raw.splitlines(), 1)
        if line.strip() and not line.startswith("#")
    ]
    if not numbered:
        raise ConfigError(f"{path}: the term list is empty (expected a header line)")
    header_no, header = numbered[0]
    cols = [c.strip() for c in header.split("\t")]
    missing = [c for c in COLUMNS if c not in cols]
    if missing:
        raise ConfigError(
            f"{path}:{header_no}: header lacks column(s) {', '.join(missing)}; "
            f"expected tab-separated {', '.join(COLUMNS)} [, context]"
        )
    entries: list[TermEntry] = []
    seen: set[str] = set()
    for n, line in numbered[1:]:
        values = next(csv.reader([line], delimiter="\t", quoting=csv.QUOTE_NONE))
        if len(values) > len(cols):
            raise ConfigError(f"{path}:{n}: {len(values)} fields, header has {len(cols)}")
        row = dict(zip(cols, [v.strip() for v in values], strict=False))
        where = f"{path}:{n}"
        for c in COLUMNS:
            if not row.get(c):
                raise ConfigError(f"{where}: column '{c}' is empty")
        if row["id"] in seen:
            raise ConfigError(f"{where}: duplicate id '{row['id']}'")
        seen.add(row["id"])
        src, _, tgt = row["pair"].partition("-")
        if not src or not tgt:
            raise ConfigError(f"{where}: pair '{row['pair']}' must look like 'nl-en'")
        try:
            severity = Severity.parse(row["severity"])
            regex = compile_pattern(row["pattern"], lazy=lazy)
        except (ValueError, re.error) as err:
            raise ConfigError(f"{where}: {err}") from err
        unless = only = source = None
        narration = False
        context = row.get("context", "")
        if context:
            kind, _, rx = context.partition(":")
            if kind not in ("unless", "only", "source", "narration") or not rx:
                raise ConfigError(
                    f"{where}: context must be 'unless:REGEX', 'only:REGEX', "
                    "'source:REGEX' or 'narration:REGEX'"
                )
            try:
                compiled: Pattern | None = None
                if rx != "-":
                    compiled = (
                        LazyPattern(rx, re.IGNORECASE) if lazy else re.compile(rx, re.IGNORECASE)
                    )
            except re.error as err:
                raise ConfigError(f"{where}: context regex: {err}") from err
            if kind == "narration":
                narration, unless = True, compiled
            elif compiled is None:
                raise ConfigError(f"{where}: context '{kind}:-' needs a regular expression")
            elif kind == "unless":
                unless = compiled
            elif kind == "source":
                source = compiled
            else:
                only = compiled
        keys = tuple(k.strip().lower() for k in row["keys"].split(",") if k.strip())
        for k in keys:
            if max(map(len, key_words(k)), default=0) < 3:
                raise ConfigError(f"{where}: key '{k}' needs a word of at least 3 letters")
        entries.append(
            TermEntry(
                id=row["id"],
                src=src.lower(),
                tgt=tgt.lower(),
                severity=severity,
                keys=keys,
                regex=regex,
                suggestions=tuple(s.strip() for s in row["suggest"].split("|") if s.strip()),
                why=row["why"],
                example=row["example"],
                unless=unless,
                only=only,
                line=n,
                source=source,
                narration=narration,
            )
        )
    return entries


def key_words(key: str) -> tuple[str, ...]:
    """The word prefixes of a key: ``"n't more"`` → ``("n", "t", "more")``."""
    return tuple(ALNUM_RUN_RE.findall(key.lower()))


class KeyIndex:
    """Finds, for a line, the entries whose keys all occur as word prefixes in it."""

    def __init__(self, entries: tuple[TermEntry, ...] | list[TermEntry]) -> None:
        self.entries = tuple(entries)
        self.pairs = frozenset((e.src, e.tgt) for e in self.entries)
        # bucket: first <=3 letters of a key's longest prefix -> (that prefix, the
        # key's other prefixes, entry index); the longest word is the rarest filter
        self.buckets: dict[str, list[tuple[str, tuple[str, ...], int]]] = {}
        for n, e in enumerate(self.entries):
            for key in e.keys:
                words = sorted(key_words(key), key=len, reverse=True)
                if words:
                    head = words[0]
                    self.buckets.setdefault(head[:3], []).append((head, tuple(words[1:]), n))

    def candidates(self, low: str) -> list[TermEntry]:
        words = lower_words(low)
        buckets = self.buckets
        heads = {w[:3] for w in words}.intersection(buckets)
        if not heads:
            return []
        found: set[int] = set()
        for w in words:
            if w[:3] not in heads:
                continue
            for first, rest, n in buckets[w[:3]]:
                if n in found or not w.startswith(first):
                    continue
                if all(r in words or any(x.startswith(r) for x in words) for r in rest):
                    found.add(n)
        return [self.entries[n] for n in sorted(found)]


@lru_cache(maxsize=32)
def _cached_list(path: str) -> KeyIndex:
    return KeyIndex(load_term_list(path, lazy=True))  # the packaged lists


@lru_cache(maxsize=32)
def _index_of(entries: tuple[TermEntry, ...]) -> KeyIndex:
    return KeyIndex(entries)


def resolve_overlaps(hits: list[tuple[int, int, Any]]) -> list[tuple[int, int, Any]]:
    """Keep the longest of overlapping ``(start, end, payload)`` matches, leftmost first."""
    kept: list[tuple[int, int, Any]] = []
    for h in sorted(hits, key=lambda h: (-(h[1] - h[0]), h[0])):
        if all(h[1] <= k[0] or h[0] >= k[1] for k in kept):
            kept.append(h)
    return sorted(kept, key=lambda h: h[0])


def match_entries(
    entries: KeyIndex | tuple[TermEntry, ...] | list[TermEntry],
    seg: Segment,
    disabled: frozenset[str] = frozenset(),
) -> list[tuple[int, int, TermEntry]]:
    """All non-overlapping matches of ``entries`` that apply to ``seg``."""
    index = entries if isinstance(entries, KeyIndex) else _index_of(tuple(entries))
    text = seg.mt
    src = lang_base(seg.src_lang)
    tgt = lang_base(seg.tgt_lang) or "en"
    if not any(t == tgt and (not src or s == src) for s, t in index.pairs):
        return []  # no entry for this language pair
    found: list[tuple[int, int, TermEntry]] = []
    for e in index.candidates(text.lower()):
        if e.tgt != tgt or (src and src != e.src) or e.id in disabled:
            continue
        if e.source is not None and not (seg.src and e.source.search(seg.src)):
            continue
        for m in e.regex.finditer(text):
            if m.end() == m.start():
                continue
            if e.narration and inside_quotation(text, m.start()):
                continue
            if e.only is not None or e.unless is not None:
                sentence = text[_sentence_start(text, m.start()) : _sentence_end(text, m.end())]
                if e.only is not None and not e.only.search(sentence):
                    continue
                if e.unless is not None and e.unless.search(sentence):
                    continue
            found.append((m.start(), m.end(), e))
    return resolve_overlaps(found)


_OPEN_QUOTES = "“‘«„"
_CLOSE_QUOTES = "”’»"


def inside_quotation(text: str, pos: int) -> bool:
    """True when ``pos`` lies inside a quotation that opens before it in ``text``.

    Typographic quotes are counted as open/close pairs (an apostrophe ’ between letters
    is not a quote); straight double quotes alternate. A segment that starts inside a
    quotation continued from an earlier paragraph is not detected.
    """
    depth = 0
    straight = 0
    for i, ch in enumerate(text[:pos]):
        if ch == '"':
            straight ^= 1
        elif ch in _OPEN_QUOTES:
            if ch == "‘" and i > 0 and text[i - 1].isalpha():
                continue
            depth += 1
        elif ch in _CLOSE_QUOTES:
            if ch == "’" and 0 < i < len(text) - 1 and text[i + 1].isalpha():
                continue  # an apostrophe: don't, Belgium’s
            depth = max(0, depth - 1)
    return depth > 0 or straight == 1


_SENTENCE_END_RE = re.compile(r"[.!?]+[”\"’)]*(?:\s|$)")


def _sentence_start(text: str, pos: int) -> int:
    start = 0
    for m in _SENTENCE_END_RE.finditer(text, 0, pos):
        start = m.end()
    return start


def _sentence_end(text: str, pos: int) -> int:
    m = _SENTENCE_END_RE.search(text, pos)
    return m.end() if m else len(text)


def term_list_rule(
    code: str,
    name: str,
    path: Path | str,
    *,
    severity: str | Severity,
    category: str,
    doc: str,
) -> Callable[[Segment, Mapping[str, Any]], Iterator[Hit]]:
    """Register a rule that flags the entries of the term list at ``path``.

    The list is read on first use. The rule's option ``disable`` (a list of entry ids)
    switches entries off. Each hit carries the entry's severity, its ``why`` as the
    message, its suggestions and ``{"entry": id, "list": file name}`` as evidence.
    """
    path = str(path)
    list_name = Path(path).name

    def check(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
        disabled = frozenset(opts.get("disable", ()))
        for start, end, e in match_entries(_cached_list(path), seg, disabled):
            yield Hit(
                start,
                end,
                e.why,
                suggestions=e.suggestions,
                evidence={"entry": e.id, "list": list_name, "line": e.line},
                severity=e.severity,
            )

    check.__doc__ = doc
    check.__name__ = name.replace("-", "_")
    return rule(code, name, severity, category, options={"disable": []})(check)


dutch_calques = term_list_rule(
    "T001",
    "dutch-calque",
    DATA / "calques.nl-en.tsv",
    severity="minor",
    category="accuracy/mistranslation",
    doc="""Dutch false friends and calques in English MT.

    What it flags: wordings that Dutch→English MT produces by copying a Dutch word or
    construction, from the lexicon ``data/calques.nl-en.tsv`` (about 250 entries a
    linguist wrote for the pair: false friends such as ‘eventual questions’ for
    "eventuele vragen", calques such as ‘since years’ for "sinds jaren", ‘it still
    sounds’ for the reporting verb "klinkt het nog", ‘spillover action’ for
    "overloopactie"). Each entry says which Dutch word it comes from and what to write
    instead; severity is minor when the wording is merely suspicious and major when it
    is nearly always wrong. With a Dutch source it also flags ordinary English words that
    are wrong only when the source has the look-alike (‘eventually’ for "eventueel",
    ‘actual’ for "actueel", ‘control’ for "controle"). Applies to English targets when
    the source language is Dutch or not given. Option ``disable``: entry ids to switch off.
    Why it matters: calques read as fluent English but say something else ("eventually"
    is "in the end", not "possibly") or mark the text as machine-translated.
    Example: ``They have been fighting ⟦since years⟧.``
    Use instead: the entry's suggestion: ``for years``.
    """,
)


# --------------------------------------------------------------------------- options


def _phrase_regex(phrase: str, *, case_sensitive: bool = False, plural: bool = True) -> str:
    words = [re.escape(w) for w in phrase.split()]
    if not words:
        return ""
    body = r"\s+".join(words)
    if plural and phrase[-1:].isalpha():
        body += r"(?:s|es)?"
    body = rf"(?<![\w-]){body}(?![\w-])"
    return body if case_sensitive else f"(?i:{body})"


def _str_list(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ConfigError(f"{where}: expected a string or a list of strings, got {value!r}")


@dataclass(frozen=True, slots=True)
class GlossaryTerm:
    source: re.Pattern[str]
    source_text: str
    targets: tuple[re.Pattern[str], ...]
    target_texts: tuple[str, ...]
    wrong: tuple[re.Pattern[str], ...]
    note: str


def _terms(opts: Mapping[str, Any], code: str) -> list[Any]:
    terms = opts.get("terms") or []
    if not isinstance(terms, list) or not all(isinstance(t, dict) for t in terms):
        raise ConfigError(f"rule {code}: option 'terms' must be a list of tables (objects)")
    return terms


@lru_cache(maxsize=64)
def _glossary(spec: str) -> tuple[GlossaryTerm, ...]:
    out = []
    for n, t in enumerate(json.loads(spec), 1):
        where = f"rule T002 (glossary), term #{n}"
        unknown = set(t) - {"source", "target", "wrong", "note", "case_sensitive"}
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        targets = _str_list(t.get("target"), f"{where} 'target'")
        if not targets or not all(x.strip() for x in targets):
            raise ConfigError(f"{where}: 'target' (the required rendering) is missing")
        source = t.get("source") or ""
        wrong = _str_list(t.get("wrong"), f"{where} 'wrong'")
        if not isinstance(source, str) or (not source.strip() and not wrong):
            raise ConfigError(f"{where}: give 'source' (the source term) and/or 'wrong'")
        cs = bool(t.get("case_sensitive", False))
        out.append(
            GlossaryTerm(
                source=re.compile(_phrase_regex(source, case_sensitive=cs, plural=False))
                if source.strip()
                else re.compile(r"(?!)"),
                source_text=source,
                targets=tuple(re.compile(_phrase_regex(x, case_sensitive=cs)) for x in targets),
                target_texts=tuple(targets),
                wrong=tuple(re.compile(_phrase_regex(x, case_sensitive=cs)) for x in wrong),
                note=str(t.get("note", "")),
            )
        )
    return tuple(out)


@rule("T002", "glossary", "major", "terminology/inappropriate", options={"terms": []})
def glossary(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """A required glossary rendering is missing or replaced by a known wrong one.

    What it flags: for each glossary term (option ``terms``, a list of tables)
    ``{"source": S, "target": T, "wrong": [W...], "note": N, "case_sensitive": false}``
    — ``target`` may be a string or a list of accepted renderings, ``wrong`` (optional)
    lists known wrong renderings: when the segment's source contains S and the MT
    contains none of the targets, the rule flags the wrong rendering if the MT has one,
    else the whole line; without a source text, it flags a wrong rendering W whenever
    the MT lacks every target. Terms match whole words, case-insensitively (targets
    and wrong renderings also with a plural ``-s``/``-es``).
    Why it matters: newsrooms keep glossaries so that names, titles and key terms are
    rendered one agreed way across articles.
    Example: with ``{"source": "overloopactie", "target": "defection operation",
    "wrong": ["spillover action"]}``: ``The ⟦spillover action⟧ was prepared.``
    Use instead: the glossary's target term.
    """
    terms = _terms(opts, "T002")
    if not terms:
        return
    text = seg.mt
    for g in _glossary(json.dumps(terms, sort_keys=True)):
        if any(p.search(text) for p in g.targets):
            continue
        in_source = bool(seg.src) and bool(g.source.search(seg.src or ""))
        wrong = [m for p in g.wrong for m in p.finditer(text)]
        note = f" ({g.note})" if g.note else ""
        want = " or ".join(f"‘{t}’" for t in g.target_texts)
        if wrong:
            for m in wrong:
                yield Hit(
                    m.start(),
                    m.end(),
                    f"Glossary: use {want} instead of ‘{m.group()}’{note}.",
                    suggestions=g.target_texts,
                    evidence={"source_term": g.source_text, "target": list(g.target_texts)},
                )
        elif in_source:
            start = len(text) - len(text.lstrip())
            yield Hit(
                start,
                len(text.rstrip()),
                f"Glossary: the source has ‘{g.source_text}’, which must be rendered "
                f"{want}; the MT has neither{note}.",
                suggestions=g.target_texts,
                evidence={"source_term": g.source_text, "target": list(g.target_texts)},
            )


@dataclass(frozen=True, slots=True)
class ForbiddenTerm:
    regex: re.Pattern[str]
    term: str
    use: tuple[str, ...]
    note: str
    severity: Severity | None


@lru_cache(maxsize=64)
def _forbidden(spec: str) -> tuple[ForbiddenTerm, ...]:
    out = []
    for n, t in enumerate(json.loads(spec), 1):
        where = f"rule T003 (forbidden terms), term #{n}"
        unknown = set(t) - {"term", "use", "note", "regex", "case_sensitive", "severity"}
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        term = t.get("term")
        if not isinstance(term, str) or not term.strip():
            raise ConfigError(f"{where}: 'term' (the word or phrase to forbid) is missing")
        cs = bool(t.get("case_sensitive", False))
        try:
            if t.get("regex"):
                body = rf"(?<![\w-])(?:{term})(?![\w-])"
                rx = re.compile(body if cs else f"(?i:{body})")
            else:
                rx = re.compile(_phrase_regex(term, case_sensitive=cs))
            sev = Severity.parse(t["severity"]) if t.get("severity") else None
        except (re.error, ValueError) as err:
            raise ConfigError(f"{where}: {err}") from err
        out.append(
            ForbiddenTerm(
                rx,
                term,
                tuple(_str_list(t.get("use"), f"{where} 'use'")),
                str(t.get("note", "")),
                sev,
            )
        )
    return tuple(out)


@rule("T003", "forbidden-term", "major", "terminology/inappropriate", options={"terms": []})
def forbidden_term(seg: Segment, opts: Mapping[str, Any]) -> Iterator[Hit]:
    """A term the house style forbids.

    What it flags: every occurrence in the MT of a forbidden term (option ``terms``, a
    list of tables ``{"term": X, "use": Y, "note": N, "regex": false,
    "case_sensitive": false, "severity": "major"}``; ``use`` is the preferred term, a
    string or a list, given as the suggestion; ``regex: true`` treats ``term`` as a
    regular expression; ``severity`` overrides the rule's). Plain terms match whole
    words, case-insensitively, with an optional plural ``-s``/``-es``.
    Why it matters: style guides ban terms that are wrong, loaded or outdated in the
    newsroom's usage (e.g. "Kiev" for "Kyiv").
    Example: with ``{"term": "Kiev", "use": "Kyiv"}``: ``⟦Kiev⟧ said the pilot is in
    Ukraine.``
    Use instead: the preferred term given in ``use``.
    """
    terms = _terms(opts, "T003")
    if not terms:
        return
    text = seg.mt
    for f in _forbidden(json.dumps(terms, sort_keys=True)):
        for m in f.regex.finditer(text):
            use = " or ".join(f"‘{u}’" for u in f.use)
            msg = f"‘{m.group()}’ is a forbidden term"
            msg += f"; use {use}" if use else ""
            msg += f" ({f.note})." if f.note else "."
            yield Hit(
                m.start(),
                m.end(),
                msg,
                suggestions=f.use,
                evidence={"term": f.term},
                severity=f.severity,
            )
