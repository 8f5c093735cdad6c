"""The distributed engine (issue 13): ``mtqc check --engine dask`` gives the bytes of a
local run, a killed worker's partition is checked again without losing or duplicating a
segment, and the pandas core (``mtqc.frames.check_frame``) gives the flags of
``check_segments``.

The cluster tests need the ``dask`` extra (CI installs it); they share one 2-worker
local cluster per module. The option checks run without Dask.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from mtqc.checks.punctuation import QUOTATION_SPAN
from mtqc.cli import main
from mtqc.engine import CheckRun, EngineSettings, check_segments
from mtqc.errors import UsageError
from mtqc.model import Segment
from mtqc.outputs import render
from mtqc.outputs.json_ import jsonl_line
from mtqc.readers import iter_segments, read_segments

try:
    import distributed
except ImportError:  # pragma: no cover - CI installs the dask extra
    distributed = None

needs_dask = pytest.mark.skipif(distributed is None, reason="needs the dask extra")

QUOTE_OPEN = "“The minister said he would come,"  # P003: never closed …
QUOTE_GOES_ON = "“and he came the next day.”"  # … unless the next paragraph goes on
LONG_DOC = [
    "It was 40000 euros ,and more..",
    "Plain fine sentence here.",
    "the spillover action was prepared.",
    "Everything finally came together when the Russians arrived .",
    "Clean line.",
    "Het is niet goed vertaald.",
    "Another plain sentence for the record.",
    QUOTE_OPEN,  # index 7: a partition of 4 (cut at twice that) ends here
    QUOTE_GOES_ON,
    "The the council met on Tuesday.",
    "Clean line again.",
]
SHORT_DOCS = [
    ["A first short document.", QUOTE_OPEN],  # the quotation does not go on here:
    [QUOTE_GOES_ON, "It cost 5 000 dollars."],  # … another document starts
    ["Clean line.", "the the end."],
]
#: partition size in these tests: the long document is cut inside, at its 8th segment
PART = 4


@pytest.fixture(autouse=True)
def _fixed_time(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")


def _rows() -> list[dict]:
    rows = []
    docs = [("long", LONG_DOC)] + [(f"short{i}", d) for i, d in enumerate(SHORT_DOCS)]
    for doc, lines in docs * 2:
        for mt in lines:
            i = len(rows)
            ref = mt.replace("the ", "a ") if i % 5 != 2 else None
            rows.append({"id": f"s{i}", "doc": doc, "mt": mt, "ref": ref})
    return rows


def _corpus(tmp_path: Path) -> Path:
    path = tmp_path / "corpus.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in _rows()), "utf-8")
    return path


SETTINGS = dict(metrics=("chrf", "bleu", "ter"))


def _local(path: Path) -> tuple[str, str]:
    """JSONL and JSON of the single-process streaming run over ``path``."""
    run = CheckRun(iter_segments(str(path)), EngineSettings(**SETTINGS), batch_size=3)
    results = list(run)
    report = run.report(results)
    return "".join(jsonl_line(r) for r in results), render(report, "json")


@pytest.fixture(scope="module")
def client():
    if distributed is None:
        pytest.skip("needs the dask extra")
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def _dask(path: Path, client, **kw) -> tuple[str, str, object]:
    from mtqc.distributed import DaskRun

    run = DaskRun(
        iter_segments(str(path)),
        EngineSettings(**SETTINGS),
        batch_size=3,
        client=client,
        partition_size=PART,
        **kw,
    )
    results = list(run)
    report = run.report(results)
    return "".join(jsonl_line(r) for r in results), render(report, "json"), run


def test_the_corpus_exercises_the_quotation_look_ahead():
    """The long document's cut falls inside a two-paragraph quotation: the local run
    drops P003 on its first paragraph, which alone would be flagged."""
    from mtqc.distributed import partitions

    segs = read_segments_from_rows()
    parts = list(partitions(segs, PART))
    first, before, after = parts[0]
    assert before == []
    assert [s.mt for s in first][-1] == QUOTE_OPEN and after[0].mt == QUOTE_GOES_ON
    alone = check_segments([Segment(id="x", mt=QUOTE_OPEN)])
    assert "P003" in {f.code for f in alone.flags}
    whole = check_segments(read_segments_from_rows(), EngineSettings(**SETTINGS))
    assert "P003" not in {f.code for f in whole.results[7].flags}
    # across a document border the quotation does not go on
    short_open = next(
        r for r in whole.results if r.segment.doc_id == "short0" and r.segment.mt == QUOTE_OPEN
    )
    assert "P003" in {f.code for f in short_open.flags}


def test_check_partition_sees_a_quotation_over_its_cut_as_a_local_run_does():
    """A quotation that opens in one partition and closes QUOTATION_SPAN - 1 segments
    later, in the next one: with the context ``partitions`` gives, each partition's flags
    are the local run's."""
    from mtqc.distributed import partitions
    from mtqc.frames import check_partition

    texts = ["Intro line.", "He said: “We will come back.", "It was late.", "Nobody left.”"]
    texts += ["Filler line."] * 6
    segs = [Segment(id=f"q{i}", mt=t, doc_id="d", line=i + 1) for i, t in enumerate(texts)]
    local = check_segments(list(segs), EngineSettings(**SETTINGS)).results
    want = [(r.segment.id, f.code, f.start) for r in local for f in r.flags]
    assert not [w for w in want if w[1] == "P003"]  # the quotation is paired locally
    got = []
    parts = list(partitions(segs, 2))
    assert len(parts) > 2  # the cuts fall inside the quotation
    for part, before, after in parts:
        res = check_partition(
            part, EngineSettings(**SETTINGS), lookbehind=before, lookahead=after
        ).results
        got += [(r.segment.id, f.code, f.start) for r in res for f in r.flags]
    assert got == want


