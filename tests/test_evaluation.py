"""mtqc eval: gold readers, prediction join, metrics, formatting.

The expected figures are computed by hand in the comments from the fixtures in
tests/fixtures/eval/ (gold.jsonl + pred.jsonl, and the WMT TSV files).
"""

from __future__ import annotations

import itertools
import json
import math
import random
from pathlib import Path

import pytest

from mtqc.errors import InputError, UsageError
from mtqc.evaluation import (
    GoldItem,
    GoldSpan,
    PredFlag,
    Prediction,
    evaluate,
    format_result,
    gold_to_segments,
    load_gold,
    load_predictions,
    predictions_from_report,
)
from mtqc.evaluation import metrics as m
from mtqc.model import Flag, Mode, Report, SegmentResult, Severity

FIX = Path(__file__).parent / "fixtures" / "eval"


@pytest.fixture()
def gold() -> list[GoldItem]:
    return load_gold(FIX / "gold.jsonl")


@pytest.fixture()
def result(gold):
    return evaluate(gold, load_predictions(FIX / "pred.jsonl"), threshold=0.6)


# ---------------------------------------------------------------- MQM JSONL reader


def test_mqm_jsonl_reader_fields_and_computed_scores(gold):
    by_id = {g.id: g for g in gold}
    assert list(by_id) == ["a1", "a2", "h1", "a3", "a4"]
    a1 = by_id["a1"]
    assert a1.spans == [GoldSpan(0, 4, "major"), GoldSpan(6, 8, "minor")]
    assert (a1.mqm_score, a1.has_major, a1.doc, a1.seg, a1.line) == (6.0, True, "d1", 1, 1)
    assert (a1.src, a1.ref) == ("源一", "ref one")
    assert by_id["h1"].is_human
    # a3: no mqm_score / has_major in the file: one minor Style/Awkward error = 1
    assert (by_id["a3"].mqm_score, by_id["a3"].has_major) == (1.0, False)
    # a4: major (5) + minor Fluency/Punctuation (0.1) = 5.1; has a major span
    assert by_id["a4"].mqm_score == pytest.approx(5.1)
    assert by_id["a4"].has_major is True
    assert by_id["a4"].line == 6  # line 5 of the file is blank


def test_mqm_jsonl_bad_span_names_file_and_line(tmp_path):
    p = tmp_path / "g.jsonl"
    good = {"id": "x", "hyp": "abc", "spans": []}
    bad = {"id": "y", "hyp": "abc", "spans": [{"start": 1, "end": 9, "severity": "minor"}]}
    p.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as ei:
        load_gold(p)
    assert ei.value.line == 2 and ei.value.path == str(p)
    assert "1:9" in str(ei.value)


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("{not json", "invalid JSON"),
        ('{"id": "x", "hyp": "abc"}', "'spans'"),
        ('{"id": "x", "spans": []}', "MT text"),
        ('{"id": "x", "hyp": "abc", "spans": [{"start": 0, "end": 1, "severity": "bad"}]}', "bad"),
    ],
)
def test_mqm_jsonl_malformed_lines(tmp_path, line, needle):
    p = tmp_path / "g.jsonl"
    p.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(InputError) as ei:
        load_gold(p)
    assert ei.value.line == 1
    assert needle in str(ei.value)


def test_duplicate_gold_id_is_an_error(tmp_path):
    p = tmp_path / "g.jsonl"
    row = json.dumps({"id": "x", "hyp": "abc", "spans": []})
    p.write_text(row + "\n" + row + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="duplicate id 'x'"):
        load_gold(p)


# ------------------------------------------------------------------- WMT TSV reader


