"""Dutch→English dictionary senses from the system's FreeDict database (when installed).

Debian's ``dict-freedict-nld-eng`` (FreeDict Dutch-English, GPL-2.0-or-later, 22,747
headwords, generated from Ergane) installs ``/usr/share/dictd/freedict-nld-eng.dict.dz``.
mtqc reads it at run time the way a spell checker reads a system dictionary: it is
never copied into mtqc. ``$MTQC_FREEDICT_NLD_ENG`` points to another copy of the file.
Without the file, :func:`available` is False and the rules that need senses stay quiet.

The dictd data file is a gzip-compatible dictzip; each entry is a headword line
``word /ipa/`` followed by sense lines, numbered (``1. affair, business, case``) or not.
"""

from __future__ import annotations

import gzip
import marshal
import os
import re
import sys
from functools import cache
from pathlib import Path

DEFAULT_PATHS = (
    Path("/usr/share/dictd/freedict-nld-eng.dict.dz"),
    Path("/usr/local/share/dictd/freedict-nld-eng.dict.dz"),
)
_HEAD_RE = re.compile(r"^(\S[^/\n]*?) /[^/\n]*/\s*$")
_NUM_RE = re.compile(r"^\d+\.\s*")


def dictionary_path() -> Path | None:
    """The FreeDict nld-eng data file to read, or None when none is installed."""
    env = os.environ.get("MTQC_FREEDICT_NLD_ENG")
    candidates = (Path(env),) if env else DEFAULT_PATHS
    for path in candidates:
        if path.is_file():
            return path
    return None


def available() -> bool:
    """True when a Dutch→English dictionary can be read."""
    return bool(senses_table())


def parse_dictd(text: str) -> dict[str, tuple[tuple[str, ...], ...]]:
    """Parse dictd entries into ``{headword: (sense group, ...)}``.

    Each sense group is a tuple of English glosses (lower-cased, stripped). The database's
    own header entries (``00-database-…``) are skipped. Headwords are lower-cased; a
    headword that occurs twice gets the groups of both entries.
    """
    table: dict[str, list[tuple[str, ...]]] = {}
    head: str | None = None
    for line in text.splitlines():
        m = _HEAD_RE.match(line)
        if m:
            head = m.group(1).strip().lower()
            if head.startswith("00-database"):
                head = None
            continue
        if head is None or not line.strip():
            continue
        glosses = tuple(
            g.strip().lower().replace("\u2010", "-")
            for g in _NUM_RE.sub("", line.strip()).split(",")
            if g.strip()
        )
        if glosses:
            table.setdefault(head, []).append(glosses)
    return {k: tuple(v) for k, v in table.items()}


SUPPLEMENT = Path(__file__).parent / "data" / "nl_en_core.tsv"


def _supplement() -> dict[str, tuple[tuple[str, ...], ...]]:
    """Frequent Dutch words FreeDict lacks (``data/nl_en_core.tsv``), one sense group each."""
    out: dict[str, tuple[tuple[str, ...], ...]] = {}
    for line in SUPPLEMENT.read_text(encoding="utf-8").splitlines()[1:]:
        if not line.strip() or line.startswith("#") or line.startswith("headword\t"):
            continue
        head, glosses, _source = line.split("\t")
        out[head.lower()] = (tuple(g.strip().lower() for g in glosses.split("|")),)
    return out


@cache
def senses_table() -> dict[str, tuple[tuple[str, ...], ...]]:
    """The whole installed dictionary (read once per process; about 0.2 s), or ``{}``.

    When the system dictionary is installed, the core supplement ``data/nl_en_core.tsv``
    adds frequent words it lacks (never replacing its entries); without it, ``{}``.
    """
    table = _system_table()
    if not table:
        return {}
    return {**_supplement(), **table}


#: version of the parsed-table cache format (bump when parse_dictd changes)
_CACHE_FORMAT = 1


def _table_cache(path: Path) -> tuple[Path, str] | None:
    """Where the parsed table of ``path`` is cached, and the key it is stored under
    (the file's resolved path, size and mtime, and the format); None without a cache."""
    from mtqc.scorers.cache import cache_dir, caching_disabled

    if caching_disabled():
        return None
    try:
        st = path.stat()
    except OSError:
        return None
    key = (
        f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{_CACHE_FORMAT}"
        f"|py{sys.version_info[0]}.{sys.version_info[1]}|marshal{marshal.version}"
    )
    return cache_dir() / "freedict-nld-eng.marshal", key


