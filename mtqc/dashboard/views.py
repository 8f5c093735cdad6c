"""What each page shows, as tables and charts built from the store's queries.

Every builder takes the store and the page's filters and returns a :class:`Table`; the
HTML page and its CSV export call the same builder.
"""

from __future__ import annotations

import json
from typing import Any

from flask import url_for
from markupsafe import Markup

from mtqc.dashboard.charts import PALETTE, Series, line_chart
from mtqc.dashboard.tables import Column, Table
from mtqc.store import Filters, Store, queries


def _doc_href(row: dict[str, Any]) -> str:
    return url_for("document", run_id=row["run_id"], doc=row["doc"])


def runs_table(store: Store, flt: Filters) -> Table:
    rows = queries.runs(store.db, flt)
    rows.reverse()  # newest first
    return Table(
        "runs",
        "Runs",
        [
            Column("created", "Time", "time", href=lambda r: url_for("run", run_id=r["id"])),
            Column("feed", "Feed"),
            Column("documents", "Documents", "int"),
            Column("segments", "Lines", "int"),
            Column("flagged_segments", "Flagged lines", "int"),
            Column("flag_rate", "Flag rate", "pct"),
            Column("flags", "Flags", "int"),
            Column("mean_score", "Mean risk", "score"),
            Column("suppressed", "Suppressed", "int"),
            Column("version", "mtqc"),
            Column("mode", "Mode"),
        ],
        rows,
    )


def overview_charts(runs: list[dict[str, Any]]) -> tuple[Markup, Markup, list[Series]]:
    """Flag rate and mean risk per feed over time (``runs`` oldest first)."""
    by_feed: dict[str, list[dict[str, Any]]] = {}
    for r in sorted(runs, key=lambda r: (r["created"], r["id"])):
        by_feed.setdefault(r["feed"], []).append(r)
    rate, risk = [], []
    for i, (feed, rs) in enumerate(sorted(by_feed.items())):
        color = PALETTE[i % len(PALETTE)]
        when = [r["created"].replace("T", " ").removesuffix("Z") for r in rs]
        rate.append(
            Series(
                feed,
                color,
                [
                    (
                        r["created"],
                        r["flag_rate"],
                        f"{feed} {w}: {r['flag_rate'] * 100:.1f}% flagged",
                    )
                    for r, w in zip(rs, when, strict=True)
                ],
            )
        )
        risk.append(
            Series(
                feed,
                color,
                [
                    (r["created"], r["mean_score"], f"{feed} {w}: mean risk {r['mean_score']:.3f}")
                    for r, w in zip(rs, when, strict=True)
                ],
            )
        )
    return (
        line_chart(rate, title="Flag rate per feed", y_label="flagged lines", percent=True),
        line_chart(risk, title="Mean risk score per feed", y_label="mean risk"),
        rate,
    )


def severity_table(store: Store, flt: Filters) -> Table:
    return Table(
        "severity",
        "Flags by severity",
        [
            Column("severity", "Severity", "severity"),
            Column("flags", "Flags", "int"),
            Column("segments", "Lines", "int"),
        ],
        queries.severity_counts(store.db, flt),
    )


def rules_table(store: Store, flt: Filters) -> Table:
    def rule_href(r: dict[str, Any]) -> str:
        return url_for("overview", **{**flt.as_args(), "rule": r["code"]})

    return Table(
        "rules",
        "Flags by rule",
        [
            Column("code", "Rule", href=rule_href),
            Column("name", "Name"),
            Column("flags", "Flags", "int"),
            Column("documents", "Documents", "int"),
        ],
        queries.rule_counts(store.db, flt),
    )


def precision_table(store: Store, flt: Filters) -> Table:
    return Table(
        "precision",
        "Rule precision from review decisions",
        [
            Column("code", "Rule"),
            Column("accepted", "Accepted", "int"),
            Column("dismissed", "Dismissed", "int"),
            Column("precision", "Precision", "pct"),
        ],
        queries.rule_precision(store.db, flt),
        note="accepted ÷ (accepted + dismissed), latest decision per reviewed flag",
    )


