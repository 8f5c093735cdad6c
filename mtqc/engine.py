"""The engine: segments in, a :class:`~mtqc.model.Report` out.

readers → **engine** (rules, reference metrics, model scorers, risk) → report → outputs.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from mtqc import __version__
from mtqc.checks._apply import flag_from_hit
from mtqc.checks.base import Rule, all_rules
from mtqc.checks.punctuation import continued_quotations
from mtqc.config import Config
from mtqc.errors import UsageError
from mtqc.metrics import reference_scores
from mtqc.model import Flag, Mode, Report, Segment, SegmentResult, Severity
from mtqc.scoring import segment_risk

#: The sides of a segment each mode lets the checks see.
MODE_SIDES: dict[Mode, frozenset[str]] = {
    Mode.TARGET: frozenset(),
    Mode.REFERENCE: frozenset({"ref", "src"}),
    Mode.SOURCE: frozenset({"src"}),
    Mode.ROUND_TRIP: frozenset({"src", "bt", "ref"}),
}
#: Rules that take their terms from the config's ``glossary`` / ``forbidden`` lists.
CONFIG_TERM_RULES = {"glossary": "glossary", "forbidden": "forbidden-term"}


def parse_mode(value: str | Mode | None) -> Mode | None:
    if value is None or isinstance(value, Mode):
        return value
    aliases = {
        "target": Mode.TARGET,
        "ref": Mode.REFERENCE,
        "src": Mode.SOURCE,
        "bt": Mode.ROUND_TRIP,
    }
    for m in Mode:
        if value == m.value:
            return m
    if value in aliases:
        return aliases[value]
    raise UsageError(f"unknown mode {value!r}; use one of: {', '.join(m.value for m in Mode)}")


def detect_mode(segments: Sequence[Segment]) -> Mode:
    """The mode the inputs allow: round-trip (src+bt) > reference (ref) > source (src) > target."""
    has = {side: any(getattr(s, side) for s in segments) for side in ("src", "ref", "bt")}
    if has["src"] and has["bt"]:
        return Mode.ROUND_TRIP
    if has["ref"]:
        return Mode.REFERENCE
    if has["src"]:
        return Mode.SOURCE
    return Mode.TARGET


def apply_mode(segments: Sequence[Segment], mode: Mode, forced: bool) -> list[Segment]:
    """Hide the sides the mode does not use; a forced mode the inputs lack is an error."""
    needed = {Mode.REFERENCE: "ref", Mode.SOURCE: "src", Mode.ROUND_TRIP: "bt"}.get(mode)
    if forced and needed and not any(getattr(s, needed) for s in segments):
        raise UsageError(
            f"--mode {mode} needs {needed!r} texts but the input has none "
            f"(give --{needed} FILE or a {needed!r} column)"
        )
    if mode == Mode.ROUND_TRIP and forced and not any(s.src for s in segments):
        raise UsageError("--mode round-trip needs source texts too (give --src FILE)")
    visible = MODE_SIDES[mode]
    hidden = {side: None for side in ("src", "ref", "bt") if side not in visible}
    if not hidden or not any(getattr(s, side) for s in segments for side in hidden):
        return list(segments)
    return [dataclasses.replace(s, **hidden) for s in segments]


@dataclass
class ActiveRule:
    """A selected rule with its effective options and severity.

    Severity precedence: the config's per-rule severity, else the hit's own (a rule may
    grade its hits), else the rule's default.
    """

    rule: Rule
    options: dict[str, Any]
    severity: Severity
    severity_from_config: bool = False

    def severity_of(self, hit_severity: Severity | None) -> Severity:
        if hit_severity is None or self.severity_from_config:
            return self.severity
        return hit_severity


@dataclass
class EngineSettings:
    """Everything the engine needs besides the segments."""

    config: Config = field(default_factory=Config)
    mode: Mode | None = None
    models: list[str] = field(default_factory=list)
    model_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    suppress: frozenset[str] = frozenset()  # flag fingerprints to hide (baseline, dismissals)
    src_lang: str | None = None
    tgt_lang: str | None = None


def active_rules(config: Config) -> list[ActiveRule]:
    """The selected rules with their options (defaults < config) and severities."""
    rules = all_rules()
    known_prefixes = {c[:n] for c in rules for n in range(1, 5)} | {"M"}
    for prefix in config.select + config.extend_select + config.ignore:
        if prefix not in known_prefixes and not prefix.startswith("M"):
            from mtqc.errors import ConfigError

            raise ConfigError(f"{config.path or 'config'}: no rule code starts with {prefix!r}")
    by_name = {r.name: r.code for r in rules.values()}
    term_opts: dict[str, dict[str, Any]] = {}
    for key, rule_name in CONFIG_TERM_RULES.items():
        terms = getattr(config, key)
        if terms and rule_name in by_name:
            term_opts[by_name[rule_name]] = {"terms": terms}
    out = []
    for code, r in rules.items():
        if not config.is_selected(code):
            continue
        opts = dict(r.options)
        opts.update(term_opts.get(code, {}))
        opts.update(config.rule_options.get(code, {}))
        out.append(
            ActiveRule(r, opts, config.severity.get(code, r.severity), code in config.severity)
        )
    return out


def _flags(ar: ActiveRule, seg: Segment) -> list[Flag]:
    return [
        flag_from_hit(ar.rule, seg, hit, ar.severity_of(hit.severity))
        for hit in ar.rule.func(seg, ar.options)
    ]


def rules_signature(rules: Iterable[ActiveRule]) -> str:
    """A short hash of the selected rules, their options and severities, and the rule data."""
    h = hashlib.sha1()
    for ar in rules:
        h.update(f"{ar.rule.code}|{ar.severity}|".encode())
        h.update(json.dumps(ar.options, sort_keys=True, default=str).encode())
    data = resources.files("mtqc.checks") / "data"
    if data.is_dir():
        for item in sorted(data.iterdir(), key=lambda p: p.name):
            if item.is_file():
                h.update(item.name.encode())
                h.update(item.read_bytes())
    return h.hexdigest()[:8]


def _created() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    now = (
        _dt.datetime.fromtimestamp(int(epoch), _dt.UTC)
        if epoch and epoch.isdigit()
        else _dt.datetime.now(_dt.UTC)
    )
    return now.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _fill_languages(segments: list[Segment], settings: EngineSettings) -> None:
    tgt = settings.tgt_lang or settings.config.tgt_lang
    src = settings.src_lang or settings.config.src_lang
    for s in segments:
        if tgt:
            s.tgt_lang = tgt
        if src:
            s.src_lang = src
    # Detect the source language once per input file when it is not given.
    undetected: dict[str, list[Segment]] = {}
    for s in segments:
        if s.src and not s.src_lang:
            undetected.setdefault(s.source_file, []).append(s)
    if undetected:
        from mtqc.langid import detect_language

        for group in undetected.values():
            lang = detect_language(s.src or "" for s in group)
            for s in group:
                s.src_lang = lang


def _run_scorers(
    results: list[SegmentResult], settings: EngineSettings, notices: list[str]
) -> list[str]:
    """Run the model scorers; return their signatures and collect licence notices."""
    from mtqc.scorers import apply_flag_policy, load_scorer

    signatures = []
    for name in settings.models:
        options = dict(settings.model_options.get(name, {}))
        show = options.pop("show_flags", "calibrated")
        if show not in ("calibrated", "all"):
            raise UsageError(
                f"[model-options.{name}] show_flags must be 'calibrated' or 'all', not {show!r}"
            )
        scorer = load_scorer(name, **options)
        todo = [r for r in results if all(getattr(r.segment, side) for side in scorer.needs)]
        if not todo:
            continue
        scorer.load()
        notices.extend(getattr(scorer, "notices", []))
        signatures.append(scorer.signature())
        for r, out in zip(todo, scorer.score([r.segment for r in todo]), strict=True):
            r.flags.extend(apply_flag_policy(out.flags) if show == "calibrated" else out.flags)
        annotate = getattr(scorer, "annotate_rule_flags", None)
        if annotate is not None:
            annotate(todo)  # model evidence on the rules' own flags (LM minimal pairs)
            r.metrics.update(out.metrics)
    return signatures


def check_segments(segments: Sequence[Segment], settings: EngineSettings | None = None) -> Report:
    """Run the selected rules, reference metrics and model scorers over ``segments``."""
    settings = settings or EngineSettings()
    if not segments:
        raise UsageError("nothing to check: no segments")
    forced = settings.mode is not None
    mode = settings.mode or detect_mode(segments)
    segs = apply_mode(segments, mode, forced)
    _fill_languages(segs, settings)
    rules = active_rules(settings.config)
    results = []
    for seg in segs:
        flags: list[Flag] = []
        for ar in rules:
            if ar.rule.needs and not all(getattr(seg, side) for side in ar.rule.needs):
                continue
            flags.extend(_flags(ar, seg))
        results.append(SegmentResult(segment=seg, flags=flags))
    continued_quotations(results)  # document context: multi-paragraph quotations

    corpus: dict[str, dict[str, Any]] = {}
    if any(s.ref for s in segs):
        per_seg, corpus = reference_scores(
            [s.mt for s in segs], [s.ref for s in segs], segs[0].tgt_lang
        )
        for r, m in zip(results, per_seg, strict=True):
            r.metrics.update(m)

    notices: list[str] = []
    model_sigs = _run_scorers(results, settings, notices) if settings.models else []

    for r in results:
        if settings.suppress:
            kept = [f for f in r.flags if f.fingerprint not in settings.suppress]
            r.suppressed += len(r.flags) - len(kept)
            r.flags = kept
        r.flags.sort(key=lambda f: (f.side != "mt", f.start, f.end, f.code))
        r.score = segment_risk(r, mode.value, calibrated=bool(settings.models))

    sig_parts = [f"mtqc:{__version__}", f"mode:{mode.value}", f"rules:{rules_signature(rules)}"]
    sig_parts += model_sigs
    return Report(
        results=results,
        mode=mode,
        version=__version__,
        signature="|".join(sig_parts),
        corpus_metrics=corpus,
        rules=[ar.rule.code for ar in rules],
        created=_created(),
        inputs={"notices": notices} if notices else {},
    )


def _as_lines(value: str | Sequence[str] | None, name: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    lines = list(value)
    if not all(isinstance(v, str) for v in lines):
        raise UsageError(f"{name} must be a string or a sequence of strings")
    return lines


def check_texts(
    mt: str | Sequence[str],
    ref: str | Sequence[str] | None = None,
    src: str | Sequence[str] | None = None,
    bt: str | Sequence[str] | None = None,
    *,
    mode: str | Mode | None = None,
    src_lang: str | None = None,
    tgt_lang: str = "en",
    config: Config | Mapping[str, Any] | None = None,
    models: Sequence[str] = (),
    model_options: Mapping[str, dict[str, Any]] | None = None,
    doc_id: str = "",
) -> Report:
    """Check in-memory texts: one string (one segment) or a list of segments."""
    from mtqc.config import parse_config

    mts = _as_lines(mt, "mt") or []
    sides = {"ref": _as_lines(ref, "ref"), "src": _as_lines(src, "src"), "bt": _as_lines(bt, "bt")}
    for name, lines in sides.items():
        if lines is not None and len(lines) != len(mts):
            raise UsageError(f"mt has {len(mts)} segments but {name} has {len(lines)}")
    segments = [
        Segment(
            id=str(i),
            mt=text,
            src=sides["src"][i - 1] if sides["src"] else None,
            ref=sides["ref"][i - 1] if sides["ref"] else None,
            bt=sides["bt"][i - 1] if sides["bt"] else None,
            src_lang=src_lang,
            tgt_lang=tgt_lang,
            doc_id=doc_id,
            line=i,
        )
        for i, text in enumerate(mts, 1)
    ]
    if isinstance(config, Mapping):
        config = parse_config(dict(config), "config")
    settings = EngineSettings(
        config=config or Config(),
        mode=parse_mode(mode),
        models=list(models),
        model_options=dict(model_options or {}),
        src_lang=src_lang,
        tgt_lang=tgt_lang,
    )
    return check_segments(segments, settings)
