"""A distributed check on Dask (``mtqc check BIG --engine dask``).

One machine, one process is the default engine (:class:`~mtqc.engine.CheckRun`). Beyond
it mtqc runs on Dask's ``distributed`` scheduler, not on a scheduler of its own:

* ``--engine dask`` starts a local cluster (``--workers N`` processes, one thread each,
  default one per core; the models' torch threads share the cores out among them,
  ``MTQC_THREADS`` overrides) for the run and stops it afterwards;
* ``--engine dask://HOST:PORT`` sends the work to a running scheduler (``dask
  scheduler`` / ``dask worker``, or a Kubernetes, HPC or cloud deployment of Dask),
  whose workers have the same mtqc version installed (and the model weights, for
  ``--models``).

How a run goes (:class:`DaskRun`, a :class:`~mtqc.engine.CheckRun`, so the CLI streams its
results to the outputs and the store exactly as for a local run):

1. The driver (this process) reads the input as a local run does: the mode is decided on
   the first batch, languages are detected per file, late sides are named. That is
   CheckRun's own reading side, run without the rules.
2. The segments go into partitions of whole documents (about ``partition_size``
   segments, cut where the document changes; a document longer than twice that is cut
   inside, and the partition then reads the segments around the cut as context, so a
   quotation running over it is seen as in a local run).
3. Each partition is one Dask task, :func:`mtqc.frames.check_partition` (the same core a
   Spark job calls through :func:`mtqc.frames.check_frame`): rules, the document pass,
   reference metrics, model scorers (loaded once per worker process and kept), the risk.
   At most ``max_in_flight`` partitions are submitted or held at a time, so the
   driver's memory stays flat however long the input is.
4. Results come back in input order (partition by partition, by index); the corpus
   metrics add up the partitions' sufficient statistics; the summary counts as the
   results stream by.

A worker that dies mid-run (killed, out of memory) loses its tasks; the scheduler runs
them again on another worker (``retries`` more times for a task that raises). Each
partition's results are taken once, from its own future, so nothing is lost or
duplicated. Task keys are ``mtqc-partition-<index>-<run token>``.

``dask``/``distributed`` are imported here only (the optional ``dask`` extra:
``pip install 'mtqc[dask]'``). Results are identical to a local run's for rules and
reference metrics; model scores may differ in their last digits where a scorer's numbers
depend on which segments share a batch.
"""

from __future__ import annotations

import collections
import contextlib
import copy
import dataclasses
import itertools
import logging
import os
import re
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from mtqc import __version__
from mtqc.checks.punctuation import QUOTATION_SPAN
from mtqc.engine import DEFAULT_BATCH, CheckRun, EngineSettings
from mtqc.errors import MtqcError, UsageError
from mtqc.frames import PartitionResult, check_partition, merge_metric_statistics
from mtqc.metrics import ReferenceMetrics
from mtqc.model import Flag, Mode, Segment, SegmentResult

#: ``--engine`` values: ``local``, ``dask``, ``dask://HOST[:PORT]`` (default port 8786).
ENGINES = ("local", "dask", "dask://HOST:PORT")
DEFAULT_PORT = 8786
#: seconds to wait for an existing scheduler (env ``MTQC_DASK_TIMEOUT``)
CONNECT_TIMEOUT = 10.0
#: Dask settings of the local cluster (``--engine dask``): its housekeeping wakes up
#: less often (the statistical profiler sampled the checking thread every 10 ms, the
#: event loops ticked every 20 ms); a scheduler of your own keeps its own settings.
LOCAL_CLUSTER_CONFIG: dict[str, Any] = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "500ms",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "1s",
}
_ADDRESS_RE = re.compile(
    r"^(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.\-]*)(?::(?P<port>\d+))?$"
)


class DistributedError(MtqcError):
    """The cluster could not finish the run (workers that keep dying); exit status 2."""


def parse_engine(value: str | None) -> tuple[str, str | None]:
    """``--engine`` → ``("local", None)``, ``("dask", None)`` (a local cluster) or
    ``("dask", "tcp://HOST:PORT")`` (an existing scheduler). Anything else is a
    :class:`~mtqc.errors.UsageError` saying what is accepted."""
    if value is None or value == "local":
        return "local", None
    if value == "dask":
        return "dask", None
    if value.startswith(("dask://", "tcp://")):
        rest = value.split("://", 1)[1].rstrip("/")
        m = _ADDRESS_RE.match(rest)
        port = int(m.group("port")) if m and m.group("port") else DEFAULT_PORT
        if m is None or not 0 < port < 65536:
            raise UsageError(
                f"--engine {value!r}: not a scheduler address; use dask://HOST:PORT "
                f"(e.g. dask://10.0.0.5:{DEFAULT_PORT})"
            )
        return "dask", f"tcp://{m.group('host')}:{port}"
    raise UsageError(f"unknown --engine {value!r}; use one of: {', '.join(ENGINES)}")


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise UsageError(
            "--engine dask needs Dask's distributed scheduler: pip install 'mtqc[dask]' "
            "(or 'dask[distributed]')"
        ) from None
    return distributed


