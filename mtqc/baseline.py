"""Baseline files: accepted flags that later runs do not report again.

Format (shared with the dashboard's decision export)::

    {"mtqc_baseline": 1,
     "entries": [{"code": "T001", "fingerprint": "…", "text": "…", "reason": "…", "feed": null}]}

A flag is matched by its fingerprint — the rule code plus the flagged text, case and
spacing folded (:func:`mtqc.checks._apply.fingerprint`) — so a false alarm on a phrase is
silenced wherever that phrase recurs, not only on the line where it was first accepted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mtqc.errors import InputError
from mtqc.model import Flag, Report

FORMAT_VERSION = 1


def baseline_from_report(report: Report, reason: str = "accepted in baseline") -> dict[str, Any]:
    return baseline_from_flags(report.flags, reason)


def baseline_from_flags(
    flags: Iterable[Flag], reason: str = "accepted in baseline"
) -> dict[str, Any]:
    """The baseline of ``flags`` (the first flag of each fingerprint, in order)."""
    seen: dict[str, dict[str, Any]] = {}
    for f in flags:
        if f.fingerprint in seen:
            continue
        seen[f.fingerprint] = {
            "code": f.code,
            "fingerprint": f.fingerprint,
            "text": f.text,
            "reason": reason,
            "feed": None,
        }
    return {
        "mtqc_baseline": FORMAT_VERSION,
        "entries": sorted(seen.values(), key=lambda e: (e["code"], e["text"])),
    }


def load_baseline(path: str) -> frozenset[str]:
    """The fingerprints listed in a baseline file."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            path, "no such baseline file", hint="create one with --write-baseline FILE"
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError(path, f"not a JSON baseline file: {e}") from None
    except RecursionError:
        raise InputError(path, "not a baseline file: JSON nested too deeply to read") from None
    except ValueError as e:  # e.g. a number of more than 4,300 digits
        raise InputError(path, f"not a baseline file: {str(e).split(';')[0]}") from None
    except OSError as e:
        raise InputError(path, f"cannot be read: {e.strerror or e}") from None
    if not isinstance(data, dict) or data.get("mtqc_baseline") != FORMAT_VERSION:
        raise InputError(
            path,
            f'not an mtqc baseline (expected "mtqc_baseline": {FORMAT_VERSION})',
            hint="write one with `mtqc check ... --write-baseline FILE`",
        )
    entries = data.get("entries")
    if not isinstance(entries, list):
        raise InputError(path, '"entries" must be a list')
    out = set()
    for i, e in enumerate(entries, 1):
        if not isinstance(e, dict) or not isinstance(e.get("fingerprint"), str):
            raise InputError(path, f'entry {i} has no "fingerprint" string')
        out.add(e["fingerprint"])
    return frozenset(out)
