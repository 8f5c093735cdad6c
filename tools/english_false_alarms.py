#!/usr/bin/env python3
"""How often the rules fire on real English: a false-alarm check for lexicon entries.

Collects the distinct English sentences of ``../shared/training/`` (the ``ref``, ``mt``,
``hyp`` and ``pe`` fields of the MQM, Bio-MQM and MLQE-PE files: MT output, references and
post-edits into English; about 139,000 sentences), runs ``mtqc check`` on them as plain
target-only text with ``--select CODES`` (rules only), and prints the flags per rule and
lexicon entry with examples. An entry for Dutch→English MT should fire on none of them or
on lines that are themselves non-native MT: every hit is worth reading before an entry
lands.

Usage::

    .venv/bin/python tools/english_false_alarms.py [--select T001,T004] [--examples 3]
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRAINING = ROOT.parent / "shared" / "training"
FIELDS = ("ref", "mt", "hyp", "pe")


def english_sentences() -> list[str]:
    """Distinct English texts (under 2,000 characters) of the training files."""
    seen: dict[str, None] = {}
    for path in sorted(TRAINING.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                if not str(rec.get("lp", rec.get("lang_pair", "x-en"))).endswith("en"):
                    continue
                for key in FIELDS:
                    text = rec.get(key)
                    if isinstance(text, str) and 0 < len(text) < 2000:
                        seen.setdefault(" ".join(text.split()), None)
    return list(seen)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--select", default="T001,T004", help="rule codes or prefixes")
    ap.add_argument("--examples", type=int, default=3, help="examples per entry")
    a = ap.parse_args()
    if not TRAINING.is_dir():
        sys.exit(f"{TRAINING} not found: the shared training folder is needed")
    texts = english_sentences()
    with tempfile.TemporaryDirectory() as td:
        inp, out = Path(td) / "english.txt", Path(td) / "out.jsonl"
        inp.write_text("".join(t + "\n" for t in texts), encoding="utf-8")
        cmd = [
            sys.executable,
            "-m",
            "mtqc",
            "check",
            str(inp),
            "--models",
            "",
            "--select",
            a.select,
            "-f",
            "jsonl",
            "-o",
            str(out),
            "--fail-on",
            "none",
        ]
        subprocess.run(cmd, check=True)
        results = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    hits: dict[str, list[str]] = collections.defaultdict(list)
    for r in results:
        for f in r.get("flags", []):
            key = f["code"] + (
                f":{f['evidence']['entry']}" if "entry" in f.get("evidence", {}) else ""
            )
            hits[key].append(f["text"])
    print(f"{len(texts)} English sentences, rules {a.select}: {sum(map(len, hits.values()))} flags")
    for key, found in sorted(hits.items(), key=lambda kv: -len(kv[1])):
        print(f"  {len(found):5d}  {key}  e.g. {found[: a.examples]}")


if __name__ == "__main__":
    main()