class _Reading(CheckRun):
    """CheckRun's reading side alone: the mode decided on the first batch, hidden sides
    dropped, languages filled, late sides named, QUOTATION_SPAN segments held back; its results
    carry the prepared segments and no flags. It keeps the run's (empty) reference
    metrics accumulator, so that the corpus scores use the run's tokenizer."""

    metrics_template: ReferenceMetrics | None = None

    def _rule_flags(self, seg: Segment) -> list[Flag]:
        return []

    def _finish(
        self, results: list[SegmentResult], metrics: ReferenceMetrics | None
    ) -> Iterator[SegmentResult]:
        if metrics is not None and self.metrics_template is None:
            self.metrics_template = copy.deepcopy(metrics)  # before any statistics
        yield from results


class _Signatures:
    """The model scorers' signatures, gathered from the partitions (for the report's
    signature, in the order the models were named)."""

    def __init__(self, models: list[str]):
        self.models = models
        self.signatures: dict[str, str] = {}

    def signature_parts(self) -> list[str]:
        return [self.signatures[m] for m in self.models if m in self.signatures]


def _doc(seg: Segment) -> tuple[str, str]:
    return (seg.source_file, seg.doc_id)


def _cuts(segments: Iterable[Segment], size: int) -> Iterator[list[Segment]]:
    """Consecutive runs of whole documents: cut where the document changes once a run
    holds ``size`` segments, or anywhere at twice that."""
    buf: list[Segment] = []
    for seg in segments:
        if buf and (len(buf) >= 2 * size or (len(buf) >= size and _doc(seg) != _doc(buf[-1]))):
            yield buf
            buf = []
        buf.append(seg)
    if buf:
        yield buf


def partitions(
    segments: Iterable[Segment], size: int
) -> Iterator[tuple[list[Segment], list[Segment], list[Segment]]]:
    """Consecutive partitions of whole documents: ``(segments, before, after)``, each cut
    where the document changes once it holds ``size`` segments, or anywhere at twice
    that; ``before`` / ``after`` are the :data:`~mtqc.checks.punctuation.QUOTATION_SPAN`
    segments before and after it in the input (fewer at its ends), read only so that a
    quotation running over a cut is seen as in a local run. Streams: it reads at most
    that many segments past the partition it yields."""
    if size < 1:
        raise UsageError(f"partition size must be at least 1, not {size}")
    span = QUOTATION_SPAN
    queue: collections.deque[list[Segment]] = collections.deque()
    before: list[Segment] = []

    def emit() -> tuple[list[Segment], list[Segment], list[Segment]]:
        nonlocal before
        head = queue.popleft()
        after = list(itertools.islice(itertools.chain.from_iterable(queue), span))
        out = (head, before, after)
        before = (before + head[-span:])[-span:]  # not a copy of the whole partition
        return out

    for part in _cuts(segments, size):
        queue.append(part)
        while len(queue) > 1 and sum(len(p) for p in itertools.islice(queue, 1, None)) >= span:
            yield emit()
    while queue:
        yield emit()


_SEGMENT_FIELDS = tuple(f.name for f in dataclasses.fields(Segment))
_FLAG_FIELDS = tuple(f.name for f in dataclasses.fields(Flag))


def _pack(results: list[SegmentResult]) -> list[tuple]:
    """Results as plain tuples (field values in declaration order): a third of the
    driver's unpickling time of the dataclasses themselves."""
    return [
        (
            tuple(getattr(r.segment, f) for f in _SEGMENT_FIELDS),
            [tuple(getattr(x, f) for f in _FLAG_FIELDS) for x in r.flags],
            r.metrics,
            r.score,
            r.suppressed,
        )
        for r in results
    ]


def _unpack(rows: list[tuple]) -> list[SegmentResult]:
    return [
        SegmentResult(Segment(*seg), [Flag(*f) for f in flags], metrics, score, suppressed)
        for seg, flags, metrics, score, suppressed in rows
    ]


