"""Every output format on one small hand-built report.

The corpus: two documents, four segments —
* a calque with two overlapping flags (major + minor),
* MT with ``<script>``, ``&``, quotes, a script break-out attempt and an ESC character,
  flagged critical,
* a clean segment,
* a segment with an emoji before a minor flag, an info flag from a model scorer (not in
  the rule registry) and a flag on the reference side.

Golden files (``tests/golden/``) are rewritten when ``MTQC_UPDATE_GOLDEN=1``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from mtqc.checks._apply import fingerprint
from mtqc.model import Flag, Mode, Report, Segment, SegmentResult, Severity
from mtqc.outputs import FORMATS, render, write_atomic
from mtqc.outputs.html import json_for_script, split_spans
from mtqc.outputs.json_ import report_to_dict
from mtqc.scorers import make_flag

GOLDEN = Path(__file__).parent / "golden"
SCHEMA = Path(__file__).parent / "fixtures" / "sarif-2.1.0.schema.json"
UPDATE = os.environ.get("MTQC_UPDATE_GOLDEN") == "1"

BREAKOUT = "</script><script>alert(1)</script>"
MT_SCRIPT = f'He wrote <script>x</script> & said "yes" it\'s {BREAKOUT} ok\x1b[2J'
MT_EMOJI = "Fans 🎉 cheered, it still sounds."
MT_CALQUE = "The spillover action was prepared for several months."


def _flag(
    seg: Segment,
    code: str,
    name: str,
    start: int,
    end: int,
    severity: Severity,
    category: str,
    message: str,
    suggestions: tuple[str, ...] = (),
    side: str = "mt",
    evidence: dict[str, Any] | None = None,
) -> Flag:
    return make_flag(
        code,
        name,
        seg,
        start,
        end,
        severity=severity,
        category=category,
        message=message,
        suggestions=list(suggestions),
        evidence=evidence,
        side=side,
    )


def _summary_stand_in(report: Report) -> dict[str, Any]:
    """A local stand-in for mtqc.scoring.summarize (same keys), so the goldens do not
    depend on the scoring module."""
    flags = report.flags
    scores = [r.score for r in report.results]
    docs: dict[str, Any] = {}
    for doc, results in report.documents().items():
        s = [r.score for r in results]
        docs[doc] = {
            "segments": len(results),
            "flags": sum(len(r.flags) for r in results),
            "mean_score": round(sum(s) / len(s), 4),
            "max_score": max(s),
        }
    by_code: dict[str, int] = {}
    for f in flags:
        by_code[f.code] = by_code.get(f.code, 0) + 1
    return {
        "segments": len(report.results),
        "flagged_segments": sum(1 for r in report.results if r.flags),
        "flags": len(flags),
        "by_severity": {str(s): sum(f.severity == s for f in flags) for s in Severity},
        "by_code": dict(sorted(by_code.items())),
        "mean_score": round(sum(scores) / len(scores), 4) if scores else 0.0,
        "max_score": max(scores, default=0.0),
        "documents": docs,
    }


def build_report() -> Report:
    a1 = Segment("a-1", MT_CALQUE, doc_id="news-a", line=1, source_file="corpus/news-a.txt")
    a2 = Segment("a-3", MT_SCRIPT, doc_id="news-a", line=3, source_file="corpus/news-a.txt")
    a3 = Segment(
        "a-5", "Everything finally came together.", doc_id="news-a", line=5,
        source_file="corpus/news-a.txt",
    )  # fmt: skip
    b1 = Segment(
        "b-2", MT_EMOJI, ref="Fans cheered, the statement goes on.", doc_id="news-b", line=2,
        source_file="corpus/news, b:1.txt",
    )  # fmt: skip
    s = MT_SCRIPT.index("<script>")
    results = [
        SegmentResult(
            a1,
            flags=[
                _flag(a1, "T101", "calque", 4, 20, Severity.MAJOR, "accuracy/mistranslation",
                      'Calque of Dutch "overloopactie": reads as a spill, not a defection.',
                      ("defection operation",), evidence={"lexicon": "nl-en calques"}),
                _flag(a1, "W002", "odd-collocation", 14, 24, Severity.MINOR, "style/awkward",
                      "Unusual collocation.", ()),
            ],
            metrics={"lm_surprisal": 7.25},
            score=0.62,
        ),
        SegmentResult(
            a2,
            flags=[
                _flag(a2, "P005", "markup-in-text", s, s + len("<script>x</script>"),
                      Severity.CRITICAL, "other", "Markup <script> & code in the text.",
                      ("<b>", "&amp;"), evidence={"tag": "<script>"}),
            ],
            score=0.9,
        ),
        SegmentResult(a3, score=0.0),
        SegmentResult(
            b1,
            flags=[
                _flag(b1, "T102", "calque-phrase", 16, 31, Severity.MINOR,
                      "accuracy/mistranslation", "100%\nliteral: Dutch \"klinkt het\", a quote tag.",
                      ("the statement goes on",)),
                _flag(b1, "M001", "lm-surprisal", 7, 14, Severity.INFO, "fluency/grammar",
                      "The language model finds this word unlikely here.", (),
                      evidence={"surprisal": 9.5}),
                _flag(b1, "R001", "ref-unmatched", 14, 36, Severity.INFO,
                      "accuracy/omission", "Reference words with no match in the MT.",
                      side="ref"),
            ],
            score=0.25,
        ),
    ]  # fmt: skip
    return Report(
        results=results,
        mode=Mode.TARGET,
        version="0.1.0",
        signature="mtqc:0.1.0|rules:test",
        corpus_metrics={"chrF": {"score": 51.25, "signature": "chrF2|nrefs:1"}},
        inputs={"mt": "corpus/", "fail_on": "major"},
        rules=["P005", "T101", "T102", "W002"],
        created="2024-01-01T00:00:00Z",
    )


@pytest.fixture(autouse=True)
def _summary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Report, "summary", _summary_stand_in)


@pytest.fixture
def report() -> Report:
    return build_report()


def _golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE or not path.exists():
        if not UPDATE:
            pytest.fail(f"{path} missing: run with MTQC_UPDATE_GOLDEN=1 to create it")
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8"), (
        f"{name} changed; if intended, rerun with MTQC_UPDATE_GOLDEN=1 and review the diff"
    )


# ---------------------------------------------------------------------------- registry


def test_formats_registry_and_unknown_format(report: Report) -> None:
    assert set(FORMATS) == {"text", "json", "jsonl", "csv", "html", "sarif", "junit", "github"}
    for name in FORMATS:
        assert isinstance(render(report, name), str)
    from mtqc.errors import UsageError

    with pytest.raises(UsageError, match="unknown output format 'yaml'.*text"):
        render(report, "yaml")


# ---------------------------------------------------------------------------- json


def test_json_round_trip_keys_and_offsets(report: Report) -> None:
    data = json.loads(render(report, "json"))
    for key in ("tool", "version", "signature", "mode", "created", "inputs",
                "corpus_metrics", "summary", "segments"):  # fmt: skip
        assert key in data
    assert data["tool"] == "mtqc" and data["mode"] == "target-only"
    assert data["summary"]["flags"] == 6 and data["summary"]["by_severity"]["critical"] == 1
    assert [s["id"] for s in data["segments"]] == ["a-1", "a-3", "a-5", "b-2"]
    assert [s["line"] for s in data["segments"]] == [1, 3, 5, 2]
    n = 0
    for seg in data["segments"]:
        for key in ("id", "doc", "line", "source_file", "mt", "src", "ref", "bt", "score",
                    "metrics", "flags"):  # fmt: skip
            assert key in seg
        for f in seg["flags"]:
            n += 1
            for key in ("code", "name", "start", "end", "text", "severity", "category",
                        "message", "suggestions", "evidence", "side", "score", "fingerprint"):  # fmt: skip
                assert key in f
            assert f["text"] == seg[f["side"]][f["start"] : f["end"]]
    assert n == len(report.flags)
    # the emoji (one code point, two UTF-16 units, four UTF-8 bytes) comes before the span
    emoji = data["segments"][3]
    t102 = next(f for f in emoji["flags"] if f["code"] == "T102")
    assert (t102["start"], t102["end"], t102["text"]) == (16, 31, "it still sounds")
    assert emoji["mt"][t102["start"] : t102["end"]] == "it still sounds"
    assert data["segments"][0]["metrics"] == {"lm_surprisal": 7.25}
    assert report_to_dict(report) == data


def test_json_nan_becomes_null(report: Report) -> None:
    report.results[0].metrics["bad"] = float("nan")
    data = json.loads(render(report, "json"))  # strict JSON: NaN would not parse back as null
    assert data["segments"][0]["metrics"]["bad"] is None


def test_json_golden(report: Report) -> None:
    _golden("report.json", render(report, "json"))


# ---------------------------------------------------------------------------- jsonl


def test_jsonl_one_line_per_segment_in_order(report: Report) -> None:
    lines = render(report, "jsonl").splitlines()
    assert len(lines) == len(report.results)
    rows = [json.loads(line) for line in lines]
    assert [(r["id"], r["doc"], r["line"]) for r in rows] == [
        ("a-1", "news-a", 1), ("a-3", "news-a", 3), ("a-5", "news-a", 5), ("b-2", "news-b", 2),
    ]  # fmt: skip
    assert [len(r["flags"]) for r in rows] == [2, 1, 0, 3]
    assert rows[0]["score"] == 0.62
    assert rows[0]["flags"][0]["code"] == "T101"


# ---------------------------------------------------------------------------- csv


def test_csv_one_row_per_flag(report: Report) -> None:
    rows = list(csv.DictReader(io.StringIO(render(report, "csv"))))
    assert len(rows) == len(report.flags) == 6
    for col in ("segment_id", "doc", "line", "code", "name", "severity", "category", "start",
                "end", "text", "message", "suggestions", "score"):  # fmt: skip
        assert col in rows[0]
    crit = next(r for r in rows if r["code"] == "P005")
    assert crit["suggestions"] == "<b> | &amp;"
    assert crit["text"] == "<script>x</script>" and crit["severity"] == "critical"
    assert (crit["segment_id"], crit["line"], crit["score"]) == ("a-3", "3", "0.9")
    multi = next(r for r in rows if r["code"] == "T102")
    assert multi["message"].startswith("100%\nliteral")  # newline survives quoting


def test_csv_defuses_formulas(report: Report) -> None:
    report.results[2].flags.append(
        _flag(report.results[2].segment, "T103", "x", 0, 10, Severity.MINOR, "other",
              '=HYPERLINK("http://example.invalid")', ("-5 degrees",))
    )  # fmt: skip
    report.results[2].flags.append(
        _flag(report.results[2].segment, "T104", "x", 0, 10, Severity.MINOR, "other",
              "-2+3+cmd|' /C calc'!A0", ("-2",))
    )  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(render(report, "csv"))))
    row = next(r for r in rows if r["code"] == "T103")
    assert row["message"].startswith("'=HYPERLINK")
    assert row["suggestions"] == "'-5 degrees"  # "-" starts a formula, digit or not
    row = next(r for r in rows if r["code"] == "T104")
    assert row["message"] == "'-2+3+cmd|' /C calc'!A0"
    assert row["suggestions"] == "-2"  # a plain negative number is left alone


@pytest.mark.parametrize(
    ("cell", "defused"),
    [
        ("-2+3+cmd|' /C calc'!A0", True),
        ("=1+1", True),
        ("+1", True),
        ("@SUM(A1)", True),
        ("\t=1", True),
        ("\r=1", True),
        ("\n=1", True),
        ("- 2", True),
        ("-2", False),
        ("-0.5", False),
        ("2-3", False),
        ("plain", False),
    ],
)
def test_csv_defuse_cells(cell: str, defused: bool) -> None:
    from mtqc.dashboard.tables import _csv_cell
    from mtqc.outputs.csv_ import defuse

    assert defuse(cell) == ("'" + cell if defused else cell)
    assert _csv_cell(cell) == defuse(cell)  # the dashboard's CSV exports agree


def test_frames(report: Report) -> None:
    import pandas as pd

    flags = report.to_pandas()
    assert len(flags) == 6
    assert list(flags["code"]) == ["T101", "W002", "P005", "T102", "M001", "R001"]
    assert flags.loc[flags.code == "P005", "score"].item() == 0.9
    segs = report.segments_frame()
    assert list(segs["id"]) == ["a-1", "a-3", "a-5", "b-2"]
    assert list(segs["n_flags"]) == [2, 1, 0, 3]
    assert [None if pd.isna(v) else v for v in segs["max_severity"]] == [
        "major", "critical", None, "minor",
    ]  # fmt: skip
    assert list(segs["n_info"]) == [0, 0, 0, 2]
    assert segs.loc[0, "lm_surprisal"] == 7.25 and segs["lm_surprisal"].isna().sum() == 3


def test_frames_empty_report() -> None:
    empty = Report(results=[], mode=Mode.TARGET)
    assert len(empty.to_pandas()) == 0 and "code" in empty.to_pandas().columns
    assert len(empty.segments_frame()) == 0 and "n_flags" in empty.segments_frame().columns


# ---------------------------------------------------------------------------- text


def test_text_marks_spans_and_summarises(report: Report) -> None:
    out = render(report, "text")
    lines = out.splitlines()
    assert "corpus/news-a.txt:1  score 0.62" in lines
    i = lines.index("  " + MT_CALQUE)
    assert lines[i + 1] == "  " + " " * 4 + "^" * 16  # T101 under "spillover action"
    assert lines[i + 2].startswith('  T101 major  "spillover action"')
    assert lines[i + 2].endswith("→ defection operation")
    assert lines[i + 3] == "  " + " " * 14 + "^" * 10  # W002 under "action was"
    # after the emoji (one code point, two terminal columns) the carets still sit
    # under their words: one extra column of padding, not one fewer
    j = lines.index("  " + MT_EMOJI)
    assert lines[j + 1] == "  " + " " * (MT_EMOJI.index("cheered") + 1) + "^" * 7  # M001
    assert lines[j + 2].startswith('  M001 info  "cheered"')
    assert lines[j + 3] == "  " + " " * (MT_EMOJI.index("it still") + 1) + "^" * 15  # T102
    assert "corpus/news-a.txt:5" not in out  # unflagged segment omitted
    assert "\x1b" not in out  # no colour asked, and the ESC in the MT is neutralised
    assert "reference: Fans cheered" in out  # a flag on the reference side shows that text
    assert lines[-3] == "4 segments, 3 flagged, 6 flags: 1 critical, 1 major, 2 minor, 2 info"
    assert lines[-2].startswith("mean risk 0.44") and "mode target-only" in lines[-2]
    assert lines[-1] == "signature mtqc:0.1.0|rules:test"


def test_text_color_highlights_instead_of_markers(report: Report) -> None:
    out = render(report, "text", color=True)
    assert "^^^" not in out
    assert "\x1b[4;31mspillover" in out  # major span underlined red
    assert "\x1b[1;4;31m<script>x</script>" in out  # critical span
    assert "\x1b[2J" not in out  # the MT's own escape sequence is neutralised
    # the overlap "action" is covered by major and minor: the major colour wins
    assert "\x1b[4;31mspillover action\x1b[0m\x1b[4;33m was" in out
    assert "ok" in render(report, "text", color=False)


def test_text_long_line_window(report: Report) -> None:
    seg = report.results[0].segment
    seg.mt = "x" * 300 + " spillover action " + "y" * 300
    f = report.results[0].flags[0]
    f.start, f.end = 301, 317
    report.results[0].flags = [f]
    lines = render(report, "text").splitlines()
    shown = next(line for line in lines if "spillover" in line and "T101" not in line)
    assert len(shown) < 120 and shown.startswith("  …") and shown.endswith("…")
    marker = lines[lines.index(shown) + 1]
    assert shown[marker.index("^") : marker.index("^") + 16] == "spillover action"


def test_text_golden(report: Report) -> None:
    _golden("report.txt", render(report, "text"))


# ---------------------------------------------------------------------------- html


def test_html_escapes_and_cannot_break_out(report: Report) -> None:
    out = render(report, "html")
    # exactly our two script elements, and the break-out string never appears raw
    assert out.count("<script") == 2 and out.count("</script>") == 2
    assert BREAKOUT not in out
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "&quot;yes&quot;" in out and "&amp; said" in out
    data_block = re.search(
        r'<script type="application/json" id="mtqc-data">(.*?)</script>', out, re.S
    )
    assert data_block is not None
    raw = data_block.group(1)
    assert "<" not in raw and ">" not in raw and "&" not in raw
    data = json.loads(raw)
    crit = next(v for v in data["flags"].values() if v["code"] == "P005")
    assert crit["message"] == "Markup <script> & code in the text."  # decodes back exactly
    assert crit["evidence"] == {"tag": "<script>"}
    assert json.loads(json_for_script({"x": BREAKOUT}))["x"] == BREAKOUT


def test_html_spans_filters_and_lines(report: Report) -> None:
    out = render(report, "html")
    # every flag appears in the list with its severity class, and as a highlighted span
    for f in report.flags:
        assert re.search(rf'<li class="flag sev-{f.severity}"[^>]*data-code="{f.code}"', out)
    marks = re.findall(
        r'<mark class="hl sev-(\w+)[^"]*"[^>]*data-flags="([^"]*)"[^>]*>(.*?)</mark>', out
    )
    by_text = {text: (sev, keys) for sev, keys, text in marks}
    assert by_text["spillover "][0] == "major"
    assert by_text["action"] == ("major", "0-0 0-1")  # the overlap lists both flags
    assert by_text[" was"] == ("minor", "0-1")
    assert by_text["&lt;script&gt;x&lt;/script&gt;"][0] == "critical"
    assert by_text["cheered"][0] == "info" and by_text["it still sounds"][0] == "minor"
    # filters: a checkbox per severity and per code, and the only-flagged toggle
    for sev in ("critical", "major", "minor"):
        assert f'name="sev" value="{sev}" checked' in out
    # info (hints) starts hidden: a translator sees the findings first
    assert 'name="sev" value="info">' in out
    for code in ("T101", "W002", "P005", "T102", "M001", "R001"):
        assert f'name="code" value="{code}" checked' in out
    assert 'id="only-flagged"' in out
    # the by-rule summary says which severity it shows: the highest one seen per rule
    rule_table = re.search(r"<caption>by rule</caption>(.*?)</table>", out).group(1)
    assert "<th>highest severity seen</th>" in rule_table
    t101 = re.search(r"<tr><td><code>T101</code>.*?</tr>", rule_table).group(0)
    worst = max(f.severity for f in report.flags if f.code == "T101")
    assert f'class="badge sev-{worst}"' in t101
    # every segment is a line, in order, grouped by document, with its line number
    segs = re.findall(
        r'<li class="seg[^"]*" id="s(\d+)" data-segment="([^"]+)"><a class="ln"[^>]*>(\d+)</a>', out
    )
    assert segs == [("0", "a-1", "1"), ("1", "a-3", "3"), ("2", "a-5", "5"), ("3", "b-2", "2")]
    assert out.index("<h2>news-a") < out.index('data-segment="a-1"') < out.index("<h2>news-b")
    # self-contained: no external resources
    assert not re.search(r'(src|href)="(https?:)?//', out)
    assert "<link" not in out


def test_split_spans_flattens_overlaps() -> None:
    pieces = split_spans(10, [(1, 6), (3, 8), (4, 5), (9, 9)])
    assert pieces == [
        (0, 1, []), (1, 3, [0]), (3, 4, [0, 1]), (4, 5, [0, 1, 2]), (5, 6, [0, 1]),
        (6, 8, [1]), (8, 9, []), (9, 10, []),
    ]  # fmt: skip


def test_html_zero_length_flag_is_a_caret(report: Report) -> None:
    seg = report.results[2].segment
    report.results[2].flags.append(
        _flag(seg, "U001", "omission", 10, 10, Severity.MAJOR, "accuracy/omission", "Missing.")
    )
    out = render(report, "html")
    assert re.search(r'<mark class="hl sev-major point"[^>]*data-flags="2-0"[^>]*>‸</mark>', out)
    assert "Everything‸" not in out and ">Everything<mark" in out


@pytest.mark.browser
def test_html_renders_in_chromium(report: Report, tmp_path: Path) -> None:
    """The page runs its script without errors and the filters act (headless Chromium)."""
    pw = pytest.importorskip("playwright.sync_api")
    path = tmp_path / "r.html"
    path.write_text(render(report, "html"), encoding="utf-8")
    try:
        with pw.sync_playwright() as p:
            # a system Chromium (Debian package) when there is one, else Playwright's own
            browser = p.chromium.launch(executable_path=shutil.which("chromium"))
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(path.as_uri())
            assert errors == []
            assert page.is_visible("#controls")
            # info hints start hidden; ticking "info" shows them
            hidden_info = (
                "Array.from(document.querySelectorAll('li.flag.sev-info')).map(li => li.hidden)"
            )
            assert page.evaluate(hidden_info) and all(page.evaluate(hidden_info))
            page.check('input[name="sev"][value="info"]')
            assert not any(page.evaluate(hidden_info))
            page.click('input[name="sev"][value="major"]')  # hide major flags
            assert page.get_attribute("#f-0-0", "hidden") is not None
            page.check("#only-flagged")
            assert page.get_attribute("#s2", "hidden") is not None  # the clean line hides
            page.click("mark.hl.sev-critical")
            assert "Markup <script> & code" in page.inner_text("#pop")
            browser.close()
    except pw.Error as e:  # no browser installed here
        pytest.skip(f"Chromium not available: {e}")


# ---------------------------------------------------------------------------- sarif


def _sarif(report: Report) -> dict[str, Any]:
    return json.loads(render(report, "sarif"))


def test_sarif_validates_against_schema(report: Report) -> None:
    import jsonschema

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))  # see its "$comment"
    validator = jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )
    log = _sarif(report)
    validator.validate(log)
    assert log["version"] == "2.1.0" and "$schema" in log
    # the schema bites: an mtqc severity is not a SARIF level, columns start at 1
    log["runs"][0]["results"][0]["level"] = "major"
    assert not validator.is_valid(log)
    log = _sarif(report)
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startColumn"] = 0
    assert not validator.is_valid(log)


def test_sarif_results_levels_and_regions(report: Report) -> None:
    log = _sarif(report)
    run = log["runs"][0]
    assert run["columnKind"] == "unicodeCodePoints"
    driver = run["tool"]["driver"]
    assert driver["name"] == "mtqc" and driver["version"] == "0.1.0"
    rule_ids = [r["id"] for r in driver["rules"]]
    assert rule_ids == sorted({"P005", "T101", "T102", "W002", "M001", "R001"})
    results = run["results"]
    assert len(results) == 6
    levels = {r["ruleId"]: r["level"] for r in results}
    assert levels == {"T101": "error", "W002": "warning", "P005": "error", "T102": "warning",
                      "M001": "note", "R001": "note"}  # fmt: skip
    for r in results:
        assert rule_ids[r["ruleIndex"]] == r["ruleId"]
    t102 = next(r for r in results if r["ruleId"] == "T102")
    loc = t102["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "corpus/news,%20b%3A1.txt"
    assert loc["region"] == {"startLine": 2, "startColumn": 17, "endColumn": 32,
                             "snippet": {"text": "it still sounds"}}  # fmt: skip
    assert t102["partialFingerprints"]["mtqc/v1"] == fingerprint("T102", "it still sounds")
    assert t102["properties"]["severity"] == "minor"
    assert t102["properties"]["suggestions"] == ["the statement goes on"]
    ref_side = next(r for r in results if r["ruleId"] == "R001")
    assert ref_side["locations"][0]["physicalLocation"]["region"] == {"startLine": 2}


def test_sarif_rule_metadata_from_registry(report: Report, monkeypatch: pytest.MonkeyPatch) -> None:
    from mtqc.checks.base import Rule
    from mtqc.outputs import sarif

    doc = "Flags calques of Dutch compounds.\n\nWhat it flags: word-for-word compounds."
    fake = Rule(
        "T101", "calque", Severity.MAJOR, "accuracy/mistranslation", lambda s, o: [], doc=doc
    )
    monkeypatch.setattr(sarif, "all_rules", lambda: {"T101": fake})
    rules = {r["id"]: r for r in _sarif(report)["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["T101"]["shortDescription"]["text"] == "Flags calques of Dutch compounds."
    assert rules["T101"]["fullDescription"]["text"] == doc
    assert rules["T101"]["defaultConfiguration"]["level"] == "error"
    # M001 is not registered: described from its flags
    assert rules["M001"]["name"] == "lm-surprisal"
    assert rules["M001"]["defaultConfiguration"]["level"] == "note"


# ---------------------------------------------------------------------------- junit


def test_junit_suites_cases_and_failures(report: Report) -> None:
    out = render(report, "junit")
    root = ET.fromstring(out.encode("utf-8"))  # parses: control characters were replaced
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["news-a", "news-b"]
    cases = root.findall(".//testcase")
    assert len(cases) == len(report.results) == 4
    assert root.get("tests") == "4" and root.get("failures") == "2"
    names = [c.get("name") for c in cases]
    assert names[0] == "line 1: " + MT_CALQUE[:60]
    assert names[1].startswith("line 3: He wrote <script>") and names[1].endswith("…")
    failed = {c.get("name").split(":")[0] for c in cases if c.find("failure") is not None}
    assert failed == {"line 1", "line 3"}  # major and critical fail; minor/info do not
    first = cases[0].find("failure")
    assert first.get("type") == "major" and "T101" in first.text and "W002" not in first.text
    assert "W002" in cases[0].find("system-out").text  # minor listed as output
    assert cases[3].find("failure") is None and "T102" in cases[3].find("system-out").text
    assert "\x1b" not in out and "\ufffd[2J" in out


def test_junit_fail_on_threshold(report: Report) -> None:
    report.inputs["fail_on"] = "minor"
    root = ET.fromstring(render(report, "junit").encode("utf-8"))
    assert root.get("failures") == "3"
    report.inputs["fail_on"] = "critical"
    root = ET.fromstring(render(report, "junit").encode("utf-8"))
    assert root.get("failures") == "1"


# ---------------------------------------------------------------------------- github


def test_github_annotations_escaped(report: Report) -> None:
    lines = render(report, "github").splitlines()
    assert len(lines) == len(report.flags)
    assert lines[0].startswith(
        "::error file=corpus/news-a.txt,line=1,endLine=1,col=5,endColumn=20,title=T101 calque::"
    )
    assert [line.split(" ", 1)[0] for line in lines] == [
        "::error", "::warning", "::error", "::warning", "::notice", "::notice",
    ]  # fmt: skip
    t102 = lines[3]
    # file property: ',' and ':' escaped; message: '%' and newline escaped
    assert "file=corpus/news%2C b%3A1.txt,line=2,endLine=2,col=17,endColumn=31," in t102
    assert "100%25%0Aliteral" in t102
    assert "\n" not in t102 and "\r" not in t102
    ref_side = lines[5]
    assert "col=" not in ref_side  # flag on the reference: line only


def test_columns_are_on_the_file_line_and_omitted_when_unknown(report: Report) -> None:
    import copy

    rep = copy.deepcopy(report)
    first = rep.results[0]
    flag = first.flags[0]
    first.segment.mt_column = 10  # e.g. the MT is the third column of a TSV line
    gh = render(rep, "github").splitlines()[0]
    assert f"col={10 + flag.start + 1},endColumn={10 + flag.end}," in gh
    region = json.loads(render(rep, "sarif"))["runs"][0]["results"][0]["locations"][0][
        "physicalLocation"
    ]["region"]
    assert (region["startColumn"], region["endColumn"]) == (11 + flag.start, 11 + flag.end)
    first.segment.mt_column = None  # not written verbatim on one line: the line only
    gh = render(rep, "github").splitlines()[0]
    assert "col=" not in gh and f"line={first.segment.line}," in gh
    region = json.loads(render(rep, "sarif"))["runs"][0]["results"][0]["locations"][0][
        "physicalLocation"
    ]["region"]
    assert "startColumn" not in region and region["snippet"]["text"] == flag.text


# ---------------------------------------------------------------------------- write_atomic


def test_write_atomic_creates_dirs_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "report.html"
    write_atomic(target, "first ✓\n")
    assert target.read_text(encoding="utf-8") == "first ✓\n"
    write_atomic(target, "second\n")
    assert target.read_text(encoding="utf-8") == "second\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.html"]  # no temp left


def test_write_atomic_keeps_old_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    write_atomic(target, "old")
    with pytest.raises(UnicodeEncodeError):
        write_atomic(target, "bad \ud800 surrogate")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_write_atomic_unwritable_dir_raises_mtqc_error(tmp_path: Path) -> None:
    from mtqc.errors import MtqcError

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(MtqcError, match="cannot write"):
        write_atomic(blocker / "sub" / "r.txt", "x")


# ---------------------------------------------------------------------------- real summary


def test_formats_with_the_real_summary(report: Report, monkeypatch: pytest.MonkeyPatch) -> None:
    """The goldens use a stand-in summary; this checks the formats against mtqc.scoring."""
    scoring = pytest.importorskip("mtqc.scoring")
    monkeypatch.setattr(Report, "summary", lambda self: scoring.summarize(self))
    data = json.loads(render(report, "json"))
    assert data["summary"]["flags"] == 6 and data["summary"]["segments"] == 4
    assert data["summary"]["by_severity"]["critical"] == 1
    text = render(report, "text").splitlines()
    assert text[-3] == "4 segments, 3 flagged, 6 flags: 1 critical, 1 major, 2 minor, 2 info"
    html = render(report, "html")
    assert "<h2>news-a<small>corpus/news-a.txt · 3 lines · 3 flags" in html


def test_text_output_counts_model_hints_instead_of_showing_them():
    from mtqc.model import Flag, Mode, Report, Segment, SegmentResult, Severity
    from mtqc.outputs.text import render_text

    hint = Flag(
        "M002",
        "model-error-span",
        "a",
        0,
        3,
        "The",
        Severity.INFO,
        "other",
        "model says",
        evidence={"below_show_at": None},
    )
    rule = Flag("T001", "dutch-calque", "a", 4, 9, "facts", Severity.MINOR, "other", "calque")
    only_hint = SegmentResult(Segment("b", "The end.", line=2), [hint])
    both = SegmentResult(Segment("a", "The facts took place.", line=1), [rule, hint])
    text = render_text(Report([both, only_hint], Mode.TARGET))
    assert "T001" in text and "M002" not in text
    assert "(+1 model hint below the precision threshold)" in text
    assert "The end." not in text  # a segment with hints only is not listed