def test_wmt23_gold_tsv_reader():
    items = load_gold(FIX / "wmt23_gold.tsv")
    assert [g.id for g in items] == ["en-de:0", "en-de:1", "en-de:2", "en-de:3"]
    no_err, quoted, omission, clipped = items
    assert no_err.spans == [] and not no_err.has_major and no_err.mqm_score == 0
    # CSV quoting undone; offsets index the unquoted text
    assert quoted.mt == 'Er sagt "ja" dazu.'
    assert quoted.spans == [GoldSpan(0, 2, "major"), GoldSpan(8, 12, "minor")]
    assert quoted.mt[8:12] == '"ja"'
    assert quoted.mqm_score == 6.0 and quoted.has_major  # 5 + 1
    # start == end: an omission marker at the end of "Kurz." (position 5)
    assert omission.spans == [GoldSpan(5, 5, "minor")] and omission.mqm_score == 1.0
    # end 99 is clipped to the text length 12, as the official scorer does
    assert clipped.spans == [GoldSpan(8, 12, "major")]
    assert (clipped.lp, clipped.seg, clipped.line) == ("en-de", 3, 5)


def test_wmt23_submission_layout_skips_metadata_lines():
    items = load_gold(FIX / "wmt23_submission.tsv", fmt="wmt-tsv")
    assert [g.id for g in items] == ["en-de:0", "en-de:1"]
    assert items[0].spans == [GoldSpan(4, 7, "minor")] and items[0].line == 4
    assert items[1].mt == 'Er sagt "ja" dazu.'  # an unquoted inner quote is kept as is


def test_wmt_training_layout_with_source():
    a, b = load_gold(FIX / "wmt_train.tsv")
    assert (a.id, a.system, a.doc, a.seg, a.src, a.mt) == (
        "sysA:0",
        "sysA",
        "doc1",
        0,
        "你好",
        "Hello there",
    )
    assert a.spans == [GoldSpan(6, 11, "major")] and a.has_major and a.mqm_score == 5.0
    assert b.id == "sysB:0" and b.spans == []


def test_wmt_tsv_count_mismatch_names_line(tmp_path):
    p = tmp_path / "g.tsv"
    p.write_text("en-de\tgold\t0\tabc def\t0 4\t3\tmajor\n", encoding="utf-8")
    with pytest.raises(InputError) as ei:
        load_gold(p)
    assert ei.value.line == 1 and "2 start indices, 1 end indices" in str(ei.value)


# --------------------------------------------------------------------- predictions


def test_prediction_reader_keeps_only_mt_flags_minor_or_worse():
    preds = {p.id: p for p in load_predictions(FIX / "pred.jsonl")}
    assert "run" not in preds and len(preds) == 5  # the "type": "run" record is skipped
    # a1: the info flag and the flag on the reference are not counted
    assert preds["a1"].mt_spans() == [(2, 6, "major"), (6, 10, "minor")]
    assert preds["a2"].mt_spans() == [(0, 2, "major")]  # critical counts as major


def test_missing_prediction_is_an_error_listing_ids(gold):
    preds = [p for p in load_predictions(FIX / "pred.jsonl") if p.id not in ("a1", "a3")]
    with pytest.raises(InputError) as ei:
        evaluate(gold, preds, pred_source="out.jsonl")
    msg = str(ei.value)
    assert msg.startswith("out.jsonl: 2 of 4 gold MT items have no prediction")
    assert "a1, a3" in msg


def test_human_items_need_no_prediction_and_are_counted(result):
    # h1 is human: excluded, and no prediction for it is required
    assert (result.n_gold_items, result.n_scored, result.n_human_excluded) == (5, 4, 1)
    assert result.n_extra_predictions == 1  # "zz"


# ----------------------------------------------------------------- character level


