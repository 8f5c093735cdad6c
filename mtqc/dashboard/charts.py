"""Small server-side SVG line charts (no scripts, no external assets)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from markupsafe import Markup, escape

PALETTE = ("#2f6fb3", "#c7791c", "#2e8b6a", "#7a5bb5", "#b8433f", "#3f8fa6", "#6b7280")


@dataclass
class Series:
    label: str
    color: str
    points: list[tuple[str, float, str]] = field(default_factory=list)  # (iso time, y, tip)


def _ts(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def line_chart(
    series: list[Series],
    *,
    title: str,
    y_label: str,
    percent: bool = False,
    width: int = 560,
    height: int = 220,
) -> Markup:
    """An accessible inline SVG: one line per series over time, y from 0."""
    left, right, top, bottom = 52, 16, 14, 34
    pw, ph = width - left - right, height - top - bottom
    pts = [p for s in series for p in s.points]
    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img"'
        f' aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    if not pts:
        out.append(
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" class="muted">'
            "no runs in this range</text></svg>"
        )
        return Markup("".join(out))
    xs = [_ts(p[0]) for p in pts]
    x0, x1 = min(xs), max(xs)
    y_max = max(max(p[1] for p in pts), 1.0 if percent else 0.0) or 1.0
    if percent:
        y_max = min(1.0, max(0.1, y_max))

    def X(t: float) -> float:
        return left + (pw / 2 if x1 == x0 else (t - x0) / (x1 - x0) * pw)

    def Y(v: float) -> float:
        return top + ph - (v / y_max) * ph

    for frac in (0.0, 0.5, 1.0):
        v = y_max * frac
        y = Y(v)
        label = f"{v * 100:.0f}%" if percent else f"{v:.2f}"
        out.append(
            f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{label}</text>'
        )
    ticks = sorted({x0, x1} | ({(x0 + x1) / 2} if x1 - x0 > 3 * 86400 else set()))
    for t in ticks:
        day = datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d")
        anchor = "middle"
        if x1 > x0 and t == x0:
            anchor = "start"
        elif x1 > x0 and t == x1:
            anchor = "end"
        out.append(
            f'<text x="{X(t):.1f}" y="{height - 12}" text-anchor="{anchor}" class="tick">{day}</text>'
        )
    out.append(
        f'<text x="12" y="{top + ph / 2:.1f}" transform="rotate(-90 12 {top + ph / 2:.1f})"'
        f' text-anchor="middle" class="tick">{escape(y_label)}</text>'
    )
    for s in series:
        coords = [(X(_ts(t)), Y(v), tip) for t, v, tip in s.points]
        if len(coords) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in coords)
            out.append(
                f'<polyline points="{path}" fill="none" stroke="{s.color}" stroke-width="2"/>'
            )
        for x, y, tip in coords:
            out.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{s.color}">'
                f"<title>{escape(tip)}</title></circle>"
            )
    out.append("</svg>")
    return Markup("".join(out))
