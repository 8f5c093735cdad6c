"""Parse rule fixture files: ``tests/fixtures/rules/<CODE>.txt``.

Format, one case per line:

* ``# ...`` is a comment; ``# options: {json}`` merges options into the rule's defaults
  for every case of the file.
* A case is the MT text, optionally followed by TAB-separated ``key=value`` fields:
  ``ref=``, ``src=``, ``bt=``, ``src_lang=``, ``tgt_lang=``.
* Spans the rule must flag are marked in the MT with ``⟦`` and ``⟧`` (and, for rules that
  flag the reference side, inside the ``ref=`` field); a line with no marks is a clean
  line the rule must not flag. The marks are removed before checking,
  and the expected spans are exactly the marked ones (start and end in code points).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mtqc.model import Segment

FIXTURES = Path(__file__).parent / "fixtures" / "rules"
OPEN, CLOSE = "⟦", "⟧"


@dataclass
class Case:
    lineno: int
    segment: Segment
    spans: list[tuple[int, int]]
    ref_spans: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class Fixture:
    code: str
    options: dict[str, Any] = field(default_factory=dict)
    cases: list[Case] = field(default_factory=list)


def strip_marks(marked: str) -> tuple[str, list[tuple[int, int]]]:
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    start = None
    for ch in marked:
        if ch == OPEN:
            assert start is None, f"nested {OPEN} in {marked!r}"
            start = len(out)
        elif ch == CLOSE:
            assert start is not None, f"{CLOSE} without {OPEN} in {marked!r}"
            spans.append((start, len(out)))
            start = None
        else:
            out.append(ch)
    assert start is None, f"unclosed {OPEN} in {marked!r}"
    return "".join(out), spans


def load_fixture(code: str) -> Fixture:
    path = FIXTURES / f"{code}.txt"
    fx = Fixture(code=code)
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip():
            continue
        if raw.startswith("#"):
            if raw.startswith("# options:"):
                fx.options.update(json.loads(raw.split(":", 1)[1]))
            continue
        mt_marked, *fields = raw.split("\t")
        extra: dict[str, str] = {}
        for f in fields:
            key, _, value = f.partition("=")
            assert key in {"ref", "src", "bt", "src_lang", "tgt_lang"}, f"{path}:{lineno}: {key}"
            extra[key] = value
        mt, spans = strip_marks(mt_marked)
        ref_spans: list[tuple[int, int]] = []
        if "ref" in extra:
            extra["ref"], ref_spans = strip_marks(extra["ref"])
        seg = Segment(
            id=f"{code}:{lineno}",
            mt=mt,
            src=extra.get("src"),
            ref=extra.get("ref"),
            bt=extra.get("bt"),
            src_lang=extra.get("src_lang"),
            tgt_lang=extra.get("tgt_lang", "en"),
            line=lineno,
            source_file=str(path),
        )
        fx.cases.append(Case(lineno, seg, spans, ref_spans))
    return fx
