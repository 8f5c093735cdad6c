"""A table as the dashboard shows it, and the same table as CSV.

Pages and CSV exports are built from one :class:`Table`, so an export holds exactly the
rows and columns on the page, with the page's filters.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mtqc.outputs.csv_ import defuse  # spreadsheets run "=...", "-2+3+cmd|..." as formulas


@dataclass
class Column:
    key: str
    label: str
    kind: str = "text"  # text | int | pct | score | time | severity
    href: Callable[[dict[str, Any]], str | None] | None = None
    csv: Callable[[dict[str, Any]], Any] | None = None  # value for the CSV, if not row[key]


@dataclass
class Table:
    name: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    note: str = ""
    export_args: dict[str, str] = field(default_factory=dict)  # query args of the CSV link


def fmt(value: Any, kind: str) -> str:
    """How a cell reads on the page."""
    if value is None or value == "":
        return "–"
    if kind == "pct":
        return f"{float(value) * 100:.1f}%"
    if kind == "score":
        return f"{float(value):.3f}"
    if kind == "time":
        return str(value).replace("T", " ").removesuffix("Z") + " UTC"
    return str(value)


def _csv_cell(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    if value is None:
        return ""
    return defuse(value)


def to_csv(table: Table) -> str:
    """The table as CSV text: a header of the column labels, then one line per row."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([c.label for c in table.columns])
    for row in table.rows:
        w.writerow([_csv_cell(c.csv(row) if c.csv else row.get(c.key)) for c in table.columns])
    return buf.getvalue()
