"""The run-history store: records runs, their segments and flags, and review decisions."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from mtqc.checks._apply import fingerprint as make_fingerprint
from mtqc.errors import InputError, UsageError
from mtqc.model import Report, SegmentResult
from mtqc.readers.textcheck import forbidden_char
from mtqc.store.db import Database
from mtqc.store.migrations import current_version, migrate
from mtqc.store.normalize import normalize_phrase

DECISIONS = ("accept", "dismiss")
BASELINE_FORMAT = 1
MAX_WHO = 80
MAX_REASON = 2000


def utc_stamp(value: str | datetime | None = None) -> str:
    """An ISO 8601 UTC timestamp ``YYYY-MM-DDTHH:MM:SSZ`` (sorts as text); now if empty."""
    if not value:
        dt = datetime.now(UTC)
    elif isinstance(value, datetime):
        dt = value
    else:
        try:
            dt = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise UsageError(
                f"run time {value!r} is not an ISO 8601 date-time (e.g. 2026-05-20T08:00:00Z)"
            ) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _feed_name(feed: str | None) -> str:
    name = (feed or "").strip()
    if not name:
        raise UsageError("a feed name is needed to record or review runs: pass --feed NAME")
    return name


def _report_summary(report: Report) -> dict[str, Any]:
    try:
        summary = report.summary()
    except ModuleNotFoundError:  # the scoring module is optional for the store
        summary = {}
    return json.loads(json.dumps(summary, default=str))


class RunRecorder:
    """Writes one run's segments and flags as they come (see :meth:`Store.recording`)."""

    def __init__(self, db: Database, run_id: int):
        self.db = db
        self.run_id = run_id
        self.finished = False

    def add(self, res: SegmentResult) -> None:
        db = self.db
        seg = res.segment
        seg_pk = db.insert(
            "INSERT INTO segments"
            " (run_id, seg_id, doc, line, mt, score, source_file, suppressed)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self.run_id,
                seg.id,
                seg.doc_id or "",
                int(seg.line or 0),
                seg.mt,
                float(res.score or 0.0),
                seg.source_file or "",
                int(res.suppressed or 0),
            ),
        )
        for f in res.flags:
            db.execute(
                "INSERT INTO flags (run_id, segment_id, code, name, span_start, span_end,"
                " text, severity, category, message, suggestions, score, evidence, side,"
                " fingerprint, norm_text)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    self.run_id,
                    seg_pk,
                    f.code,
                    f.name,
                    f.start,
                    f.end,
                    f.text,
                    int(f.severity),
                    f.category,
                    f.message,
                    json.dumps(list(f.suggestions), ensure_ascii=False),
                    f.score,
                    json.dumps(f.evidence, ensure_ascii=False, default=str),
                    f.side,
                    f.fingerprint or make_fingerprint(f.code, f.text),
                    normalize_phrase(f.text) if f.side == "mt" else "",
                ),
            )

    def finish(self, report: Report, *, documents: int) -> None:
        """Fill in the run's row: document count, version, signature, mode, summary."""
        summary = json.dumps(_report_summary(report), sort_keys=True)
        self.db.execute(
            "UPDATE runs SET documents = ?, version = ?, signature = ?, mode = ?, summary = ?"
            " WHERE id = ?",
            (
                documents,
                report.version or "",
                report.signature or "",
                str(report.mode),
                summary,
                self.run_id,
            ),
        )
        self.finished = True