def artifacts_table(store: Store, flt: Filters, min_docs: int) -> Table:
    rows = queries.artifacts(store.db, flt, min_docs=min_docs)
    for a in rows:
        a["rules"] = ", ".join(a["codes"])
    return Table(
        "artifacts",
        "Recurring artifacts",
        [
            Column("phrase", "Phrase"),
            Column("documents", "Documents", "int"),
            Column("occurrences", "Lines", "int"),
            Column("rules", "Rules"),
            Column("first_seen", "First seen", "time"),
            Column("last_seen", "Last seen", "time"),
            Column(
                "examples",
                "Examples",
                "examples",
                csv=lambda a: " | ".join(
                    f"{e['feed']}/{e['doc']}:{e['line']}: {e['mt']}" for e in a["examples"]
                ),
            ),
        ],
        rows,
        note=f"flagged phrases (lower-cased, punctuation removed) seen in at least {min_docs} documents",
        export_args={"min_docs": str(min_docs)},
    )


def run_documents_table(store: Store, run_id: int, flt: Filters) -> Table:
    rows = queries.run_documents(store.db, run_id, flt)
    for r in rows:
        r["run_id"] = run_id
    return Table(
        "documents",
        "Documents",
        [
            Column("doc", "Document", href=_doc_href),
            Column("source_file", "File"),
            Column("segments", "Lines", "int"),
            Column("flags", "Flags", "int"),
            Column("max_severity", "Worst", "severity"),
            Column("mean_score", "Mean risk", "score"),
            Column("max_score", "Max risk", "score"),
            Column("suppressed", "Suppressed", "int"),
        ],
        rows,
        export_args={"run": str(run_id)},
    )


def document_lines(store: Store, run_id: int, doc: str, feed: str, flt: Filters) -> list[dict]:
    """The document's lines with flags and, per flag, the feed's latest decision."""
    segs = queries.document(store.db, run_id, doc, flt)
    state = queries.decision_state(store.db, feed)
    for s in segs:
        for f in s["flags"]:
            f["decision"] = state.get(f["fingerprint"])
    return segs


def document_table(store: Store, run_id: int, doc: str, feed: str, flt: Filters) -> Table:
    rows: list[dict[str, Any]] = []
    for s in document_lines(store, run_id, doc, feed, flt):
        base = {"line": s["line"], "segment": s["seg_id"], "mt": s["mt"], "risk": s["score"]}
        if not s["flags"]:
            rows.append(base)
        for f in s["flags"]:
            d = f["decision"] or {}
            rows.append(
                {
                    **base,
                    "flag_id": f["id"],
                    "code": f["code"],
                    "severity": f["severity"],
                    "category": f["category"],
                    "start": f["span_start"],
                    "end": f["span_end"],
                    "text": f["text"],
                    "reason": f["message"],
                    "suggestions": "; ".join(f["suggestions"]),
                    "evidence": json.dumps(f["evidence"], ensure_ascii=False, sort_keys=True),
                    "decision": d.get("decision", ""),
                    "decided_by": d.get("who", ""),
                }
            )
    return Table(
        "document",
        "Lines and flags",
        [
            Column("line", "Line", "int"),
            Column("segment", "Segment"),
            Column("mt", "MT"),
            Column("risk", "Risk", "score"),
            Column("flag_id", "Flag id", "int"),
            Column("code", "Rule"),
            Column("severity", "Severity", "severity"),
            Column("category", "Category"),
            Column("start", "Start", "int"),
            Column("end", "End", "int"),
            Column("text", "Flagged text"),
            Column("reason", "Reason"),
            Column("suggestions", "Suggestions"),
            Column("evidence", "Evidence"),
            Column("decision", "Decision"),
            Column("decided_by", "By"),
        ],
        rows,
        export_args={"run": str(run_id), "doc": doc},
    )


def decisions_table(store: Store, flt: Filters) -> Table:
    rows = store.latest_decisions(flt.feed)
    if flt.rule:
        rows = [r for r in rows if r["code"].startswith(flt.rule)]
    return Table(
        "decisions",
        "Review decisions (latest per feed and phrase)",
        [
            Column("decided_at", "Time", "time"),
            Column("feed", "Feed"),
            Column("code", "Rule"),
            Column("text", "Flagged text"),
            Column("decision", "Decision"),
            Column("who", "By"),
            Column("reason", "Reason"),
            Column("source", "Source"),
        ],
        rows,
    )
