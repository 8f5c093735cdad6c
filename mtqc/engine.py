"""The engine: segments in, a :class:`~mtqc.model.Report` out.

readers → **engine** (rules, reference metrics, model scorers, risk) → report → outputs.
:class:`CheckRun` streams: results come out batch by batch, in input order;
:func:`check_segments` collects them into a report.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from mtqc import __version__
from mtqc.checks._apply import flag_from_hit
from mtqc.checks.base import Rule, all_rules
from mtqc.checks.punctuation import QUOTATION_SPAN, continued_quotations
from mtqc.config import Config
from mtqc.errors import UsageError
from mtqc.metrics import DEFAULT_METRICS, ReferenceMetrics, parse_metrics
from mtqc.model import Flag, Mode, Report, Segment, SegmentResult, Severity
from mtqc.scoring import SummaryBuilder, segment_risk

#: The sides of a segment each mode lets the checks see.
MODE_SIDES: dict[Mode, frozenset[str]] = {
    Mode.TARGET: frozenset(),
    Mode.REFERENCE: frozenset({"ref", "src"}),
    Mode.SOURCE: frozenset({"src"}),
    Mode.ROUND_TRIP: frozenset({"src", "bt", "ref"}),
}
#: Rules that take their terms from the config's ``glossary`` / ``forbidden`` lists.
CONFIG_TERM_RULES = {"glossary": "glossary", "forbidden": "forbidden-term"}
#: Rules that also read the config's ``glossary`` (as the named option): N006 does not
#: ask for a source name that the glossary renders.
GLOSSARY_READERS = {"name-missing-src": "glossary"}


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
    #: reference metrics to compute (``--metrics``); None: the config's ``metrics``, else
    #: chrF alone (the metric the risk reads)
    metrics: tuple[str, ...] | None = None
    #: scorers already loaded, by name (a check service loads them once at start); the
    #: names in ``models`` without one here are loaded for this run
    scorers: dict[str, Any] = field(default_factory=dict)

    def reference_metrics(self) -> tuple[str, ...]:
        """The reference metrics this run computes."""
        if self.metrics is not None:
            return self.metrics
        if self.config.metrics is not None:
            return self.config.metrics
        return DEFAULT_METRICS


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
    for rule_name, key in GLOSSARY_READERS.items():
        if config.glossary and rule_name in by_name:
            term_opts.setdefault(by_name[rule_name], {})[key] = config.glossary
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


def rules_signature(rules: Iterable[ActiveRule]) -> str:
    """A short hash of the selected rules, their options and severities, and the rule data."""
    h = hashlib.sha1()
    for ar in rules:
        h.update(f"{ar.rule.code}|{ar.severity}|".encode())
        h.update(json.dumps(ar.options, sort_keys=True, default=str).encode())
    h.update(_rule_data_digest())
    return h.hexdigest()[:8]


@functools.cache
def _rule_data_digest() -> bytes:
    """A hash of the rule data files, read once per process (the rules load their data
    once too; a check service answers many runs)."""
    h = hashlib.sha1()
    data = resources.files("mtqc.checks") / "data"
    if data.is_dir():
        for item in sorted(data.iterdir(), key=lambda p: p.name):
            if item.is_file():
                h.update(item.name.encode())
                h.update(item.read_bytes())
    return h.digest()


def _created() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    now = (
        _dt.datetime.fromtimestamp(int(epoch), _dt.UTC)
        if epoch and epoch.isdigit()
        else _dt.datetime.now(_dt.UTC)
    )
    return now.replace(microsecond=0).isoformat().replace("+00:00", "Z")


#: Segments checked together: rules, metrics and model scorers (which batch inside) see
#: this many at a time, so memory stays flat however long the input is.
DEFAULT_BATCH = 1000


def _fill_languages(
    segments: list[Segment], settings: EngineSettings, detected: dict[str, str | None]
) -> None:
    """Set the languages the settings give; detect a source language once per input file
    (from the first batch holding that file's sources: a sample is all langid uses)."""
    tgt = settings.tgt_lang or settings.config.tgt_lang
    src = settings.src_lang or settings.config.src_lang
    for s in segments:
        if tgt:
            s.tgt_lang = tgt
        if src:
            s.src_lang = src
    undetected: dict[str, list[Segment]] = {}
    for s in segments:
        if s.src and not s.src_lang:
            undetected.setdefault(s.source_file, []).append(s)
    if undetected:
        from mtqc.langid import detect_language

        for source_file, group in undetected.items():
            if source_file not in detected:
                detected[source_file] = detect_language(s.src or "" for s in group)
            lang = detected[source_file]
            for s in group:
                s.src_lang = lang


class _Scorers:
    """The model scorers, each loaded once (when a batch first has what it needs)."""

    def __init__(self, settings: EngineSettings, notices: list[str]):
        from mtqc.scorers import load_scorer

        self.notices = notices
        self.signatures: dict[str, str] = {}
        self.scorers = []
        for name in settings.models:
            options = dict(settings.model_options.get(name, {}))
            show = options.pop("show_flags", "calibrated")
            if show not in ("calibrated", "all"):
                raise UsageError(
                    f"[model-options.{name}] show_flags must be 'calibrated' or 'all', not {show!r}"
                )
            scorer = settings.scorers.get(name) or load_scorer(name, **options)
            self.scorers.append((name, scorer, show))

    def run(self, results: list[SegmentResult]) -> None:
        from mtqc.scorers import apply_flag_policy

        for name, scorer, show in self.scorers:
            todo = [r for r in results if all(getattr(r.segment, side) for side in scorer.needs)]
            if not todo:
                continue
            if name not in self.signatures:
                scorer.load()
                self.notices.extend(getattr(scorer, "notices", []))
                self.signatures[name] = scorer.signature()
            for r, out in zip(todo, scorer.score([r.segment for r in todo]), strict=True):
                r.flags.extend(apply_flag_policy(out.flags) if show == "calibrated" else out.flags)
                r.metrics.update(out.metrics)
            annotate = getattr(scorer, "annotate_rule_flags", None)
            if annotate is not None:
                annotate(todo)  # model evidence on the rules' own flags (LM minimal pairs)

    def signature_parts(self) -> list[str]:
        return [self.signatures[name] for name, _, _ in self.scorers if name in self.signatures]


class CheckRun:
    """A check that streams: iterate it for the :class:`SegmentResult` of each segment, in
    input order, checked in batches of ``batch_size`` (``None``: all at once).

    Memory stays bounded by the batch, not the input: segments are read as the batches
    need them, the document-level pass (quotations over several paragraphs or sentence
    segments) keeps :data:`~mtqc.checks.punctuation.QUOTATION_SPAN` segments of look-ahead
    across batch borders, corpus metrics add up sufficient statistics and the
    summary adds up counts (:attr:`summary`). The mode is decided on the first batch (the
    inputs' sides there; ``--mode`` forces one), and a file's source language is detected
    from the first batch holding its sources. After the iteration, :meth:`report` gives
    the run's :class:`Report` (signature, corpus metrics, summary) around the results
    given to it.
    """

    def __init__(
        self,
        segments: Iterable[Segment],
        settings: EngineSettings | None = None,
        *,
        batch_size: int | None = DEFAULT_BATCH,
        rules: tuple[list[ActiveRule], str] | None = None,
    ):
        if batch_size is not None and batch_size < 1:
            raise UsageError(f"batch size must be at least 1, not {batch_size}")
        self.settings = settings or EngineSettings()
        self.batch_size = batch_size
        # ``rules``: the config's active rules and their signature, computed once by a
        # caller that runs many checks with one config (the check service)
        if rules is None:
            self.rules = active_rules(self.settings.config)
        else:
            self.rules, self._rules_sig = rules
        self.created = _created()
        self.mode: Mode | None = None
        self.corpus_metrics: dict[str, dict[str, Any]] = {}
        self.notices: list[str] = []
        self.summary = SummaryBuilder()
        self.finished = False
        self._segments = segments
        self._started = False

    def __iter__(self) -> Iterator[SegmentResult]:
        if self._started:
            raise RuntimeError("a CheckRun can be iterated once")
        self._started = True
        return self._run()

    def _batches(self) -> Iterator[tuple[list[Segment], bool]]:
        """Batches of segments, each with whether it is the last (the reader is read one
        segment ahead, so the last batch is known as such)."""
        if self.batch_size is None:
            batch = list(self._segments)
            if batch:
                yield batch, True
            return
        it = iter(self._segments)
        nxt = next(it, None)
        while nxt is not None:
            batch: list[Segment] = []
            while nxt is not None and len(batch) < self.batch_size:
                batch.append(nxt)
                nxt = next(it, None)
            yield batch, nxt is None

    def _run(self) -> Iterator[SegmentResult]:
        settings = self.settings
        detected: dict[str, str | None] = {}
        metrics: ReferenceMetrics | None = None
        self._scorers = _Scorers(settings, self.notices) if settings.models else None
        held: list[SegmentResult] = []
        checked = False
        for batch, last in self._batches():
            checked = True
            first = self.mode is None
            if first:
                self.mode = settings.mode or detect_mode(batch)
                sides = {x for x in ("src", "ref", "bt") if any(getattr(s, x) for s in batch)}
            elif settings.mode is None:
                self._late_sides(batch, sides)
            assert self.mode is not None
            segs = apply_mode(batch, self.mode, first and settings.mode is not None)
            _fill_languages(segs, settings, detected)
            if metrics is None and settings.reference_metrics() and any(s.ref for s in segs):
                metrics = ReferenceMetrics(segs[0].tgt_lang, settings.reference_metrics())
            window = held
            window.extend(SegmentResult(segment=seg, flags=self._rule_flags(seg)) for seg in segs)
            continued_quotations(window)  # document context: quotations over several segments
            # a quotation open in the last segments may close in the next batch: they wait
            cut = len(window) if last else max(0, len(window) - QUOTATION_SPAN)
            window, held = window[:cut], window[cut:]
            if window:
                yield from self._finish(window, metrics)
        if not checked:
            raise UsageError("nothing to check: no segments")
        self.corpus_metrics = metrics.corpus() if metrics is not None else {}
        self.finished = True

    def _late_sides(self, batch: list[Segment], sides: set[str]) -> None:
        """Say so when a side the first batch lacked turns up later: the mode was decided
        on the first batch and stays (``--mode`` decides it up front)."""
        for side in ("src", "ref", "bt"):
            if side not in sides and any(getattr(s, side) for s in batch):
                sides.add(side)
                assert self.mode is not None
                if side in MODE_SIDES[self.mode]:
                    continue
                self.notices.append(
                    f"{side!r} texts start after the first {self.batch_size} segments; the mode "
                    f"was decided on those ({self.mode}), so they are not used: pass --mode "
                    "(or put a segment with them first) to use them"
                )

    def _rule_flags(self, seg: Segment) -> list[Flag]:
        flags: list[Flag] = []
        for ar in self.rules:
            rule = ar.rule
            if rule.needs and not all(getattr(seg, side) for side in rule.needs):
                continue
            for hit in rule.func(seg, ar.options):
                flags.append(flag_from_hit(rule, seg, hit, ar.severity_of(hit.severity)))
        return flags

    def _finish(
        self, results: list[SegmentResult], metrics: ReferenceMetrics | None
    ) -> Iterator[SegmentResult]:
        if metrics is not None and any(r.segment.ref for r in results):
            per_seg = metrics.add([r.segment.mt for r in results], [r.segment.ref for r in results])
            for r, m in zip(results, per_seg, strict=True):
                r.metrics.update(m)
        if self._scorers is not None:
            self._scorers.run(results)
        suppress = self.settings.suppress
        calibrated = bool(self.settings.models)
        assert self.mode is not None
        mode = self.mode.value
        for r in results:
            if suppress:
                kept = [f for f in r.flags if f.fingerprint not in suppress]
                r.suppressed += len(r.flags) - len(kept)
                r.flags = kept
            r.flags.sort(key=lambda f: (f.side != "mt", f.start, f.end, f.code))
            r.score = segment_risk(r, mode, calibrated=calibrated)
            self.summary.add(r)
        yield from results

    @property
    def signature(self) -> str:
        parts = [f"mtqc:{__version__}", f"mode:{self.mode}", f"rules:{self.rules_signature}"]
        if self.corpus_metrics:  # the reference metrics computed, e.g. metrics:chrf+ter
            parts.append("metrics:" + "+".join(self.corpus_metrics))
        if self._started and self._scorers is not None:
            parts += self._scorers.signature_parts()
        return "|".join(parts)

    @property
    def rules_signature(self) -> str:
        sig = getattr(self, "_rules_sig", None)
        if sig is None:
            sig = self._rules_sig = rules_signature(self.rules)
        return sig

    def report(self, results: Sequence[SegmentResult] = ()) -> Report:
        """The run's report around ``results`` (all of them, or none for outputs that
        streamed them); the summary is the whole run's either way."""
        if not self.finished:
            raise RuntimeError("CheckRun.report() before the run was iterated to its end")
        assert self.mode is not None
        return Report(
            results=list(results),
            mode=self.mode,
            version=__version__,
            signature=self.signature,
            corpus_metrics=self.corpus_metrics,
            rules=[ar.rule.code for ar in self.rules],
            created=self.created,
            inputs={"notices": list(self.notices)} if self.notices else {},
            summary_data=self.summary.summary(),
        )


def check_segments(
    segments: Sequence[Segment] | Iterable[Segment],
    settings: EngineSettings | None = None,
    *,
    batch_size: int | None = None,
) -> Report:
    """Run the selected rules, reference metrics and model scorers over ``segments``; the
    report holds every result (for a long input, iterate a :class:`CheckRun` instead).
    ``batch_size=None`` checks all segments as one batch."""
    run = CheckRun(segments, settings, batch_size=batch_size)
    results = list(run)
    report = run.report(results)
    report.summary_data = None  # computed from the results, so edits to them show
    return report


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
    metrics: str | Sequence[str] | None = None,
) -> Report:
    """Check in-memory texts: one string (one segment) or a list of segments.
    ``metrics``: reference metrics (``"chrf,bleu,ter"``; default the config's, else chrF)."""
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
        metrics=None if metrics is None else parse_metrics(metrics),
    )
    return check_segments(segments, settings)