def test_char_prf_all_three_variants(result):
    # positions covered (gold | predicted):
    # a1 gold major {0-3} minor {6,7}; pred major {2-5} minor {6-9}
    #    any: both {2,3,6,7}=4, pred 8, gold 6 | major: {2,3}=2, pred 4, gold 4
    #    severity: 2,3 major=major -> 1+1; 6,7 minor=minor -> 1+1; earned 4
    # a2 gold none; pred critical {0,1}: any 0/2/0, major 0/2/0, severity 0
    # a3 gold minor {6-10}; no pred: any 0/0/5, major 0/0/0, severity 0
    # a4 gold major {0,1,2} minor {4,5,6}; pred minor {0,1} major {5,6}
    #    any: both {0,1,5,6}=4, pred 4, gold 6 | major: 0, pred 2, gold 3
    #    severity: all four disagree -> 4 x 0.5 = 2
    any_, major, sev = result.char["any"], result.char["major"], result.char["severity"]
    assert (any_.tp, any_.n_pred, any_.n_gold) == (8, 14, 17)
    assert any_.precision == pytest.approx(8 / 14)
    assert any_.recall == pytest.approx(8 / 17)
    assert any_.f1 == pytest.approx(2 * (8 / 14) * (8 / 17) / (8 / 14 + 8 / 17))
    assert (major.tp, major.n_pred, major.n_gold) == (2, 8, 7)
    assert (major.precision, major.recall) == (pytest.approx(2 / 8), pytest.approx(2 / 7))
    assert major.f1 == pytest.approx(4 / 15)
    assert (sev.tp, sev.n_pred, sev.n_gold) == (6.0, 14, 17)
    assert sev.f1 == pytest.approx(12 / 31)


def test_per_document_breakdown(result):
    # d1 = a1 + a2 + a3: tp 4, pred 8+2+0, gold 6+0+5; d2 = a4: tp 4, pred 4, gold 6
    d1, d2 = result.per_doc["d1"], result.per_doc["d2"]
    assert (d1.tp, d1.n_pred, d1.n_gold) == (4, 10, 11)
    assert (d2.tp, d2.n_pred, d2.n_gold) == (4, 4, 6)


def test_overlapping_and_empty_spans_count_positions_once():
    # gold [0,4) and [2,6) overlap -> positions {0..5}, 6 of them; an empty span at the
    # end of a 6-char text covers position 6 (an omission marker)
    counts = m.char_counts([(0, 4, "minor"), (2, 6, "major"), (6, 6, "minor")], [], 6)
    assert counts["any"].n_gold == 7
    assert counts["major"].n_gold == 4  # {2,3,4,5}
    # a char covered by a minor and a major gold span: a minor prediction agrees
    c = m.char_counts([(0, 4, "minor"), (2, 6, "major")], [(2, 3, "minor")], 6)
    assert c["severity"].tp == 1.0


def test_no_predictions_gives_undefined_precision_and_zero_f1():
    c = m.sum_counts([m.char_counts([(0, 3, "major")], [], 5)])
    assert c["any"].precision is None and c["any"].recall == 0.0 and c["any"].f1 == 0.0
    assert m.sum_counts([m.char_counts([], [], 5)])["any"].f1 is None


# ------------------------------------------------------------------ segment level


def test_segment_detection_by_major_flag_and_thresholds(result):
    # has_major gold: a1 T, a2 F, a3 F, a4 T; major/critical flag: a1, a2, a4
    c = result.segment_flags
    assert (c.tp, c.fp, c.fn, c.tn) == (2, 1, 0, 1)
    assert (c.precision, c.recall, c.f1) == (pytest.approx(2 / 3), 1.0, pytest.approx(0.8))
    # scores a1 .9 (T), a3 .5 (F), a4 .4 (T), a2 .2 (F); threshold .6 -> only a1
    t = result.segment_threshold.confusion
    assert (t.tp, t.fp, t.fn) == (1, 0, 1)
    # sweep: >=.9 P1 R.5 F1 .667 | >=.5 P.5 R.5 F1 .5 | >=.4 P.667 R1 F1 .8 | >=.2 F1 .667
    assert result.best_f1.threshold == 0.4
    assert result.best_f1.confusion.f1 == pytest.approx(0.8)
    # recall >= 0.5 is reached by all four; the best precision (1.0) is at .9
    assert result.precision_at_recall.threshold == 0.9
    assert result.precision_at_recall.confusion.precision == 1.0