class Store:
    """Run history in SQLite or PostgreSQL. Open with :func:`mtqc.store.open_store`."""

    def __init__(self, db: Database, *, schema_version: int | None = None):
        self.db = db
        self.schema_version = migrate(db, schema_version)

    @property
    def url(self) -> str:
        return self.db.url

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def upgrade(self) -> int:
        """Apply any pending migrations (used by tests; opening already does it)."""
        self.schema_version = migrate(self.db)
        return self.schema_version

    def stored_version(self) -> int:
        return current_version(self.db)

    # -- recording ---------------------------------------------------------------------

    def record_run(self, report: Report, feed: str) -> int:
        """Store a run with its segments and flags in one transaction; return its id."""
        with self.recording(feed, created=report.created) as rec:
            for res in report.results:
                rec.add(res)
            rec.finish(report, documents=len(report.documents()))
        return rec.run_id

    @contextlib.contextmanager
    def recording(self, feed: str, *, created: str | None = None) -> Iterator[RunRecorder]:
        """Record a run as it streams: ``add`` each result, then ``finish`` with the
        run's report (its summary and signature). All in one transaction: a run that
        fails or is interrupted before ``finish`` leaves nothing behind."""
        feed = _feed_name(feed)
        db = self.db
        with db.transaction():
            run_id = db.insert(
                "INSERT INTO runs (created, feed, documents, version, signature, mode, summary)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (utc_stamp(created), feed, 0, "", "", "", "{}"),
            )
            rec = RunRecorder(db, run_id)
            yield rec
            if not rec.finished:
                raise RuntimeError("Store.recording: finish() was not called")

    # -- review decisions --------------------------------------------------------------

    def decide(self, flag_id: int, decision: str, who: str, reason: str = "") -> int:
        """Record a reviewer's decision on a stored flag; return the decision id.

        ``accept`` means a real error; ``dismiss`` a false alarm, which hides flags of the
        same rule and text in later runs of the flag's feed.
        """
        if not isinstance(flag_id, int) or not 1 <= flag_id < 2**63:
            raise UsageError(f"there is no flag with id {flag_id} in the store")
        if decision not in DECISIONS:
            raise UsageError(f"decision must be 'accept' or 'dismiss', not {decision!r}")
        who = (who or "").strip()[:MAX_WHO]
        if not who:
            raise UsageError("a decision needs the reviewer's name")
        rows = self.db.query(
            "SELECT f.id, f.code, f.text, f.fingerprint, r.feed FROM flags f"
            " JOIN runs r ON r.id = f.run_id WHERE f.id = ?",
            (int(flag_id),),
        )
        if not rows:
            raise UsageError(f"there is no flag with id {flag_id} in the store")
        f = rows[0]
        with self.db.transaction():
            return self.db.insert(
                "INSERT INTO decisions (feed, fingerprint, code, text, decision, who, reason,"
                " decided_at, flag_id, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'review')",
                (
                    f["feed"],
                    f["fingerprint"],
                    f["code"],
                    f["text"],
                    decision,
                    who,
                    (reason or "").strip()[:MAX_REASON],
                    utc_stamp(),
                    f["id"],
                ),
            )

    def latest_decisions(self, feed: str | None = None) -> list[dict[str, Any]]:
        """The latest decision per (feed, fingerprint), newest first."""
        where, params = ("WHERE d.feed = ?", [feed]) if feed else ("", [])
        rows = self.db.query(
            "SELECT d.id, d.feed, d.fingerprint, d.code, d.text, d.decision, d.who, d.reason,"
            f" d.decided_at, d.flag_id, d.source FROM decisions d {where} ORDER BY d.id",
            params,
        )
        latest: dict[tuple[str, str], dict[str, Any]] = {}
        for r in rows:
            latest[(r["feed"], r["fingerprint"])] = r
        return sorted(latest.values(), key=lambda r: r["id"], reverse=True)

    def dismissed_fingerprints(self, feed: str) -> set[str]:
        """Fingerprints whose latest decision in ``feed`` is a dismissal."""
        feed = _feed_name(feed)
        return {d["fingerprint"] for d in self.latest_decisions(feed) if d["decision"] == "dismiss"}

    def export_decisions(self, feed: str | None) -> dict[str, Any]:
        """Dismissals (latest decision wins) as a baseline file: ``{"mtqc_baseline": 1, ...}``."""
        entries = [
            {
                "code": d["code"],
                "fingerprint": d["fingerprint"],
                "text": d["text"],
                "reason": d["reason"],
                "feed": d["feed"],
            }
            for d in self.latest_decisions(feed)
            if d["decision"] == "dismiss"
        ]
        entries.sort(key=lambda e: (e["feed"] or "", e["code"], e["text"].casefold()))
        return {"mtqc_baseline": BASELINE_FORMAT, "entries": entries}

    def import_baseline(self, feed: str | None, data: Any, who: str) -> int:
        """Record a baseline file's entries as dismissals; return how many were new.

        ``feed`` overrides the entries' own ``feed``; entries already dismissed are skipped.
        """
        entries = _validate_baseline(data)
        who = (who or "").strip()[:MAX_WHO] or "baseline"
        added = 0
        with self.db.transaction():
            for i, e in enumerate(entries):
                target = (feed or "").strip() or (e.get("feed") or "").strip()
                if not target:
                    raise InputError(
                        "baseline",
                        f"entry {i + 1} names no feed",
                        hint="import it into a feed (--feed NAME), or set its 'feed'",
                    )
                code, text = str(e["code"]), str(e.get("text") or "")
                fp = str(e.get("fingerprint") or make_fingerprint(code, text))
                if fp in self.dismissed_fingerprints(target):
                    continue
                self.db.execute(
                    "INSERT INTO decisions (feed, fingerprint, code, text, decision, who, reason,"
                    " decided_at, flag_id, source)"
                    " VALUES (?, ?, ?, ?, 'dismiss', ?, ?, ?, NULL, 'baseline')",
                    (
                        target,
                        fp,
                        code,
                        text,
                        who,
                        str(e.get("reason") or "")[:MAX_REASON],
                        utc_stamp(),
                    ),
                )
                added += 1
        return added


