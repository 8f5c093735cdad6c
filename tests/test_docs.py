"""The README stays true: every rule is in its table, and CI runs its two commands."""

from __future__ import annotations

import re
from pathlib import Path

from mtqc.checks import all_rules

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_rule_is_in_the_readme_table():
    listed = set(re.findall(r"^\| ([A-Z]\d{3}) \| ([a-z0-9-]+) \|", README, re.M))
    assert listed == {(r.code, r.name) for r in all_rules().values()}


def test_ci_runs_exactly_the_readme_commands():
    block = re.search(r"```sh\n(.*?)```", README, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    ci = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.startswith(("#", "set ", "cd "))
    ]
    assert commands == ci == ["make demo", "make test"]
