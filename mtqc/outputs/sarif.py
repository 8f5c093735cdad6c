"""SARIF 2.1.0 output (GitHub code scanning, IDEs, other static-analysis viewers).

One run; ``tool.driver.rules`` describes every rule that ran or flagged something
(``id`` = the rule code). Each flag is a result whose region is the segment's line and
the span's columns on that line, counted in Unicode code points from 1 (``columnKind:
"unicodeCodePoints"``), when the reader knows where the MT text sits on the line
(``Segment.mt_column``: plain text, and TSV/CSV/JSONL lines that hold the MT verbatim);
otherwise, and for flags on the source, reference or back-translation side, the line
only (with the flagged text as the snippet). Levels: critical/major → ``error``,
minor → ``warning``, info → ``note``. ``partialFingerprints["mtqc/v1"]`` is the flag's
fingerprint (rule + phrase), so baselines survive edits elsewhere in the file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from mtqc.model import Flag, Report, SegmentResult, Severity
from mtqc.outputs._common import SIDE_LABELS, finite, relative_path, suggestion_label

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "mtqc/v1"

LEVELS: dict[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.MAJOR: "error",
    Severity.MINOR: "warning",
    Severity.INFO: "note",
}


def all_rules() -> dict[str, Any]:
    """The registered rules (indirection so tests can substitute a registry)."""
    from mtqc.checks.base import all_rules as registry

    return registry()


def _rule_descriptor(code: str, registered: Any | None, example: Flag | None) -> dict[str, Any]:
    if registered is not None:
        doc = (registered.doc or "").strip()
        summary = registered.summary
        return {
            "id": code,
            "name": registered.name,
            "shortDescription": {"text": summary},
            "fullDescription": {"text": doc or summary},
            "defaultConfiguration": {"level": LEVELS[registered.severity]},
            "properties": {
                "category": registered.category,
                "severity": str(registered.severity),
            },
        }
    # Not in the registry: a model scorer (M-codes) or a rule from a plugin.
    name = example.name if example else code.lower()
    text = f"{name.replace('-', ' ')} ({code}, reported by a model scorer or plugin)"
    desc: dict[str, Any] = {
        "id": code,
        "name": name,
        "shortDescription": {"text": text},
        "fullDescription": {"text": text},
    }
    if example is not None:
        desc["defaultConfiguration"] = {"level": LEVELS[example.severity]}
        desc["properties"] = {"category": example.category}
    return desc


def artifact_uri(result: SegmentResult) -> str:
    """The segment's file as a URI reference: relative to the working directory when it
    lies under it, else a ``file://`` URI; without a file, the document id."""
    seg = result.segment
    if not seg.source_file:
        return quote(seg.doc_id or "stdin", safe="")
    path = relative_path(seg.source_file)
    if Path(path).is_absolute():
        return Path(path).as_uri()
    # ':' is escaped too, so that a relative path never reads as a URI scheme
    return quote(path, safe="/!$&'()*+,;=@-._~")


def _message(flag: Flag) -> str:
    msg = flag.message
    if flag.side != "mt":
        msg += f" (in the {SIDE_LABELS.get(flag.side, flag.side)}: {flag.text!r})"
    if flag.suggestions:
        msg += " Suggested: " + " | ".join(suggestion_label(s) for s in flag.suggestions) + "."
    return msg


def _result(result: SegmentResult, flag: Flag, rule_index: int) -> dict[str, Any]:
    seg = result.segment
    region: dict[str, Any] = {"startLine": max(1, seg.line)}
    if flag.side == "mt":
        if seg.mt_column is not None:
            region["startColumn"] = seg.mt_column + flag.start + 1
            region["endColumn"] = seg.mt_column + flag.end + 1
        region["snippet"] = {"text": flag.text}
    out: dict[str, Any] = {
        "ruleId": flag.code,
        "ruleIndex": rule_index,
        "level": LEVELS[flag.severity],
        "message": {"text": _message(flag)},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": artifact_uri(result)},
                    "region": region,
                },
                "logicalLocations": [{"name": seg.id, "kind": "segment"}],
            }
        ],
        "properties": {
            "severity": str(flag.severity),
            "category": flag.category,
            "suggestions": list(flag.suggestions),
            "side": flag.side,
            "segment": seg.id,
            "document": seg.doc_id,
            "segmentScore": result.score,
        },
    }
    if flag.fingerprint:
        out["partialFingerprints"] = {FINGERPRINT_KEY: flag.fingerprint}
    if flag.score is not None:
        out["properties"]["score"] = flag.score
    if flag.evidence:
        out["properties"]["evidence"] = flag.evidence
    return out


def report_to_sarif(
    report: Report,
    *,
    examples: dict[str, Flag] | None = None,
    results: list[Any] | None = None,
) -> dict[str, Any]:
    """The report as a SARIF 2.1.0 log (a dict). A streamed run gives the first flag of
    each code (``examples``) and its ``results`` (the writer fills them in)."""
    if examples is None:
        examples = {}
        for f in report.flags:
            examples.setdefault(f.code, f)
    codes = sorted(set(report.rules) | set(examples))
    registry = all_rules() if codes else {}
    rules = [_rule_descriptor(c, registry.get(c), examples.get(c)) for c in codes]
    index = {c: i for i, c in enumerate(codes)}
    if results is None:
        results = [_result(r, f, index[f.code]) for r in report.results for f in r.flags]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": report.tool or "mtqc",
                "version": report.version or "0",
                "rules": rules,
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {
            "mode": str(report.mode),
            "signature": report.signature,
            "corpusMetrics": report.corpus_metrics,
        },
    }
    if report.created:
        run["properties"]["created"] = report.created
    return finite({"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]})


def render_sarif(report: Report, *, color: bool = False) -> str:
    """The report as SARIF 2.1.0 JSON."""
    return json.dumps(report_to_sarif(report), ensure_ascii=False, indent=2) + "\n"
