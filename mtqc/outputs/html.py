"""HTML output: one self-contained page a translator can work from.

The page has the run summary on top (counts by severity and code, risk, mode,
signature, corpus metrics), then every segment in input order, grouped by document, with
its line number and risk score. Flagged spans are highlighted in their severity's colour;
where flags overlap the text is split into non-overlapping pieces, each highlighted by
the most severe flag covering it and listing all of them. Every flag is also written out
under its line (works without JavaScript and prints). A small inline script adds
severity / code filters, an "only flagged lines" toggle and a popover with the reason,
evidence and suggestions when a span is clicked.

No external requests: CSS and JS are inlined from ``report.css`` / ``report.js``. All
input text is escaped with :func:`html.escape`; the data the script reads is a JSON
island (``<script type="application/json">``) with ``<``, ``>`` and ``&`` written as
``\\u003c`` etc., read through ``textContent``.
"""

from __future__ import annotations

import json
from html import escape
from importlib import resources
from typing import Any

from mtqc.model import Flag, Report, SegmentResult, Severity
from mtqc.outputs._common import (
    SEVERITIES_DESC,
    SIDE_LABELS,
    code_counts,
    code_names,
    finite,
    format_score,
    side_text,
    sorted_flags,
    suggestion_label,
)

Keyed = tuple[str, Flag]


def _asset(name: str) -> str:
    return resources.files("mtqc.outputs").joinpath(name).read_text(encoding="utf-8")