def _read_cached(file: Path, key: str) -> dict[str, tuple[tuple[str, ...], ...]] | None:
    """The table cached in ``file`` under ``key``, or None when there is none for this
    version of the dictionary (a damaged or foreign cache file is ignored and rewritten)."""
    try:
        data = marshal.loads(file.read_bytes())  # data only: marshal never runs code
        stored_key, table = data
        if stored_key != key or not isinstance(table, dict):
            return None
        return table
    except (OSError, ValueError, TypeError, EOFError):
        return None


def _system_table() -> dict[str, tuple[tuple[str, ...], ...]]:
    """The installed dictionary's table: parsed once per dictionary file and cached in
    the mtqc cache directory (``freedict-nld-eng.marshal``, keyed by the file's path,
    size and mtime and the Python version; parsing takes 0.4–0.8 s, reading the cache
    a few hundredths of a second)."""
    from mtqc.scorers.cache import store_file

    path = dictionary_path()
    if path is None:
        return {}
    where = _table_cache(path)
    if where is not None:
        cached = _read_cached(*where)
        if cached is not None:
            return cached
    table = _parse_file(path)
    if table and where is not None:
        store_file(where[0], marshal.dumps((where[1], table)))  # best effort
    return table


def _parse_file(path: Path) -> dict[str, tuple[tuple[str, ...], ...]]:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, EOFError, UnicodeDecodeError):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return {}
    return parse_dictd(text)


def senses(word: str) -> tuple[tuple[str, ...], ...]:
    """The sense groups of a Dutch headword (lower-cased lookup), ``()`` when unknown.

    ``senses("zaak")`` → ``(("affair", "business", "businessdeal", "case", "matter"),
    ("boutique", "shop", "store"))`` with the Debian package installed.
    """
    return senses_table().get(word.lower(), ())


def translations(word: str) -> frozenset[str]:
    """Every English gloss of a Dutch headword, all senses together (lower-cased)."""
    return frozenset(g for group in senses(word) for g in group)


# --------------------------------------------------------------------------- lemmas

