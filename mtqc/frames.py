"""pandas views of a report (one row per flag, or one row per segment), and the pandas
core of a distributed run: :func:`check_frame`, a frame of segments in, a frame of
results out (:func:`check_partition` underneath, shared with ``mtqc.distributed``).

pandas is imported inside the functions so that ``import mtqc`` stays light.
"""

from __future__ import annotations

import dataclasses
import json
import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mtqc.engine import DEFAULT_BATCH, EngineSettings
from mtqc.errors import UsageError
from mtqc.model import Flag, Mode, Report, Segment, SegmentResult, Severity

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from mtqc.metrics import ReferenceMetrics

#: Columns of :func:`flags_frame`, in order.
FLAG_COLUMNS: tuple[str, ...] = (
    "segment_id",
    "doc",
    "line",
    "source_file",
    "code",
    "name",
    "severity",
    "category",
    "side",
    "start",
    "end",
    "text",
    "message",
    "suggestions",
    "flag_score",
    "fingerprint",
    "score",
)

#: Fixed columns of :func:`segments_frame`, in order (metric columns follow).
SEGMENT_COLUMNS: tuple[str, ...] = (
    "id",
    "doc",
    "line",
    "source_file",
    "mt",
    "score",
    "n_flags",
    "max_severity",
    *(f"n_{s}" for s in sorted(Severity, reverse=True)),
    "suppressed",
)


def flags_frame(report: Report) -> pd.DataFrame:
    """One row per flag, in report order.

    ``severity`` is the lowercase name, ``suggestions`` a list of strings, ``score`` the
    segment's risk score and ``flag_score`` the flag's own score (``None`` when absent).
    """
    import pandas as pd

    rows = []
    for r in report.results:
        seg = r.segment
        for f in r.flags:
            rows.append(
                {
                    "segment_id": seg.id,
                    "doc": seg.doc_id,
                    "line": seg.line,
                    "source_file": seg.source_file,
                    "code": f.code,
                    "name": f.name,
                    "severity": str(f.severity),
                    "category": f.category,
                    "side": f.side,
                    "start": f.start,
                    "end": f.end,
                    "text": f.text,
                    "message": f.message,
                    "suggestions": list(f.suggestions),
                    "flag_score": f.score,
                    "fingerprint": f.fingerprint,
                    "score": r.score,
                }
            )
    return pd.DataFrame(rows, columns=list(FLAG_COLUMNS))


def segments_frame(report: Report) -> pd.DataFrame:
    """One row per segment, in input order: id, doc, line, mt, score, flag counts
    (``n_flags``, ``max_severity``, ``n_critical`` … ``n_info``), then one column per
    metric (named after the metric; ``metric:NAME`` if that clashes with a fixed column).
    """
    import pandas as pd

    metric_names: list[str] = []
    for r in report.results:
        for name in r.metrics:
            if name not in metric_names:
                metric_names.append(name)
    metric_cols = {m: (f"metric:{m}" if m in SEGMENT_COLUMNS else m) for m in metric_names}
    rows = []
    for r in report.results:
        seg = r.segment
        row = {
            "id": seg.id,
            "doc": seg.doc_id,
            "line": seg.line,
            "source_file": seg.source_file,
            "mt": seg.mt,
            "score": r.score,
            "n_flags": len(r.flags),
            "max_severity": str(r.max_severity) if r.max_severity is not None else None,
            "suppressed": r.suppressed,
        }
        for sev in Severity:
            row[f"n_{sev}"] = sum(1 for f in r.flags if f.severity == sev)
        for name, col in metric_cols.items():
            row[col] = r.metrics.get(name)
        rows.append(row)
    return pd.DataFrame(rows, columns=[*SEGMENT_COLUMNS, *metric_cols.values()])


