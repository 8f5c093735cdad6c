"""mtqc eval's span-level figures: spans found, clean lines flagged, flag precision,
line ROC-AUC, the modes, and agreement with ../shared/tools/nlnews_dev_score.py.

The expected figures of the hand-made gold below are worked out in the comments.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mtqc.cli import main
from mtqc.evaluation import (
    PredFlag,
    Prediction,
    evaluate,
    format_result,
    gold_to_segments,
    load_gold,
    load_predictions,
)
from mtqc.evaluation import metrics as m
from mtqc.model import Severity

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DEV = SHARED / "benchmarks" / "nlnews-dev.nl-en.jsonl"
DEV_SCORE = SHARED / "tools" / "nlnews_dev_score.py"

MINOR, MAJOR, INFO = Severity.MINOR, Severity.MAJOR, Severity.INFO


def _span(mt: str, text: str, severity: str, category: str) -> dict:
    start = mt.index(text)
    return {"start": start, "end": start + len(text), "text": text, "severity": severity,
            "category": category}  # fmt: skip


S1 = "The spillover action was big."
S2 = "All is well."
S3 = "Nothing here."
S4 = "abc def"
S5 = "one two"

GOLD = [
    {"id": "s1", "doc": "d", "seg": 1, "mt": S1, "src": "De overloopactie was groot.",
     "ref": "The defection was big.", "bt": "De overloopactie was groot.",
     "spans": [_span(S1, "spillover", "major", "calque"),
               _span(S1, "was", "minor", "grammar")]},
    {"id": "s2", "doc": "d", "seg": 2, "mt": S2, "src": "Alles is goed.", "ref": "All is well.",
     "bt": "Alles is goed.", "spans": []},
    {"id": "s3", "doc": "d", "seg": 3, "mt": S3, "src": "Niets hier.", "ref": "Nothing here.",
     "bt": "Niets hier.", "spans": []},
    {"id": "s4", "doc": "d", "seg": 4, "mt": S4, "src": "abc def", "ref": "abc def",
     "bt": "abc def", "spans": [_span(S4, "abc", "major", "number-format"),
                                _span(S4, "def", "minor", "word-order")]},
    {"id": "s5", "doc": "d", "seg": 5, "mt": S5, "src": "een twee", "ref": "one two",
     "bt": "een twee", "spans": [_span(S5, "one", "minor", "other")]},
]  # fmt: skip


def _preds() -> list[Prediction]:
    return [
        # s1: T001 "spillover action" overlaps the major calque span -> found, a good flag;
        # the info flag and the flag on the reference sit on "was" but do not count
        Prediction(
            "s1",
            0.4,
            [
                PredFlag(4, 20, MINOR, "mt", "spillover action", "T001"),
                PredFlag(21, 24, INFO, "mt", "was", "W002"),
                PredFlag(0, 3, MAJOR, "ref", "The", "N005"),
            ],
        ),
        # s2: clean, one minor flag -> a clean line flagged, a bad flag
        Prediction("s2", 0.4, [PredFlag(0, 3, MINOR, "mt", "All", "P001")]),
        # s3: clean, only an info flag -> not flagged
        Prediction("s3", 0.0, [PredFlag(0, 7, INFO, "mt", "Nothing", "W003")]),
        # s4: [3,4) is the space between the spans: touches both, overlaps neither (bad);
        # [5,6) is inside "def" (minor, word-order) -> found, good; "abc" (major) not found
        Prediction(
            "s4",
            0.7,
            [
                PredFlag(3, 4, MINOR, "mt", " ", "U002"),
                PredFlag(5, 6, MAJOR, "mt", "e", "U002"),
            ],
        ),
        # s5: nothing flagged, score 0 (ties with s3)
        Prediction("s5", 0.0, []),
    ]


@pytest.fixture()
def gold_path(tmp_path) -> Path:
    p = tmp_path / "gold.jsonl"
    p.write_text("".join(json.dumps(g) + "\n" for g in GOLD), encoding="utf-8")
    return p


@pytest.fixture()
def result(gold_path):
    return evaluate(load_gold(gold_path), _preds())


def test_gold_reader_keeps_bt_categories_and_derives_mqm(gold_path):
    items = load_gold(gold_path)
    s1 = items[0]
    assert s1.bt == "De overloopactie was groot."
    assert s1.categories == ["calque", "grammar"]
    # no mqm_score in the file: computed from the spans (major 5 + minor 1)
    assert (s1.mqm_score, s1.mqm_given, s1.has_major) == (6.0, False, True)
    assert items[4].has_major is False


def test_spans_found_all_major_and_by_category(result):
    # 5 gold spans; found: s1 "spillover" (T001), s4 "def" (U002 at 5:6) -> 2/5
    assert (result.spans_all.hits, result.spans_all.total) == (2, 5)
    # major spans: s1 "spillover" found, s4 "abc" not (the flag at 3:4 only touches it)
    assert (result.spans_major.hits, result.spans_major.total) == (1, 2)
    cats = {c: (r.hits, r.total) for c, r in result.spans_by_category.items()}
    assert cats == {
        "calque": (1, 1),
        "grammar": (0, 1),  # only an info flag and a reference-side flag on "was"
        "number-format": (0, 1),
        "other": (0, 1),
        "word-order": (1, 1),
    }
    major = result.spans_by_category_major
    assert (major["calque"].hits, major["calque"].total) == (1, 1)
    assert (major["word-order"].hits, major["word-order"].total) == (0, 0)


def test_clean_lines_flagged_and_flag_precision(result):
    # clean lines s2 (a minor flag) and s3 (only an info flag): 1 of 2 flagged
    assert (result.clean_flagged.hits, result.clean_flagged.total) == (1, 2)
    # counting flags: s1 T001 good, s2 P001 bad, s4 U002 3:4 bad, U002 5:6 good -> 2/4
    assert (result.flag_precision.hits, result.flag_precision.total) == (2, 4)
    by_code = {c: (r.hits, r.total) for c, r in result.flag_precision_by_code.items()}
    assert by_code == {"P001": (0, 1), "T001": (1, 1), "U002": (1, 2)}


def test_line_roc_auc_with_ties(result):
    # scores s1 .4 (error), s2 .4 (clean), s3 0 (clean), s4 .7 (error), s5 0 (error)
    # any error: positive-negative pairs s1-s2 tie .5, s1-s3 1, s4-s2 1, s4-s3 1,
    # s5-s2 0, s5-s3 tie .5 -> 4/6
    assert result.auc_any == pytest.approx(4 / 6)
    assert result.n_gold_any == 3
    # has_major: s1, s4 vs s2, s3, s5: s1-s2 .5, s1-s3 1, s1-s5 1, s4 beats all 3 -> 5.5/6
    assert result.auc_major == pytest.approx(5.5 / 6)


def test_roc_auc_by_hand_and_undefined():
    assert m.roc_auc([0.1, 0.9], [False, True]) == 1.0
    assert m.roc_auc([0.9, 0.1], [False, True]) == 0.0
    assert m.roc_auc([0.5, 0.5, 0.5], [True, False, False]) == 0.5  # all tied
    assert m.roc_auc([0.2, 0.3], [True, True]) is None
    assert m.roc_auc([], []) is None


def _auc_brute(scores, labels):
    pos = [s for s, y in zip(scores, labels, strict=True) if y]
    neg = [s for s, y in zip(scores, labels, strict=True) if not y]
    wins = sum((p > n) + 0.5 * (p == n) for p, n in itertools.product(pos, neg))
    return wins / (len(pos) * len(neg))


def test_roc_auc_matches_pairwise_definition_on_tied_data():
    rng = random.Random(3)
    for n in (2, 7, 40, 200):
        scores = [rng.choice([0.0, 0.15, 0.4, 0.49, 1.0]) for _ in range(n)]
        labels = [rng.random() < 0.4 for _ in range(n)]
        if all(labels) or not any(labels):
            continue
        assert m.roc_auc(scores, labels) == pytest.approx(_auc_brute(scores, labels))


def test_text_and_json_reports(result):
    text = format_result(result)
    assert "all spans                         2/5 (0.400)" in text
    assert "major spans                       1/2 (0.500)" in text
    assert "Clean lines flagged (no gold span, a minor-or-worse MT flag): 1 / 2" in text
    assert "2/4 (0.50)" in text
    assert re.search(r"U002\s+1/2\s+0\.50", text)
    assert "any error 0.667 (3 of 5 lines), has_major 0.917 (2 of 5)" in text
    assert "computed from the gold spans" in text  # no mqm_score in the gold
    data = json.loads(format_result(result, "json"))
    assert data["spans"]["all"] == {"hits": 2, "total": 5, "rate": 0.4}
    assert data["spans"]["by_category"]["calque"]["major"]["hits"] == 1
    assert data["clean_segments_flagged"]["hits"] == 1
    assert data["flag_precision"]["by_code"]["U002"] == {"hits": 1, "total": 2, "rate": 0.5}
    assert data["roc_auc"]["has_major"] == pytest.approx(5.5 / 6)
    assert data["counts"]["mqm_score_given"] == 0


def _pred_jsonl(path: Path, ids: list[str]) -> None:
    rows = []
    for pid, p in zip(ids, _preds(), strict=True):
        flags = [
            {"code": f.code, "start": f.start, "end": f.end, "text": f.text,
             "severity": str(f.severity), "side": f.side}
            for f in p.flags
        ]  # fmt: skip
        rows.append(json.dumps({"id": pid, "score": p.score, "flags": flags}))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def test_cli_pred_json_and_mode_label(gold_path, tmp_path, capsys):
    pred = tmp_path / "pred.jsonl"
    _pred_jsonl(pred, [g["id"] for g in GOLD])
    assert load_predictions(pred)[0].flags[0].code == "T001"
    rc = main(["eval", str(gold_path), "--pred", str(pred), "--mode", "src", "--format", "json"])
    assert rc == 0
    data = json.loads(capsys.readouterr().out)
    assert data["mode"] == "source" and data["joined_by"] == "id"
    assert (data["spans"]["all"]["hits"], data["flag_precision"]["hits"]) == (2, 2)


def test_predictions_without_gold_ids_are_joined_by_order(gold_path, tmp_path, capsys):
    # `mtqc check mt.txt -f jsonl` on the MT lines gives ids mt:1, mt:2, ...
    pred = tmp_path / "pred.jsonl"
    _pred_jsonl(pred, [f"mt:{i}" for i in range(1, 6)])
    r = evaluate(load_gold(gold_path), load_predictions(pred))
    assert r.joined_by == "order" and (r.spans_all.hits, r.n_text_mismatch) == (2, 0)
    assert "matched to gold items by position" in format_result(r)


@pytest.mark.parametrize(
    ("mode", "sides"),
    [
        ("target-only", ()),
        ("reference", ("ref",)),
        ("source", ("src",)),
        ("round-trip", ("src", "bt")),
        (None, ("src", "ref", "bt")),
    ],
)
def test_modes_feed_the_gold_texts_they_need(gold_path, mode, sides):
    seg = gold_to_segments(load_gold(gold_path), mode=mode)[0]
    assert {s for s in ("src", "ref", "bt") if getattr(seg, s)} == set(sides)


@pytest.mark.parametrize("mode", ["target-only", "reference", "source", "round-trip"])
def test_cli_runs_the_checker_in_each_mode(gold_path, capsys, mode):
    rc = main(["eval", str(gold_path), "--mode", mode, "--src-lang", "nl", "--format", "json"])
    assert rc == 0
    data = json.loads(capsys.readouterr().out)
    assert data["mode"] == mode and data["spans"]["all"]["total"] == 5


# ----------------------------------------------- the dev set: same as the shared scorer


def _dev_score(mode: str) -> tuple[int, ...]:
    mtqc = Path(sys.executable).with_name("mtqc")
    out = subprocess.run(
        [sys.executable, str(DEV_SCORE), str(mtqc), "--mode", mode],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    got = re.search(
        r"spans found (\d+)/(\d+) \(major (\d+)/(\d+)\), clean segments flagged (\d+)/(\d+), "
        r"flag precision [\d.]+ \((\d+)/(\d+)\)",
        out,
    )
    assert got, out
    return tuple(int(x) for x in got.groups())


@pytest.mark.skipif(
    not (DEV.exists() and DEV_SCORE.exists()), reason="../shared/benchmarks not beside the clone"
)
@pytest.mark.parametrize(("mode", "script_mode"), [("target-only", "target"), ("source", "source")])
def test_dev_set_figures_equal_nlnews_dev_score(capsys, mode, script_mode):
    expected = _dev_score(script_mode)
    rc = main(["eval", str(DEV), "--mode", mode, "--src-lang", "nl", "--format", "json"])
    assert rc == 0
    d = json.loads(capsys.readouterr().out)
    got = (
        d["spans"]["all"]["hits"],
        d["spans"]["all"]["total"],
        d["spans"]["major"]["hits"],
        d["spans"]["major"]["total"],
        d["clean_segments_flagged"]["hits"],
        d["clean_segments_flagged"]["total"],
        d["flag_precision"]["hits"],
        d["flag_precision"]["total"],
    )
    assert got == expected
