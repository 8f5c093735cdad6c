"""Lexical rules beyond the fixture files: the calque lexicon's own examples, term-list
loading errors, reference-side omission offsets, the alignment API, option schemas."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from rule_fixtures import load_fixture, strip_marks

from mtqc.checks import all_rules
from mtqc.checks._align import align, stem, tokenize
from mtqc.checks._apply import apply_rule
from mtqc.checks.terms import DATA, key_words, load_term_list, match_entries
from mtqc.checks.untranslated import looks_like_dutch_compound, word_list
from mtqc.errors import ConfigError
from mtqc.model import Segment, Severity

RULES = all_rules()
CALQUES = load_term_list(DATA / "calques.nl-en.tsv")


def run(code: str, seg: Segment, **options):
    return apply_rule(RULES[code], seg, options or None)


# --------------------------------------------------------------------------- T001


@pytest.mark.parametrize("entry", CALQUES, ids=lambda e: e.id)
def test_calque_entry_flags_its_own_example(entry):
    example, _, source = entry.example.partition(" ‖ ")
    text, spans = strip_marks(example)
    assert len(spans) == 1, f"{entry.id}: example must mark exactly one span"
    assert bool(source) == (entry.source is not None), f"{entry.id}: source example"
    if entry.source is not None:
        # a source-conditioned entry is silent without a source and with an unrelated one
        assert run("T001", Segment("x", text)) == []
        assert run("T001", Segment("x", text, src="Iets heel anders.", src_lang="nl")) == []
    flags = run("T001", Segment("x", text, src=source or None, src_lang="nl" if source else None))
    assert [(f.start, f.end, f.evidence["entry"]) for f in flags] == [(*spans[0], entry.id)]
    flag = flags[0]
    assert flag.severity == entry.severity
    assert flag.message == entry.why
    assert list(entry.suggestions) == flag.suggestions
    # the pre-filter must be able to see every match: some key's prefixes all start
    # words of the flagged span
    span_words = key_words(flag.text)
    assert any(
        all(any(w.startswith(p) for w in span_words) for p in key_words(k)) for k in entry.keys
    ), f"{entry.id}: no key in {flag.text!r}"


def test_calque_lexicon_is_a_real_lexicon():
    assert len(CALQUES) >= 60
    for e in CALQUES:
        assert (e.src, e.tgt) == ("nl", "en")
        assert "Dutch" in e.why and "‘" in e.why, f"{e.id}: 'why' must name the Dutch source"
        assert e.suggestions, e.id


def test_calque_entries_can_be_disabled():
    seg = Segment("x", "They have been fighting since years.")
    assert [f.evidence["entry"] for f in run("T001", seg)] == ["since-years"]
    assert run("T001", seg, disable=["since-years"]) == []


def test_calque_context_is_per_sentence():
    # "if" in another sentence does not excuse the hearsay "would have"
    seg = Segment("x", "If the weather holds, we go. The man would have stolen a car.")
    assert [f.text for f in run("T001", seg)] == ["would have stolen"]
    seg = Segment("x", "The man would have stolen a car if he had had the chance.")
    assert run("T001", seg) == []


def test_overlapping_entries_keep_the_longest_match():
    hits = match_entries(CALQUES, Segment("x", "The spillover action was prepared."))
    assert [(s, e, x.id) for s, e, x in hits] == [(4, 20, "spillover-defection")]


def _write_list(tmp_path: Path, body: str) -> Path:
    header = "id\tpair\tseverity\tkeys\tpattern\tsuggest\twhy\texample\tcontext\n"
    p = tmp_path / "terms.nl-en.tsv"
    p.write_text("# comment\n" + header + body, encoding="utf-8")
    return p


def test_term_list_bad_regex_names_file_and_line(tmp_path):
    p = _write_list(tmp_path, "a\tnl-en\tminor\tfoo\tfoo(\tbar\twhy\t⟦foo⟧\t\n")
    with pytest.raises(ConfigError, match=r"terms\.nl-en\.tsv:3: .*"):
        load_term_list(p)


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("a\tnl-en\tsevere\tfoo\tfoo\tbar\twhy\t⟦foo⟧\t", "severity"),
        ("a\tnl-en\tminor\tfoo\tfoo\t\twhy\t⟦foo⟧\t", "column 'suggest' is empty"),
        ("a\tnl\tminor\tfoo\tfoo\tbar\twhy\t⟦foo⟧\t", "pair"),
        ("a\tnl-en\tminor\tfoo\tfoo\tbar\twhy\t⟦foo⟧\tif:foo", "context must be"),
    ],
)
def test_term_list_row_errors(tmp_path, row, problem):
    with pytest.raises(ConfigError, match=problem):
        load_term_list(_write_list(tmp_path, row + "\n"))


def test_term_list_duplicate_id_and_missing_header(tmp_path):
    row = "a\tnl-en\tminor\tfoo\tfoo\tbar\twhy\t⟦foo⟧\t\n"
    with pytest.raises(ConfigError, match="duplicate id 'a'"):
        load_term_list(_write_list(tmp_path, row + row))
    p = tmp_path / "bad.tsv"
    p.write_text("id\tpattern\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="header lacks column"):
        load_term_list(p)


# --------------------------------------------------------------------------- T002 / T003


def test_glossary_and_forbidden_option_errors():
    seg = Segment("x", "The spillover action.")
    with pytest.raises(ConfigError, match="'target'"):
        run("T002", seg, terms=[{"source": "overloopactie"}])
    with pytest.raises(ConfigError, match="unknown key"):
        run("T002", seg, terms=[{"source": "a", "target": "b", "colour": "red"}])
    with pytest.raises(ConfigError, match="'term'"):
        run("T003", seg, terms=[{"use": "defection"}])
    with pytest.raises(ConfigError, match="list of tables"):
        run("T003", seg, terms="spillover")


def test_forbidden_term_suggestion_and_severity():
    seg = Segment("x", "Kiev is far. A tragic accident.")
    flags = run(
        "T003",
        seg,
        terms=[
            {"term": "Kiev", "use": "Kyiv"},
            {"term": "tragic accident", "use": "accident", "severity": "minor"},
        ],
    )
    got = [(f.text, f.suggestions, f.severity) for f in flags]
    assert got == [
        ("Kiev", ["Kyiv"], Severity.MAJOR),
        ("tragic accident", ["accident"], Severity.MINOR),
    ]


# --------------------------------------------------------------------------- U005


def test_omission_span_is_on_the_reference_with_exact_offsets():
    ref = "The pilot flew his attack helicopter to Ukraine."
    flags = run("U005", Segment("x", "The pilot flew to Ukraine.", ref=ref))
    assert [(f.side, f.start, f.end) for f in flags] == [
        ("ref", ref.index("attack"), ref.index(" to Ukraine"))
    ]
    assert flags[0].text == "attack helicopter"
    assert flags[0].category == "accuracy/omission"


@pytest.mark.parametrize("case", load_fixture("U005").cases, ids=lambda c: f"line{c.lineno}")
def test_omission_fixture_reference_spans(case):
    """U005.txt marks the expected spans inside its ref= field."""
    ref, spans = case.segment.ref or "", case.ref_spans  # marks already stripped
    flags = run("U005", Segment("x", case.segment.mt, ref=ref))
    assert [(f.start, f.end) for f in flags] == spans
    assert all(f.side == "ref" and f.text == ref[f.start : f.end] for f in flags)


def test_omission_two_runs_and_none_when_complete():
    ref = "Two other crew members who did not want to surrender were killed shortly after landing."
    flags = run("U005", Segment("x", "Two crew members were killed.", ref=ref))
    assert [(f.start, f.end) for f in flags] == [
        (ref.index("want"), ref.index(" were killed")),
        (ref.index("shortly"), ref.index(".")),
    ]
    assert run("U005", Segment("x", ref, ref=ref)) == []


def test_omission_not_flagged_for_a_paraphrase():
    ref = "He used his bare eyes to look at the stars."
    mt = "He looked at the stars with the naked eye."
    assert run("U005", Segment("x", mt, ref=ref)) == []


# --------------------------------------------------------------------------- alignment


def test_align_handles_reordering_inflection_and_code_points():
    mt = "Last month the pilots flew to Kyiv 🚁 and quietly defected."
    ref = "The pilot defected and flies to Kyiv 🚁 last month."
    al = align(mt, ref)
    by_text = {al.mt_tokens[i].text: al.ref_tokens[j].text for i, j in al.pairs.items()}
    # moved ("Last month"), inflected ("pilots"), irregular ("flew"/"flies")
    assert by_text["Last"] == "last" and by_text["month"] == "month"
    assert by_text["pilots"] == "pilot" and by_text["flew"] == "flies"
    assert by_text["defected"] == "defected"
    assert [mt[r.start : r.end] for r in al.mt_runs if r.content] == ["quietly"]
    for t in al.mt_tokens:
        assert mt[t.start : t.end] == t.text  # code-point offsets, even after the emoji


def test_align_counterpart_is_the_reference_phrase_at_the_gap():
    al = align(
        "The spillover action was prepared for months.",
        "The defection operation was prepared for months.",
    )
    runs = [r for r in al.mt_runs if r.content]
    assert [(al.mt[r.start : r.end], al.ref_words(r)) for r in runs] == [
        ("spillover action", "defection operation")
    ]
    assert al.coverage == pytest.approx(2 / 4)  # spillover, action | prepared, months


def test_stem_and_tokenize():
    assert {stem(w) for w in ("helped", "helping", "helps")} == {"help"}
    assert stem("studies") == stem("studied") == "study"
    toks = tokenize("Don’t stop, it's 3,5 km.")
    assert [t.text for t in toks] == ["Don’t", "stop", ",", "it's", "3,5", "km", "."]
    assert [t.is_content for t in toks] == [False, True, False, False, True, True, False]


# --------------------------------------------------------------------------- U002 / U004


def test_dutch_compound_heuristic():
    for w in ("overloopactie", "verkiezingen", "bereikbaarheid", "gemeentelijke"):
        assert looks_like_dutch_compound(w), w
    for w in ("whatsoever", "information", "coefficient", "hijacking", "Overloopactie"):
        assert not looks_like_dutch_compound(w), w


def test_word_lists_are_shipped_and_disjoint():
    nl, en = word_list("nl_words.txt"), word_list("en_words.txt")
    assert len(nl) > 5000 and len(en) > 5000
    assert {"wordt", "volgens", "gemeenteraad"} <= nl
    assert not nl & en
    assert "the" in en and "het" not in en


def test_runtime_does_not_import_wordfreq():
    code = (
        "import sys\n"
        "from mtqc.checks import all_rules\n"
        "from mtqc.checks._apply import apply_rule\n"
        "from mtqc.model import Segment\n"
        "r = all_rules()['U002']\n"
        "assert apply_rule(r, Segment('x', 'The overloopactie was prepared.'))\n"
        "assert 'wordfreq' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent.parent)


def test_source_copy_is_minor_and_list_word_major():
    seg = Segment("x", "The wordt and the kolkhoz.", src="Der kolkhoz", src_lang="de")
    # a German source: the Dutch list does not apply, the copied word does
    assert [(f.text, f.severity) for f in run("U002", seg)] == [("kolkhoz", Severity.MINOR)]
    seg = Segment("x", "The wordt and the zoetje.", src="het zoetje", src_lang="nl")
    got = [(f.text, f.severity) for f in run("U002", seg)]
    assert got == [("wordt", Severity.MAJOR), ("zoetje", Severity.MINOR)]
    # an international word copied from a Dutch source is a correct rendering
    seg = Segment(
        "x", "Take paracetamol for the kolkhoz.", src="paracetamol kolkhoz", src_lang="nl"
    )
    assert run("U002", seg) == []


def test_length_ratio_evidence_and_severity():
    src = "我希望大家能花点时间考虑一个非常简单的事实那就是，到目前为止， 我们对宇宙的大部分了解都来自于光。"
    flags = run("U004", Segment("x", "He said yes.", src=src))
    assert len(flags) == 1
    ev = flags[0].evidence
    assert ev["band"] == [1.5, 6.5] and ev["against"] == "source"
    assert ev["ratio"] == pytest.approx(len("He said yes.") / len(src), abs=1e-3)
    assert flags[0].severity == Severity.MAJOR  # ratio 0.24 < 1.5 / 1.5
    # a custom band for the pair silences it
    assert run("U004", Segment("x", "He said yes.", src=src), bands={"zh": [0.1, 9]}) == []
