"""The development benchmark as training data: MT items, token labels, document folds."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

#: The benchmark file, relative to the repository root (override with MTQC_BENCHMARK).
DEFAULT_BENCHMARK = (
    Path(__file__).resolve().parents[1] / ".." / "shared" / "benchmarks" / ("mqm-ted21.zh-en.jsonl")
)

#: Where extracted features and out-of-fold predictions are cached (not committed).
CACHE = Path(os.environ.get("MTQC_TRAIN_CACHE", "/tmp/mtqc_tagger"))


@dataclass(slots=True)
class Item:
    """One MT item of the benchmark."""

    id: str
    doc: str
    seg: int
    system: str
    mt: str
    ref: str
    spans: list[tuple[int, int, str]] = field(default_factory=list)
    mqm: float = 0.0
    has_major: bool = False


def benchmark_path() -> Path:
    """The benchmark file (``$MTQC_BENCHMARK`` or ``../shared/benchmarks/...``)."""
    return Path(os.environ.get("MTQC_BENCHMARK", DEFAULT_BENCHMARK)).resolve()


def load_items(path: Path | None = None) -> list[Item]:
    """The MT items (``is_human`` false) in file order."""
    items = []
    with open(path or benchmark_path(), encoding="utf-8") as f:
        for raw in f:
            d = json.loads(raw)
            if d.get("is_human"):
                continue
            spans = [
                (int(s["start"]), int(s["end"]), str(s["severity"]).lower())
                for s in d.get("spans") or []
            ]
            items.append(
                Item(
                    id=d["id"],
                    doc=d["doc"],
                    seg=int(d["seg"]),
                    system=d["system"],
                    mt=d["hyp"],
                    ref=d["ref"],
                    spans=spans,
                    mqm=float(d["mqm_score"]),
                    has_major=bool(d["has_major"]),
                )
            )
    return items


def load_sources(path: Path | None = None) -> dict[str, str]:
    """Item id -> source text of the benchmark's MT items."""
    out = {}
    with open(path or benchmark_path(), encoding="utf-8") as f:
        for raw in f:
            d = json.loads(raw)
            if not d.get("is_human"):
                out[d["id"]] = d["src"]
    return out


def char_labels(item: Item) -> tuple[list[int], list[int]]:
    """Per character of the MT: 1 inside any gold span; 1 inside a major span."""
    n = len(item.mt)
    anyl, major = [0] * n, [0] * n
    for s, e, sev in item.spans:
        if e == s:  # an omission marks one position
            e = min(s + 1, n)
        for i in range(max(0, s), min(e, n)):
            anyl[i] = 1
            if sev in ("major", "critical"):
                major[i] = 1
    return anyl, major


def docs(items: list[Item]) -> list[str]:
    """The document ids, sorted."""
    return sorted({it.doc for it in items})
