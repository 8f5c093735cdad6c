"""Configuration: ``[tool.mtqc]`` in pyproject.toml, or ``mtqc.toml`` (top-level keys).

Example (mtqc.toml)::

    select = ["P", "N", "U", "T", "R"]     # code prefixes; default: every rule
    ignore = ["W002"]
    extend-select = []
    fail-on = "major"                       # minor | major | critical | none
    max-score = 0.8
    src-lang = "nl"
    tgt-lang = "en"
    models = ["tagger"]
    metrics = ["chrf", "ter"]               # reference metrics (default: chrf)

    [model-options.tagger]                  # scorer options, e.g. fewer, surer flags
    threshold = 0.5

    [severity]                              # per-rule severity
    P001 = "minor"

    [rule-options.U004]                     # per-rule options (see `mtqc rule CODE`)
    ref_band = [0.5, 2.0]

    [[glossary]]                            # required renderings
    source = "overloper"
    target = "defector"
    note = "house style"

    [[forbidden]]                           # terms the MT must not contain
    term = "spillover"
    use = "defection"
    note = "calque of Dutch overlopen"

Selection follows flake8/ruff: ``select``/``extend-select``/``ignore`` match code
prefixes and the longest matching prefix wins (``ignore = ["T"]`` with
``select = ["T101"]`` keeps T101).
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mtqc.errors import ConfigError
from mtqc.model import Severity

KNOWN_KEYS = {
    "select": list,
    "ignore": list,
    "extend-select": list,
    "severity": dict,
    "rule-options": dict,
    "glossary": list,
    "forbidden": list,
    "fail-on": str,
    "max-score": (int, float),
    "src-lang": str,
    "tgt-lang": str,
    "models": list,
    "model-options": dict,
    "lm": str,
    "metrics": list,
}
FAIL_ON = ("minor", "major", "critical", "none")


@dataclass
class Config:
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    extend_select: list[str] = field(default_factory=list)
    severity: dict[str, Severity] = field(default_factory=dict)
    rule_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    glossary: list[dict[str, Any]] = field(default_factory=list)
    forbidden: list[dict[str, Any]] = field(default_factory=list)
    fail_on: str = "major"
    max_score: float | None = None
    src_lang: str | None = None
    tgt_lang: str | None = None
    #: model scorers named by the config; None when it names none (the run's default applies)
    models: list[str] | None = None
    model_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    lm: str | None = None
    #: reference metrics (``metrics = ["chrf", "ter"]``); None: the default (chrF)
    metrics: tuple[str, ...] | None = None
    path: str = ""

    def is_selected(self, code: str) -> bool:
        """Longest matching prefix among select/extend-select/ignore decides."""
        verdict = not self.select  # without `select`, every rule is on by default
        best_len = -1
        for prefixes, value in (
            (self.select, True),
            (self.extend_select, True),
            (self.ignore, False),
        ):
            for p in prefixes:
                if code.startswith(p) and len(p) >= best_len:
                    # on a tie, ignore (listed last) wins over select
                    best_len, verdict = len(p), value
        return verdict


def _suggest(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else f" (known keys: {', '.join(known)})"


def parse_config(data: dict[str, Any], path: str) -> Config:
    """Validate a config table; unknown keys and wrong types are errors with a suggestion."""
    cfg = Config(path=path)
    for key, value in data.items():
        if key not in KNOWN_KEYS:
            raise ConfigError(f"{path}: unknown key {key!r}{_suggest(key, sorted(KNOWN_KEYS))}")
        expected = KNOWN_KEYS[key]
        if not isinstance(value, expected):
            names = (
                "/".join(t.__name__ for t in expected)
                if isinstance(expected, tuple)
                else expected.__name__
            )
            raise ConfigError(f"{path}: {key!r} must be a {names}, not {type(value).__name__}")
    for key in ("select", "ignore", "extend-select"):
        for p in data.get(key, []):
            if not isinstance(p, str) or not p or not p[0].isalpha():
                raise ConfigError(
                    f"{path}: {key!r} entries are code prefixes like 'P' or 'T101', got {p!r}"
                )
    cfg.select = [p.upper() for p in data.get("select", [])]
    cfg.ignore = [p.upper() for p in data.get("ignore", [])]
    cfg.extend_select = [p.upper() for p in data.get("extend-select", [])]
    for code, sev in data.get("severity", {}).items():
        try:
            cfg.severity[code.upper()] = Severity.parse(sev)
        except ValueError as e:
            raise ConfigError(f"{path}: severity.{code}: {e}") from None
    for code, opts in data.get("rule-options", {}).items():
        if not isinstance(opts, dict):
            raise ConfigError(f"{path}: rule-options.{code} must be a table")
        cfg.rule_options[code.upper()] = dict(opts)
    _check_rule_tables(cfg, path)
    cfg.glossary = _terms(data.get("glossary", []), ("source", "target"), path, "glossary")
    cfg.forbidden = _terms(data.get("forbidden", []), ("term",), path, "forbidden")
    if "fail-on" in data:
        if data["fail-on"] not in FAIL_ON:
            close = difflib.get_close_matches(str(data["fail-on"]), list(FAIL_ON), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"{path}: fail-on must be one of {', '.join(FAIL_ON)}{hint}")
        cfg.fail_on = data["fail-on"]
    if "max-score" in data:
        cfg.max_score = float(data["max-score"])
        if not 0.0 <= cfg.max_score <= 1.0:
            raise ConfigError(f"{path}: max-score is a risk in [0, 1], not {cfg.max_score:g}")
    cfg.src_lang = data.get("src-lang")
    cfg.tgt_lang = data.get("tgt-lang")
    cfg.models = list(data["models"]) if "models" in data else None
    for name, opts in data.get("model-options", {}).items():
        if not isinstance(opts, dict):
            raise ConfigError(f"{path}: model-options.{name} must be a table")
        cfg.model_options[name] = dict(opts)
    cfg.lm = data.get("lm")
    if "metrics" in data:
        from mtqc.errors import UsageError
        from mtqc.metrics import parse_metrics

        try:
            cfg.metrics = parse_metrics(data["metrics"], f"{path}: metrics")
        except UsageError as e:
            raise ConfigError(str(e)) from None
    return cfg


def _same_kind(value: Any, default: Any) -> bool:
    """A configured option value fits its default's type (an int where a float goes)."""
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, int | float):
        return isinstance(value, int | float)
    if isinstance(default, list | tuple):
        return isinstance(value, list | tuple)
    return isinstance(value, type(default))