# ----------------------------------------------------------------- the pandas core
#
# ``check_frame``: a pandas frame of segments in, a frame of results out. It is the
# engine-independent core of a distributed run: the Dask engine (``mtqc.distributed``)
# calls the same :func:`check_partition` on each partition of whole documents, and a
# Spark job can call ``check_frame`` from ``mapInPandas`` (README, "Distributed runs").

#: Columns :func:`check_frame` reads (only ``mt`` is required; a missing or null value is
#: ``None``, a missing ``id`` is the row's 1-based position, ``tgt_lang`` defaults to
#: ``"en"``, ``meta`` is a dict or a JSON object string).
INPUT_COLUMNS: tuple[str, ...] = (
    "mt",
    "id",
    "src",
    "ref",
    "bt",
    "src_lang",
    "tgt_lang",
    "doc",
    "line",
    "source_file",
    "meta",
    "mt_column",
)

#: Columns of :func:`check_frame`'s result, in order, one row per input row:
#: ``id``/``doc``/``source_file`` str, ``line`` int, ``score`` float (the segment risk,
#: 0 … 1), ``n_flags`` int, ``max_severity`` str or None, ``codes`` the flags' rule codes
#: comma-separated in report order (``""`` when none), ``metrics`` a JSON object string
#: (per-segment reference metrics and model scores), ``result`` a JSON object string with
#: the whole result (:func:`result_to_json`; :func:`results_from_frame` rebuilds it).
#: As a Spark schema: :data:`SPARK_SCHEMA`.
RESULT_COLUMNS: tuple[str, ...] = (
    "id",
    "doc",
    "line",
    "source_file",
    "score",
    "n_flags",
    "max_severity",
    "codes",
    "metrics",
    "result",
)

#: :data:`RESULT_COLUMNS` as the DDL schema string ``mapInPandas`` asks for.
SPARK_SCHEMA = (
    "id string, doc string, line long, source_file string, score double, n_flags long, "
    "max_severity string, codes string, metrics string, result string"
)


@dataclass
class PartitionResult:
    """What :func:`check_partition` gives back for one partition.

    ``results`` in input order; ``mode`` the mode it ran in; ``metric_statistics`` the
    reference metrics' summed sufficient statistics by metric name (chrF and BLEU n-gram
    counts, TER edits and lengths: whole numbers, so sums over partitions add up exactly,
    in any order) over ``metric_segments`` segments with a reference; ``notices`` the
    run's notices; ``signatures`` each model scorer's signature by name (the scorers that
    ran on a segment of this partition).
    """

    results: list[SegmentResult]
    mode: Mode
    metric_statistics: dict[str, list[Any]] = field(default_factory=dict)
    metric_segments: int = 0
    notices: list[str] = field(default_factory=list)
    signatures: dict[str, str] = field(default_factory=dict)


#: Loaded model scorers by (models, options), once per process: a Dask worker or a Spark
#: Python worker loads the models at its first partition and keeps them.
_SCORERS: dict[str, dict[str, Any]] = {}
_SCORERS_LOCK = threading.Lock()


def cached_scorers(settings: EngineSettings) -> dict[str, Any]:
    """The model scorers ``settings.models`` names, made once per process and kept
    (keyed by the model names and their options); ``{}`` when no model is named. Each
    loads its weights when the engine first needs it (as in a local run) and keeps them.
    Raises :class:`~mtqc.errors.ModelError` / :class:`~mtqc.errors.UsageError` as
    ``mtqc.scorers.load_scorer`` does."""
    if not settings.models:
        return {}
    from mtqc.scorers import load_scorer

    key = json.dumps([settings.models, settings.model_options], sort_keys=True, default=repr)
    with _SCORERS_LOCK:
        scorers = _SCORERS.get(key)
        if scorers is None:
            scorers = {}
            for name in settings.models:
                options = dict(settings.model_options.get(name, {}))
                options.pop("show_flags", None)  # the engine's policy, not the scorer's
                # loaded (``.load()``) by the engine when a batch first has what it needs,
                # then kept loaded here
                scorers[name] = load_scorer(name, **options)
            _SCORERS[key] = scorers
        return scorers


