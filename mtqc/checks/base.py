"""The rule registry: a rule is a short function decorated with :func:`rule`.

A rule function takes ``(segment, options)`` and yields :class:`~mtqc.model.Hit`.
The engine stamps code, name, severity, category and segment id onto each hit.
A rule that needs the source, reference or back-translation declares it in
``needs=`` and is skipped when the segment lacks it.

Docstrings have fixed sections, shown by ``mtqc rule CODE``::

    What it flags: ...
    Why it matters: ...
    Example: ...
    Use instead: ...
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mtqc.model import CATEGORIES, Hit, Segment, Severity

RuleFunc = Callable[[Segment, Mapping[str, Any]], Iterable[Hit]]

CODE_RE = re.compile(r"^[A-Z][0-9]{3}$")
NAME_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
SIDES = frozenset({"src", "ref", "bt"})


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    name: str
    severity: Severity
    category: str
    func: RuleFunc
    needs: frozenset[str] = frozenset()
    options: Mapping[str, Any] = field(default_factory=dict)
    doc: str = ""

    def applies(self, seg: Segment) -> bool:
        return all(getattr(seg, side) for side in self.needs)

    @property
    def summary(self) -> str:
        """The first line of the docstring."""
        return self.doc.strip().splitlines()[0] if self.doc.strip() else self.name


_REGISTRY: dict[str, Rule] = {}


def register(r: Rule) -> Rule:
    if not CODE_RE.match(r.code):
        raise ValueError(f"rule code {r.code!r} must be a capital letter and three digits")
    if not NAME_RE.match(r.name):
        raise ValueError(f"rule name {r.name!r} must be kebab-case")
    if r.category not in CATEGORIES:
        raise ValueError(f"rule {r.code}: unknown category {r.category!r}")
    if not r.needs <= SIDES:
        raise ValueError(f"rule {r.code}: needs must be a subset of {sorted(SIDES)}")
    if r.code in _REGISTRY and _REGISTRY[r.code].func is not r.func:
        raise ValueError(f"rule code {r.code} registered twice")
    _REGISTRY[r.code] = r
    return r


def rule(
    code: str,
    name: str,
    severity: str | Severity,
    category: str,
    *,
    needs: Iterable[str] = (),
    options: Mapping[str, Any] | None = None,
) -> Callable[[RuleFunc], RuleFunc]:
    """Register ``func`` as rule ``code``; ``options`` are its defaults (overridable in config)."""

    def deco(func: RuleFunc) -> RuleFunc:
        register(
            Rule(
                code=code,
                name=name,
                severity=Severity.parse(severity),
                category=category,
                func=func,
                needs=frozenset(needs),
                options=dict(options or {}),
                doc=inspect.cleandoc(func.__doc__ or ""),
            )
        )
        return func

    return deco


def all_rules() -> dict[str, Rule]:
    """Every registered rule by code, sorted by code (imports the rule modules once)."""
    import mtqc.checks  # noqa: F401  (registers the built-in rules)

    return dict(sorted(_REGISTRY.items()))