#: Common Dutch strong and irregular verbs: infinitive, past singular, past plural,
#: past participle (ANS, "Lijst van sterke en onregelmatige werkwoorden").
_STRONG_TEXT = """
bakken bakte bakten gebakken bederven bedierf bedierven bedorven bedriegen bedroog bedrogen bedrogen
beginnen begon begonnen begonnen bergen borg borgen geborgen bevelen beval bevalen bevolen
bezwijken bezweek bezweken bezweken bidden bad baden gebeden bieden bood boden geboden
bijten beet beten gebeten binden bond bonden gebonden blazen blies bliezen geblazen
blijken bleek bleken gebleken blijven bleef bleven gebleven braden braadde braadden gebraden
breken brak braken gebroken brengen bracht brachten gebracht buigen boog bogen gebogen
denken dacht dachten gedacht doen deed deden gedaan dragen droeg droegen gedragen
drijven dreef dreven gedreven dringen drong drongen gedrongen drinken dronk dronken gedronken
duiken dook doken gedoken dwingen dwong dwongen gedwongen eten at aten gegeten
gaan ging gingen gegaan gelden gold golden gegolden genezen genas genazen genezen
genieten genoot genoten genoten geven gaf gaven gegeven gieten goot goten gegoten
glijden gleed gleden gegleden graven groef groeven gegraven grijpen greep grepen gegrepen
hangen hing hingen gehangen hebben had hadden gehad heffen hief hieven geheven
helpen hielp hielpen geholpen heten heette heetten geheten houden hield hielden gehouden
jagen joeg joegen gejaagd kiezen koos kozen gekozen kijken keek keken gekeken
klimmen klom klommen geklommen klinken klonk klonken geklonken komen kwam kwamen gekomen
kopen kocht kochten gekocht krijgen kreeg kregen gekregen krimpen kromp krompen gekrompen
kruipen kroop kropen gekropen kunnen kon konden gekund lachen lachte lachten gelachen
laden laadde laadden geladen laten liet lieten gelaten lezen las lazen gelezen
liegen loog logen gelogen liggen lag lagen gelegen lijden leed leden geleden
lijken leek leken geleken lopen liep liepen gelopen meten mat maten gemeten
mijden meed meden gemeden moeten moest moesten gemoeten mogen mocht mochten gemogen
nemen nam namen genomen prijzen prees prezen geprezen raden raadde raadden geraden
rijden reed reden gereden rijzen rees rezen gerezen roepen riep riepen geroepen
ruiken rook roken geroken scheiden scheidde scheidden gescheiden schenden schond schonden geschonden
schenken schonk schonken geschonken scheppen schiep schiepen geschapen schieten schoot schoten geschoten
schijnen scheen schenen geschenen schrijven schreef schreven geschreven schrikken schrok schrokken geschrokken
schuiven schoof schoven geschoven slaan sloeg sloegen geslagen slapen sliep sliepen geslapen
slijten sleet sleten gesleten sluipen sloop slopen geslopen sluiten sloot sloten gesloten
smelten smolt smolten gesmolten smijten smeet smeten gesmeten snijden sneed sneden gesneden
spijten speet speten gespeten spreken sprak spraken gesproken springen sprong sprongen gesprongen
staan stond stonden gestaan steken stak staken gestoken stelen stal stalen gestolen
sterven stierf stierven gestorven stijgen steeg stegen gestegen stinken stonk stonken gestonken
strijden streed streden gestreden treden trad traden getreden treffen trof troffen getroffen
trekken trok trokken getrokken vallen viel vielen gevallen vangen ving vingen gevangen
varen voer voeren gevaren vechten vocht vochten gevochten verbieden verbood verboden verboden
verdwijnen verdween verdwenen verdwenen vergelijken vergeleek vergeleken vergeleken
vergeten vergat vergaten vergeten verliezen verloor verloren verloren vinden vond vonden gevonden
vliegen vloog vlogen gevlogen vragen vroeg vroegen gevraagd vriezen vroor vroren gevroren
wassen waste wasten gewassen wegen woog wogen gewogen werpen wierp wierpen geworpen
werven wierf wierven geworven weten wist wisten geweten wijken week weken geweken
wijzen wees wezen gewezen willen wilde wilden gewild winden wond wonden gewonden
winnen won wonnen gewonnen worden werd werden geworden zeggen zei zeiden gezegd
zenden zond zonden gezonden zien zag zagen gezien zijn was waren geweest
zingen zong zongen gezongen zinken zonk zonken gezonken zitten zat zaten gezeten
zoeken zocht zochten gezocht zuigen zoog zogen gezogen zullen zou zouden gezuld
zwemmen zwom zwommen gezwommen zweren zwoer zwoeren gezworen zwijgen zweeg zwegen gezwegen
"""
_STRONG_WORDS = _STRONG_TEXT.split()
#: Every strong form (past singular, past plural, participle) → infinitive.
STRONG_FORMS: dict[str, str] = {}
for _k in range(0, len(_STRONG_WORDS), 4):
    _inf, *_forms = _STRONG_WORDS[_k : _k + 4]
    for _f in _forms:
        STRONG_FORMS.setdefault(_f, _inf)

#: Separable verb particles (ANS 2.3.1.3), longest first.
PARTICLES = tuple(
    sorted(
        [
            "aan",
            "af",
            "achter",
            "achteruit",
            "bij",
            "binnen",
            "buiten",
            "door",
            "heen",
            "in",
            "langs",
            "los",
            "mee",
            "na",
            "neer",
            "om",
            "onder",
            "op",
            "over",
            "rond",
            "samen",
            "tegen",
            "terug",
            "thuis",
            "toe",
            "uit",
            "vast",
            "voor",
            "voorbij",
            "vrij",
            "weg",
            "weer",
        ],
        key=len,
        reverse=True,
    )
)
_UNSTRESSED = ("be", "ge", "her", "ont", "ver", "er")
_DIGRAPHS = frozenset(["aa", "ee", "oo", "uu", "ie", "oe", "ou", "au", "ei", "ij", "ui", "eu"])


def _undouble(stem: str) -> list[str]:
    """Spelling variants of a stem before an ending: ``gro`` ← ``groot``, ``legg`` → ``leg``."""
    out = [stem]
    if len(stem) >= 3 and stem[-1] == stem[-2] and stem[-1] not in "aeiou":
        out.append(stem[:-1])  # zett(en) -> zet
    if (
        len(stem) >= 3
        and stem[-2] in "aeiou"
        and stem[-1] not in "aeiouwj"
        and stem[-3:-1] not in _DIGRAPHS
    ):
        out.append(stem[:-1] + stem[-2] + stem[-1])  # brutal(e) -> brutaal, grot -> groot
    if len(stem) >= 4 and stem[-3] == stem[-2] and stem[-2] in "aeou" and stem[-1] not in "aeiouwj":
        out.append(stem[:-2] + stem[-1])  # leen(en) -> len(en): lenen, maak -> maken
    for a, b in (("v", "f"), ("z", "s")):
        if stem.endswith(a):
            out += [s[:-1] + b for s in list(out)]  # lev(en) -> leef, reiz(en) -> reis
    return out