def json_for_script(data: Any) -> str:
    """JSON that is safe inside ``<script type="application/json">``: no ``<``, ``>``
    or ``&`` can end the element or open a comment."""
    text = json.dumps(finite(data), ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def split_spans(length: int, spans: list[tuple[int, int]]) -> list[tuple[int, int, list[int]]]:
    """Cut ``[0, length)`` at every span boundary.

    Returns ``(start, end, covering)`` pieces in order, where ``covering`` are the
    indices of the (non-empty) spans that cover the whole piece. Pieces cover the text
    exactly once, so overlapping and nested spans become flat, non-overlapping pieces.
    """
    cuts = {0, length}
    for s, e in spans:
        cuts.add(min(max(s, 0), length))
        cuts.add(min(max(e, 0), length))
    points = sorted(cuts)
    pieces = []
    for a, b in zip(points, points[1:], strict=False):
        if a == b:
            continue
        covering = [i for i, (s, e) in enumerate(spans) if s < e and s <= a and e >= b]
        pieces.append((a, b, covering))
    return pieces


def _tooltip(flags: list[Flag]) -> str:
    return "\n".join(f"{f.code} {f.severity}: {f.message}" for f in flags)


def _mark(keys: list[Keyed], inner: str, *, point: bool = False) -> str:
    flags = [f for _, f in keys]
    worst = max(flags, key=lambda f: int(f.severity)).severity
    classes = f"hl sev-{worst}"
    if point:
        classes += " point"
    if len(flags) > 1:
        classes += " multi"
    return (
        f'<mark class="{classes}" tabindex="0" data-flags="{_e(" ".join(k for k, _ in keys))}"'
        f' title="{_e(_tooltip(flags))}">{inner}</mark>'
    )


def highlight(text: str, keyed: list[Keyed]) -> str:
    """``text`` as escaped HTML with every flag span marked (empty spans as a caret)."""
    spans = [(f.start, f.end) for _, f in keyed]
    out: list[str] = []
    points = sorted(
        ((f.start, k, f) for k, f in keyed if f.start >= f.end), key=lambda p: (p[0], p[1])
    )
    p = 0
    for a, b, covering in split_spans(len(text), spans):
        while p < len(points) and points[p][0] <= a:
            out.append(_mark([(points[p][1], points[p][2])], "‸", point=True))
            p += 1
        piece = _e(text[a:b])
        out.append(_mark([keyed[i] for i in covering], piece) if covering else piece)
    out.extend(_mark([(k, f)], "‸", point=True) for _, k, f in points[p:])
    return "".join(out)


def _risk_class(score: float | None) -> str:
    if score is None:
        return "risk"
    if score >= 0.5:
        return "risk r-high"
    if score >= 0.2:
        return "risk r-mid"
    return "risk r-low"


def _evidence(evidence: dict[str, Any]) -> str:
    if not evidence:
        return ""
    rows = []
    for k, v in evidence.items():
        shown = v if isinstance(v, str) else json.dumps(finite(v), ensure_ascii=False)
        rows.append(f"<dt>{_e(k)}</dt><dd>{_e(shown)}</dd>")
    return f'<details class="ev"><summary>evidence</summary><dl>{"".join(rows)}</dl></details>'


def _flag_item(key: str, flag: Flag) -> str:
    parts = [
        f'<span class="badge sev-{flag.severity}">{flag.severity}</span>',
        f"<code>{_e(flag.code)}</code>",
        f'<span class="name">{_e(flag.name)}</span>',
    ]
    if flag.side != "mt":
        parts.append(f'<span class="cat">in the {_e(SIDE_LABELS.get(flag.side, flag.side))}</span>')
    if flag.text:
        parts.append(f"<q>{_e(flag.text)}</q>")
    parts.append(f'<span class="msg">{_e(flag.message)}</span>')
    if flag.suggestions:
        sugg = " ".join(
            f'<span class="s" title="click to copy">{_e(suggestion_label(s))}</span>'
            for s in flag.suggestions
        )
        parts.append(f'<span class="sugg">→ {sugg}</span>')
    parts.append(f'<span class="cat">{_e(flag.category)}</span>')
    parts.append(_evidence(flag.evidence))
    return (
        f'<li class="flag sev-{flag.severity}" id="f-{key}" data-key="{key}"'
        f' data-code="{_e(flag.code)}" data-sev="{flag.severity}">{" ".join(p for p in parts if p)}</li>'
    )


def _segment(index: int, result: SegmentResult, keyed: list[Keyed]) -> str:
    seg = result.segment
    line = seg.line or index + 1
    anchor = f"s{index}"
    classes = "seg flagged" if result.flags else "seg"
    body = [
        f'<p class="mt" lang="{_e(seg.tgt_lang)}">{highlight(seg.mt, [kf for kf in keyed if kf[1].side == "mt"])}</p>'
    ]
    for side in ("src", "ref", "bt"):
        text = side_text(result, side)
        if not text:
            continue
        lang = f' lang="{_e(seg.src_lang)}"' if side in ("src", "bt") and seg.src_lang else ""
        on_side = [kf for kf in keyed if kf[1].side == side]
        body.append(
            f'<p class="side side-{side}"{lang}><span class="lab">{SIDE_LABELS[side]}</span>'
            f"{highlight(text, on_side)}</p>"
        )
    if keyed:
        items = "".join(_flag_item(k, f) for k, f in keyed)
        body.append(f'<ul class="flags">{items}</ul>')
    metrics = " · ".join(f"{k} {format_score(v)}" for k, v in result.metrics.items())
    risk_title = "risk score" + (f" ({metrics})" if metrics else "")
    if result.suppressed:
        risk_title += f"; {result.suppressed} flag(s) hidden by baseline or review"
    return (
        f'<li class="{classes}" id="{anchor}" data-segment="{_e(seg.id)}">'
        f'<a class="ln" href="#{anchor}" title="{_e(seg.id)}">{line}</a>'
        f'<span class="{_risk_class(result.score)}" title="{_e(risk_title)}">{format_score(result.score)}</span>'
        f'<div class="body">{"".join(body)}</div></li>'
    )


def _summary(report: Report, summary: dict[str, Any]) -> str:
    flags = report.flags
    by_sev = summary.get("by_severity") or {}
    cards = [
        (summary.get("segments", len(report.results)), "segments"),
        (
            summary.get("flagged_segments", sum(1 for r in report.results if r.flags)),
            "flagged lines",
        ),
        (summary.get("flags", len(flags)), "flags"),
        (format_score(summary.get("mean_score")), "mean risk"),
        (format_score(summary.get("max_score")), "max risk"),
    ]
    card_html = "".join(
        f'<div class="card"><b>{_e(v)}</b><span>{_e(k)}</span></div>' for v, k in cards
    )
    sev_rows = "".join(
        f'<tr><td><span class="badge sev-{s}">{s}</span></td><td class="n">{_e(by_sev.get(str(s), 0))}</td></tr>'
        for s in SEVERITIES_DESC
    )
    parts = [
        f'<div class="cards">{card_html}</div>',
        f'<table class="t"><caption>by severity</caption>{sev_rows}</table>',
    ]
    names = code_names(report)
    worst: dict[str, Severity] = {}
    for f in flags:
        worst[f.code] = max(worst.get(f.code, f.severity), f.severity)
    if names:
        rows = "".join(
            f"<tr><td><code>{_e(c)}</code></td><td>{_e(names[c])}</td>"
            f'<td><span class="badge sev-{worst[c]}">{worst[c]}</span></td><td class="n">{n}</td></tr>'
            for c, n in code_counts(report).items()
        )
        head = (
            "<thead><tr><th>rule</th><th>name</th><th>highest severity seen</th>"
            '<th class="n">flags</th></tr></thead>'
        )
        parts.append(f'<table class="t"><caption>by rule</caption>{head}{rows}</table>')
    if report.corpus_metrics:
        rows = "".join(
            f'<tr><td>{_e(name)}</td><td class="n">{_e(format_score(m.get("score")) if isinstance(m, dict) else m)}</td>'
            f"<td><code>{_e(m.get('signature', '') if isinstance(m, dict) else '')}</code></td></tr>"
            for name, m in report.corpus_metrics.items()
        )
        parts.append(f'<table class="t"><caption>corpus metrics</caption>{rows}</table>')
    return f'<section class="summary">{"".join(parts)}</section>'


def _controls(report: Report) -> str:
    counts: dict[str, int] = {str(s): 0 for s in SEVERITIES_DESC}
    for f in report.flags:
        counts[str(f.severity)] += 1
    sev = "".join(
        f'<label><input type="checkbox" name="sev" value="{s}"{"" if s == "info" else " checked"}> '
        f'<span class="badge sev-{s}">{s}</span> {counts[s]}</label>'
        for s in counts
    )
    codes = "".join(
        f'<label title="{_e(code_names(report)[c])}"><input type="checkbox" name="code" value="{_e(c)}" checked> '
        f"<code>{_e(c)}</code> {n}</label>"
        for c, n in code_counts(report).items()
    )
    return (
        '<nav class="controls" id="controls" hidden><div class="controls-inner">'
        f'<fieldset class="f-sev"><legend>Severity</legend>{sev}</fieldset>'
        f'<fieldset class="f-code"><legend>Rule</legend>{codes}</fieldset>'
        '<label><input type="checkbox" id="only-flagged"> only flagged lines</label>'
        '<span id="shown"></span></div></nav>'
    )


def _doc_heading(doc_id: str, results: list[SegmentResult], summary: dict[str, Any]) -> str:
    files = sorted({r.segment.source_file for r in results if r.segment.source_file})
    stats = (summary.get("documents") or {}).get(doc_id) or {}
    n_flags = stats.get("flags", sum(len(r.flags) for r in results))
    bits = [*files, f"{len(results)} lines", f"{n_flags} flags"]
    if stats.get("mean_score") is not None:
        bits.append(f"mean risk {format_score(stats['mean_score'])}")
    title = doc_id or (files[0] if files else "input")
    return f"<h2>{_e(title)}<small>{_e(' · '.join(bits))}</small></h2>"


def render_html(report: Report, *, color: bool = False) -> str:
    """The report as one self-contained HTML page."""
    summary = report.summary()
    data: dict[str, Any] = {"flags": {}}
    docs: list[str] = []
    index = 0
    for doc_id, results in report.documents().items():
        items = []
        for result in results:
            keyed = [(f"{index}-{j}", f) for j, f in enumerate(sorted_flags(result.flags))]
            for key, f in keyed:
                data["flags"][key] = {
                    "code": f.code,
                    "name": f.name,
                    "severity": str(f.severity),
                    "category": f.category,
                    "message": f.message,
                    "suggestions": list(f.suggestions),
                    "evidence": f.evidence,
                    "text": f.text,
                    "side": f.side,
                }
            items.append(_segment(index, result, keyed))
            index += 1
        docs.append(
            f'<section class="doc">{_doc_heading(doc_id, results, summary)}'
            f'<ol class="lines">{"".join(items)}</ol></section>'
        )
    n_flags = len(report.flags)
    meta = [f"mode {_e(report.mode)}"]
    if report.signature:
        meta.append(f"signature <code>{_e(report.signature)}</code>")
    if report.created:
        meta.append(f"created {_e(report.created)}")
    inputs = ", ".join(f"{k}: {v}" for k, v in report.inputs.items() if k != "fail_on")
    if inputs:
        meta.append(_e(inputs))
    title = f"mtqc report — {n_flags} flag{'s' if n_flags != 1 else ''}"
    return "".join(
        [
            "<!DOCTYPE html>\n",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(title)}</title>",
            f"<style>{_asset('report.css')}</style></head><body>",
            f'<header class="top"><h1>{_e(report.tool or "mtqc")} report'
            f"{' ' + _e(report.version) if report.version else ''}</h1>",
            f'<p class="meta">{" · ".join(meta)}</p></header>',
            _summary(report, summary),
            _controls(report),
            f"<main>{''.join(docs)}</main>",
            '<div id="pop" role="dialog" aria-label="flag details" hidden></div>',
            "<footer>Click a highlighted span for details; click a suggestion to copy it."
            " Offsets are Unicode code points.</footer>",
            f'<script type="application/json" id="mtqc-data">{json_for_script(data)}</script>',
            f"<script>{_asset('report.js')}</script>",
            "</body></html>\n",
        ]
    )