def read_segments_from_rows() -> list[Segment]:
    return [
        Segment(id=r["id"], mt=r["mt"], ref=r["ref"], doc_id=r["doc"], line=i + 1)
        for i, r in enumerate(_rows())
    ]


def test_partitions_keep_documents_whole_and_every_segment_once():
    from mtqc.distributed import partitions

    segs = read_segments_from_rows()
    parts = list(partitions(segs, PART))
    flat = [s for p, _, _ in parts for s in p]
    assert [s.id for s in flat] == [s.id for s in segs]
    done = 0
    for (p, before, after), nxt in zip(parts, parts[1:] + [(None, None, None)], strict=True):
        # the context is the QUOTATION_SPAN segments around the partition in the input
        assert before == segs[max(0, done - QUOTATION_SPAN) : done]
        done += len(p)
        assert after == segs[done : done + QUOTATION_SPAN]
        assert len(p) <= 2 * PART
        if nxt[0] and len(p) < 2 * PART:  # cut at a document border
            assert p[-1].doc_id != nxt[0][0].doc_id
    with pytest.raises(UsageError):
        list(partitions(segs, 0))


@needs_dask
def test_two_workers_give_the_bytes_of_the_local_run(tmp_path, client):
    path = _corpus(tmp_path)
    jsonl, report = _local(path)
    d_jsonl, d_report, run = _dask(path, client)
    assert run.partitions_done >= 4  # several partitions, on both workers
    assert d_jsonl == jsonl
    assert d_report == report  # summary, signature, corpus metrics included
    corpus = json.loads(report)["corpus_metrics"]
    assert set(corpus) == {"chrf", "bleu", "ter"}
    assert corpus["chrf"]["segments"] == sum(1 for r in _rows() if r["ref"])


class _KillOnce(distributed.WorkerPlugin if distributed else object):
    """Kills its worker process (SIGKILL) when partition ``index`` starts there the
    first time (the marker file says it did)."""

    def __init__(self, marker: str, index: int):
        self.marker = marker
        self.index = index

    def transition(self, key, start, finish, **kwargs):
        if finish != "executing" or not str(key).startswith(f"mtqc-partition-{self.index}-"):
            return
        if os.path.exists(self.marker):
            return
        Path(self.marker).write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)