def _check_task(
    segments: list[Segment],
    before: list[Segment],
    after: list[Segment],
    settings: EngineSettings,
    mode: Mode,
    metrics: ReferenceMetrics | None,
    batch_size: int,
) -> tuple[PartitionResult, list[tuple]]:
    """One partition, on a worker (models from the worker's cache): the partition's
    result without its results, and the results packed (:func:`_pack`)."""
    part = check_partition(
        segments,
        settings,
        mode=mode,
        prepared=True,
        lookbehind=before,
        lookahead=after,
        metrics=copy.deepcopy(metrics) if metrics is not None else None,
        batch_size=batch_size,
    )
    rows = _pack(part.results)
    part.results = []
    return part, rows


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _worker_version() -> str:
    return __version__


class DaskRun(CheckRun):
    """A :class:`~mtqc.engine.CheckRun` whose checking runs on Dask workers: iterate it
    for the results in input order, then :meth:`~mtqc.engine.CheckRun.report`.

    ``address``: an existing scheduler (``tcp://HOST:PORT``); None starts a local cluster
    of ``workers`` processes (default: the CPU count) for the run. ``client``: use this
    ``distributed.Client`` instead (it is not closed). ``partition_size``: segments per
    task (whole documents; default ``max(batch_size, 2000)``). ``max_in_flight``:
    partitions submitted and not yet consumed (default twice the workers, at least 4).
    ``retries``: reruns of a task that raises. The cluster starts on :meth:`start` (or
    the first iteration) and stops on :meth:`close` or at the end of the iteration.

    Raises :class:`~mtqc.errors.UsageError` when Dask is not installed, the scheduler
    cannot be reached, has no workers after ``connect_timeout`` seconds or runs another
    mtqc version; a task's own error (a model that does not load) is raised as is.
    """

    def __init__(
        self,
        segments: Iterable[Segment],
        settings: EngineSettings | None = None,
        *,
        batch_size: int = DEFAULT_BATCH,
        address: str | None = None,
        workers: int | None = None,
        client: Any = None,
        partition_size: int | None = None,
        max_in_flight: int | None = None,
        retries: int = 2,
        connect_timeout: float | None = None,
    ):
        super().__init__(segments, settings, batch_size=batch_size)
        if batch_size is None:
            raise UsageError("a distributed run checks in batches: give a batch size")
        if workers is not None and workers < 1:
            raise UsageError(f"--workers must be at least 1, not {workers}")
        if workers is not None and (address is not None or client is not None):
            raise UsageError(
                "--workers sets the size of the local cluster (--engine dask); an existing "
                "scheduler has its own workers"
            )
        self.address = address
        self.workers = workers or _usable_cpus()
        self.partition_size = partition_size or max(batch_size, 2000)
        self.max_in_flight = max_in_flight
        self.retries = retries
        if connect_timeout is None:
            try:
                connect_timeout = float(os.environ.get("MTQC_DASK_TIMEOUT", CONNECT_TIMEOUT))
            except ValueError:
                raise UsageError("MTQC_DASK_TIMEOUT must be a number of seconds") from None
        self.connect_timeout = connect_timeout
        self.client = client
        self._own_client = client is None
        self._cluster: Any = None
        self.partitions_done = 0

    # ------------------------------------------------------------------ the cluster

    def start(self) -> None:
        """Start the local cluster or connect to the scheduler (once)."""
        if self.client is not None:
            return
        distributed = _distributed()
        if self.address is None:
            # the models' torch threads: the cores shared out among the workers
            threads = os.environ.get("MTQC_THREADS") or str(max(1, _usable_cpus() // self.workers))
            import dask

            try:
                with dask.config.set(LOCAL_CLUSTER_CONFIG):
                    self._cluster = distributed.LocalCluster(
                        n_workers=self.workers,
                        threads_per_worker=1,
                        processes=True,
                        env={"MTQC_THREADS": threads},
                        dashboard_address=":0",  # any free port: no clash with another
                        silence_logs=logging.ERROR,
                    )
                    self.client = distributed.Client(self._cluster)
            except Exception as e:
                self.close()
                raise UsageError(f"cannot start a local Dask cluster: {e}") from None
            return
        try:
            self.client = distributed.Client(self.address, timeout=self.connect_timeout)
        except (OSError, TimeoutError) as e:
            raise UsageError(
                f"cannot reach the Dask scheduler at {self.address}: {e}\n"
                "  start one with `dask scheduler` (and `dask worker ADDRESS`), or use "
                "--engine dask for a local cluster"
            ) from None
        try:
            self.client.wait_for_workers(1, timeout=self.connect_timeout)
        except (OSError, TimeoutError):
            self.close()
            raise UsageError(
                f"the Dask scheduler at {self.address} has no workers "
                f"(waited {self.connect_timeout:g} s); start some with "
                f"`dask worker {self.address}`"
            ) from None
        try:
            versions = self.client.run(_worker_version)
        except Exception as e:  # a worker without mtqc cannot even load the function
            self.close()
            raise UsageError(
                f"the Dask workers at {self.address} cannot run mtqc "
                f"({type(e).__name__}: {e}); install mtqc {__version__} on them"
            ) from None
        other = sorted({v for v in versions.values() if v != __version__})
        if other:
            self.close()
            raise UsageError(
                f"the Dask workers at {self.address} run mtqc {', '.join(other)}, this is "
                f"{__version__}: install the same version on both sides"
            )

    def close(self) -> None:
        """Stop the local cluster / disconnect (a client given by the caller stays)."""
        client, cluster = self.client, self._cluster
        if self._own_client:
            self.client = None
        self._cluster = None
        with contextlib.suppress(Exception):
            if client is not None and self._own_client:
                client.close()
        with contextlib.suppress(Exception):
            if cluster is not None:
                cluster.close()

    def __enter__(self) -> DaskRun:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ the run

    def _run(self) -> Iterator[SegmentResult]:
        settings = self.settings
        signatures = _Signatures(list(settings.models))
        self._scorers = signatures  # the report's signature reads the scorers' parts
        reading = _Reading(
            self._segments,
            dataclasses.replace(settings, models=[], scorers={}),
            batch_size=self.batch_size,
        )
        # what each task gets: loaded scorers stay here (workers load their own)
        remote = dataclasses.replace(settings, scorers={})
        try:
            self.start()
            client = self.client
            assert client is not None
            n_workers = max(1, len(client.scheduler_info().get("workers", {})) or self.workers)
            limit = self.max_in_flight or max(4, 2 * n_workers)
            token = uuid.uuid4().hex[:12]
            total: ReferenceMetrics | None = None
            notices: list[str] = []
            pending: collections.deque[tuple[int, Any]] = collections.deque()

            def collect() -> Iterator[SegmentResult]:
                nonlocal total
                index, future = pending.popleft()
                part = _result(future, index)
                future.release()
                if part.metric_segments:
                    if total is None:
                        template = reading.metrics_template
                        total = (
                            copy.deepcopy(template)
                            if template is not None
                            else ReferenceMetrics(
                                part.results[0].segment.tgt_lang, settings.reference_metrics()
                            )
                        )
                    merge_metric_statistics(total, part.metric_statistics, part.metric_segments)
                for n in part.notices:
                    if n not in notices:
                        notices.append(n)
                signatures.signatures.update(part.signatures)
                self.partitions_done += 1
                for r in part.results:
                    self.summary.add(r)
                    yield r

            for index, (segs, before, after) in enumerate(
                partitions((r.segment for r in reading), self.partition_size)
            ):
                assert reading.mode is not None
                self.mode = reading.mode
                future = client.submit(
                    _check_task,
                    segs,
                    before,
                    after,
                    remote,
                    reading.mode,
                    reading.metrics_template,
                    self.batch_size,
                    key=f"mtqc-partition-{index}-{token}",
                    retries=self.retries,
                    pure=False,
                )
                pending.append((index, future))
                while len(pending) >= limit:
                    yield from collect()
            while pending:
                yield from collect()
        finally:
            self.close()
        self.mode = reading.mode
        self.notices[:] = notices + [n for n in reading.notices if n not in notices]
        self.corpus_metrics = total.corpus() if total is not None else {}
        self.finished = True


def _result(future: Any, index: int) -> PartitionResult:
    """A partition's result; a task error is raised as mtqc's own when it is one."""
    try:
        part, rows = future.result()
    except MtqcError:
        raise
    except Exception as e:
        name = type(e).__name__
        if name == "KilledWorker":
            raise DistributedError(
                f"partition {index}: the Dask workers running it died again and again "
                f"({e}); they may be out of memory: give each more (fewer --workers per "
                "machine: each loads its own models)"
            ) from None
        raise
    if not isinstance(part, PartitionResult):  # pragma: no cover - a bug
        raise TypeError(f"partition {index}: unexpected task result {type(part).__name__}")
    part.results = _unpack(rows)
    return part


def dask_run(
    engine: str,
    segments: Iterable[Segment],
    settings: EngineSettings,
    *,
    batch_size: int = DEFAULT_BATCH,
    workers: int | None = None,
) -> DaskRun:
    """The :class:`DaskRun` for ``--engine ENGINE`` (see :func:`parse_engine`), started
    (so that a missing Dask or an unreachable scheduler is said before any output)."""
    kind, address = parse_engine(engine)
    if kind != "dask":
        raise UsageError(f"--engine {engine!r} is not a Dask engine")
    run = DaskRun(segments, settings, batch_size=batch_size, address=address, workers=workers)
    run.start()
    return run
