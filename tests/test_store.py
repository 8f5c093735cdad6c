"""The run-history store: recording, review decisions, baselines, migrations, concurrency.

Every store test runs against SQLite and, when ``MTQC_TEST_PG_URL`` is set (``.ci/run``
starts a server with ``tools/ci_postgres.sh``), against a real PostgreSQL too.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import uuid
from datetime import date

import pytest
from conftest_helpers_dashboard import ARTICLES, make_report, record_many

from mtqc.checks._apply import fingerprint
from mtqc.errors import InputError, UsageError
from mtqc.model import Severity
from mtqc.store import CURRENT_VERSION, Filters, open_store, queries
from mtqc.store.normalize import normalize_phrase

PG_URL = os.environ.get("MTQC_TEST_PG_URL")


def _pg_schema_url(schema: str) -> str:
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgres",
            marks=[
                pytest.mark.postgres,
                pytest.mark.skipif(
                    not PG_URL, reason="MTQC_TEST_PG_URL is not set (tools/ci_postgres.sh)"
                ),
            ],
        ),
    ]
)
def store_url(request, tmp_path):
    """A fresh, empty store URL: a SQLite file, or a private schema on the test server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'history.sqlite'}"
        return
    import psycopg

    schema = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    try:
        yield _pg_schema_url(schema)
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def store(store_url):
    s = open_store(store_url)
    yield s
    s.close()


def _all_flags(store, run_id):
    return [
        f
        for doc in queries.run_documents(store.db, run_id, Filters())
        for seg in queries.document(store.db, run_id, doc["doc"], Filters())
        for f in seg["flags"]
    ]


# -- recording ---------------------------------------------------------------------------


def test_record_run_keeps_run_segments_and_flags(store):
    report = make_report(created="2026-05-20T08:30:00+02:00")
    run_id = store.record_run(report, "nl-en")
    (run,) = queries.runs(store.db, Filters())
    assert run["id"] == run_id
    assert run["created"] == "2026-05-20T06:30:00Z"  # normalised to UTC
    assert (run["feed"], run["documents"], run["mode"]) == ("nl-en", 3, "target-only")
    assert (run["version"], run["signature"]) == ("0.1.0", "mtqc:0.1.0|rules:test")
    assert run["segments"] == len(report.results)
    assert run["flags"] == len(report.flags)
    flagged = sum(1 for r in report.results if r.flags)
    assert run["flag_rate"] == pytest.approx(flagged / len(report.results))
    assert run["mean_score"] == pytest.approx(
        sum(r.score for r in report.results) / len(report.results)
    )

    segs = queries.document(store.db, run_id, "brussels-budget", Filters())
    assert [s["line"] for s in segs] == [1, 2, 3]
    assert segs[0]["mt"] == ARTICLES["brussels-budget"][0]
    assert segs[0]["source_file"] == "feeds/brussels-budget.txt"
    stored = {(f["code"], f["span_start"], f["span_end"]) for s in segs for f in s["flags"]}
    expected = {
        (f.code, f.start, f.end)
        for r in report.results
        if r.segment.doc_id == "brussels-budget"
        for f in r.flags
    }
    assert stored == expected and stored
    f = segs[1]["flags"][0]
    assert f["code"] == "U001" and f["text"] == "burgemeester"
    assert segs[1]["mt"][f["span_start"] : f["span_end"]] == f["text"]
    assert f["severity"] == "critical" and f["category"] == "accuracy/untranslated"
    assert f["suggestions"] == ["mayor"]
    assert f["evidence"] == {"lexicon": "untranslated-word", "entry": "burgemeester"}
    assert f["fingerprint"] == fingerprint("U001", "burgemeester")


def test_record_run_without_time_uses_now_and_needs_a_feed(store):
    run_id = store.record_run(make_report(), "feed-a")
    created = queries.run(store.db, run_id)["created"]
    assert created.startswith(date.today().isoformat()[:4]) and created.endswith("Z")
    with pytest.raises(UsageError, match="--feed"):
        store.record_run(make_report(), "  ")