def _verb_candidates(word: str) -> list[str]:
    """Infinitive candidates for a Dutch verb form (finite or participle), no particle."""
    w = word
    out: list[str] = []
    if w in STRONG_FORMS:
        out.append(STRONG_FORMS[w])
    if w.endswith("en"):
        out.append(w)
    # participles: ge-…-d/-t/-en
    if w.startswith("ge") and len(w) > 5:
        core = w[2:]
        if core.endswith(("d", "t")):
            for s in _undouble(core[:-1]):
                out += [s + "en", s + "n"]
        if core.endswith("en"):
            out.append(core)
    # weak past: -de(n)/-te(n); present: -t, stem
    for suf in ("den", "ten", "de", "te", "t", ""):
        if suf and not w.endswith(suf):
            continue
        stem = w[: len(w) - len(suf)] if suf else w
        if len(stem) < 3:
            continue
        for s in _undouble(stem):
            out += [s + "en", s + "n"]
            if s[-1:] not in "aeiou":
                out.append(s + s[-1] + "en")  # zet -> zetten
    return out


def lemma_candidates(word: str) -> list[str]:
    """Possible Dutch lemmas of ``word``, most likely first (not checked against the dictionary).

    Handles plurals (``-en``, ``-s``, ``-'s``), inflected adjectives (``-e``: *brutale* →
    *brutaal*), diminutives (``-(t)je(s)``), comparatives (``-er``, ``-st``), weak and
    strong verb forms (``schoot``, ``geschoten`` → *schieten*) and separable verbs with
    their particle (``neergeschoten`` → *neerschieten*, ``vrijgesproken`` → *vrijspreken*,
    ``uitgeleend`` → *uitlenen*).
    """
    w = word.lower().replace("’", "'")
    out = [w]
    if w.endswith("'s"):
        out.append(w[:-2])
    for suf in ("tjes", "pjes", "etjes", "jes", "tje", "pje", "etje", "je"):
        if w.endswith(suf) and len(w) - len(suf) >= 3:
            out += _undouble(w[: -len(suf)])
            break
    if w.endswith("en") and len(w) > 4:
        out += _undouble(w[:-2])
        if w.endswith("ën"):
            out.append(w[:-2])
    if w.endswith("ën") and len(w) > 4:
        out.append(w[:-2] + "e")
    if w.endswith("s") and len(w) > 3:
        out.append(w[:-1])
    if w.endswith("e") and len(w) > 3:
        out += _undouble(w[:-1])
    for suf in ("ere", "er", "ste", "st"):
        if w.endswith(suf) and len(w) - len(suf) >= 3:
            out += _undouble(w[: -len(suf)])
    out += _verb_candidates(w)
    # separable verbs: particle + (ge)form, and unstressed prefixes
    for p in PARTICLES:
        if w.startswith(p) and len(w) - len(p) >= 3:
            rest = w[len(p) :]
            out += [p + c for c in _verb_candidates(rest)]
            if rest.startswith("ge"):
                out += [p + c for c in _verb_candidates(rest[2:])]
            break
    for p in _UNSTRESSED:
        if w.startswith(p) and w[len(p) :] in STRONG_FORMS:
            out.append(p + STRONG_FORMS[w[len(p) :]])
    seen: set[str] = set()
    return [c for c in out if c and not (c in seen or seen.add(c))]


def lemmas(word: str) -> list[str]:
    """The dictionary headwords ``word`` may be a form of (``[]`` when none or no dictionary).

    ``lemmas("neergeschoten")`` → ``["neerschieten"]`` when the dictionary has it;
    ``lemmas("zaken")`` → ``["zaak"]``.
    """
    table = senses_table()
    return [c for c in lemma_candidates(word) if c in table]


def word_translations(word: str) -> frozenset[str]:
    """Every English gloss of any lemma of the Dutch word form ``word`` (the system
    dictionary and its core supplement; the supplement alone when none is installed)."""
    table = senses_table() or _core_table()
    out: set[str] = set()
    for lemma in lemma_candidates(word):
        for group in table.get(lemma, ()):
            out.update(group)
    return frozenset(out)


@cache
def _core_table() -> dict[str, tuple[tuple[str, ...], ...]]:
    return _supplement()