def _check_rule_tables(cfg: Config, path: str) -> None:
    """``[severity]`` and ``[rule-options]`` name existing rules, known options, right types.

    A typo here would otherwise be ignored silently and a CI gate would run with
    settings nobody asked for. Model codes (``M…``) are not rules and are not checked.
    """
    from mtqc.checks.base import all_rules

    rules = all_rules()
    codes = sorted(rules)
    for table, entries in (("severity", cfg.severity), ("rule-options", cfg.rule_options)):
        for code in entries:
            if code.startswith("M") or code in rules:
                continue
            raise ConfigError(f"{path}: {table}.{code}: no rule {code!r}{_suggest(code, codes)}")
    for code, opts in cfg.rule_options.items():
        if code not in rules:
            continue
        defaults = rules[code].options
        for key, value in opts.items():
            if key not in defaults:
                known = sorted(defaults)
                what = _suggest(key, known) if known else " (this rule has no options)"
                raise ConfigError(
                    f"{path}: rule-options.{code}: unknown option {key!r}{what}; "
                    f"see `mtqc rule {code}`"
                )
            if not _same_kind(value, defaults[key]):
                raise ConfigError(
                    f"{path}: rule-options.{code}.{key} must be like its default "
                    f"{defaults[key]!r}, not {value!r}"
                )


def _terms(
    entries: list[Any], required: tuple[str, ...], path: str, key: str
) -> list[dict[str, str]]:
    out = []
    for i, e in enumerate(entries, 1):
        if not isinstance(e, dict):
            raise ConfigError(f"{path}: {key} entry {i} must be a table")
        missing = [r for r in required if not e.get(r)]
        if missing:
            raise ConfigError(f"{path}: {key} entry {i} lacks {', '.join(missing)}")
        for k, v in e.items():
            ok = isinstance(v, str | bool) or (
                isinstance(v, list) and all(isinstance(x, str) for x in v)
            )
            if not ok:
                raise ConfigError(
                    f"{path}: {key} entry {i}: {k!r} must be a string or a list of strings"
                )
        out.append(dict(e))
    return out


def load_config(path: str | None = None, cwd: str | Path = ".") -> Config:
    """Load ``path``, else ``mtqc.toml`` or ``[tool.mtqc]`` of pyproject.toml in ``cwd``."""
    candidates = [Path(path)] if path else [Path(cwd) / "mtqc.toml", Path(cwd) / "pyproject.toml"]
    for p in candidates:
        if not p.exists():
            if path:
                raise ConfigError(f"{p}: no such config file")
            continue
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{p}: not valid TOML: {e}") from None
        except UnicodeDecodeError as e:
            raise ConfigError(f"{p}: not UTF-8 at byte {e.start}") from None
        if p.name == "pyproject.toml":
            if "mtqc" not in data.get("tool", {}):
                if path:
                    raise ConfigError(f"{p}: has no [tool.mtqc] table")
                continue
            return parse_config(data["tool"]["mtqc"], f"{p} [tool.mtqc]")
        return parse_config(data, str(p))
    return Config()
