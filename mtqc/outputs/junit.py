"""JUnit XML output (CI systems that show test reports).

One ``<testsuite>`` per document, one ``<testcase>`` per segment (``classname`` = the
document, ``name`` = ``line N: <first 60 characters of the MT>``). A segment fails when
one of its flags reaches the ``--fail-on`` threshold (``report.inputs["fail_on"]``,
default ``major``); the failure text lists those flags. Flags below the threshold are
listed in ``<system-out>``. Characters that XML 1.0 forbids (most control characters,
lone surrogates, U+FFFE/U+FFFF) are replaced with U+FFFD.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from mtqc.model import Flag, Report, SegmentResult, Severity
from mtqc.outputs._common import (
    fail_on,
    format_score,
    location,
    sorted_flags,
    suggestion_label,
)

NAME_CHARS = 60
_XML_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: object) -> str:
    """``text`` with characters XML 1.0 cannot carry replaced by U+FFFD."""
    return _XML_FORBIDDEN.sub("\ufffd", str(text))


def _flag_text(flag: Flag) -> str:
    line = f"{flag.code} {flag.severity} [{flag.start}:{flag.end}] {flag.text!r}: {flag.message}"
    if flag.side != "mt":
        line += f" (on {flag.side})"
    if flag.suggestions:
        line += " → " + " | ".join(suggestion_label(s) for s in flag.suggestions)
    return line


def _testcase(parent: ET.Element, result: SegmentResult, threshold: Severity | None) -> bool:
    seg = result.segment
    first = " ".join(seg.mt.split())
    if len(first) > NAME_CHARS:
        first = first[:NAME_CHARS] + "…"
    case = ET.SubElement(
        parent,
        "testcase",
        classname=xml_safe(seg.doc_id or seg.source_file or "mtqc"),
        name=xml_safe(f"line {seg.line}: {first}"),
        file=xml_safe(seg.source_file),
        line=str(seg.line),
        time="0",
    )
    flags = sorted_flags(result.flags)
    failing = [f for f in flags if threshold is not None and f.severity >= threshold]
    other = [f for f in flags if f not in failing]
    if failing:
        worst = max(f.severity for f in failing)
        codes = ", ".join(dict.fromkeys(f.code for f in failing))
        failure = ET.SubElement(
            case,
            "failure",
            message=xml_safe(
                f"{len(failing)} flag(s) at or above {threshold}: {codes}"
                f" (risk {format_score(result.score)})"
            ),
            type=str(worst),
        )
        failure.text = xml_safe(
            f"{location(result)}\n{seg.mt}\n" + "\n".join(_flag_text(f) for f in failing)
        )
    if other:
        out = ET.SubElement(case, "system-out")
        out.text = xml_safe("\n".join(_flag_text(f) for f in other))
    return bool(failing)


def render_junit(report: Report, *, color: bool = False) -> str:
    """The report as JUnit XML (UTF-8)."""
    threshold = fail_on(report)
    root = ET.Element("testsuites", name="mtqc")
    total = failures = 0
    for doc_id, results in report.documents().items():
        suite = ET.SubElement(
            root,
            "testsuite",
            name=xml_safe(doc_id or results[0].segment.source_file or "mtqc"),
            tests=str(len(results)),
            errors="0",
            skipped="0",
            time="0",
        )
        n_fail = sum(_testcase(suite, r, threshold) for r in results)
        suite.set("failures", str(n_fail))
        total += len(results)
        failures += n_fail
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", "0")
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
