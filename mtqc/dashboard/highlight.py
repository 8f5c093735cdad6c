"""Split a line into pieces so that flagged spans can be marked (overlaps allowed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SEVERITY_ORDER = {"info": 0, "minor": 1, "major": 2, "critical": 3}


@dataclass
class Piece:
    text: str
    flags: list[dict[str, Any]] = field(default_factory=list)

    @property
    def severity(self) -> str:
        return max((f["severity"] for f in self.flags), key=SEVERITY_ORDER.get, default="")

    @property
    def tip(self) -> str:
        return "\n".join(f"{f['code']} {f['severity']}: {f['message']}" for f in self.flags)


def pieces(text: str, flags: list[dict[str, Any]]) -> list[Piece]:
    """``text`` cut at every flag boundary; each piece lists the MT-side flags covering it."""
    spans = [
        f
        for f in flags
        if f.get("side", "mt") == "mt" and 0 <= f["span_start"] < f["span_end"] <= len(text)
    ]
    cuts = sorted(
        {0, len(text)} | {f["span_start"] for f in spans} | {f["span_end"] for f in spans}
    )
    out: list[Piece] = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        covering = [f for f in spans if f["span_start"] <= a and b <= f["span_end"]]
        out.append(Piece(text[a:b], covering))
    return out