def check_partition(
    segments: Sequence[Segment],
    settings: EngineSettings | None = None,
    *,
    mode: Mode | None = None,
    prepared: bool = False,
    lookahead: Segment | Sequence[Segment] | None = None,
    lookbehind: Sequence[Segment] = (),
    metrics: ReferenceMetrics | None = None,
    batch_size: int = DEFAULT_BATCH,
) -> PartitionResult:
    """Check one partition of segments: the rules, the document-level pass, reference
    metrics, model scorers, suppressions and the risk, as :class:`~mtqc.engine.CheckRun`
    does for the same segments.

    ``mode``: the run's mode (default ``settings.mode``, else detected from these
    segments); it is never *forced* here, so a partition without references in a
    reference-mode run is no error. ``prepared``: the segments already have the run's
    mode applied and languages filled (a distributed run does that once, on the
    driver); otherwise the mode's hidden sides are dropped and a missing source language
    is detected from these segments. ``lookahead`` / ``lookbehind``: the segments after
    the last one and before the first (up to
    :data:`~mtqc.checks.punctuation.QUOTATION_SPAN` each; one segment or a sequence),
    read only so that a quotation running over the partition's ends is seen as a
    single-process run sees it. ``metrics``: a fresh reference-metrics accumulator to
    use (the run's, so a distributed run's per-segment BLEU tokenizer is the run's);
    default a new one for these segments. ``batch_size``: segments per metrics/model
    batch. Model scorers are loaded once per process (:func:`cached_scorers`) unless
    ``settings.scorers`` holds them.

    Raises :class:`~mtqc.errors.UsageError` for an empty partition and whatever the
    rules' settings or the scorers raise.
    """
    from mtqc.checks.punctuation import continued_quotations
    from mtqc.engine import (
        CheckRun,
        _fill_languages,
        _Scorers,
        apply_mode,
        detect_mode,
    )
    from mtqc.metrics import ReferenceMetrics

    settings = settings or EngineSettings()
    segs = list(segments)
    if not segs:
        raise UsageError("nothing to check: no segments")
    if batch_size < 1:
        raise UsageError(f"batch size must be at least 1, not {batch_size}")
    if settings.models and not all(name in settings.scorers for name in settings.models):
        settings = dataclasses.replace(
            settings, scorers={**cached_scorers(settings), **settings.scorers}
        )
    mode = mode or settings.mode or detect_mode(segs)
    if lookahead is None:
        extra: list[Segment] = []
    elif isinstance(lookahead, Segment):
        extra = [lookahead]
    else:
        extra = list(lookahead)
    behind = list(lookbehind)
    if not prepared:
        every = apply_mode(behind + segs + extra, mode, forced=False)
        _fill_languages(every, settings, {})
        behind = every[: len(behind)]
        segs = every[len(behind) : len(behind) + len(segs)]
        extra = every[len(behind) + len(segs) :]
    run = CheckRun((), settings, batch_size=batch_size)
    run.mode = mode
    # the engine's own steps, in its order (CheckRun._run without its reading side)
    run._scorers = _Scorers(settings, run.notices) if settings.models else None
    window = [SegmentResult(segment=s, flags=run._rule_flags(s)) for s in behind + segs + extra]
    continued_quotations(window)
    results = window[len(behind) : len(behind) + len(segs)]
    if metrics is None and settings.reference_metrics() and any(s.ref for s in segs):
        metrics = ReferenceMetrics(segs[0].tgt_lang, settings.reference_metrics())
    out: list[SegmentResult] = []
    for i in range(0, len(results), batch_size):
        out.extend(run._finish(results[i : i + batch_size], metrics))
    part = PartitionResult(results=out, mode=mode, notices=list(run.notices))
    if metrics is not None and metrics.segments:
        part.metric_statistics = metrics.statistics()
        part.metric_segments = metrics.segments
    if run._scorers is not None:
        part.signatures = dict(run._scorers.signatures)
    return part