def test_precision_at_recall_prefers_higher_recall_on_ties():
    points = m.threshold_sweep([0.9, 0.8, 0.1], [True, True, False])
    # >=.9: P1 R.5; >=.8: P1 R1; >=.1: P 2/3 R1
    assert m.precision_at_recall(points, 0.5).threshold == 0.8


# -------------------------------------------------------------------- correlations


def test_kendall_tau_b_with_ties_by_hand():
    x = [1, 2, 2, 3, 3]
    y = [3, 1, 2, 2, 1]
    # pairs: (1,2)D (1,3)D (1,4)D (1,5)D (2,3)x-tie (2,4)C (2,5)y-tie (3,4)y-tie
    #        (3,5)D (4,5)x-tie -> C=1, D=5, n0=10, n1=2, n2=2
    # tau_b = (1 - 5) / sqrt((10-2)(10-2)) = -0.5
    assert m.kendall_tau_b(x, y) == pytest.approx(-0.5)
    # joint tie: (1,2) tied in both, (1,3) C, (2,3) C; n0=3 n1=1 n2=1 -> 2/sqrt(2*2) = 1
    assert m.kendall_tau_b([1, 1, 2], [5, 5, 6]) == pytest.approx(1.0)
    assert m.kendall_tau_b([1, 1, 1], [1, 2, 3]) is None  # constant x
    assert m.kendall_tau_b([1], [2]) is None


def _tau_b_brute(x, y):
    c = d = tx = ty = 0
    for i, j in itertools.combinations(range(len(x)), 2):
        sx = (x[i] > x[j]) - (x[i] < x[j])
        sy = (y[i] > y[j]) - (y[i] < y[j])
        tx += sx == 0
        ty += sy == 0
        c += sx * sy > 0
        d += sx * sy < 0
    n0 = len(x) * (len(x) - 1) // 2
    return (c - d) / math.sqrt((n0 - tx) * (n0 - ty))


def test_kendall_tau_b_matches_pairwise_definition_on_tied_data():
    rng = random.Random(7)
    for n in (2, 5, 17, 60):
        x = [rng.randint(0, 4) for _ in range(n)]
        y = [rng.choice([0.0, 0.5, 1.0, 5.0]) for _ in range(n)]
        if len(set(x)) < 2 or len(set(y)) < 2:
            continue
        assert m.kendall_tau_b(x, y) == pytest.approx(_tau_b_brute(x, y))


def test_pearson_by_hand():
    # x=(1,2,3) y=(1,3,2): dx=(-1,0,1) dy=(-1,1,0): sxy=1, sxx=2, syy=2 -> r=0.5
    assert m.pearson([1, 2, 3], [1, 3, 2]) == pytest.approx(0.5)
    assert m.pearson([0.1, 0.1, 0.1], [1, 2, 3]) is None


def test_correlations_over_all_items_and_baseline(result):
    # scores (.9,.2,.5,.4) vs mqm (6,0,1,5.1): only (a3,a4) discordant -> (5-1)/6
    assert result.kendall_tau_b == pytest.approx(4 / 6)
    # pearson: mx=.5 my=3.025; sxy=1.89 sxx=.26 syy=26.4075 -> 1.89/sqrt(6.86595)
    assert result.pearson == pytest.approx(1.89 / math.sqrt(0.26 * 26.4075))
    # MT length (10,10,11,7) vs mqm: (a1,a2) x-tie, C=2, D=3, n0=6, n1=1 -> -1/sqrt(30)
    assert result.length_kendall_tau_b == pytest.approx(-1 / math.sqrt(30))


