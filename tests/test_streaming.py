"""Streaming check (issue 12): results go from the reader through the engine to the
outputs and the store in batches; the bytes written equal the whole-report renderers'."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from mtqc.cli import main
from mtqc.engine import CheckRun, EngineSettings, check_segments
from mtqc.model import Flag, Severity
from mtqc.outputs import render
from mtqc.outputs._write import Sink
from mtqc.outputs.stream import streamer
from mtqc.readers import iter_segments, read_segments

LINES = [
    "“The minister said he would come,",  # quotation goes on in the next paragraph
    "“and he came the the next day.”",
    "It was 40000 euros ,and more..",
    "Everything finally came together when the Russians arrived .",
    "the spillover action was prepared.",
    "Plain fine sentence here.",
    "“Another quote starts",
    "“and goes on.”",
    "Het is niet goed vertaald.",
    "Clean line.",
    "He said: “We will come back.",  # a quotation over three sentence segments
    "It was late.",
    "Nobody left.”",
]
DOCS = ["a", "a", "b", "b", "a", "c", "c", "c", "b", "a", "d", "d", "d"]  # interleaved
STREAMED = ("jsonl", "csv", "sarif", "junit", "github", "text")


@pytest.fixture(autouse=True)
def _fixed_time(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")


def _jsonl_input(tmp_path: Path) -> Path:
    path = tmp_path / "feed.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for i, (mt, doc) in enumerate(zip(LINES * 3, DOCS * 3, strict=True)):
            ref = mt.replace("the ", "a ") if i % 4 != 1 else None
            f.write(json.dumps({"id": f"s{i}", "doc": doc, "mt": mt, "ref": ref}) + "\n")
    return path


def _text_input(tmp_path: Path) -> Path:
    path = tmp_path / "feed.txt"
    with path.open("w", encoding="utf-8") as f:
        for i, line in enumerate(LINES * 3):
            f.write(line + "\n" + ("\n" if i % 4 == 3 else ""))
    return path


def _in_memory(path: Path, fmt: str) -> str:
    report = check_segments(read_segments(str(path)), EngineSettings())
    report.inputs.update({"mt": str(path), "fail_on": "major"})
    return render(report, fmt)


@pytest.mark.parametrize("make_input", [_jsonl_input, _text_input])
@pytest.mark.parametrize("fmt", [*STREAMED, "json", "html"])
def test_streamed_output_equals_the_in_memory_report(tmp_path, capsys, make_input, fmt):
    path = make_input(tmp_path)
    want = _in_memory(path, fmt)
    for batch in ("1", "2", "3", "1000"):
        out = tmp_path / f"out-{batch}.{fmt}"
        code = main(["check", str(path), "-f", fmt, "-o", str(out), "--batch-size", batch])
        assert code == 1  # major flags: the gate fails, whatever the batch size
        assert out.read_bytes() == want.encode("utf-8"), (fmt, batch)
    assert not list(tmp_path.glob(".*.tmp"))


def test_exit_codes_do_not_depend_on_the_batch_size(tmp_path, capsys):
    path = _text_input(tmp_path)
    for batch in ("1", "7", "1000"):
        base = ["check", str(path), "-f", "jsonl", "-o", "/dev/null", "--batch-size", batch]
        assert main(base) == 1
        assert main([*base, "--fail-on", "none"]) == 0
        assert main([*base, "--fail-on", "critical"]) == 1
        assert main([*base, "--fail-on", "none", "--max-score", "0.9"]) == 0
        assert main([*base, "--fail-on", "none", "--max-score", "0.5"]) == 1
    assert main(["check", str(path), "--batch-size", "0"]) == 2


def test_quotation_look_ahead_crosses_batch_borders(tmp_path):
    path = _text_input(tmp_path)
    whole = check_segments(read_segments(str(path)))
    for batch in (1, 2, 3):
        run = CheckRun(iter_segments(str(path)), batch_size=batch)
        flags = [[f.code for f in r.flags] for r in run]
        assert flags == [[f.code for f in r.flags] for r in whole.results]
        assert run.report().summary() == whole.summary()


def test_corpus_metrics_add_up_across_batches(tmp_path):
    path = _jsonl_input(tmp_path)
    whole = check_segments(read_segments(str(path)))
    run = CheckRun(iter_segments(str(path)), batch_size=4)
    metrics = [r.metrics for r in run]
    assert whole.corpus_metrics and run.report().corpus_metrics == whole.corpus_metrics
    assert metrics == [r.metrics for r in whole.results]


def test_sarif_rule_indexes_of_model_codes_are_fixed_at_the_end(tmp_path):
    """A code that is not among the run's rules (a model scorer's) shifts the indexes of
    the rules after it; the spooled results get the final ones."""
    path = _text_input(tmp_path)
    report = check_segments(read_segments(str(path)))
    for i, r in enumerate(report.results):
        if i % 3 == 0:
            r.flags.insert(
                0,
                Flag(
                    "M001",
                    "lm-surprisal",
                    r.segment.id,
                    0,
                    1,
                    r.segment.mt[:1],
                    Severity.INFO,
                    "fluency/grammar",
                    "model",
                    fingerprint=f"m{i}",
                ),
            )
    chunks: list[str] = []
    out = streamer("sarif", Sink(None, text_stream=_List(chunks)), rules=report.rules)
    for r in report.results:
        out.add(r)
    out.finish(report)
    assert "".join(chunks) == render(report, "sarif")


class _List:
    def __init__(self, chunks: list[str]):
        self.write = chunks.append


def test_parallel_files_of_different_lengths_name_both_counts(tmp_path, capsys):
    mt = tmp_path / "mt.txt"
    mt.write_text("One line.\nTwo lines.\nThree lines.\n", encoding="utf-8")
    short = tmp_path / "short.txt"
    short.write_text("One.\n\nTwo.\n", encoding="utf-8")
    long = tmp_path / "long.txt"
    long.write_text("1\n2\n3\n4\n5\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    out.write_text("old\n", encoding="utf-8")
    for ref, counts in ((short, "has 3 segments but"), (long, "has 3 segments but")):
        code = main(
            [
                "check",
                str(mt),
                "--ref",
                str(ref),
                "-f",
                "jsonl",
                "-o",
                str(out),
                "--batch-size",
                "1",
            ]
        )
        err = capsys.readouterr().err
        assert code == 2
        assert counts in err and (f"{ref} has 2" in err or f"{ref} has 5" in err)
        assert out.read_text(encoding="utf-8") == "old\n"  # nothing replaced
    assert not list(tmp_path.glob(".*.tmp"))


def test_input_error_after_streamed_batches_leaves_the_old_output(tmp_path, capsys):
    path = tmp_path / "feed.jsonl"
    good = "".join(json.dumps({"mt": f"Line {i}."}) + "\n" for i in range(10))
    path.write_text(good + "{not json\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    out.write_text("old\n", encoding="utf-8")
    code = main(["check", str(path), "-f", "csv", "-o", str(out), "--batch-size", "2"])
    assert code == 2
    assert "feed.jsonl:11:" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "old\n"
    assert not list(tmp_path.glob(".*.tmp"))


def test_store_records_the_streamed_run(tmp_path, capsys):
    path = _jsonl_input(tmp_path)
    db = tmp_path / "h.sqlite"
    code = main(
        [
            "check",
            str(path),
            "-f",
            "jsonl",
            "-o",
            "/dev/null",
            "--batch-size",
            "4",
            "--store",
            f"sqlite:///{db}",
            "--fail-on",
            "none",
        ]
    )
    assert code == 0
    con = sqlite3.connect(db)
    documents, mode, signature, summary = con.execute(
        "SELECT documents, mode, signature, summary FROM runs"
    ).fetchone()
    whole = check_segments(read_segments(str(path)))
    assert (documents, mode, signature) == (4, "reference", whole.signature)
    assert json.loads(summary) == json.loads(json.dumps(whole.summary()))
    assert con.execute("SELECT count(*) FROM segments").fetchone()[0] == 39
    assert con.execute("SELECT count(*) FROM flags").fetchone()[0] == len(whole.flags)


def test_a_side_that_starts_after_the_first_batch_is_named(tmp_path, capsys):
    path = tmp_path / "late.jsonl"
    rows = [{"mt": f"Line {i}.", "ref": f"Line {i}." if i >= 2 else None} for i in range(4)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert main(["check", str(path), "-f", "jsonl", "-o", "/dev/null", "--batch-size", "2"]) == 0
    err = capsys.readouterr().err
    assert "'ref' texts start after the first 2 segments" in err and "--mode" in err
    assert main(["check", str(path), "-f", "jsonl", "-o", "/dev/null"]) == 0
    assert "notice" not in capsys.readouterr().err


class _CountingScorer:
    """A model scorer that records the batches it is given."""

    needs = ()

    def __init__(self) -> None:
        self.batches: list[int] = []

    def load(self) -> None:
        pass

    def signature(self) -> str:
        return "counting"

    def score(self, segments):
        from types import SimpleNamespace

        self.batches.append(len(segments))
        return [SimpleNamespace(flags=[], metrics={}) for _ in segments]


@pytest.mark.parametrize(
    ("n", "batch_size", "expected"),
    [(7, None, [7]), (7, 3, [7]), (7, 7, [7]), (20, 5, [2, 5, 13]), (30, 10, [2, 10, 18])],
)
def test_scorers_see_whole_batches(n, batch_size, expected):
    """The QUOTATION_SPAN (8) segments held back for quotations that may close in the
    next batch are scored with it, and the last batch is scored whole (an article checked
    at once is one scorer call)."""
    from mtqc.model import Segment

    scorer = _CountingScorer()
    settings = EngineSettings(models=["counting"], scorers={"counting": scorer})
    segs = [Segment(id=str(i), mt=f"Line number {i} is here.") for i in range(n)]
    results = list(CheckRun(segs, settings, batch_size=batch_size))
    assert [r.segment.id for r in results] == [str(i) for i in range(n)]
    assert scorer.batches == expected
