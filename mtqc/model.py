"""The data model: segments in, flags and scores out. Standard library only.

Everything that crosses a module boundary is one of these types:

* :class:`Segment` — one unit of translated text with its optional companions
  (source, reference, back-translation) and where it came from (file, line).
* :class:`Hit` — what a rule yields: a span and a message. The engine turns hits into
* :class:`Flag` — a stamped, self-describing finding with code, severity, category.
* :class:`SegmentResult` — a segment with its flags, metrics and risk score.
* :class:`Report` — a whole run: results, summaries, signature, mode.
"""

from __future__ import annotations

import copy
import enum
from dataclasses import dataclass, field
from typing import Any


class Severity(enum.IntEnum):
    """MQM severity, ordered: ``info < minor < major < critical``."""

    INFO = 0
    MINOR = 1
    MAJOR = 2
    CRITICAL = 3

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str | Severity) -> Severity:
        if isinstance(value, Severity):
            return value
        try:
            return cls[str(value).strip().upper()]
        except KeyError:
            names = ", ".join(str(s) for s in cls)
            raise ValueError(f"unknown severity {value!r} (use one of: {names})") from None


#: MQM / ITS 2.0 category names used by mtqc (lowercase, ``dimension/type``).
CATEGORIES: tuple[str, ...] = (
    "accuracy/mistranslation",
    "accuracy/untranslated",
    "accuracy/omission",
    "accuracy/addition",
    "fluency/grammar",
    "fluency/punctuation",
    "fluency/spelling",
    "fluency/register",
    "fluency/inconsistency",
    "style/awkward",
    "terminology/inappropriate",
    "locale/convention",
    "other",
)


class Mode(enum.StrEnum):
    """What the checker compares the MT against."""

    TARGET = "target-only"
    REFERENCE = "reference"
    SOURCE = "source"
    ROUND_TRIP = "round-trip"

    def __str__(self) -> str:
        return self.value


@dataclass(slots=True)
class Segment:
    """One translated unit.

    ``bt`` is a back-translation of ``mt`` into the source language. ``line`` is the
    1-based line of the segment in its input file (for XML inputs, the line of the
    element), ``source_file`` the file it came from. ``mt_column`` is the 0-based
    code-point column where the MT text starts on that line when the reader knows it
    exactly (0 for plain text; the field's position in a TSV/CSV/JSONL line that holds
    the MT verbatim); None when the MT is not written as-is on one line (escaped, quoted
    with doubled quotes, spread over lines, inside XML): outputs then point to the line.
    """

    id: str
    mt: str
    src: str | None = None
    ref: str | None = None
    bt: str | None = None
    src_lang: str | None = None
    tgt_lang: str = "en"
    doc_id: str = ""
    line: int = 0
    source_file: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    mt_column: int | None = 0


@dataclass(slots=True, frozen=True)
class Hit:
    """A rule's finding before the engine stamps it: half-open code-point span."""

    start: int
    end: int
    message: str
    suggestions: tuple[str, ...] = ()
    evidence: dict[str, Any] | None = None
    severity: Severity | None = None  # overrides the rule's default when set
    side: str = "mt"


@dataclass(slots=True)
class Flag:
    """A finding on a segment.

    ``start``/``end`` are half-open code-point offsets into the text on ``side``
    (``mt`` unless said otherwise); ``text`` repeats the span so any reader can verify
    the offsets; ``evidence`` says why.
    """

    code: str
    name: str
    segment_id: str
    start: int
    end: int
    text: str
    severity: Severity
    category: str
    message: str
    suggestions: list[str] = field(default_factory=list)
    score: float | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    side: str = "mt"
    fingerprint: str = ""

    @property
    def is_model_hint(self) -> bool:
        """A model flag kept as an ``info`` hint by the precision-first flag policy
        (``evidence["below_show_at"]``): in the report, but not a finding."""
        return self.severity == Severity.INFO and "below_show_at" in self.evidence

    def to_dict(self) -> dict[str, Any]:
        """The flag's fields as a new dict (severity as its lowercase name; suggestions
        and evidence copied, so the dict can be changed without touching the flag)."""
        d = self.fields()
        d["suggestions"] = list(self.suggestions)
        d["evidence"] = copy.deepcopy(self.evidence) if self.evidence else {}
        return d

    def fields(self) -> dict[str, Any]:
        """The flag's fields as a dict that shares ``suggestions`` and ``evidence`` with
        the flag (severity as its lowercase name): for writers that copy it anyway."""
        return {
            "code": self.code,
            "name": self.name,
            "segment_id": self.segment_id,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "severity": str(self.severity),
            "category": self.category,
            "message": self.message,
            "suggestions": self.suggestions,
            "score": self.score,
            "evidence": self.evidence,
            "side": self.side,
            "fingerprint": self.fingerprint,
        }


@dataclass(slots=True)
class SegmentResult:
    """A segment with what the checker found on it."""

    segment: Segment
    flags: list[Flag] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)
    score: float = 0.0
    suppressed: int = 0  # flags hidden by a baseline or a review decision

    @property
    def max_severity(self) -> Severity | None:
        return max((f.severity for f in self.flags), default=None)


@dataclass(slots=True)
class Report:
    """A whole run."""

    results: list[SegmentResult]
    mode: Mode
    tool: str = "mtqc"
    version: str = ""
    signature: str = ""
    corpus_metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)
    rules: list[str] = field(default_factory=list)
    created: str = ""
    #: the summary when it was accumulated while results streamed by (then ``results``
    #: may hold only some of the run, or none); None: computed from ``results``
    summary_data: dict[str, Any] | None = None

    @property
    def flags(self) -> list[Flag]:
        return [f for r in self.results for f in r.flags]

    def documents(self) -> dict[str, list[SegmentResult]]:
        docs: dict[str, list[SegmentResult]] = {}
        for r in self.results:
            docs.setdefault(r.segment.doc_id, []).append(r)
        return docs

    def summary(self) -> dict[str, Any]:
        """Per-run and per-document figures: counts by severity and code, mean risk."""
        if self.summary_data is not None:
            return self.summary_data
        from mtqc.scoring import summarize  # local: scoring imports model

        return summarize(self)

    def to_dict(self) -> dict[str, Any]:
        from mtqc.outputs.json_ import report_to_dict

        return report_to_dict(self)

    def to_pandas(self):  # -> pandas.DataFrame
        """One row per flag, with the segment id, line, document and score."""
        from mtqc.frames import flags_frame

        return flags_frame(self)

    def segments_frame(self):  # -> pandas.DataFrame
        """One row per segment: id, doc, line, mt, score, flag counts and metrics."""
        from mtqc.frames import segments_frame

        return segments_frame(self)