def test_default_store_is_sqlite_under_reports(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with open_store(None) as s:
        s.record_run(make_report(), "f")
        assert s.db.kind == "sqlite"
    path = tmp_path / "reports" / "mtqc-history.sqlite"
    assert path.is_file()
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1
    con.close()


def test_store_url_forms(tmp_path):
    with open_store(str(tmp_path / "plain.sqlite")) as s:
        assert s.db.path == tmp_path / "plain.sqlite"
    with open_store(f"sqlite:///{tmp_path}/url.sqlite") as s:
        assert s.db.path == tmp_path / "url.sqlite"
    with pytest.raises(UsageError, match="unsupported store URL"):
        open_store("mysql://u:p@h/db")
    with pytest.raises(InputError) as err:
        open_store("postgresql://someone:s3cret@127.0.0.1:1/nodb?connect_timeout=2")
    assert "s3cret" not in str(err.value) and "***" in str(err.value)


# -- review decisions and baselines --------------------------------------------------------


def _flag_id(store, run_id, code, text):
    return next(
        f["id"] for f in _all_flags(store, run_id) if (f["code"], f["text"]) == (code, text)
    )


def test_dismiss_suppresses_per_feed_and_a_later_accept_reenables(store):
    run_id = store.record_run(make_report(), "feed-a")
    store.record_run(make_report(), "feed-b")
    fid = _flag_id(store, run_id, "T102", "eventually")
    store.decide(fid, "dismiss", "anna", "means 'possibly' here, fine in context")
    fp = fingerprint("T102", "eventually")
    assert store.dismissed_fingerprints("feed-a") == {fp}
    assert store.dismissed_fingerprints("feed-b") == set()
    (d,) = store.latest_decisions("feed-a")
    assert (d["who"], d["decision"], d["reason"], d["flag_id"]) == (
        "anna",
        "dismiss",
        "means 'possibly' here, fine in context",
        fid,
    )
    assert d["decided_at"].endswith("Z")
    store.decide(fid, "accept", "bert")
    assert store.dismissed_fingerprints("feed-a") == set()


def test_decide_rejects_unknown_decisions_flags_and_reviewers(store):
    run_id = store.record_run(make_report(), "f")
    fid = _flag_id(store, run_id, "U001", "burgemeester")
    with pytest.raises(UsageError, match="accept' or 'dismiss"):
        store.decide(fid, "ignore", "anna")
    with pytest.raises(UsageError, match="no flag with id"):
        store.decide(10**9, "dismiss", "anna")
    with pytest.raises(UsageError, match="reviewer"):
        store.decide(fid, "dismiss", " ")
    assert store.latest_decisions("f") == []


def test_next_run_drops_dismissed_flags_and_counts_them(store):
    run1 = store.record_run(make_report(created="2026-05-19T06:00:00Z"), "f")
    fid = _flag_id(store, run1, "T101", "In the framework of")
    store.decide(fid, "dismiss", "anna", "house style allows it")
    dismissed = store.dismissed_fingerprints("f")
    # fingerprints fold case: "in the framework of" elsewhere is the same false alarm
    assert fingerprint("T101", "in the framework of") in dismissed
    run2 = store.record_run(make_report(created="2026-05-20T06:00:00Z", dismissed=dismissed), "f")
    texts2 = [f["text"].lower() for f in _all_flags(store, run2)]
    assert "in the framework of" not in texts2
    assert "since years" in texts2  # other flags stay
    r1, r2 = queries.runs(store.db, Filters(feed="f"))
    assert r2["flags"] == r1["flags"] - 2 and r2["suppressed"] == 2


def test_baseline_export_import_round_trip(store):
    run_id = store.record_run(make_report(), "feed-a")
    store.decide(_flag_id(store, run_id, "T102", "eventually"), "dismiss", "anna", "ok here")
    store.decide(_flag_id(store, run_id, "U001", "burgemeester"), "accept", "anna")
    data = store.export_decisions("feed-a")
    assert data == {
        "mtqc_baseline": 1,
        "entries": [
            {
                "code": "T102",
                "fingerprint": fingerprint("T102", "eventually"),
                "text": "eventually",
                "reason": "ok here",
                "feed": "feed-a",
            }
        ],
    }
    json.dumps(data)  # serialisable as a file
    assert store.import_baseline("feed-b", data, "ci") == 1
    assert store.dismissed_fingerprints("feed-b") == {fingerprint("T102", "eventually")}
    assert store.import_baseline("feed-b", data, "ci") == 0  # idempotent
    (d,) = store.latest_decisions("feed-b")
    assert (d["source"], d["who"], d["flag_id"]) == ("baseline", "ci", None)
    # an entry with text but no fingerprint gets the checker's fingerprint
    store.import_baseline(
        None,
        {
            "mtqc_baseline": 1,
            "entries": [{"code": "T101", "text": "Since  years", "feed": "feed-c"}],
        },
        "ci",
    )
    assert store.dismissed_fingerprints("feed-c") == {fingerprint("T101", "since years")}


@pytest.mark.parametrize(
    "data, problem",
    [
        ({"entries": []}, "not an mtqc baseline"),
        ({"mtqc_baseline": 2, "entries": []}, "not an mtqc baseline"),
        ({"mtqc_baseline": 1, "entries": {}}, "must be a list"),
        ({"mtqc_baseline": 1, "entries": [{"text": "x"}]}, "entry 1 has no rule"),
        ({"mtqc_baseline": 1, "entries": [{"code": "T101"}]}, "neither"),
        ({"mtqc_baseline": 1, "entries": [{"code": "T101", "text": "x"}]}, "names no feed"),
    ],
)
def test_import_baseline_rejects_malformed_files(store, data, problem):
    with pytest.raises(InputError, match=problem):
        store.import_baseline(None, data, "ci")
    assert store.latest_decisions() == []


# -- dashboard queries ---------------------------------------------------------------------


def test_recurring_artifacts_count_distinct_documents(store):
    store.record_run(make_report(created="2026-05-18T06:00:00Z"), "f")
    store.record_run(make_report(created="2026-05-20T06:00:00Z"), "f")  # same articles again
    arts = {a["phrase"]: a for a in queries.artifacts(store.db, Filters())}
    a = arts["in the framework of"]
    assert (a["documents"], a["occurrences"]) == (2, 2)  # re-checks do not inflate counts
    assert (a["first_seen"], a["last_seen"]) == ("2026-05-18T06:00:00Z", "2026-05-20T06:00:00Z")
    assert a["codes"] == ["T101"]
    assert {e["doc"] for e in a["examples"]} == {"brussels-budget", "antwerp-port"}
    assert {"since years", "make a photo"} <= set(arts)
    assert "burgemeester" not in arts  # one document only
    one = {a["phrase"] for a in queries.artifacts(store.db, Filters(), min_docs=1)}
    assert "burgemeester" in one


def test_filters_narrow_runs_and_counts(store):
    store.record_run(make_report(created="2026-05-01T06:00:00Z"), "a")
    store.record_run(make_report(created="2026-05-10T06:00:00Z"), "b")
    assert [r["feed"] for r in queries.runs(store.db, Filters(feed="b"))] == ["b"]
    in_range = Filters(date_from=date(2026, 5, 2), date_to=date(2026, 5, 10))
    assert [r["feed"] for r in queries.runs(store.db, in_range)] == ["b"]
    assert [r["feed"] for r in queries.runs(store.db, Filters(date_to=date(2026, 5, 1)))] == ["a"]
    crit = queries.runs(store.db, Filters(feed="a", severity=Severity.CRITICAL))[0]
    assert crit["flags"] == 1  # "burgemeester"
    t_rules = queries.rule_counts(store.db, Filters(feed="a", rule="T"))
    assert {r["code"] for r in t_rules} == {"T101", "T102"}
    sev = {r["severity"]: r["flags"] for r in queries.severity_counts(store.db, Filters(feed="a"))}
    report = make_report()
    assert sev == {
        s: sum(1 for f in report.flags if str(f.severity) == s)
        for s in {str(f.severity) for f in report.flags}
    }


def test_filters_parse_rejects_bad_values():
    f = Filters.parse({"feed": "a", "from": "2026-05-01", "severity": "major", "rule": "t1"})
    assert (f.feed, f.date_from, f.severity, f.rule) == (
        "a",
        date(2026, 5, 1),
        Severity.MAJOR,
        "T1",
    )
    assert Filters.parse(f.as_args()) == f
    for bad in ({"from": "yesterday"}, {"severity": "huge"}, {"rule": "T%"}):
        with pytest.raises(UsageError):
            Filters.parse(bad)


def test_rule_precision_from_latest_decision_per_flag(store):
    run_id = store.record_run(make_report(), "f")
    flags = {(f["code"], f["text"].lower()): f["id"] for f in _all_flags(store, run_id)}
    store.decide(flags[("T101", "since years")], "accept", "a")
    store.decide(flags[("T101", "make a photo")], "accept", "a")
    store.decide(flags[("T101", "on the hand of")], "dismiss", "a")
    store.decide(flags[("T102", "eventually")], "accept", "a")
    store.decide(flags[("T102", "eventually")], "dismiss", "b")  # changed mind: latest wins
    prec = {p["code"]: p for p in queries.rule_precision(store.db, Filters())}
    assert prec["T101"]["precision"] == pytest.approx(2 / 3)
    assert (prec["T102"]["accepted"], prec["T102"]["dismissed"]) == (0, 1)
    assert prec["T102"]["precision"] == 0.0
    assert "U001" not in prec


def test_normalize_phrase():
    assert normalize_phrase("  In the\tframework, of… ") == "in the framework of"
    assert normalize_phrase("“Brussels’s”") == "brussels s"
    assert normalize_phrase("...") == ""
    assert normalize_phrase(" ".join(["word"] * 9)) == ""  # a sentence, not a phrase


# -- migrations ----------------------------------------------------------------------------


def test_v1_store_upgrades_in_place(store_url):
    old = open_store(store_url, schema_version=1)
    assert old.stored_version() == 1
    assert "norm_text" not in old.db.columns("flags")
    db = old.db
    with db.transaction():
        run_id = db.insert(
            "INSERT INTO runs (created, feed, documents, version, signature, mode, summary)"
            " VALUES ('2026-01-02T03:04:05Z', 'old-feed', 1, '0.0.9', 'sig', 'target-only', '{}')"
        )
        seg = db.insert(
            "INSERT INTO segments (run_id, seg_id, doc, line, mt, score, source_file)"
            " VALUES (?, 's1', 'd1', 1, 'He said it since years.', 0.4, 'a.txt')",
            (run_id,),
        )
        db.insert(
            "INSERT INTO flags (run_id, segment_id, code, name, span_start, span_end, text,"
            " severity, category, message, suggestions, score, evidence, side, fingerprint)"
            " VALUES (?, ?, 'T101', 'dutch-calque', 11, 22, 'since Years', 2,"
            " 'accuracy/mistranslation', 'calque', '[]', NULL, '{}', 'mt', 'fp1')",
            (run_id, seg),
        )
        db.insert(
            "INSERT INTO decisions (feed, fingerprint, code, text, decision, who, reason,"
            " decided_at, flag_id) VALUES ('old-feed', 'fp1', 'T101', 'since Years', 'dismiss',"
            " 'anna', '', '2026-01-03T00:00:00Z', NULL)"
        )
    old.close()

    new = open_store(store_url)
    assert new.stored_version() == CURRENT_VERSION > 1
    assert {"suppressed"} <= new.db.columns("segments")
    assert {"norm_text"} <= new.db.columns("flags")
    assert {"source"} <= new.db.columns("decisions")
    (run,) = queries.runs(new.db, Filters())
    assert (run["feed"], run["segments"], run["flags"], run["suppressed"]) == ("old-feed", 1, 1, 0)
    (seg_row,) = queries.document(new.db, run_id, "d1", Filters())
    assert seg_row["flags"][0]["norm_text"] == "since years"  # backfilled
    assert new.dismissed_fingerprints("old-feed") == {"fp1"}
    assert new.latest_decisions("old-feed")[0]["source"] == "review"
    new.record_run(make_report(), "old-feed")  # and it keeps working
    new.close()


def test_a_store_newer_than_mtqc_is_refused(store_url):
    with open_store(store_url) as s, s.db.transaction():
        s.db.execute(
            "INSERT INTO schema_version (version, applied_at, description) VALUES (999, 'x', 'y')"
        )
    with pytest.raises(UsageError, match="newer than this mtqc"):
        open_store(store_url)


def test_concurrent_writers_lose_nothing(store_url):
    """Two processes record runs into the same store at the same time."""
    ctx = multiprocessing.get_context("spawn")
    n = 4
    with ctx.Manager() as mgr:
        barrier = mgr.Barrier(2)
        with ctx.Pool(2) as pool:
            a = pool.apply_async(record_many, (store_url, "job-a", n, barrier))
            b = pool.apply_async(record_many, (store_url, "job-b", n, barrier))
            ids_a, ids_b = a.get(timeout=300), b.get(timeout=300)
    assert len(set(ids_a) | set(ids_b)) == 2 * n
    with open_store(store_url) as s:
        runs = queries.runs(s.db, Filters())
        assert sorted(r["feed"] for r in runs) == ["job-a"] * n + ["job-b"] * n
        per_run = len(make_report().flags)
        assert all(r["flags"] == per_run for r in runs)
        assert s.stored_version() == CURRENT_VERSION


def test_wal_switch_waits_for_a_locked_fresh_store_and_reports_other_errors(monkeypatch):
    from mtqc.store import db as db_mod

    monkeypatch.setattr(db_mod.time, "sleep", lambda _s: None)

    class Conn:
        def __init__(self, errors):
            self.errors, self.calls = list(errors), 0

        def execute(self, sql):
            self.calls += 1
            assert sql == "PRAGMA journal_mode = WAL"
            if self.errors:
                raise sqlite3.OperationalError(self.errors.pop(0))

    locked = Conn(["database is locked", "database is locked"])
    db_mod._set_wal(locked)
    assert locked.calls == 3
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        db_mod._set_wal(Conn(["disk I/O error"]))
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        db_mod._set_wal(Conn(["database is locked"] * 5), attempts=3)
