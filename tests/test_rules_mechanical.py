"""Behaviour of the mechanical rules that the fixture files cannot express: flags on the
reference/source side, suggestions, options and the number parser."""

from __future__ import annotations

import pytest

from mtqc.checks import all_rules
from mtqc.checks._apply import apply_rule
from mtqc.checks.numbers import find_numbers, number_values, word_number_values
from mtqc.model import Segment, Severity

RULES = all_rules()


def flags(code: str, mt: str, options: dict | None = None, **companions: str):
    return apply_rule(RULES[code], Segment("t", mt, **companions), options)


def apply_fix(text: str, flag) -> str:
    return text[: flag.start] + flag.suggestions[0] + text[flag.end :]


# ---------------------------------------------------------------- suggestions fix the text


@pytest.mark.parametrize(
    ("code", "mt", "fixed"),
    [
        ("W001", "The pilot flew to to the border.", "The pilot flew to the border."),
        ("P001", "He left the country.. It was late.", "He left the country. It was late."),
        ("P002", "the action. . It would", "the action. It would"),
        ("P006", "The pilot , who is 28.", "The pilot, who is 28."),
        ("P007", "It was late.The pilot flew on.", "It was late. The pilot flew on."),
        ("W002", "The pilot  flew on.", "The pilot flew on."),
        ("W004", "He defected. he took it.", "He defected. He took it."),
        ("W006", "Zelenskyâ€™s visit", "Zelensky’s visit"),
        ("N007", "It brings in 500000 dollars.", "It brings in 500,000 dollars."),
    ],
)
def test_applying_the_suggestion_fixes_the_text(code, mt, fixed):
    (flag,) = flags(code, mt)
    assert apply_fix(mt, flag) == fixed


def test_doubled_word_message_names_the_words():
    (flag,) = flags("W001", "He saw the the pilot.")
    assert flag.text == "the the"
    assert "the the" in flag.message


def test_doubled_word_allow_option_replaces_the_default_list():
    mt = "What he was was a pilot."
    assert flags("W001", mt) == []
    (flag,) = flags("W001", mt, {"allow": ["had"]})
    assert flag.text == "was was"


def test_double_space_after_sentence_end_only_with_option():
    mt = "It was late.  The pilot flew on."
    assert flags("W002", mt) == []
    (flag,) = flags("W002", mt, {"after_sentence_end": True})
    assert (flag.start, flag.end) == (12, 14)


def test_french_spacing_is_only_allowed_in_french_targets():
    mt = "Pourquoi ? Personne ne sait !"
    assert flags("P006", mt, tgt_lang="fr") == []
    assert [f.text for f in flags("P006", mt, tgt_lang="en")] == [" ?", " !"]
    # a space before a comma is wrong in French too
    assert [f.text for f in flags("P006", "Il a dit , non.", tgt_lang="fr")] == [" ,"]


def test_script_punctuation_fixes_follow_the_target_script():
    mt = "He said，we will meet tomorrow。"
    fixed = mt
    for flag in reversed(flags("P009", mt, tgt_lang="en")):
        fixed = apply_fix(fixed, flag)
    assert fixed == "He said, we will meet tomorrow."
    # in a Chinese target the comma's fix is the fullwidth one, not ", "
    zh = "我们,明天见 , 好吗."
    assert flags("P007", zh, tgt_lang="zh") == []
    assert flags("P006", zh, tgt_lang="zh") == []
    fixed = zh
    for flag in reversed(flags("P009", zh, tgt_lang="zh")):
        fixed = apply_fix(fixed, flag)
    assert fixed == "我们，明天见，好吗。"
    assert flags("P007", "red,green", tgt_lang="zh")[0].suggestions == [", "]


# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("token", "values"),
    [
        ("500,000", {500000.0, 500.0}),
        ("500.000", {500000.0, 500.0}),
        ("3,5", {3.5}),
        ("1,234.5", {1234.5}),
        ("1.234,5", {1234.5}),
        ("2022", {2022.0}),
    ],
)
def test_number_values_try_both_separator_conventions(token, values):
    assert number_values(token) == values


def test_find_numbers_applies_scales_and_skips_model_codes():
    nums = find_numbers("The MI-8 cost 3.5 million and 5万, COVID-19, near the hole-30 mark.")
    assert [n.text for n in nums] == ["3.5 million", "5万", "30"]
    assert 3_500_000.0 in nums[0].values
    assert 50_000.0 in nums[1].values


def test_word_number_values_read_english_and_chinese_numerals():
    values = word_number_values("twenty-five people, three hundred, 五十三")
    assert {25.0, 300.0, 53.0} <= values


def test_number_mismatch_ref_pairs_and_suggests_the_reference_number():
    ref = "The law offers $500,000."
    (flag,) = flags("N001", "The law offers 50,000 dollars.", ref=ref)
    assert (flag.side, flag.text, flag.suggestions) == ("mt", "50,000", ["500,000"])
    assert flag.severity == Severity.MAJOR


