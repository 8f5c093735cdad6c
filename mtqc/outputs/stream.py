"""Streamed output: results are written as the engine gives them, batch by batch.

:func:`streamer` returns, for a format, an object with ``add(result)`` (called for each
:class:`~mtqc.model.SegmentResult`, in input order) and ``finish(report)`` (called once
with the run's :class:`~mtqc.model.Report`: signature, corpus metrics, the accumulated
summary, and no results). The bytes written are those of the format's ``render``
function over the whole report:

* ``jsonl``, ``github``: one line per segment / flag as it comes;
* ``text``: each flagged segment as it comes, the summary at the end;
* ``csv``: the header, then the rows of each batch;
* ``sarif``: the results go to a temporary spool file (on disk) and are copied into the
  log at the end, after the rule descriptors that have to come first;
* ``junit``: the test cases go to a spool file, grouped per document at the end (the
  suite's counts come before its cases);
* ``json``, ``html``: **hold the whole run in memory** (every segment with its flags),
  rendered at the end; use ``jsonl``/``csv``/``sarif`` for large inputs.
"""

from __future__ import annotations

import codecs
import json
import re
import shutil
import tempfile
import xml.etree.ElementTree as ET
from typing import Any

from mtqc.model import Flag, Report, SegmentResult
from mtqc.outputs._common import finite
from mtqc.outputs._write import Sink

#: formats that keep every result until the end of the run
HOLDS_RUN = frozenset({"json", "html"})
#: CSV rows are rendered this many segments at a time
CSV_BATCH = 1000


class _Streamer:
    def __init__(self, sink: Sink, *, color: bool = False, fail_on: str = "major"):
        self.sink = sink
        self.color = color
        self.fail_on = fail_on

    def add(self, result: SegmentResult) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def finish(self, report: Report) -> None:
        pass


class _Held(_Streamer):
    """json / html: keep the results, render the whole report at the end."""

    def __init__(self, fmt: str, sink: Sink, **kw: Any):
        super().__init__(sink, **kw)
        self.fmt = fmt
        self.results: list[SegmentResult] = []

    def add(self, result: SegmentResult) -> None:
        self.results.append(result)

    def finish(self, report: Report) -> None:
        from mtqc.outputs import render

        report.results = self.results
        self.sink.write(render(report, self.fmt, color=self.color))


class _Jsonl(_Streamer):
    def add(self, result: SegmentResult) -> None:
        from mtqc.outputs.json_ import jsonl_line

        self.sink.write(jsonl_line(result))


class _Github(_Streamer):
    def add(self, result: SegmentResult) -> None:
        from mtqc.outputs.github import _command

        self.sink.write("".join(_command(result, f) + "\n" for f in result.flags))


class _Text(_Streamer):
    def add(self, result: SegmentResult) -> None:
        from mtqc.outputs.text import render_segment

        lines = render_segment(result, color=self.color) if result.flags else []
        if lines:  # a line with model hints only prints nothing
            self.sink.write("\n".join(lines) + "\n\n")

    def finish(self, report: Report) -> None:
        from mtqc.outputs.text import render_summary

        self.sink.write("\n".join(render_summary(report, color=self.color)) + "\n")


class _Csv(_Streamer):
    def __init__(self, sink: Sink, **kw: Any):
        super().__init__(sink, **kw)
        self.pending: list[SegmentResult] = []
        self.header = False

    def add(self, result: SegmentResult) -> None:
        self.pending.append(result)
        if len(self.pending) >= CSV_BATCH:
            self._flush()

    def _flush(self) -> None:
        from mtqc.model import Mode
        from mtqc.outputs.csv_ import render_csv

        text = render_csv(Report(results=self.pending, mode=Mode.TARGET))
        if self.header:
            text = text.split("\n", 1)[1]
        self.header = True
        self.sink.write(text)
        self.pending = []

    def finish(self, report: Report) -> None:
        if self.pending or not self.header:
            self._flush()


_RULE_INDEX = re.compile(r'^( {10}"ruleIndex": )("[^"]*"|\d+)(,?\n?)$')


class _Sarif(_Streamer):
    """Results are spooled as SARIF text (indented as in the log); rule indexes of codes
    not among the run's rules (model scorers) are fixed when the spool is copied."""

    def __init__(self, sink: Sink, *, rules: list[str], **kw: Any):
        super().__init__(sink, **kw)
        self.spool = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")  # noqa: SIM115
        self.codes = sorted(set(rules))
        self.index = {c: i for i, c in enumerate(self.codes)}
        self.examples: dict[str, Flag] = {}
        self.count = 0

    def add(self, result: SegmentResult) -> None:
        from mtqc.outputs.sarif import _result

        for f in result.flags:
            self.examples.setdefault(f.code, f)
            index: Any = self.index.get(f.code, f.code)  # a code stands in until the end
            text = json.dumps(finite(_result(result, f, index)), ensure_ascii=False, indent=2)
            self.spool.write((",\n" if self.count else "") + _indent(text, 8))
            self.count += 1

    def finish(self, report: Report) -> None:
        from mtqc.outputs.sarif import report_to_sarif

        if not self.count:
            head = report_to_sarif(report, examples=self.examples, results=[])
            self.sink.write(json.dumps(head, ensure_ascii=False, indent=2) + "\n")
            self.spool.close()
            return
        head = report_to_sarif(report, examples=self.examples, results=["\0results"])
        text = json.dumps(head, ensure_ascii=False, indent=2) + "\n"
        before, after = text.split('        "\\u0000results"', 1)
        final = {d["id"]: i for i, d in enumerate(head["runs"][0]["tool"]["driver"]["rules"])}
        self.sink.write(before)
        self.spool.seek(0)
        if all(self.index.get(c) == final[c] for c in self.examples):
            shutil.copyfileobj(self.spool, _Writer(self.sink), 1 << 20)
        else:
            old = {str(i): c for c, i in self.index.items()}
            for line in self.spool:
                m = _RULE_INDEX.match(line)
                if m:
                    value = m.group(2)
                    code = json.loads(value) if value.startswith('"') else old[value]
                    line = f"{m.group(1)}{final[code]}{m.group(3)}"
                self.sink.write(line)
        self.spool.close()
        self.sink.write(after)