def merge_metric_statistics(
    total: ReferenceMetrics, statistics: Mapping[str, Sequence[Any]], segments: int
) -> None:
    """Add one partition's summed sufficient statistics (``metric_statistics`` and
    ``metric_segments`` of a :class:`PartitionResult`) to ``total``, an accumulator of
    the same metrics; ``total.corpus()`` then scores all partitions together, equal to
    one run over all segments (the statistics are whole numbers)."""
    total.merge(statistics, segments)


def segments_from_frame(frame: pd.DataFrame) -> list[Segment]:
    """The segments of a frame with :data:`INPUT_COLUMNS` (one per row, in row order).

    Raises :class:`~mtqc.errors.UsageError` naming the row when ``mt`` is missing or not
    a string, a text holds a character no output can hold (NUL, an unpaired surrogate),
    or ``meta`` is neither a dict nor a JSON object string.
    """
    from mtqc.readers.textcheck import forbidden_char

    if "mt" not in frame.columns:
        raise UsageError(
            f"the segments frame needs an 'mt' column (has: {', '.join(map(str, frame.columns))})"
        )
    unknown = [c for c in frame.columns if c not in INPUT_COLUMNS]
    if unknown:
        raise UsageError(
            f"the segments frame has unknown column(s) {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(INPUT_COLUMNS)}"
        )
    cols = {c: frame[c].tolist() for c in frame.columns}
    out = []
    for i in range(len(frame)):
        row = {c: _cell(values[i]) for c, values in cols.items()}
        where = f"segments frame row {i}"
        for key in ("mt", "src", "ref", "bt", "src_lang", "tgt_lang", "doc", "source_file"):
            v = row.get(key)
            if v is None:
                continue
            if not isinstance(v, str):
                raise UsageError(f"{where}: {key!r} must be a string, not {type(v).__name__}")
            problem = forbidden_char(v)
            if problem:
                raise UsageError(f"{where}: {key!r} holds {problem}")
        if row.get("mt") is None:
            raise UsageError(f"{where}: 'mt' is missing")
        meta = row.get("meta") or {}
        if isinstance(meta, str):
            try:
                meta = json.loads(meta)
            except ValueError:
                meta = None
        if not isinstance(meta, dict):
            raise UsageError(f"{where}: 'meta' must be a dict or a JSON object string")
        ident = row.get("id")
        line = row.get("line")
        column = row.get("mt_column", 0) if "mt_column" in row else 0
        out.append(
            Segment(
                id=str(ident if ident is not None else i + 1),
                mt=row["mt"],
                src=row.get("src") or None,
                ref=row.get("ref") or None,
                bt=row.get("bt") or None,
                src_lang=row.get("src_lang"),
                tgt_lang=row.get("tgt_lang") or "en",
                doc_id=row.get("doc") or "",
                line=int(line) if line is not None else i + 1,
                source_file=row.get("source_file") or "",
                meta=meta,
                mt_column=int(column) if column is not None else None,
            )
        )
    return out


def frame_from_segments(segments: Iterable[Segment]) -> pd.DataFrame:
    """A frame with :data:`INPUT_COLUMNS` holding ``segments`` (``meta`` as dicts), the
    inverse of :func:`segments_from_frame`."""
    import pandas as pd

    rows = [
        {
            "mt": s.mt,
            "id": s.id,
            "src": s.src,
            "ref": s.ref,
            "bt": s.bt,
            "src_lang": s.src_lang,
            "tgt_lang": s.tgt_lang,
            "doc": s.doc_id,
            "line": s.line,
            "source_file": s.source_file,
            "meta": dict(s.meta),
            "mt_column": s.mt_column,
        }
        for s in segments
    ]
    return pd.DataFrame(rows, columns=list(INPUT_COLUMNS), dtype=object)


