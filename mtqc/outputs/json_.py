"""JSON and JSON Lines output.

``--format json`` writes one object (``report_to_dict``)::

    {
      "tool": "mtqc",
      "version": "0.1.0",
      "signature": "mtqc:0.1.0|rules:…",        # reproducibility signature
      "mode": "target-only",                    # or reference / source / round-trip
      "created": "2024-01-01T00:00:00Z",
      "inputs": {"mt": "article.txt", …},       # what was read, and run options
      "rules": ["P001", …],                     # rule codes that ran
      "corpus_metrics": {"chrF": {"score": 51.2, "signature": "…"}},
      "summary": {                              # report.summary()
        "segments": 4, "flagged_segments": 2, "flags": 5,
        "by_severity": {"critical": 1, …}, "by_code": {"T101": 2, …},
        "mean_score": 0.31, "max_score": 0.9,
        "documents": {"doc-a": {"segments": …, "flags": …, "mean_score": …, "max_score": …}}
      },
      "segments": [                             # every segment, in input order
        {
          "id": "doc-a:3", "doc": "doc-a", "line": 3, "source_file": "article.txt",
          "mt": "…", "src": null, "ref": null, "bt": null,
          "src_lang": "nl", "tgt_lang": "en",
          "score": 0.42,                        # segment risk, 0 (fine) … 1 (risky)
          "metrics": {"chrF": 48.0},
          "suppressed": 0,                      # flags hidden by a baseline / review
          "flags": [
            {
              "code": "T101", "name": "calque", "segment_id": "doc-a:3",
              "start": 4, "end": 20,            # half-open code-point offsets into
              "text": "spillover action",       #   the text on "side": text == mt[start:end]
              "side": "mt",                     # mt | src | ref | bt
              "severity": "major",              # info | minor | major | critical
              "category": "accuracy/mistranslation",   # MQM category
              "message": "…", "suggestions": ["…"], "evidence": {…},
              "score": null,                    # the flag's own confidence, if any
              "fingerprint": "3f2a…"            # stable id of code + phrase (baselines)
            }
          ]
        }
      ]
    }

Offsets are Unicode code points (Python ``str`` indices), not UTF-16 units or bytes:
in JavaScript use ``Array.from(mt).slice(start, end).join("")``.
NaN and infinite numbers are written as ``null``.

``--format jsonl`` writes one object per input segment, in input order:
``{"id", "doc", "line", "score", "flags": [flag, …]}`` with flags as above.
"""

from __future__ import annotations

import json
from typing import Any

from mtqc.model import Report, SegmentResult
from mtqc.outputs._common import finite


def _segment_fields(result: SegmentResult) -> dict[str, Any]:
    # shares the flags' containers: callers pass it through ``finite``, which copies
    seg = result.segment
    return {
        "id": seg.id,
        "doc": seg.doc_id,
        "line": seg.line,
        "source_file": seg.source_file,
        "mt": seg.mt,
        "src": seg.src,
        "ref": seg.ref,
        "bt": seg.bt,
        "src_lang": seg.src_lang,
        "tgt_lang": seg.tgt_lang,
        "score": result.score,
        "metrics": dict(result.metrics),
        "suppressed": result.suppressed,
        "flags": [f.fields() for f in result.flags],
    }


def report_to_dict(report: Report) -> dict[str, Any]:
    """The whole report as JSON-ready data (the schema in this module's docstring)."""
    return finite(
        {
            "tool": report.tool,
            "version": report.version,
            "signature": report.signature,
            "mode": str(report.mode),
            "created": report.created,
            "inputs": dict(report.inputs),
            "rules": list(report.rules),
            "corpus_metrics": report.corpus_metrics,
            "summary": report.summary(),
            "segments": [_segment_fields(r) for r in report.results],
        }
    )


def render_json(report: Report, *, color: bool = False) -> str:
    """The report as one indented JSON document (UTF-8 text, not ASCII-escaped)."""
    return json.dumps(report_to_dict(report), ensure_ascii=False, indent=2) + "\n"


def jsonl_line(result: SegmentResult) -> str:
    """One segment as a compact JSON line (with its ``\\n``)."""
    r = result
    obj = finite(
        {
            "id": r.segment.id,
            "doc": r.segment.doc_id,
            "line": r.segment.line,
            "score": r.score,
            "flags": [f.fields() for f in r.flags],
        }
    )
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n"


def render_jsonl(report: Report, *, color: bool = False) -> str:
    """One compact JSON object per segment, in input order."""
    return "".join(jsonl_line(r) for r in report.results)