def test_number_missing_from_mt_is_flagged_on_the_reference():
    ref = "He is 28 and has 3 kids and 4 dogs."
    (flag,) = flags("N001", "He is 28 and has three kids.", ref=ref)
    assert flag.side == "ref"
    assert ref[flag.start : flag.end] == "4"


def test_number_missing_from_mt_is_flagged_on_the_source():
    src = "Hij is 28 en heeft 4 honden."
    (flag,) = flags("N002", "He is 28 and has dogs.", src=src, src_lang="nl")
    assert (flag.side, src[flag.start : flag.end]) == ("src", "4")


def test_source_number_suggestion_is_written_the_english_way():
    src = "De wet biedt 500.000 dollar en 3,5 procent."
    fl = flags("N002", "The law offers 50,000 dollars and 3.4 percent.", src=src, src_lang="nl")
    # Dutch (CLDR nl) groups thousands with "." — so 500.000 is 500,000 in English
    assert [(f.text, f.suggestions) for f in fl] == [("50,000", ["500,000"]), ("3.4", ["3.5"])]


def test_numbers_are_read_by_each_sides_cldr_convention():
    from mtqc.checks.numbers import locale_number_value, number_symbols

    assert number_symbols("de") == (".", ",")
    assert number_symbols("en-US") == (",", ".")
    assert number_symbols("xx-unknown") is None
    assert locale_number_value("2.500", "de") == 2500.0
    assert locale_number_value("2.500", "en") == 2.5
    assert locale_number_value("12\u202f500,5", "fr") == 12500.5
    assert locale_number_value("1.5", "nl") is None  # not Dutch-style: both readings kept
    (flag,) = flags("N002", "2.5 visitors came.", src="Es kamen 2.500 Besucher.", src_lang="de")
    assert flag.suggestions == ["2500"]
    # a figure copied from the source is a convention slip (N010), not a wrong number
    mt = "2.500 visitors came."
    assert flags("N002", mt, src="Es kamen 2.500 Besucher.", src_lang="de") == []
    assert [f.text for f in flags("N010", mt, src="Es kamen 2.500 Besucher.", src_lang="de")] == [
        "2.500"
    ]


def test_figures_copied_from_a_decimal_point_source_are_not_european_formats():
    # CLDR: Chinese writes 1.5 and 1,000 as English does, so "[1,1]" or "1.100" copied
    # from a Chinese source is a list or a decimal there too, not a Dutch convention
    mt = "On the left, the input of [1,1] equals 0 output."
    assert flags("N010", mt, src="看左面，[1,1] 的输入等于0输出。", src_lang="zh") == []
    assert flags("N010", "It weighs 1.100 kilos.", src="它重1.100公斤。", src_lang="zh") == []
    # the same figures copied from a Dutch source are flagged, with the English form
    (dec,) = flags(
        "N010", "It grew by 2,5 million.", src="Het groeide met 2,5 miljoen.", src_lang="nl"
    )
    assert (dec.text, dec.suggestions) == ("2,5", ["2.5"])
    (thousands,) = flags(
        "N010", "About 85.000 visitors came.", src="Zo'n 85.000 bezoekers.", src_lang="nl"
    )
    assert (thousands.text, thousands.severity) == ("85.000", Severity.MAJOR)


def test_an_unknown_source_language_tag_does_not_break_the_number_rules():
    # Babel raises UnknownLocaleError (not a ValueError) for a tag it does not know
    from mtqc.checks.numbers import _month_name_re, date_order

    (hit,) = flags("N010", "About 85.000 visitors came.", src="Zo 85.000 bezoekers.", src_lang="qq")
    assert hit.text == "85.000" and "Dutch/European" in hit.message
    assert date_order("qq") == ""
    assert _month_name_re("qq") is None


def test_number_rules_are_skipped_without_their_companion():
    assert flags("N001", "It costs 5 dollars.", src="Het kost 6 dollar.") == []
    assert flags("N002", "It costs 5 dollars.", ref="It costs 6 dollars.") == []


# ---------------------------------------------------------------- names


def test_name_missing_from_mt_is_flagged_on_the_reference():
    ref = "The pilot met Prime Minister Mark Rutte in The Hague."
    (flag,) = flags("N005", "The pilot met the prime minister in the capital.", ref=ref)
    assert flag.side == "ref"
    assert ref[flag.start : flag.end] == "Prime Minister Mark Rutte"
    assert flag.severity == Severity.MINOR


def test_name_missing_from_mt_is_flagged_on_a_latin_source():
    src = "Minister Hanneke Vos bezocht de stad."
    (flag,) = flags("N006", "The minister visited the city.", src=src, src_lang="nl")
    assert (flag.side, src[flag.start : flag.end]) == ("src", "Minister Hanneke Vos")


def test_names_are_not_compared_with_a_chinese_source():
    src = "飞行员马克西姆·库兹米诺夫在乌克兰。"
    assert flags("N006", "The pilot is in Ukraine.", src=src, src_lang="zh") == []