def test_within_group_correlation(gold):
    preds = load_predictions(FIX / "pred.jsonl")
    # by (doc, seg): (d1,1) = a1,a2 -> tau 1; (d1,2) = a3 alone and (d2,2) = a4 alone
    by_seg = evaluate(gold, preds).grouped
    assert (by_seg.kendall_tau_b, by_seg.n_groups, by_seg.n_skipped) == (1.0, 1, 2)
    # by source: 源一 = a1,a2 -> 1; 源二 = a3 (.5, 1), a4 (.4, 5.1) -> -1; mean 0
    by_src = evaluate(gold, preds, group_by="src")
    assert by_src.group_by == "src"
    assert by_src.grouped.kendall_tau_b == pytest.approx(0.0)
    assert by_src.grouped.pearson == pytest.approx(0.0)
    assert by_src.grouped.n_groups == 2
    with pytest.raises(UsageError):
        evaluate(gold, preds, group_by="system")


# ----------------------------------------------------------- reports and helpers


def test_format_result_text_and_json(result):
    text = format_result(result)
    assert "1 human translation(s) excluded" in text
    assert "1 prediction(s) without a gold item ignored" in text
    line = next(ln for ln in text.splitlines() if ln.strip().startswith("major+minor"))
    assert line.split()[1:4] == ["0.571", "0.471", "0.516"]  # 8/14, 8/17, 16/31
    data = json.loads(format_result(result, "json"))
    assert data["char"]["major"]["f1"] == pytest.approx(4 / 15)
    assert data["counts"]["human_items_excluded"] == 1
    assert data["segment"]["best_f1"]["threshold"] == 0.4
    assert data["correlation"]["grouped"]["n_groups"] == 1
    with pytest.raises(UsageError):
        format_result(result, "xml")


def test_flag_text_mismatch_is_reported(gold):
    preds = load_predictions(FIX / "pred.jsonl")
    a1 = next(p for p in preds if p.id == "a1")
    a1.flags[0] = a1.flags[0]._replace(text="zzzz")  # gold a1[2:6] is "cdef"
    r = evaluate(gold, preds)
    assert (r.n_text_mismatch, r.text_mismatch_ids) == (1, ["a1"])
    assert "WARNING" in format_result(r)


def test_gold_to_segments(gold):
    segs = gold_to_segments(gold)
    assert [s.id for s in segs] == ["a1", "a2", "a3", "a4"]  # human h1 left out
    assert [s.line for s in segs] == [1, 2, 4, 6]
    assert (segs[0].src, segs[0].ref, segs[0].doc_id) == ("源一", "ref one", "d1")
    assert (segs[3].src_lang, segs[3].tgt_lang) == ("zh", "en")
    bare = gold_to_segments(gold, with_ref=False, with_src=False, include_human=True)
    assert len(bare) == 5 and all(s.ref is None and s.src is None for s in bare)


def test_evaluate_accepts_a_report(gold):
    results = []
    for seg in gold_to_segments(gold):
        flags = []
        if seg.id == "a1":
            flags.append(Flag("T001", "x", seg.id, 0, 4, "abcd", Severity.MAJOR, "other", "m"))
        results.append(SegmentResult(segment=seg, flags=flags, score=len(flags)))
    report = Report(results=results, mode=Mode.TARGET)
    assert [p.id for p in predictions_from_report(report)] == ["a1", "a2", "a3", "a4"]
    r = evaluate(gold, report)
    # a1 gold major {0-3} = flagged {0-3}: major tp 4; pred 4; gold majors 4 + 3 (a4)
    assert (r.char["major"].tp, r.char["major"].n_pred, r.char["major"].n_gold) == (4, 4, 7)
    assert r.segment_flags.tp == 1 and r.segment_flags.fn == 1


def test_prediction_objects_can_be_built_directly():
    g = [GoldItem(id="s", mt="abc", spans=[GoldSpan(0, 3, "minor")], mqm_score=1.0)]
    p = [Prediction("s", 1.0, [PredFlag(0, 3, Severity.MINOR)])]
    r = evaluate(g, p)
    assert r.char["any"].f1 == 1.0 and r.char["severity"].f1 == 1.0
    assert r.group_by == "none" and r.grouped.n_groups == 0
