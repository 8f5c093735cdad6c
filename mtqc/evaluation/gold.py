"""Gold (human-annotated) error spans: the readers and the :class:`GoldItem` they yield.

Two formats are read.

**MQM JSONL** (``fmt="mqm-jsonl"``), as in ``benchmarks/mqm-ted21.zh-en.jsonl`` and
``benchmarks/nlnews-dev.nl-en.jsonl``: one JSON object per line with ``id``, ``hyp`` (the
MT; ``mt`` is accepted too), optional ``src``, ``ref``, ``bt`` (a back-translation of the
MT), ``doc``, ``seg``, ``system``, ``lp`` (``nl-en``; or ``src_lang`` and ``tgt_lang``),
``is_human``, and ``spans``: a list of ``{start, end, severity, category?,
nontranslation?}`` (other span fields are ignored). Offsets are half-open code-point
offsets into ``hyp``. ``mqm_score`` and ``has_major`` are used when present, computed from
the spans otherwise (see :func:`mqm_penalty`; ``GoldItem.mqm_given`` tells which).

**WMT QE error-span TSV** (``fmt="wmt-tsv"``): the layout of the WMT23 and WMT24 Quality
Estimation shared task 2, "fine-grained error span detection"
(https://wmt-qe-task.github.io/wmt-qe-2023/subtasks/task2 and
https://www2.statmt.org/wmt24/qe-subtask2.html; gold files and the official scorer in the
public repositories ``WMT-QE-Task/wmt-qe-2023-data`` and ``WMT-QE-Task/qe-eval-scripts``).
Tab-separated, one segment per row, in one of two column layouts:

* 7 columns, the submission / test-gold layout:
  ``<LANGUAGE PAIR> <METHOD NAME> <SEGMENT NUMBER> <TARGET SENTENCE> <ERROR START INDICES>
  <ERROR END INDICES> <ERROR TYPES>``, optionally after a header row
  (``lp gold sid mt start_id end_id error``) and, in submission files, after three
  metadata lines (disk footprint, number of parameters, number of ensembled models);
* 9 columns, the training / development layout, with a header row
  ``mt_system doc_id seg_id annotator_id source target start_ids end_ids errors``.

Start and end indices are character offsets separated by single spaces, one per error;
error types are ``minor`` / ``major`` (one per error); a segment without errors has
``-1``, ``-1``, ``no-error``. A span whose start equals its end marks an omission at that
position and, as in the official scorer, counts as the one character position ``start``.
Ends beyond the text are clipped to its length, as the official scorer does. Text fields
that contain quotes are CSV-quoted (wrapped in quotes, inner quotes doubled) in the
published files; that quoting is undone. Item ids are ``<lp>:<segment number>`` (7 columns) or
``<mt_system>:<seg_id>`` (9 columns) unless the header names an ``id`` column.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from mtqc.errors import InputError
from mtqc.model import Mode, Segment

#: Gold span severities after normalisation ("critical" is read as "major").
GOLD_SEVERITIES = ("minor", "major")

#: MQM weights of Freitag et al. (2021), "Experts, Errors, and Context", as used in the
#: Google WMT MQM releases: a minor error costs 1 (a minor Fluency/Punctuation error 0.1),
#: a major error 5, a whole-segment non-translation 25; neutral marks cost nothing.
WEIGHT_MINOR = 1.0
WEIGHT_MINOR_PUNCTUATION = 0.1
WEIGHT_MAJOR = 5.0
WEIGHT_NONTRANSLATION = 25.0

_IGNORED_SEVERITIES = {"neutral", "no-error", "none", ""}


class GoldSpan(NamedTuple):
    """A gold error span: half-open code-point offsets into the MT, severity minor|major.

    Its category, when the gold gives one, is in ``GoldItem.categories`` at the same index.
    """

    start: int
    end: int
    severity: str


@dataclass(slots=True)
class GoldItem:
    """One annotated MT segment.

    ``spans`` are :class:`GoldSpan` tuples ``(start, end, severity)``; ``categories`` is
    parallel to ``spans`` (the span's ``category``, ``""`` when the gold has none);
    ``mqm_given`` is False when ``mqm_score`` was computed from the spans; ``line`` is the
    1-based line of the item in its gold file. ``is_human`` items are human translations
    (kept by the reader, excluded from scoring by :func:`mtqc.evaluation.evaluate`).
    """

    id: str
    mt: str
    src: str | None = None
    ref: str | None = None
    bt: str | None = None
    doc: str = ""
    seg: int | str | None = None
    spans: list[GoldSpan] = field(default_factory=list)
    mqm_score: float = 0.0
    has_major: bool = False
    system: str = ""
    is_human: bool = False
    lp: str = ""
    line: int = 0
    source_file: str = ""
    categories: list[str] = field(default_factory=list)
    mqm_given: bool = True


def mqm_penalty(spans: Iterable[dict[str, Any]]) -> float:
    """MQM penalty of a list of span dicts with Google weights (0 = perfect, higher = worse).

    Each span dict has ``severity`` and optionally ``category`` and ``nontranslation``:
    non-translation 25, major (or critical) 5, minor Fluency/Punctuation 0.1, other minor 1,
    neutral / no-error 0.
    """
    total = 0.0
    for s in spans:
        sev = str(s.get("severity", "")).strip().lower()
        if s.get("nontranslation"):
            total += WEIGHT_NONTRANSLATION
        elif sev in ("major", "critical"):
            total += WEIGHT_MAJOR
        elif sev == "minor":
            cat = str(s.get("category") or "").strip().lower()
            punct = cat.startswith("fluency/punctuation")
            total += WEIGHT_MINOR_PUNCTUATION if punct else WEIGHT_MINOR
    return total


def detect_format(path: str) -> str:
    """``"mqm-jsonl"`` or ``"wmt-tsv"``, from the extension, else from the first line."""
    ext = os.path.splitext(path)[1].lower()
    if ext in (".jsonl", ".json", ".ndjson"):
        return "mqm-jsonl"
    if ext in (".tsv", ".txt", ".tab"):
        return "wmt-tsv"
    try:
        with open(path, encoding="utf-8-sig") as f:
            for raw in f:
                if raw.strip():
                    return "mqm-jsonl" if raw.lstrip().startswith("{") else "wmt-tsv"
    except OSError as e:
        raise InputError(path, f"cannot read the gold file: {e.strerror or e}") from None
    raise InputError(path, "the gold file is empty")


def load_gold(
    path: str | os.PathLike[str], fmt: str | None = None, *, spans_key: str = "spans"
) -> list[GoldItem]:
    """Read a gold file (``fmt`` ``"mqm-jsonl"`` or ``"wmt-tsv"``; guessed when None).

    ``spans_key`` (MQM JSONL only) names the field holding the spans: ``"spans"``, or
    ``"rater_spans"`` for the unmerged per-rater spans of the Google MQM releases.
    """
    path = os.fspath(path)
    fmt = fmt or detect_format(path)
    if fmt == "mqm-jsonl":
        return read_mqm_jsonl(path, spans_key=spans_key)
    if fmt == "wmt-tsv":
        return read_wmt_tsv(path)
    raise InputError(path, f"unknown gold format {fmt!r}", hint="use mqm-jsonl or wmt-tsv")


# --------------------------------------------------------------------------- MQM JSONL


def _open_lines(path: str) -> Iterator[tuple[int, str]]:
    try:
        with open(path, encoding="utf-8-sig") as f:
            yield from enumerate(f, start=1)
    except OSError as e:
        raise InputError(path, f"cannot read the file: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise InputError(path, f"not UTF-8 text ({e.reason})", hint="save it as UTF-8") from None


def iter_json_objects(path: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line, object)`` for each non-blank line of a JSONL file; errors name the line."""
    for lineno, raw in _open_lines(path):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as e:
            raise InputError(path, f"invalid JSON: {e.msg}", line=lineno) from None
        if not isinstance(obj, dict):
            raise InputError(path, "each line must be a JSON object", line=lineno)
        yield lineno, obj


def _normalise_severity(value: Any, path: str, line: int) -> str | None:
    sev = str(value if value is not None else "").strip().lower()
    if sev in _IGNORED_SEVERITIES:
        return None
    if sev == "critical":
        return "major"
    if sev in GOLD_SEVERITIES:
        return sev
    raise InputError(
        path,
        f"unknown span severity {value!r}",
        line=line,
        hint="gold severities are minor, major (critical is read as major)",
    )


def _span_positions_ok(start: Any, end: Any, n: int) -> bool:
    return (
        isinstance(start, int)
        and isinstance(end, int)
        and not isinstance(start, bool)
        and not isinstance(end, bool)
        and 0 <= start <= end <= n
    )


def read_mqm_jsonl(path: str, *, spans_key: str = "spans") -> list[GoldItem]:
    """Read the MQM JSONL gold format (see the module docstring).

    ``spans_key`` names the span field. In the Google MQM releases ``spans`` merges
    nested spans of one error into the outer span with the highest severity, while
    ``rater_spans`` keeps each rater's spans as marked; the ``benchmarks/README.md``
    major-only floor (0.127) is computed from the latter.
    """
    items: list[GoldItem] = []
    seen: dict[str, int] = {}
    for lineno, obj in iter_json_objects(path):
        items.append(_mqm_item(obj, path, lineno, spans_key))
        item = items[-1]
        if item.id in seen:
            raise InputError(
                path,
                f"duplicate id {item.id!r} (first on line {seen[item.id]})",
                line=lineno,
                hint="gold ids must be unique: they join gold items to predictions",
            )
        seen[item.id] = lineno
    if not items:
        raise InputError(path, "no gold items in the file")
    return items


def _mqm_item(obj: dict[str, Any], path: str, lineno: int, spans_key: str) -> GoldItem:
    item_id = obj.get("id")
    if not isinstance(item_id, str | int) or isinstance(item_id, bool) or item_id == "":
        raise InputError(path, "missing or empty 'id'", line=lineno)
    mt = obj.get("hyp", obj.get("mt"))
    if not isinstance(mt, str):
        raise InputError(
            path, "missing the MT text", line=lineno, hint="give it as 'hyp' (or 'mt')"
        )
    raw_spans = obj.get(spans_key)
    if not isinstance(raw_spans, list):
        raise InputError(
            path,
            f"missing {spans_key!r} (a list of {{start, end, severity}})",
            line=lineno,
            hint="use an empty list for a segment without errors",
        )
    spans: list[GoldSpan] = []
    categories: list[str] = []
    for s in raw_spans:
        if not isinstance(s, dict):
            raise InputError(path, "each span must be a JSON object", line=lineno)
        start, end = s.get("start"), s.get("end")
        if not _span_positions_ok(start, end, len(mt)):
            raise InputError(
                path,
                f"span {start!r}:{end!r} is not inside the MT text (length {len(mt)})",
                line=lineno,
                hint="start/end are half-open code-point offsets into 'hyp'",
            )
        sev = _normalise_severity(s.get("severity"), path, lineno)
        if sev is not None:
            spans.append(GoldSpan(start, end, sev))
            categories.append(str(s.get("category") or ""))
    score = obj.get("mqm_score")
    mqm_given = score is not None
    if score is None:
        score = mqm_penalty(raw_spans)
    elif not _is_finite_number(score):
        raise InputError(path, f"'mqm_score' must be a number, not {score!r}", line=lineno)
    has_major = obj.get("has_major")
    if has_major is None:
        has_major = any(sp.severity == "major" for sp in spans) or any(
            bool(s.get("nontranslation")) for s in raw_spans
        )
    lp = str(obj.get("lp") or "")
    if not lp and obj.get("src_lang") and obj.get("tgt_lang"):
        lp = f"{obj['src_lang']}-{obj['tgt_lang']}"
    seg = obj.get("seg")
    return GoldItem(
        id=str(item_id),
        mt=mt,
        src=_opt_str(obj.get("src")),
        ref=_opt_str(obj.get("ref")),
        bt=_opt_str(obj.get("bt")),
        doc=str(obj.get("doc") or ""),
        seg=seg if isinstance(seg, int | str) and not isinstance(seg, bool) else None,
        spans=spans,
        mqm_score=float(score),
        has_major=bool(has_major),
        system=str(obj.get("system") or ""),
        is_human=bool(obj.get("is_human", False)),
        lp=lp,
        line=lineno,
        source_file=path,
        categories=categories,
        mqm_given=mqm_given,
    )


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _is_finite_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


# ----------------------------------------------------------------------------- WMT TSV

_LAYOUT_7 = ("lp", "method", "seg", "mt", "starts", "ends", "errors")
_LAYOUT_9 = ("system", "doc", "seg", "annotator", "src", "mt", "starts", "ends", "errors")

#: Header names (lower-case) of the WMT files, mapped to our column roles.
_HEADER_ROLES = {
    "id": "id",
    "lp": "lp",
    "language_pair": "lp",
    "method": "method",
    "gold": "method",
    "mt_system": "system",
    "system": "system",
    "doc_id": "doc",
    "doc": "doc",
    "seg_id": "seg",
    "sid": "seg",
    "segment_id": "seg",
    "seg": "seg",
    "annotator_id": "annotator",
    "source": "src",
    "src": "src",
    "original": "src",
    "target": "mt",
    "mt": "mt",
    "translation": "mt",
    "hyp": "mt",
    "reference": "ref",
    "ref": "ref",
    "start_ids": "starts",
    "start_id": "starts",
    "start_indices": "starts",
    "end_ids": "ends",
    "end_id": "ends",
    "end_indices": "ends",
    "errors": "errors",
    "error": "errors",
    "error_types": "errors",
    "mqm": "mqm",
    "mqm_score": "mqm",
}


def read_wmt_tsv(path: str) -> list[GoldItem]:
    """Read the WMT QE task-2 error-span TSV gold format (see the module docstring)."""
    try:
        f = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed below
    except OSError as e:
        raise InputError(path, f"cannot read the file: {e.strerror or e}") from None
    items: list[GoldItem] = []
    seen: dict[str, int] = {}
    roles: tuple[str, ...] | None = None
    with f:
        reader = csv.reader(f, delimiter="\t", quotechar='"', doublequote=True)
        row_start = 1
        try:
            for row in reader:
                lineno, row_start = row_start, reader.line_num + 1
                if not row or all(not c.strip() for c in row):
                    continue
                if roles is None:
                    if len(row) == 1:  # submission metadata lines (footprint, params, models)
                        continue
                    header = _header_roles(row)
                    if header is not None:
                        roles = header
                        continue
                    if len(row) == 7:
                        roles = _LAYOUT_7
                    elif len(row) == 9:
                        roles = _LAYOUT_9
                    else:
                        raise InputError(
                            path,
                            f"expected 7 or 9 tab-separated columns, found {len(row)}",
                            line=lineno,
                            hint="WMT QE task 2 rows are: lp, method, segment number, "
                            "target, start indices, end indices, error types",
                        )
                if len(row) != len(roles):
                    raise InputError(
                        path,
                        f"expected {len(roles)} tab-separated columns, found {len(row)}",
                        line=lineno,
                    )
                item = _wmt_item(dict(zip(roles, row, strict=True)), path, lineno)
                if item.id in seen:
                    raise InputError(
                        path,
                        f"duplicate segment id {item.id!r} (first on line {seen[item.id]})",
                        line=lineno,
                        hint="one row per segment; several annotators need separate files",
                    )
                seen[item.id] = lineno
                items.append(item)
        except csv.Error as e:
            raise InputError(path, f"malformed TSV: {e}", line=reader.line_num) from None
        except UnicodeDecodeError as e:
            raise InputError(path, f"not UTF-8 text ({e.reason})") from None
    if not items:
        raise InputError(path, "no gold rows in the file")
    return items


def _header_roles(row: list[str]) -> tuple[str, ...] | None:
    names = [c.strip().lower().replace(" ", "_") for c in row]
    if not {"mt", "starts", "ends", "errors"} <= {_HEADER_ROLES.get(n, "") for n in names}:
        return None
    return tuple(_HEADER_ROLES.get(n, f"_{i}") for i, n in enumerate(names))


def _int_list(text: str, what: str, path: str, lineno: int) -> list[int]:
    try:
        return [int(t) for t in text.split()]
    except ValueError:
        raise InputError(
            path,
            f"{what} must be integers separated by spaces, not {text!r}",
            line=lineno,
        ) from None


def _wmt_item(cols: dict[str, str], path: str, lineno: int) -> GoldItem:
    mt = cols["mt"]
    starts = _int_list(cols["starts"], "error start indices", path, lineno)
    ends = _int_list(cols["ends"], "error end indices", path, lineno)
    types = cols["errors"].split()
    if not (len(starts) == len(ends) == len(types)):
        raise InputError(
            path,
            f"{len(starts)} start indices, {len(ends)} end indices and {len(types)} "
            "error types: the three lists must have one entry per error",
            line=lineno,
        )
    spans: list[GoldSpan] = []
    raw_spans: list[dict[str, Any]] = []
    for s, e, t in zip(starts, ends, types, strict=True):
        if s == -1 and e == -1:
            if t.lower() not in _IGNORED_SEVERITIES:
                raise InputError(path, f"span -1:-1 with error type {t!r}", line=lineno)
            continue
        sev = _normalise_severity(t, path, lineno)
        e = min(e, len(mt))  # the official scorer clips ends beyond the text
        if not (0 <= s <= e) or s > len(mt):
            raise InputError(
                path,
                f"error span {s}:{e} is not inside the target text (length {len(mt)})",
                line=lineno,
            )
        if sev is not None:
            spans.append(GoldSpan(s, e, sev))
            raw_spans.append({"severity": sev})
    lp = cols.get("lp", "").strip()
    seg_text = cols.get("seg", "").strip()
    seg: int | str | None = int(seg_text) if seg_text.lstrip("-").isdigit() else seg_text or None
    system = cols.get("system", "").strip()
    if cols.get("id", "").strip():
        item_id = cols["id"].strip()
    else:
        prefix = system if "system" in cols else lp
        item_id = f"{prefix}:{seg_text}" if prefix else seg_text
    if not item_id:
        raise InputError(path, "row without a segment number", line=lineno)
    mqm_text = cols.get("mqm", "").strip()
    try:
        mqm = float(mqm_text) if mqm_text else mqm_penalty(raw_spans)
    except ValueError:
        raise InputError(path, f"MQM score {mqm_text!r} is not a number", line=lineno) from None
    return GoldItem(
        id=item_id,
        mt=mt,
        src=cols.get("src"),
        ref=cols.get("ref"),
        doc=cols.get("doc", "").strip(),
        seg=seg,
        spans=spans,
        mqm_score=mqm,
        has_major=any(sp.severity == "major" for sp in spans),
        system=system,
        lp=lp,
        line=lineno,
        source_file=path,
        categories=[""] * len(spans),
        mqm_given=bool(mqm_text),
    )


# ------------------------------------------------------------------------ to segments


#: The gold texts each mode feeds to the checker besides the MT.
MODE_INPUTS: dict[Mode, tuple[str, ...]] = {
    Mode.TARGET: (),
    Mode.REFERENCE: ("ref",),
    Mode.SOURCE: ("src",),
    Mode.ROUND_TRIP: ("src", "bt"),
}


def gold_to_segments(
    gold_items: Iterable[GoldItem],
    with_ref: bool = True,
    with_src: bool = True,
    include_human: bool = False,
    *,
    with_bt: bool = True,
    mode: Mode | str | None = None,
) -> list[Segment]:
    """Segments to run the checker on: one per gold item, ``id`` and ``line`` kept.

    ``mode`` (a :class:`~mtqc.model.Mode` or its name) feeds exactly the texts that mode
    needs (:data:`MODE_INPUTS`: target-only the MT alone, reference +ref, source +src,
    round-trip +src+bt) and overrides ``with_ref`` / ``with_src`` / ``with_bt``.
    Human translations are left out unless ``include_human`` (they are not scored).
    ``src_lang``/``tgt_lang`` come from the item's language pair (``zh-en``) when known.
    """
    if mode is not None:
        from mtqc.engine import parse_mode

        sides = MODE_INPUTS[parse_mode(mode) or Mode.TARGET]
        with_ref, with_src, with_bt = ("ref" in sides), ("src" in sides), ("bt" in sides)
    segments: list[Segment] = []
    for g in gold_items:
        if g.is_human and not include_human:
            continue
        src_lang, _, tgt_lang = g.lp.partition("-")
        segments.append(
            Segment(
                id=g.id,
                mt=g.mt,
                src=g.src if with_src else None,
                ref=g.ref if with_ref else None,
                bt=g.bt if with_bt else None,
                src_lang=src_lang or None,
                tgt_lang=tgt_lang or "en",
                doc_id=g.doc,
                line=g.line,
                source_file=g.source_file,
            )
        )
    return segments