def result_to_json(result: SegmentResult) -> str:
    """One result as a JSON object string: ``{"segment": {every Segment field},
    "flags": [Flag.to_dict()], "metrics", "score", "suppressed"}`` (non-JSON values in
    evidence or metadata are written with ``repr``)."""
    seg = result.segment
    return json.dumps(
        {
            "segment": {name: getattr(seg, name) for name in Segment.__slots__},
            "flags": [f.to_dict() for f in result.flags],
            "metrics": dict(result.metrics),
            "score": result.score,
            "suppressed": result.suppressed,
        },
        ensure_ascii=False,
        default=repr,
    )


def result_from_json(text: str) -> SegmentResult:
    """The :class:`SegmentResult` of :func:`result_to_json`'s string (tuples in evidence
    come back as lists)."""
    data = json.loads(text)
    flags = [
        Flag(**{**f, "severity": Severity.parse(f["severity"])}) for f in data.get("flags", [])
    ]
    return SegmentResult(
        segment=Segment(**data["segment"]),
        flags=flags,
        metrics=dict(data.get("metrics", {})),
        score=data.get("score", 0.0),
        suppressed=data.get("suppressed", 0),
    )


def results_frame(results: Iterable[SegmentResult]) -> pd.DataFrame:
    """One row per result with :data:`RESULT_COLUMNS`."""
    import pandas as pd

    rows = []
    for r in results:
        seg = r.segment
        rows.append(
            (
                seg.id,
                seg.doc_id,
                seg.line,
                seg.source_file,
                float(r.score),
                len(r.flags),
                str(r.max_severity) if r.max_severity is not None else None,
                ",".join(f.code for f in r.flags),
                json.dumps(r.metrics, default=repr),
                result_to_json(r),
            )
        )
    frame = pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
    return frame.astype({"line": "int64", "n_flags": "int64", "score": "float64"})


def results_from_frame(frame: pd.DataFrame) -> list[SegmentResult]:
    """The results of a :func:`check_frame` frame, rebuilt from its ``result`` column."""
    return [result_from_json(text) for text in frame["result"].tolist()]


def check_frame(
    segments: pd.DataFrame,
    settings: EngineSettings | None = None,
    *,
    batch_size: int = DEFAULT_BATCH,
) -> pd.DataFrame:
    """Check a pandas frame of segments; a frame of results, one row per input row, in
    row order (columns :data:`RESULT_COLUMNS`).

    ``segments`` has :data:`INPUT_COLUMNS` (``mt`` required). Keep each document's rows
    together and in order: a quotation that runs over several paragraphs is seen within
    one frame. ``settings`` as for :func:`~mtqc.engine.check_segments`; pass
    ``settings.mode`` (and ``src_lang``) when frames are partitions of a larger corpus,
    or each frame detects its own. Model scorers load once per process. The frame's
    ``attrs["mtqc"]`` holds the partition's ``mode``, ``notices``, model ``signatures``
    and ``metric_statistics`` / ``metric_segments`` (see :class:`PartitionResult`; add
    them up over partitions with :func:`merge_metric_statistics` for corpus scores).

    Raises :class:`~mtqc.errors.UsageError` for a bad frame (see
    :func:`segments_from_frame`) or an empty one.
    """
    part = check_partition(segments_from_frame(segments), settings, batch_size=batch_size)
    frame = results_frame(part.results)
    frame.attrs["mtqc"] = {
        "mode": str(part.mode),
        "notices": part.notices,
        "signatures": part.signatures,
        "metric_statistics": part.metric_statistics,
        "metric_segments": part.metric_segments,
    }
    return frame


def _cell(value: Any) -> Any:
    """A frame cell as a plain value: None for a missing one (None, NaN, pandas NA)."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if type(value).__name__ in ("NAType", "NaTType"):
        return None
    if hasattr(value, "item") and not isinstance(value, str | dict | list):
        try:
            return value.item()  # numpy scalars
        except (AttributeError, ValueError):
            return value
    return value
