"""GitHub Actions workflow commands: one annotation per flag.

``::error file=F,line=L,endLine=L,col=C,endColumn=E,title=CODE name::message`` —
``error`` for critical/major, ``warning`` for minor, ``notice`` for info. Columns are
1-based code points on the file's line (given only when the reader knows where the MT
sits on it: ``Segment.mt_column``); ``endColumn`` is inclusive, as GitHub reads it. Values are escaped
as the runner expects (``%``, CR and LF everywhere; ``:`` and ``,`` in properties too),
so text from the input cannot end the command early or start another one.
"""

from __future__ import annotations

from mtqc.model import Flag, Report, SegmentResult, Severity
from mtqc.outputs._common import SIDE_LABELS, relative_path, suggestion_label

COMMANDS: dict[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.MAJOR: "error",
    Severity.MINOR: "warning",
    Severity.INFO: "notice",
}


def escape_data(text: str) -> str:
    """Escape a command's message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a command property value."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(result: SegmentResult, flag: Flag) -> str:
    seg = result.segment
    props: list[tuple[str, str]] = []
    if seg.source_file:
        props.append(("file", relative_path(seg.source_file)))
    if seg.line:
        props += [("line", str(seg.line)), ("endLine", str(seg.line))]
        if flag.side == "mt" and seg.mt_column is not None:
            col = seg.mt_column
            props += [
                ("col", str(col + flag.start + 1)),
                ("endColumn", str(col + max(flag.end, flag.start + 1))),
            ]
    props.append(("title", f"{flag.code} {flag.name}"))
    message = f"[{flag.severity}] {flag.message}"
    if flag.side != "mt":
        message += f" (in the {SIDE_LABELS.get(flag.side, flag.side)}: {flag.text!r})"
    elif flag.text:
        message += f' ("{flag.text}")'
    if flag.suggestions:
        message += " → " + " | ".join(suggestion_label(s) for s in flag.suggestions)
    prop_text = ",".join(f"{k}={escape_property(v)}" for k, v in props)
    return f"::{COMMANDS[flag.severity]} {prop_text}::{escape_data(message)}"


def render_github(report: Report, *, color: bool = False) -> str:
    """One workflow command per flag, in report order."""
    return "".join(_command(r, f) + "\n" for r in report.results for f in r.flags)
