"""Built-in rules. Every module in this package except ``base`` and modules whose
name starts with ``_`` is a rule module and is imported here, registering its rules."""

from __future__ import annotations

import importlib
import pkgutil

from mtqc.checks.base import Rule, all_rules, rule

for _info in pkgutil.iter_modules(__path__):
    if _info.name != "base" and not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}")

__all__ = ["Rule", "all_rules", "rule"]
