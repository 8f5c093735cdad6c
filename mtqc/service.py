"""The check service behind ``POST /api/v1/check`` (``mtqc serve``) and its client
(``mtqc check --server URL``).

A request is JSON::

    {"segments": [{"mt": "...", "src": "...", "ref": "...", "bt": "...", "id": "...",
                   "doc": "..."}],
     "mode": "reference", "models": ["tagger"], "select": ["P", "N"], "ignore": ["W002"],
     "extend_select": [], "fail_on": "major", "max_score": 0.8, "src_lang": "nl",
     "tgt_lang": "en", "metrics": ["chrf"]}

Only ``segments`` (each with ``mt``) is required. The answer is the report of
``mtqc check -f json`` (same schema), its ``inputs`` naming ``fail_on`` and
``max_score`` and ``gate`` (``passed`` or ``failed``, with the reasons), so a client
decides its exit status exactly as ``mtqc check`` would.

The models are loaded once, when the service starts (``mtqc serve --models tagger,lm``,
the scorers side by side); a request names a subset of them (default: all of them;
``[]`` for rules only). Requests run side by side on the server's threads; their calls
into the model scorers are micro-batched (:class:`BatchingScorer`): calls that arrive
while the models are busy wait, and then run as one scorer call on all their segments,
whose outputs are split back to each request. One model call runs at a time (the
scorers share the CPU's cores through torch's own threads).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from mtqc.config import Config
from mtqc.errors import UsageError
from mtqc.model import Flag, Mode, Report, Segment, SegmentResult, Severity

API_PREFIX = "/api/v1"
#: segments in one request (a newsroom article is 20-60; send a corpus in chunks)
MAX_SEGMENTS = 1000
#: characters in one text field
MAX_TEXT_CHARS = 20_000
SEGMENT_KEYS = frozenset({"mt", "src", "ref", "bt", "id", "doc", "src_lang", "tgt_lang"})
OPTION_KEYS = frozenset(
    {
        "segments",
        "mode",
        "models",
        "select",
        "ignore",
        "extend_select",
        "fail_on",
        "max_score",
        "src_lang",
        "tgt_lang",
        "metrics",
    }
)
FAIL_ON = ("minor", "major", "critical", "none")
#: rule selections (select / ignore / extend_select) whose active rules are kept
RULES_CACHE = 64


class CheckService:
    """Rules, metrics and the model scorers named at start, loaded once."""

    def __init__(
        self,
        models: Sequence[str] = (),
        *,
        config: Config | None = None,
        model_options: Mapping[str, dict[str, Any]] | None = None,
        max_segments: int = MAX_SEGMENTS,
        batching: bool = True,
    ):
        from mtqc.scorers import load_scorer

        self.config = config or Config()
        self.max_segments = max_segments
        self.model_options = {k: dict(v) for k, v in (model_options or {}).items()}
        self.scorers: dict[str, Any] = {}
        for name in models:
            options = {
                k: v for k, v in self.model_options.get(name, {}).items() if k != "show_flags"
            }
            self.scorers[name] = load_scorer(name, **options)
        _load_all(list(self.scorers.values()))
        #: one model call at a time, whichever scorer: they share the cores
        self._model_lock = threading.Lock()
        self.batching = batching
        self._batched = {
            name: BatchingScorer(scorer, self._model_lock) for name, scorer in self.scorers.items()
        }
        self._rules_cache: dict[tuple[tuple[str, ...], ...], tuple[list[Any], str]] = {}
        self._rules_lock = threading.Lock()

    @property
    def models(self) -> list[str]:
        return list(self.scorers)

    def check(self, payload: Any) -> dict[str, Any]:
        """Check a request body (parsed JSON); the JSON report. Bad requests raise
        :class:`UsageError` with what is wrong."""
        from mtqc.cli import gate_failures
        from mtqc.engine import CheckRun, EngineSettings, parse_mode
        from mtqc.metrics import parse_metrics
        from mtqc.outputs.json_ import report_to_dict

        segments, opts = self.parse(payload)
        cfg = _copy_config(self.config)
        for key in ("select", "ignore", "extend_select"):
            if key in opts:
                setattr(cfg, key, _prefixes(opts[key], key))
        models = self.models if "models" not in opts else _names(opts["models"], "models")
        unknown = [m for m in models if m not in self.scorers]
        if unknown:
            loaded = ", ".join(self.scorers) or "none"
            raise UsageError(
                f"models: {', '.join(unknown)} not loaded by this service (loaded: {loaded}); "
                "start it with `mtqc serve --models ...` to add them"
            )
        fail_on = opts.get("fail_on", cfg.fail_on)
        if fail_on not in FAIL_ON:
            raise UsageError(f"fail_on must be one of {', '.join(FAIL_ON)}, not {fail_on!r}")
        max_score = opts.get("max_score", cfg.max_score)
        if max_score is not None and (
            isinstance(max_score, bool) or not isinstance(max_score, int | float)
        ):
            raise UsageError(f"max_score must be a number, not {max_score!r}")
        settings = EngineSettings(
            config=cfg,
            mode=parse_mode(_opt_str(opts, "mode")),
            models=models,
            model_options=self.model_options,
            src_lang=_opt_str(opts, "src_lang"),
            tgt_lang=_opt_str(opts, "tgt_lang"),
            metrics=parse_metrics(opts["metrics"], "metrics") if "metrics" in opts else None,
            scorers=self._batched if self.batching else self.scorers,
        )
        run = CheckRun(segments, settings, batch_size=None, rules=self._rules(cfg))
        if models and not self.batching:  # the former design: one request at a time
            with self._model_lock:
                results = list(run)
        else:
            results = list(run)
        report = run.report(results)
        report.summary_data = None  # from the results, as check_segments does
        reasons = gate_failures(report, fail_on, max_score)
        report.inputs.update(
            {
                "fail_on": fail_on,
                "max_score": max_score,
                "gate": "failed" if reasons else "passed",
                "gate_reasons": reasons,
            }
        )
        return report_to_dict(report)

    def _rules(self, cfg: Config) -> tuple[list[Any], str]:
        """The active rules of ``cfg`` (the service's config with a request's
        ``select`` / ``ignore`` / ``extend_select``) and their signature, computed once
        per selection (about 1 ms a request, half of a rules-only check)."""
        from mtqc.engine import active_rules, rules_signature

        key = (tuple(cfg.select), tuple(cfg.ignore), tuple(cfg.extend_select))
        with self._rules_lock:
            found = self._rules_cache.get(key)
        if found is None:
            rules = active_rules(cfg)
            found = (rules, rules_signature(rules))
            with self._rules_lock:
                if len(self._rules_cache) >= RULES_CACHE:  # selections come from clients
                    self._rules_cache.clear()
                self._rules_cache[key] = found
        return list(found[0]), found[1]

    def parse(self, payload: Any) -> tuple[list[Segment], dict[str, Any]]:
        if not isinstance(payload, dict):
            raise UsageError("the body must be a JSON object with a 'segments' list")
        extra = sorted(set(payload) - OPTION_KEYS)
        if extra:
            import difflib

            hints = []
            for k in extra:
                close = difflib.get_close_matches(k, sorted(OPTION_KEYS), n=1)
                hints.append(f"{k!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
            raise UsageError(
                f"unknown field(s) {', '.join(hints)}; known: {', '.join(sorted(OPTION_KEYS))}"
            )
        items = payload.get("segments")
        if not isinstance(items, list) or not items:
            raise UsageError("'segments' must be a non-empty list of objects with 'mt'")
        if len(items) > self.max_segments:
            raise UsageError(
                f"{len(items)} segments in one request; at most {self.max_segments}: "
                "send them in several requests"
            )
        segments = [_segment(i, item) for i, item in enumerate(items, 1)]
        return segments, {k: v for k, v in payload.items() if k != "segments"}


def _load_all(scorers: list[Any]) -> None:
    """Load the scorers side by side (reading weights and building tokenizers leave the
    GIL; two models load in about the time of the larger)."""
    if len(scorers) < 2:
        for scorer in scorers:
            scorer.load()
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(len(scorers)) as pool:
        for future in [pool.submit(scorer.load) for scorer in scorers]:
            future.result()


class _Call:
    __slots__ = ("items", "result", "error", "done")

    def __init__(self, items: list[Any]):
        self.items = items
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = False


class BatchingScorer:
    """A loaded scorer shared by concurrent requests, which batches their calls.

    ``score(segments)`` and ``annotate_rule_flags(results)`` queue the call; the first
    caller to find the scorer idle takes the model lock, then every call queued by then
    (its own and those that arrived while the models were busy), and makes one call of
    the scorer on all their items; each caller gets its own part of the outputs. A
    scorer's output for a segment does not depend on the other segments of its call (up
    to float rounding of padded batches), so a request gets what it would get alone
    (tested). Everything else (``load``, ``signature``, ``needs``, ``notices``) is the
    scorer's.
    """

    def __init__(self, scorer: Any, model_lock: threading.Lock):
        self.scorer = scorer
        self._model_lock = model_lock
        self._cv = threading.Condition()
        self._queues: dict[str, list[_Call]] = {"score": [], "annotate_rule_flags": []}
        self._busy = False
        #: how many scorer calls were made, and for how many requests' calls (tests, logs)
        self.calls = 0
        self.merged = 0

        if hasattr(scorer, "annotate_rule_flags"):  # the engine looks for it by name
            self.annotate_rule_flags = self._annotate_rule_flags

    def __getattr__(self, name: str) -> Any:
        return getattr(self.scorer, name)

    def score(self, segments: list[Segment]) -> list[Any]:
        return self._submit("score", list(segments))

    def _annotate_rule_flags(self, results: Sequence[SegmentResult]) -> None:
        self._submit("annotate_rule_flags", list(results))

    def _submit(self, method: str, items: list[Any]) -> Any:
        call = _Call(items)
        with self._cv:
            self._queues[method].append(call)
            while not call.done and self._busy:
                self._cv.wait()
            if call.done:
                return _outcome(call)
            self._busy = True
        try:
            with self._model_lock:
                with self._cv:  # everything queued while we waited for the models
                    queues = {m: q for m, q in self._queues.items() if q}
                    for m in queues:
                        self._queues[m] = []
                for m, calls in queues.items():
                    self._run(m, calls)
        finally:
            with self._cv:
                self._busy = False
                self._cv.notify_all()
        return _outcome(call)

    def _run(self, method: str, calls: list[_Call]) -> None:
        items = [x for c in calls for x in c.items]
        try:
            out = getattr(self.scorer, method)(items)
        except BaseException as e:  # every caller of the batch sees the failure
            for c in calls:
                c.error, c.done = e, True
            return
        self.calls += 1
        self.merged += len(calls)
        at = 0
        for c in calls:
            if out is not None:
                c.result = list(out[at : at + len(c.items)])
            at += len(c.items)
            c.done = True


def _outcome(call: _Call) -> Any:
    if call.error is not None:
        raise call.error
    return call.result


def _segment(i: int, item: Any) -> Segment:
    from mtqc.readers.textcheck import forbidden_char

    where = f"segments[{i - 1}]"
    if not isinstance(item, dict):
        raise UsageError(f"{where} must be an object with 'mt', not {type(item).__name__}")
    extra = sorted(set(item) - SEGMENT_KEYS)
    if extra:
        raise UsageError(
            f"{where}: unknown field(s) {', '.join(map(repr, extra))}; "
            f"known: {', '.join(sorted(SEGMENT_KEYS))}"
        )
    if not isinstance(item.get("mt"), str):
        raise UsageError(f"{where}: 'mt' must be a string")
    values: dict[str, Any] = {}
    for key in ("mt", "src", "ref", "bt", "src_lang", "tgt_lang"):
        v = item.get(key)
        if v is None:
            continue
        if not isinstance(v, str):
            raise UsageError(f"{where}: {key!r} must be a string or null")
        if len(v) > MAX_TEXT_CHARS:
            raise UsageError(f"{where}: {key!r} has {len(v)} characters; at most {MAX_TEXT_CHARS}")
        problem = forbidden_char(v)
        if problem:
            raise UsageError(f"{where}: {key!r} holds {problem}")
        values[key] = v
    ident = item.get("id", i)
    doc = item.get("doc", "")
    for key, v in (("id", ident), ("doc", doc)):
        if isinstance(v, bool) or not isinstance(v, str | int):
            raise UsageError(f"{where}: {key!r} must be a string or an integer")
    return Segment(
        id=str(ident),
        mt=values["mt"],
        src=values.get("src") or None,
        ref=values.get("ref") or None,
        bt=values.get("bt") or None,
        src_lang=values.get("src_lang"),
        tgt_lang=values.get("tgt_lang") or "en",
        doc_id=str(doc),
        line=i,
        source_file="request",
    )


def _copy_config(cfg: Config) -> Config:
    import copy

    return copy.copy(cfg)


def _names(value: Any, key: str) -> list[str]:
    if isinstance(value, str):
        value = [v for v in value.split(",") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{key!r} must be a list of strings (or a comma-separated string)")
    return [v.strip() for v in value]


def _prefixes(value: Any, key: str) -> list[str]:
    names = _names(value, key)
    for p in names:
        if not p or not p[0].isalpha():
            raise UsageError(f"{key!r} entries are rule code prefixes like 'P' or 'T001'")
    return [p.upper() for p in names]


def _opt_str(opts: Mapping[str, Any], key: str) -> str | None:
    v = opts.get(key)
    if v is not None and not isinstance(v, str):
        raise UsageError(f"{key!r} must be a string")
    return v


# ------------------------------------------------------------------------ the client


def report_from_dict(data: Mapping[str, Any]) -> Report:
    """A :class:`Report` from the JSON report (``-f json`` / the service's answer), so
    every output format renders it as if checked here."""
    results = []
    for s in data.get("segments", []):
        seg = Segment(
            id=s["id"],
            mt=s["mt"],
            src=s.get("src"),
            ref=s.get("ref"),
            bt=s.get("bt"),
            src_lang=s.get("src_lang"),
            tgt_lang=s.get("tgt_lang") or "en",
            doc_id=s.get("doc", ""),
            line=s.get("line", 0),
            source_file=s.get("source_file", ""),
        )
        flags = [
            Flag(
                **{
                    **{k: v for k, v in f.items() if k in Flag.__slots__},
                    "severity": Severity.parse(f["severity"]),
                }
            )
            for f in s.get("flags", [])
        ]
        results.append(
            SegmentResult(
                segment=seg,
                flags=flags,
                metrics=dict(s.get("metrics", {})),
                score=s.get("score", 0.0),
                suppressed=s.get("suppressed", 0),
            )
        )
    return Report(
        results=results,
        mode=Mode(data["mode"]),
        tool=data.get("tool", "mtqc"),
        version=data.get("version", ""),
        signature=data.get("signature", ""),
        corpus_metrics=data.get("corpus_metrics", {}),
        inputs=dict(data.get("inputs", {})),
        rules=list(data.get("rules", [])),
        created=data.get("created", ""),
        summary_data=data.get("summary"),
    )


def segment_payload(seg: Segment) -> dict[str, Any]:
    """A segment as a request item (line numbers and file names stay on the client)."""
    item: dict[str, Any] = {"mt": seg.mt, "id": seg.id, "doc": seg.doc_id}
    for key in ("src", "ref", "bt", "src_lang"):
        v = getattr(seg, key)
        if v:
            item[key] = v
    if seg.tgt_lang and seg.tgt_lang != "en":
        item["tgt_lang"] = seg.tgt_lang
    return item


def post_check(
    url: str,
    payload: Mapping[str, Any],
    *,
    token: str | None = None,
    timeout: float = 600.0,
) -> dict[str, Any]:
    """POST ``payload`` to the service at ``url`` (its base address or the endpoint);
    the JSON report. Failures are :class:`UsageError` with the service's reason."""
    import urllib.error
    import urllib.request

    endpoint = url.rstrip("/")
    if not endpoint.endswith(f"{API_PREFIX}/check"):
        endpoint += f"{API_PREFIX}/check"
    if not endpoint.startswith(("http://", "https://")):
        raise UsageError(f"--server must be an http:// or https:// address, not {url!r}")
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(endpoint, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - user's URL
            return json.loads(resp.read().decode("utf-8"))
    except urllib.error.HTTPError as e:
        try:
            reason = json.loads(e.read().decode("utf-8")).get("error", "")
        except (ValueError, AttributeError):
            reason = ""
        raise UsageError(
            f"the check service at {endpoint} answered {e.code}: {reason or e.reason}"
        ) from None
    except (urllib.error.URLError, OSError) as e:
        why = getattr(e, "reason", None) or e
        raise UsageError(f"cannot reach the check service at {endpoint}: {why}") from None
    except ValueError:
        raise UsageError(f"the check service at {endpoint} did not answer JSON") from None
