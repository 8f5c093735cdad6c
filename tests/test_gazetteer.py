"""The gazetteer (data/gazetteer.nl-en.tsv) and its rules T004 and N008."""

from __future__ import annotations

import pytest

from mtqc.checks import all_rules
from mtqc.checks._apply import apply_rule
from mtqc.checks._gazetteer import PATH, gazetteer, load_gazetteer, names_in_source
from mtqc.errors import ConfigError
from mtqc.model import Segment

RULES = all_rules()
GAZ = gazetteer()
LITERALS = [(e, lit) for e in GAZ for lit in e.literal]


def run(code: str, seg: Segment, **options):
    return apply_rule(RULES[code], seg, options or None)


def test_gazetteer_is_a_real_gazetteer():
    assert len(GAZ) >= 300
    kinds = {e.kind for e in GAZ}
    assert kinds == {"name", "exonym", "keep"}
    for e in GAZ:
        assert e.source.strip(), e.id
        assert e.nl and e.en, e.id


@pytest.mark.parametrize(("entry", "literal"), LITERALS, ids=lambda x: getattr(x, "id", x))
def test_every_literal_is_flagged_with_its_dutch_name_in_the_source(entry, literal):
    code = "N008" if entry.kind == "keep" else "T004"
    mt = f"Yesterday {literal} said nothing."
    src = f"Gisteren zei {entry.nl[0]} niets."
    flags = run(code, Segment("x", mt, src=src, src_lang="nl"))
    assert any(f.text == literal for f in flags), (entry.id, [f.text for f in flags])
    if entry.needs_source and code == "T004":
        flags = run(code, Segment("x", mt, src="Iets heel anders.", src_lang="nl"))
        assert not any(f.evidence["entry"] == entry.id for f in flags)


@pytest.mark.parametrize(
    ("entry", "literal"),
    [x for x in LITERALS if x[0].kind == "keep"],
    ids=lambda x: getattr(x, "id", x),
)
def test_kept_names_without_a_source_only_their_never_english_renderings(entry, literal):
    # no source: T004 flags a kept name's rendering only when its entry needs no source
    # ("Salt Lion" for Zoutleeuw), never an ordinary word ("Liar", "The Standard")
    mt = f"Yesterday {literal} said nothing."
    flags = [f for f in run("T004", Segment("x", mt)) if f.evidence["entry"] == entry.id]
    if entry.needs_source:
        assert flags == []
    else:
        assert [f.text for f in flags] == [literal]
        assert flags[0].suggestions[0] == entry.nl[0]
    # with a source the kept names are N008's alone: no second flag from T004
    src = f"Gisteren zei {entry.nl[0]} niets."
    with_src = run("T004", Segment("x", mt, src=src, src_lang="nl"))
    assert not any(f.evidence["entry"] == entry.id for f in with_src)


def test_accepted_english_forms_are_never_flagged():
    for e in GAZ:
        for en in e.en:
            seg = Segment(
                "x", f"Yesterday {en} said nothing.", src=f"Gisteren zei {e.nl[0]} niets."
            )
            flags = run("T004", seg) + run("N008", seg)
            assert flags == [], (e.id, en, [f.text for f in flags])


def test_sentence_initial_common_word_is_not_a_name():
    assert [g.entry.id for g in names_in_source("In Geel was het druk.")] == ["pk-geel"]
    assert names_in_source("Geel is de kleur van de ploeg.") == ()


def test_gazetteer_errors_name_the_line(tmp_path):
    header = PATH.read_text(encoding="utf-8").splitlines()
    head = next(line for line in header if line.startswith("id\t"))
    bad = tmp_path / "g.tsv"
    bad.write_text(head + "\nx\tplace\tt\tBE\tA\tB\t\tminor\t\ts\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"g\.tsv:2: kind"):
        load_gazetteer(bad)
    bad.write_text(head + "\nx\tname\tt\tBE\tA\tB\tB\tminor\t\ts\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="also an accepted English form"):
        load_gazetteer(bad)


def test_t004_entries_can_be_disabled():
    seg = Segment("x", "The Round of Flanders starts in Bruges.")
    assert [f.evidence["entry"] for f in run("T004", seg)] == ["be-ronde"]
    assert run("T004", seg, disable=["be-ronde"]) == []


def test_packaged_lexicon_patterns_all_compile():
    """The packaged term lists and the gazetteer compile their patterns when first used
    (LazyPattern); here every one of them is compiled, so a bad entry fails CI, not a
    user's run."""
    import re
    from importlib import resources

    from mtqc.checks import names
    from mtqc.checks._text import LazyPattern
    from mtqc.checks.terms import load_term_list

    patterns = []
    data = resources.files("mtqc.checks") / "data"
    lists = [p for p in data.iterdir() if p.name.endswith(".tsv") and "calque" in p.name]
    assert lists
    for path in lists:
        for e in load_term_list(str(path), lazy=True):
            patterns += [e.regex, e.unless, e.only, e.source]
    for e in gazetteer():
        patterns += [e.nl_regex, e.en_regex, e.unless]
    for kinds in (("name", "exonym"), ("keep",)):
        patterns += [t.regex for t, _ in names._literal_entries(kinds)]
    lazy = [p for p in patterns if isinstance(p, LazyPattern)]
    assert len(lazy) > 1500
    for p in lazy:
        assert isinstance(p.compiled, re.Pattern), p
