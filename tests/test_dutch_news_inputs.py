"""The small Dutch→English inputs of the "catch what real MT gets wrong" issue, each as a
whole kind: the right code on the right span, and no flag on the correct lines.

Each rule also has its own fixture with more cases of the same kind
(``tests/fixtures/rules/CODE.txt``); this file keeps the issue's examples together.
"""

from __future__ import annotations

import pytest

from mtqc.checks import _dictionary
from mtqc.engine import check_texts


def flagged(mt, **kw) -> list[tuple[str, str]]:
    """(code, flagged text) of every minor-or-worse flag on the MT."""
    report = check_texts(mt, **kw)
    return [
        (f.code, f.text)
        for r in report.results
        for f in r.flags
        if str(f.severity) != "info" and f.side == "mt"
    ]


@pytest.mark.parametrize(
    "line",
    [
        "Bijgewerkt op 12 maart 2021 om 08:15",  # a dateline
        "Foto: Belga",  # a caption credit
        "Lees ook: Overstromingen in Limburg",  # a link line
        "Nieuwe regels voor de verkoop van vuurwerk",  # a heading
        "De burgemeester wil de parking tegen de zomer openen.",
    ],
)
def test_a_whole_dutch_line_is_one_untranslated_line_flag(line):
    assert flagged(line) == [("U001", line)]


@pytest.mark.parametrize(
    ("mt", "word"),
    [
        ("The city presented its new woonvisie on Monday.", "woonvisie"),
        ("Belgium meets Italy at the EK in June.", "EK"),
        ("He was calling on his gsm when the truck hit him.", "gsm"),
        ("Burgemeester De Wever opened the bridge.", "Burgemeester"),
    ],
)
def test_dutch_words_inside_english_are_untranslated(mt, word):
    assert ("U002", word) in flagged(mt)


def test_mojibake_from_other_code_pages_and_symbols_for_punctuation():
    codes = flagged("He said โ€œwe will act nowโ€ on Monday.")
    assert ("W006", "โ€œ") in codes
    assert ("W007", "†") in flagged("The road was closed for hours† Police said nothing.")


@pytest.mark.parametrize(
    ("mt", "span", "fix"),
    [
        ("More than 85.000 visitors came to the festival.", "85.000", "85,000"),
        ("The works cost 2,5 million euros.", "2,5", "2.5"),
        ("The shop opens at 7u30 on Saturday.", "7u30", "7.30am"),
        ("The strike starts on 1/3 at the port of Antwerp.", "1/3", "1 March"),
    ],
)
def test_dutch_number_time_and_date_conventions_get_the_english_form(mt, span, fix):
    report = check_texts(mt)
    hits = [f for f in report.results[0].flags if f.code == "N010"]
    assert [f.text for f in hits] == [span]
    assert fix in hits[0].suggestions


def test_institutions_rendered_word_by_word():
    assert ("T001", "Second Chamber") in flagged("The bill passed the Second Chamber on Tuesday.")
    got = flagged(
        "The Consultation Committee meets on Friday.",
        src="Het Overlegcomité komt vrijdag samen.",
        src_lang="nl",
    )
    assert ("T004", "Consultation Committee") in got


def test_dutch_word_order_is_flagged_and_english_order_is_not():
    dutch = "The council had on Monday evening the plan already approved."
    assert flagged(dutch) == [("G001", "had on Monday evening the plan already approved")]
    assert flagged("The council had already approved the plan on Monday evening.") == []
    assert ("G001", "That reports the police") in flagged("That reports the police on Wednesday.")


@pytest.mark.parametrize(
    ("mt", "span"),
    [
        ("Fuel prices rose in our country last week.", "in our country"),
        ("“I could not do anything,” tells the 43-year-old man.", "tells"),
        ("READ ALSO. Flooding in Limburg", "READ ALSO"),
        ("“We are ready,” thus Janssens.", "thus"),
    ],
)
def test_newsroom_calques(mt, span):
    assert ("T001", span) in flagged(mt)


def test_false_alarms_stopped():
    # a real counterfactual is not hearsay
    assert flagged("A second runway would have provided relief, but the plan was shelved.") == []
    # a quotation over several paragraphs: each opens with “, only the last closes
    paragraphs = [
        "“The first paragraph of the statement.",
        "“The second paragraph goes on.",
        "“And the last one closes it,” the minister said.",
    ]
    assert flagged(paragraphs) == []
    # a quoted speaker may say "in our country"
    assert flagged("“In our country, nobody goes hungry,” the mayor said.") == []


needs_dictionary = pytest.mark.skipif(
    not _dictionary.available(), reason="dict-freedict-nld-eng is not installed"
)


def test_source_look_alike_and_contradicted_sense():
    got = flagged(
        "The actual figures show a rise.",
        src="De actuele cijfers tonen een stijging.",
        src_lang="nl",
    )
    # T001's source-conditioned entry or S001's false-friend list: one flag on "actual"
    assert [t for c, t in got if c in ("T001", "S001")] == ["actual"]
    got = flagged(
        "She opened her own case in the Veldstraat.",
        src="Ze opende haar eigen zaak in de Veldstraat.",
        src_lang="nl",
    )
    assert ("S002", "case") in got


@needs_dictionary
def test_a_dropped_negation_and_a_translated_name():
    got = flagged(
        "The minister said the claims have been proven.",
        src="De minister zei dat de beweringen niet bewezen zijn.",
        src_lang="nl",
    )
    assert [c for c, _ in got] == ["S003"]
    got = flagged(
        "The stabbing happened in Liar on Saturday.",
        src="De steekpartij gebeurde zaterdag in Lier.",
        src_lang="nl",
    )
    assert ("N008", "Liar") in got


def test_names_with_an_english_form_are_not_missing():
    report = check_texts(
        "The Red Devils play in The Hague on Sunday.",
        src="De Rode Duivels spelen zondag in Den Haag.",
        src_lang="nl",
    )
    assert [f.code for f in report.results[0].flags if f.code == "N006"] == []


@needs_dictionary
def test_round_trip_divergence_needs_no_model():
    report = check_texts(
        "The storm caused flooding in Sealand.",
        src="De storm zorgde voor overstromingen in Zeeland.",
        bt="De storm veroorzaakte overstromingen in Sealand.",
        src_lang="nl",
        config={"select": ["S004"]},
    )
    assert report.mode.value == "round-trip"
    assert [(f.code, f.text) for f in report.results[0].flags] == [("S004", "Sealand")]
