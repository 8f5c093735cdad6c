#!/usr/bin/env python3
"""Figures of mtqc on the nlnews development set in source or round-trip mode, per rule.

Writes the segments as JSONL with ``src`` (and ``bt`` with ``--mode round-trip``), runs
``MTQC check FILE --format jsonl --fail-on critical``, and prints span recall (all / major),
clean segments flagged and flag precision (a flag is right when it overlaps an annotated
span; info flags and flags on the source or back-translation side are not counted), then
the precision of each rule code. A development signal only.

Usage: tools/nlnews_roundtrip_score.py [--mtqc .venv/bin/mtqc] [--mode round-trip|source]
       [--dev ../shared/benchmarks/nlnews-dev.nl-en.jsonl] [--show CODE,...]
"""

from __future__ import annotations

import argparse
import collections
import json
import subprocess
import sys
import tempfile
from pathlib import Path

DEV = Path(__file__).resolve().parent.parent.parent / "shared/benchmarks/nlnews-dev.nl-en.jsonl"


def overlaps(f: dict, s: dict) -> bool:
    return f["start"] < s["end"] and f["end"] > s["start"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mtqc", default=".venv/bin/mtqc")
    ap.add_argument("--mode", choices=["round-trip", "source"], default="round-trip")
    ap.add_argument("--dev", type=Path, default=DEV)
    ap.add_argument("--show", default="", help="print each flag of these codes")
    a = ap.parse_args()
    recs = [json.loads(x) for x in a.dev.read_text(encoding="utf-8").splitlines() if x.strip()]
    show = set(filter(None, a.show.split(",")))
    with tempfile.TemporaryDirectory() as td:
        inp, out = Path(td) / "dev.jsonl", Path(td) / "out.jsonl"
        lines = []
        for r in recs:
            row = {
                "id": r["id"],
                "mt": r["mt"],
                "src": r["src"],
                "src_lang": "nl",
                "tgt_lang": "en",
            }
            if a.mode == "round-trip":
                row["bt"] = r["bt"]
            lines.append(json.dumps(row, ensure_ascii=False) + "\n")
        inp.write_text("".join(lines), encoding="utf-8")
        cmd = [
            a.mtqc,
            "check",
            str(inp),
            "--format",
            "jsonl",
            "-o",
            str(out),
            "--fail-on",
            "critical",
        ]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode not in (0, 1) or not out.exists():
            print(done.stderr[-1500:], file=sys.stderr)
            return 1
        outs = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines() if x.strip()]
    found = found_major = n_major = clean = clean_flagged = 0
    per = collections.defaultdict(lambda: [0, 0])
    for r, o in zip(recs, outs, strict=True):
        fl = [f for f in o["flags"] if f["severity"] != "info" and f.get("side", "mt") == "mt"]
        for s in r["spans"]:
            hit = any(overlaps(f, s) for f in fl)
            found += hit
            if s["severity"] == "major":
                n_major += 1
                found_major += hit
        if not r["spans"]:
            clean += 1
            clean_flagged += bool(fl)
        for f in fl:
            ok = any(overlaps(f, s) for s in r["spans"])
            per[f["code"]][0] += ok
            per[f["code"]][1] += 1
            if f["code"] in show:
                print(f"{'ok ' if ok else 'XX '}{f['code']} {f['text']!r} | {r['id']}")
    n = sum(len(r["spans"]) for r in recs)
    good = sum(g for g, _ in per.values())
    flags = sum(t for _, t in per.values())
    print(
        f"nlnews-dev ({a.mode}): spans found {found}/{n} = {found / n:.2f} "
        f"(major {found_major}/{n_major}), clean segments flagged {clean_flagged}/{clean}, "
        f"flag precision {good / max(1, flags):.2f} ({good}/{flags})"
    )
    for code, (g, t) in sorted(per.items()):
        print(f"  {code}: {g}/{t} = {g / t:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