_BASELINE_HINT = (
    'a baseline is {"mtqc_baseline": 1, "entries": [{"code": "T001", "fingerprint": "...", '
    '"text": "...", "reason": "...", "feed": null}]}; export one from the dashboard or with '
    "`mtqc decisions export`"
)


def parse_baseline(name: str, raw: bytes | str) -> Any:
    """Decode a baseline file's bytes as JSON; anything unreadable is an InputError."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        return json.loads(text, parse_constant=_no_constant)
    except UnicodeDecodeError as e:
        problem = f"not a JSON baseline file: not UTF-8 (byte offset {e.start})"
    except json.JSONDecodeError as e:
        problem = f"not a JSON baseline file: {e.msg} (line {e.lineno}, column {e.colno})"
    except RecursionError:
        problem = "not a JSON baseline file: nested too deeply to read"
    except ValueError as e:  # NaN/Infinity, a number of more than 4,300 digits
        problem = f"not a JSON baseline file: {str(e).split(';')[0]}"
    raise InputError(name or "baseline", problem, hint=_BASELINE_HINT)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _validate_baseline(data: Any) -> list[dict[str, Any]]:
    hint = _BASELINE_HINT
    if not isinstance(data, dict) or data.get("mtqc_baseline") != BASELINE_FORMAT:
        raise InputError("baseline", "not an mtqc baseline file (format 1)", hint=hint)
    entries = data.get("entries")
    if not isinstance(entries, list):
        raise InputError("baseline", "'entries' must be a list", hint=hint)
    for i, e in enumerate(entries):
        if not isinstance(e, dict) or not isinstance(e.get("code"), str):
            raise InputError("baseline", f"entry {i + 1} has no rule 'code'", hint=hint)
        if not (isinstance(e.get("fingerprint"), str) or isinstance(e.get("text"), str)):
            raise InputError(
                "baseline", f"entry {i + 1} has neither 'fingerprint' nor 'text'", hint=hint
            )
        for key in ("code", "fingerprint", "text", "reason", "feed"):
            value = e.get(key)
            if value is None:
                continue
            if not isinstance(value, str):
                raise InputError(
                    "baseline",
                    f"entry {i + 1}: {key!r} must be a string, not {type(value).__name__}",
                    hint=hint,
                )
            bad = forbidden_char(value)
            if bad:
                raise InputError(
                    "baseline",
                    f"entry {i + 1}: {key!r} holds {bad}, which the store cannot hold",
                    hint="remove it from the file",
                )
    return entries