def test_mt_name_flag_suggests_the_reference_spelling():
    (flag,) = flags("N005", "He met Brian Green.", ref="He met Brian Greene.")
    assert (flag.text, flag.suggestions) == ("Brian Green", ["Brian Greene"])


# ---------------------------------------------------------------- seed sanity


def test_stray_period_in_the_seed_sentence_is_the_only_punctuation_flag():
    mt = (
        "“Then he saw his chance and hijacked his aircraft,” the Ukrainian ministry writes, "
        "without specifying the date of the action. . It would have happened sometime last "
        "month. “Two other crew members were killed shortly after landing,” it still sounds."
    )
    found = [
        (f.code, f.text)
        for code, r in RULES.items()
        if code[0] in "PW"
        for f in apply_rule(r, Segment("s", mt))
    ]
    assert found == [("P002", " .")]


def test_quotation_over_several_paragraphs_is_not_unbalanced():
    from mtqc.engine import check_texts

    paragraphs = [
        "“The first paragraph of a long quotation.",
        "“The second paragraph goes on.",
        "“The last one closes it,” the mayor said.",
        "“This quotation is never closed.",
        "The article goes on.",
    ]
    report = check_texts(paragraphs, config={"select": ["P003"]})
    flagged = [(r.segment.line, f.start) for r in report.results for f in r.flags]
    assert flagged == [(4, 0)]


def test_quotation_over_several_sentence_segments_is_not_unbalanced():
    from mtqc.checks.punctuation import QUOTATION_SPAN
    from mtqc.engine import CheckRun, EngineSettings, check_texts
    from mtqc.model import Segment

    sentences = [
        "He said: “Today is my first time on a cruise.",  # closes two segments later
        "I am excited about the scenery.",
        "It is difficult to find words.”",
        'She added: "We will come back.',  # straight quotes over two segments
        'It was worth it."',
        "The mayor said “nothing more.",  # never closed: the next quote opens anew
        "Then “a new quotation,” he said.",
        "It ended there.”",  # a closing mark with no opening one in reach
    ]
    report = check_texts(sentences, config={"select": ["P003"]})
    flagged = [(r.segment.line, f.start) for r in report.results for f in r.flags]
    assert flagged == [(6, 15), (8, 15)]
    # beyond QUOTATION_SPAN segments the closing mark is no partner
    far = ["He said: “We will come.", *["Filler."] * QUOTATION_SPAN, "It was late.”"]
    report = check_texts(far, config={"select": ["P003"]})
    assert [r.segment.line for r in report.results if r.flags] == [1, QUOTATION_SPAN + 2]
    # nor across a document border
    segs = [
        Segment(id="a", mt="He said: “We will come.", doc_id="d1"),
        Segment(id="b", mt="It was late.”", doc_id="d2"),
    ]
    assert all(r.flags for r in check_segments_p003(segs))
    # batch borders do not change what is paired (the engine holds QUOTATION_SPAN back)
    segs = [Segment(id=str(i), mt=t) for i, t in enumerate(sentences)]
    for batch in (1, 2, 3):
        run = CheckRun(list(segs), EngineSettings(config=_p003_config()), batch_size=batch)
        got = [(r.segment.id, f.start) for r in run for f in r.flags]
        assert got == [("5", 15), ("7", 15)], batch


def _p003_config():
    from mtqc.config import Config

    return Config(select=["P003"])


def check_segments_p003(segs):
    from mtqc.engine import EngineSettings, check_segments

    return check_segments(segs, EngineSettings(config=_p003_config())).results


def test_dates_follow_the_source_locales_cldr_calendar():
    from mtqc.checks.numbers import date_order

    assert date_order("de") == "dm"
    assert date_order("en-US") == "md"
    assert date_order("") == ""
    src = "La réunion a lieu le 03/04/2024 à 9h."
    assert flags("N002", "The meeting is on April 3, 2024 at 9 am.", src=src, src_lang="fr") == []
    (flag,) = flags("N002", "The meeting is on 10 March.", src="Am 3. Oktober.", src_lang="de")
    assert (flag.text, flag.suggestions) == ("10 March", ["3 October"])


def test_a_source_name_that_the_glossary_renders_is_not_missing():
    src = "De Staten-Generaal en de Raad van State stemden gisteren."
    mt = "The States General and the Council of State voted yesterday."
    assert flags("N006", mt, src=src, src_lang="nl") == []
    src = "La Guardia Civil detuvo ayer a dos hombres."
    mt = "The paramilitary police arrested two men yesterday."
    assert [f.text for f in flags("N006", mt, src=src, src_lang="es")] == ["Guardia Civil"]
    terms = [{"source": "Guardia Civil", "target": ["paramilitary police", "Civil Guard"]}]
    assert flags("N006", mt, {"glossary": terms}, src=src, src_lang="es") == []
    # a glossary whose targets the MT lacks does not excuse the name
    terms = [{"source": "Guardia Civil", "target": ["Civil Guard"]}]
    assert len(flags("N006", mt, {"glossary": terms}, src=src, src_lang="es")) == 1