@needs_dask
def test_a_worker_killed_mid_run_is_retried_without_loss_or_duplicates(tmp_path, client):
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    path = _corpus(tmp_path)
    jsonl, report = _local(path)
    marker = tmp_path / "killed"
    client.register_plugin(_KillOnce(str(marker), 2), name="mtqc-test-kill-once")
    try:
        d_jsonl, d_report, run = _dask(path, client, max_in_flight=4)
    finally:
        client.unregister_worker_plugin("mtqc-test-kill-once")
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    assert marker.exists(), "the worker running partition 2 was not killed"
    ids = [json.loads(line)["id"] for line in d_jsonl.splitlines()]
    assert ids == [r["id"] for r in _rows()]  # every segment once, in input order
    assert d_jsonl == jsonl
    assert d_report == report
    client.wait_for_workers(2, timeout=60)  # the nanny restarted it


@needs_dask
def test_cli_engine_dask_streams_to_the_output_and_the_store(tmp_path, capsys):
    path = _corpus(tmp_path)
    local_out, dask_out = tmp_path / "local.jsonl", tmp_path / "dask.jsonl"
    db = tmp_path / "h.sqlite"
    common = ["check", str(path), "-f", "jsonl", "--batch-size", "3", "--fail-on", "none"]
    assert main([*common, "-o", str(local_out)]) == 0
    code = main(
        [
            *common,
            "-o",
            str(dask_out),
            "--engine",
            "dask",
            "--workers",
            "2",
            "--store",
            f"sqlite:///{db}",
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert dask_out.read_bytes() == local_out.read_bytes()
    con = sqlite3.connect(db)
    documents, signature = con.execute("SELECT documents, signature FROM runs").fetchone()
    whole = check_segments(read_segments(str(path)))
    assert (documents, signature) == (4, whole.signature)
    assert con.execute("SELECT count(*) FROM segments").fetchone()[0] == len(_rows())
    assert con.execute("SELECT count(*) FROM flags").fetchone()[0] == len(whole.flags)


@needs_dask
def test_cli_on_an_existing_scheduler(tmp_path, capsys, client, monkeypatch):
    path = _corpus(tmp_path)
    address = client.scheduler.address.replace("tcp://", "dask://")
    local_out, dask_out = tmp_path / "local.jsonl", tmp_path / "dask.jsonl"
    common = ["check", str(path), "-f", "json", "--fail-on", "none"]
    assert main([*common, "-o", str(local_out)]) == 0
    assert main([*common, "-o", str(dask_out), "--engine", address]) == 0
    assert dask_out.read_bytes() == local_out.read_bytes()
    assert len(client.scheduler_info()["workers"]) == 2  # the scheduler's own, still there
    # workers that run another mtqc version are refused
    import mtqc.distributed

    theirs = mtqc.distributed.__version__
    monkeypatch.setattr(mtqc.distributed, "__version__", "0.0.0-other")
    assert main([*common, "-o", str(dask_out), "--engine", address]) == 2
    assert f"run mtqc {theirs}, this is 0.0.0-other" in capsys.readouterr().err


def test_check_frame_gives_the_flags_of_check_segments():
    pytest.importorskip("pandas")
    from mtqc.frames import (
        RESULT_COLUMNS,
        check_frame,
        frame_from_segments,
        merge_metric_statistics,
        results_from_frame,
    )
    from mtqc.metrics import ReferenceMetrics

    settings = EngineSettings(**SETTINGS)
    whole = check_segments(read_segments_from_rows(), settings)
    frame = check_frame(frame_from_segments(read_segments_from_rows()), settings)
    assert tuple(frame.columns) == RESULT_COLUMNS
    assert len(frame) == len(whole.results)
    assert frame["codes"].tolist() == [",".join(f.code for f in r.flags) for r in whole.results]
    assert frame["score"].tolist() == [r.score for r in whole.results]
    rebuilt = results_from_frame(frame)
    assert [jsonl_line(r) for r in rebuilt] == [jsonl_line(r) for r in whole.results]
    # mapInPandas style: frames of whole documents, corpus metrics from their statistics
    segs = read_segments_from_rows()
    halves = [segs[: len(LONG_DOC)], segs[len(LONG_DOC) :]]
    total = ReferenceMetrics("en", settings.reference_metrics())
    mode_settings = EngineSettings(**SETTINGS, mode=whole.mode)
    out = []
    for half in halves:
        f = check_frame(frame_from_segments(half), mode_settings)
        info = f.attrs["mtqc"]
        merge_metric_statistics(total, info["metric_statistics"], info["metric_segments"])
        out.extend(f["codes"].tolist())
    assert out == frame["codes"].tolist()
    assert total.corpus() == whole.corpus_metrics


def test_check_frame_names_what_is_wrong_with_a_frame():
    pd = pytest.importorskip("pandas")
    from mtqc.frames import check_frame

    with pytest.raises(UsageError, match="'mt' column"):
        check_frame(pd.DataFrame({"text": ["a"]}))
    with pytest.raises(UsageError, match="unknown column"):
        check_frame(pd.DataFrame({"mt": ["a"], "colour": ["red"]}))
    with pytest.raises(UsageError, match="row 1: 'mt' holds"):
        check_frame(pd.DataFrame({"mt": ["fine", "bad\x00"]}))
    with pytest.raises(UsageError, match="row 0: 'mt' is missing"):
        check_frame(pd.DataFrame({"mt": [None], "id": ["x"]}))
    with pytest.raises(UsageError, match="nothing to check"):
        check_frame(pd.DataFrame({"mt": []}))


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--engine", "spark"], "unknown --engine 'spark'"),
        (["--engine", "dask://host:port:x"], "not a scheduler address"),
        (["--workers", "2"], "--workers needs --engine dask"),
        (["--engine", "dask", "--server", "http://127.0.0.1:1"], "does not work with --server"),
    ],
)
def test_engine_options_that_do_not_fit_exit_2(tmp_path, capsys, extra, message):
    path = _corpus(tmp_path)
    assert main(["check", str(path), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_engine_dask_without_dask_installed_says_what_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    assert main(["check", str(_corpus(tmp_path)), "--engine", "dask"]) == 2
    assert "pip install 'mtqc[dask]'" in capsys.readouterr().err


@needs_dask
def test_an_unreachable_scheduler_exits_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MTQC_DASK_TIMEOUT", "1")
    path = _corpus(tmp_path)
    assert main(["check", str(path), "--engine", "dask://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err
    assert main(["check", str(path), "--engine", "dask://127.0.0.1:9", "--workers", "2"]) == 2
    assert "an existing scheduler has its own workers" in capsys.readouterr().err


@needs_dask
def test_an_input_error_after_some_partitions_is_raised_and_the_run_stops(tmp_path, client):
    from mtqc.distributed import DaskRun
    from mtqc.errors import InputError

    path = _corpus(tmp_path)
    with path.open("a", encoding="utf-8") as f:
        f.write('{"mt": "unfinished\n')
    run = DaskRun(iter_segments(str(path)), EngineSettings(), client=client, partition_size=PART)
    seen = []
    with pytest.raises(InputError, match=rf"corpus.jsonl:{len(_rows()) + 1}"):
        for r in run:
            seen.append(r.segment.id)
    assert seen == [r["id"] for r in _rows()][: len(seen)]  # in order up to the error
    assert not run.finished


def test_check_frame_in_the_shape_mapinpandas_calls_it():
    """The README's Spark function: an iterator of frames in, frames with the columns
    of ``SPARK_SCHEMA`` out."""
    pd = pytest.importorskip("pandas")
    from mtqc.frames import SPARK_SCHEMA, check_frame, frame_from_segments
    from mtqc.model import Mode

    settings = EngineSettings(mode=Mode.REFERENCE, tgt_lang="en")

    def check(frames):
        for frame in frames:
            yield check_frame(frame, settings)

    segs = read_segments_from_rows()
    batches = [frame_from_segments(segs[:11]), frame_from_segments(segs[11:])]
    batches[1] = batches[1].drop(columns=["meta", "mt_column", "source_file"])
    out = pd.concat(list(check(iter(batches))), ignore_index=True)
    schema = [part.strip().split(" ") for part in SPARK_SCHEMA.split(",")]
    assert list(out.columns) == [name for name, _ in schema]
    kinds = {"string": "O", "long": "i", "double": "f"}
    for name, kind in schema:
        if kind != "string":
            assert out[name].dtype.kind == kinds[kind], name
    assert out["id"].tolist() == [s.id for s in segs]
    whole = check_segments(read_segments_from_rows(), settings)
    assert out["codes"].tolist() == [",".join(f.code for f in r.flags) for r in whole.results]
