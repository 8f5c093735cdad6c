"""The engine and the Python API: modes, metrics, scores, suppression, determinism."""

from __future__ import annotations

import pytest

import mtqc
from mtqc.engine import EngineSettings, check_segments, detect_mode
from mtqc.errors import UsageError
from mtqc.model import Mode, Segment, Severity
from mtqc.outputs import render
from mtqc.scoring import rules_risk


def test_api_check_returns_report_with_frames():
    report = mtqc.check(
        ["We we left early.", "The council met."], ref=["We left early.", "The council met."]
    )
    assert report.mode is Mode.REFERENCE
    flags = report.to_pandas()
    w = flags[flags["code"] == "W001"]
    assert len(w) == 1 and w.iloc[0]["start"] == 0 and w.iloc[0]["end"] == 5
    segs = report.segments_frame()
    assert list(segs["id"]) == ["1", "2"]
    assert segs.loc[0, "score"] > segs.loc[1, "score"]
    assert set(report.results[0].metrics) == {"chrf"}  # chrF by default; BLEU/TER on request
    assert report.signature.endswith("|metrics:chrf")


def test_metrics_option_config_and_none():
    pair = (["We left early."], ["We left early today."])
    full = mtqc.check(*pair, metrics="ter,chrf,bleu")
    assert list(full.corpus_metrics) == ["chrf", "bleu", "ter"]
    assert set(full.results[0].metrics) == {"chrf", "bleu", "ter"}
    assert "|metrics:chrf+bleu+ter" in full.signature
    from_config = mtqc.check(*pair, config={"metrics": ["ter"]})
    assert list(from_config.corpus_metrics) == ["ter"]
    none = mtqc.check(*pair, metrics="none")
    assert none.corpus_metrics == {} and none.results[0].metrics == {}
    assert "metrics:" not in none.signature
    with pytest.raises(UsageError, match="unknown metric 'meteor'"):
        mtqc.check(*pair, metrics="chrf,meteor")


def test_api_rejects_mismatched_lengths():
    with pytest.raises(UsageError, match="mt has 2 segments but ref has 1"):
        mtqc.check(["a", "b"], ref=["a"])


def test_detect_mode_order():
    s = lambda **kw: Segment(id="1", mt="x", **kw)  # noqa: E731
    assert detect_mode([s()]) is Mode.TARGET
    assert detect_mode([s(ref="y")]) is Mode.REFERENCE
    assert detect_mode([s(src="y")]) is Mode.SOURCE
    assert detect_mode([s(src="y", bt="z")]) is Mode.ROUND_TRIP


def test_scores_are_in_unit_interval_and_grow_with_severity():
    assert rules_risk([], {}) == 0.0
    report = mtqc.check(
        ["We we left.", "It cost 5 euros.", "Fine."], ref=["We left.", "It cost 9 euros.", "Fine."]
    )
    scores = [r.score for r in report.results]
    assert all(0.0 <= x <= 1.0 for x in scores)
    assert scores[1] > scores[0] > scores[2] >= 0.0  # major number error > minor doubled word
    summary = report.summary()
    assert summary["segments"] == 3 and summary["flagged_segments"] == 2
    assert summary["by_severity"]["major"] >= 1
    assert summary["max_score"] == max(scores)


def test_suppressed_fingerprints_are_counted_not_shown():
    first = mtqc.check(["We we left."])
    fp = first.results[0].flags[0].fingerprint
    seg = [Segment(id="a", mt="WE  we left.")]  # same words, other case and spacing
    report = check_segments(seg, EngineSettings(suppress=frozenset({fp}), config=_ignore_w002()))
    assert report.results[0].flags == [] and report.results[0].suppressed == 1


def _ignore_w002():
    from mtqc.config import parse_config

    return parse_config({"ignore": ["W002"]}, "test")


def test_same_input_gives_byte_identical_json(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    texts = ["It cost 5 euros , said he.", "We we left."]
    a = render(mtqc.check(texts, ref=["It cost 9 euros, he said.", "We left."]), "json")
    b = render(mtqc.check(texts, ref=["It cost 9 euros, he said.", "We left."]), "json")
    assert a == b and "2023-11-14T22:13:20Z" in a


def test_signature_changes_with_rule_selection():
    a = mtqc.check(["x y z"]).signature
    b = mtqc.check(["x y z"], config={"ignore": ["W"]}).signature
    assert a.startswith("mtqc:") and "mode:target-only" in a and a != b


def test_config_severity_beats_rule_default():
    report = mtqc.check(["We we left."], config={"severity": {"W001": "critical"}})
    assert report.results[0].flags[0].severity is Severity.CRITICAL
