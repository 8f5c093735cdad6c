"""Read-side queries for the dashboard: runs over time, counts, recurring artifacts,
documents and rule precision, all narrowed by the same :class:`Filters`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from mtqc.errors import UsageError
from mtqc.model import Severity
from mtqc.store.db import Database

RULE_RE = re.compile(r"^[A-Z][0-9]{0,3}$")


@dataclass(frozen=True)
class Filters:
    """Which runs (feed, date range) and which flags (minimum severity, rule code prefix)."""

    feed: str | None = None
    date_from: date | None = None
    date_to: date | None = None  # inclusive
    severity: Severity | None = None  # at least this severe
    rule: str | None = None  # a code or a code prefix: "T", "T0", "T001"

    @classmethod
    def parse(cls, args: Any) -> Filters:
        """From query parameters (``feed``, ``from``, ``to``, ``severity``, ``rule``)."""

        def get(name: str) -> str:
            return (args.get(name) or "").strip()

        def day(name: str) -> date | None:
            v = get(name)
            if not v:
                return None
            try:
                return date.fromisoformat(v)
            except ValueError:
                raise UsageError(f"'{name}' must be a date like 2026-05-20, not {v!r}") from None

        sev = get("severity")
        try:
            severity = Severity.parse(sev) if sev else None
        except ValueError as e:
            raise UsageError(str(e)) from None
        rule = get("rule").upper()
        if rule and not RULE_RE.match(rule):
            raise UsageError(f"'rule' must be a rule code or prefix like T001 or T, not {rule!r}")
        return cls(get("feed") or None, day("from"), day("to"), severity, rule or None)

    def as_args(self) -> dict[str, str]:
        """The query parameters that reproduce these filters."""
        out = {
            "feed": self.feed or "",
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "severity": str(self.severity) if self.severity is not None else "",
            "rule": self.rule or "",
        }
        return {k: v for k, v in out.items() if v}

    def run_where(self, alias: str = "r") -> tuple[list[str], list[Any]]:
        conds: list[str] = []
        params: list[Any] = []
        if self.feed:
            conds.append(f"{alias}.feed = ?")
            params.append(self.feed)
        if self.date_from:
            conds.append(f"{alias}.created >= ?")
            params.append(self.date_from.isoformat())
        if self.date_to and self.date_to < date.max:  # 9999-12-31: no upper bound
            conds.append(f"{alias}.created < ?")
            params.append((self.date_to + timedelta(days=1)).isoformat())
        return conds, params

    def flag_where(self, alias: str = "f") -> tuple[list[str], list[Any]]:
        conds: list[str] = []
        params: list[Any] = []
        if self.severity is not None:
            conds.append(f"{alias}.severity >= ?")
            params.append(int(self.severity))
        if self.rule:
            conds.append(f"{alias}.code LIKE ?")
            params.append(self.rule + "%")
        return conds, params


def _and(conds: list[str]) -> str:
    return " AND ".join(conds) if conds else "1=1"


def feeds(db: Database) -> list[str]:
    return [r["feed"] for r in db.query("SELECT DISTINCT feed FROM runs ORDER BY feed")]


def rule_codes(db: Database) -> list[str]:
    return [r["code"] for r in db.query("SELECT DISTINCT code FROM flags ORDER BY code")]


def runs(db: Database, flt: Filters, limit: int = 1000) -> list[dict[str, Any]]:
    """Runs in range, oldest first, with segment, flag and score figures.

    ``flag_rate`` is the share of segments with at least one flag that passes the filters.
    """
    fc, fp = flt.flag_where()
    rc, rp = flt.run_where()
    sql = (
        "SELECT r.id, r.created, r.feed, r.documents, r.version, r.mode, r.signature,"
        " (SELECT COUNT(*) FROM segments s WHERE s.run_id = r.id) AS segments,"
        " (SELECT AVG(s.score) FROM segments s WHERE s.run_id = r.id) AS mean_score,"
        " (SELECT COALESCE(SUM(s.suppressed), 0) FROM segments s WHERE s.run_id = r.id)"
        " AS suppressed,"
        " (SELECT COUNT(DISTINCT f.segment_id) FROM flags f WHERE f.run_id = r.id"
        f" AND {_and(fc)}) AS flagged_segments,"
        f" (SELECT COUNT(*) FROM flags f WHERE f.run_id = r.id AND {_and(fc)}) AS flags"
        f" FROM runs r WHERE {_and(rc)} ORDER BY r.created DESC, r.id DESC LIMIT ?"
    )
    rows = db.query(sql, [*fp, *fp, *rp, limit])
    for r in rows:
        n = int(r["segments"] or 0)
        r["segments"] = n
        r["flags"] = int(r["flags"] or 0)
        r["flagged_segments"] = int(r["flagged_segments"] or 0)
        r["suppressed"] = int(r["suppressed"] or 0)
        r["mean_score"] = float(r["mean_score"] or 0.0)
        r["flag_rate"] = r["flagged_segments"] / n if n else 0.0
    rows.reverse()
    return rows


def _flag_scope(flt: Filters) -> tuple[str, list[Any]]:
    fc, fp = flt.flag_where()
    rc, rp = flt.run_where()
    return _and(rc + fc), rp + fp


def severity_counts(db: Database, flt: Filters) -> list[dict[str, Any]]:
    where, params = _flag_scope(flt)
    rows = db.query(
        "SELECT f.severity, COUNT(*) AS flags, COUNT(DISTINCT f.segment_id) AS segments"
        f" FROM flags f JOIN runs r ON r.id = f.run_id WHERE {where}"
        " GROUP BY f.severity ORDER BY f.severity DESC",
        params,
    )
    for r in rows:
        r["severity"] = str(Severity(int(r["severity"])))
    return rows


def rule_counts(db: Database, flt: Filters) -> list[dict[str, Any]]:
    where, params = _flag_scope(flt)
    return db.query(
        "SELECT f.code, MIN(f.name) AS name, MIN(f.category) AS category, COUNT(*) AS flags,"
        " COUNT(DISTINCT r.feed || '/' || s.doc) AS documents"
        " FROM flags f JOIN runs r ON r.id = f.run_id JOIN segments s ON s.id = f.segment_id"
        f" WHERE {where} GROUP BY f.code ORDER BY COUNT(*) DESC, f.code",
        params,
    )


def rule_precision(db: Database, flt: Filters) -> list[dict[str, Any]]:
    """Per rule: reviewed flags accepted vs dismissed (latest decision per flag)."""
    conds = ["d.flag_id IS NOT NULL", "d.id IN (SELECT MAX(id) FROM decisions GROUP BY flag_id)"]
    params: list[Any] = []
    if flt.feed:
        conds.append("d.feed = ?")
        params.append(flt.feed)
    if flt.rule:
        conds.append("d.code LIKE ?")
        params.append(flt.rule + "%")
    rows = db.query(
        "SELECT d.code, d.decision, COUNT(*) AS n FROM decisions d"
        f" WHERE {_and(conds)} GROUP BY d.code, d.decision",
        params,
    )
    by_code: dict[str, dict[str, Any]] = {}
    for r in rows:
        e = by_code.setdefault(r["code"], {"code": r["code"], "accepted": 0, "dismissed": 0})
        e["accepted" if r["decision"] == "accept" else "dismissed"] += int(r["n"])
    out = []
    for code in sorted(by_code):
        e = by_code[code]
        total = e["accepted"] + e["dismissed"]
        e["reviewed"] = total
        e["precision"] = e["accepted"] / total if total else None
        out.append(e)
    return out


def artifacts(
    db: Database, flt: Filters, *, min_docs: int = 2, limit: int = 100, examples: int = 3
) -> list[dict[str, Any]]:
    """Phrases flagged in at least ``min_docs`` distinct documents (feed + doc id).

    Counts are of distinct documents and distinct segments, so re-checking the same
    article every day does not inflate them.
    """
    where, params = _flag_scope(flt)
    doc_key = "r.feed || '/' || s.doc"
    rows = db.query(
        f"SELECT f.norm_text AS phrase, COUNT(DISTINCT {doc_key}) AS documents,"
        f" COUNT(DISTINCT {doc_key} || '#' || s.seg_id) AS occurrences,"
        " MIN(r.created) AS first_seen, MAX(r.created) AS last_seen,"
        f" {db.agg_distinct('f.code')} AS codes"
        " FROM flags f JOIN runs r ON r.id = f.run_id JOIN segments s ON s.id = f.segment_id"
        f" WHERE {where} AND f.norm_text <> ''"
        f" GROUP BY f.norm_text HAVING COUNT(DISTINCT {doc_key}) >= ?"
        " ORDER BY documents DESC, occurrences DESC, f.norm_text LIMIT ?",
        [*params, min_docs, limit],
    )
    for a in rows:
        a["codes"] = sorted(set((a["codes"] or "").split(",")) - {""})
        ex = db.query(
            "SELECT f.id AS flag_id, r.id AS run_id, r.feed, r.created, s.doc, s.line, s.seg_id,"
            " s.mt, f.span_start, f.span_end, f.code, f.severity"
            " FROM flags f JOIN runs r ON r.id = f.run_id JOIN segments s ON s.id = f.segment_id"
            f" WHERE {where} AND f.norm_text = ? ORDER BY r.created DESC, f.id DESC LIMIT 50",
            [*params, a["phrase"]],
        )
        seen: set[tuple[str, str]] = set()
        a["examples"] = []
        for e in ex:
            if (e["feed"], e["doc"]) in seen:
                continue
            seen.add((e["feed"], e["doc"]))
            e["severity"] = str(Severity(int(e["severity"])))
            a["examples"].append(e)
            if len(a["examples"]) >= examples:
                break
    return rows


def run(db: Database, run_id: int) -> dict[str, Any] | None:
    rows = db.query("SELECT * FROM runs WHERE id = ?", (run_id,))
    if not rows:
        return None
    r = rows[0]
    r["summary"] = json.loads(r["summary"] or "{}")
    return r


def run_documents(db: Database, run_id: int, flt: Filters) -> list[dict[str, Any]]:
    fc, fp = flt.flag_where()
    rows = db.query(
        "SELECT s.doc, COUNT(*) AS segments, AVG(s.score) AS mean_score,"
        " MAX(s.score) AS max_score, SUM(s.suppressed) AS suppressed,"
        " MIN(s.source_file) AS source_file,"
        f" (SELECT COUNT(*) FROM flags f JOIN segments s2 ON s2.id = f.segment_id"
        f"  WHERE s2.run_id = ? AND s2.doc = s.doc AND {_and(fc)}) AS flags,"
        f" (SELECT MAX(f.severity) FROM flags f JOIN segments s2 ON s2.id = f.segment_id"
        f"  WHERE s2.run_id = ? AND s2.doc = s.doc AND {_and(fc)}) AS max_severity"
        " FROM segments s WHERE s.run_id = ? GROUP BY s.doc ORDER BY s.doc",
        [run_id, *fp, run_id, *fp, run_id],
    )
    for r in rows:
        sev = r["max_severity"]
        r["max_severity"] = str(Severity(int(sev))) if sev is not None else ""
        r["mean_score"] = float(r["mean_score"] or 0.0)
        r["max_score"] = float(r["max_score"] or 0.0)
        r["suppressed"] = int(r["suppressed"] or 0)
    return rows


def document(db: Database, run_id: int, doc: str, flt: Filters) -> list[dict[str, Any]]:
    """Every segment of ``doc`` in the run, in order, with its flags and their review state."""
    segs = db.query(
        "SELECT id, seg_id, line, mt, score, source_file, suppressed FROM segments"
        " WHERE run_id = ? AND doc = ? ORDER BY line, id",
        (run_id, doc),
    )
    if not segs:
        return []
    fc, fp = flt.flag_where()
    flags = db.query(
        "SELECT f.* FROM flags f JOIN segments s ON s.id = f.segment_id"
        f" WHERE s.run_id = ? AND s.doc = ? AND {_and(fc)} ORDER BY f.span_start, f.id",
        [run_id, doc, *fp],
    )
    by_seg: dict[int, list[dict[str, Any]]] = {}
    for f in flags:
        f["severity"] = str(Severity(int(f["severity"])))
        f["suggestions"] = json.loads(f["suggestions"] or "[]")
        f["evidence"] = json.loads(f["evidence"] or "{}")
        by_seg.setdefault(f["segment_id"], []).append(f)
    for s in segs:
        s["flags"] = by_seg.get(s["id"], [])
    return segs


def decision_state(db: Database, feed: str) -> dict[str, dict[str, Any]]:
    """The latest decision per fingerprint in ``feed``."""
    rows = db.query(
        "SELECT fingerprint, decision, who, reason, decided_at, flag_id, source"
        " FROM decisions WHERE feed = ? ORDER BY id",
        (feed,),
    )
    return {r["fingerprint"]: r for r in rows}