class _Writer:
    """A file-like ``write`` for :func:`shutil.copyfileobj`."""

    def __init__(self, sink: Sink):
        self.write = sink.write


def _indent(text: str, n: int) -> str:
    pad = " " * n
    return pad + text.replace("\n", "\n" + pad)


class _Junit(_Streamer):
    """Test cases are spooled as XML text; each document's runs of cases are remembered
    (offset, length) so that suites group their cases as the whole-report writer does."""

    def __init__(self, sink: Sink, **kw: Any):
        super().__init__(sink, **kw)
        self.spool = tempfile.TemporaryFile("w+b")  # noqa: SIM115
        self.docs: dict[str, dict[str, Any]] = {}
        self.last_doc: str | None = None
        from mtqc.model import Mode
        from mtqc.outputs._common import fail_on

        self.threshold = fail_on(
            Report(results=[], mode=Mode.TARGET, inputs={"fail_on": self.fail_on})
        )

    def add(self, result: SegmentResult) -> None:
        from mtqc.outputs.junit import _testcase

        suite = ET.Element("testsuite")
        failed = _testcase(suite, result, self.threshold)
        case = suite[0]
        ET.indent(case, space="  ", level=2)
        case.tail = None
        data = ("    " + ET.tostring(case, encoding="unicode")).encode("utf-8")
        doc_id = result.segment.doc_id
        d = self.docs.get(doc_id)
        if d is None:
            d = self.docs[doc_id] = {
                "first": result.segment.source_file,
                "tests": 0,
                "failures": 0,
                "chunks": [],
            }
        d["tests"] += 1
        d["failures"] += int(failed)
        pos = self.spool.tell()
        self.spool.write(data + b"\n")
        chunks = d["chunks"]
        if chunks and self.last_doc == doc_id and chunks[-1][0] + chunks[-1][1] == pos:
            chunks[-1][1] += len(data) + 1
        else:
            chunks.append([pos, len(data) + 1])
        self.last_doc = doc_id

    def finish(self, report: Report) -> None:
        from mtqc.outputs.junit import xml_safe

        total = sum(d["tests"] for d in self.docs.values())
        failures = sum(d["failures"] for d in self.docs.values())
        root = ET.Element("testsuites", name="mtqc")
        root.set("tests", str(total))
        root.set("failures", str(failures))
        root.set("errors", "0")
        self.sink.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        self.sink.write(_start_tag(root) + "\n")
        for doc_id, d in self.docs.items():
            suite = ET.Element(
                "testsuite",
                name=xml_safe(doc_id or d["first"] or "mtqc"),
                tests=str(d["tests"]),
                errors="0",
                skipped="0",
                time="0",
            )
            suite.set("failures", str(d["failures"]))
            self.sink.write("  " + _start_tag(suite) + "\n")
            decoder = codecs.getincrementaldecoder("utf-8")()
            for pos, length in d["chunks"]:
                self.spool.seek(pos)
                remaining = length
                while remaining:
                    block = self.spool.read(min(remaining, 1 << 20))
                    remaining -= len(block)
                    self.sink.write(decoder.decode(block, final=not remaining))
            self.sink.write("  </testsuite>\n")
        self.sink.write("</testsuites>\n")
        self.spool.close()


def _start_tag(elem: ET.Element) -> str:
    text = ET.tostring(elem, encoding="unicode")
    return text.removesuffix(" />") + ">"


def streamer(
    fmt: str, sink: Sink, *, color: bool = False, fail_on: str = "major", rules: list[str]
) -> _Streamer:
    """The streamed writer for ``fmt`` (a key of :data:`mtqc.outputs.FORMATS`)."""
    if fmt in HOLDS_RUN:
        return _Held(fmt, sink, color=color, fail_on=fail_on)
    if fmt == "sarif":
        return _Sarif(sink, rules=rules, color=color, fail_on=fail_on)
    cls = {"jsonl": _Jsonl, "github": _Github, "text": _Text, "csv": _Csv, "junit": _Junit}[fmt]
    return cls(sink, color=color, fail_on=fail_on)


__all__ = ["HOLDS_RUN", "streamer"]
