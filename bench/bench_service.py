"""The check service (``mtqc serve``) under load, over real HTTP on loopback.

Usage (from the repository root, models extra and weight packages installed)::

    HF_HUB_OFFLINE=1 .venv/bin/python bench/bench_service.py [--articles 30] [--seconds 15]

Starts ``mtqc serve --models tagger,lm`` in a subprocess (a fresh result cache that only
links the converted-model folder, so no request is answered from the cache and no run
pays the GGUF conversion), waits until it listens, then measures:

1. **article latency, warm**: ``--articles`` different 20-segment articles (consecutive
   MT items of the development benchmark, ``../shared/benchmarks/mqm-ted21.zh-en.jsonl``,
   target-only as a CMS sends them), one request at a time with the default models
   (``tagger,lm``); one untimed request first. p50 / p99 / max of the request latency.
2. with ``--concurrent N``: another ``--articles`` articles sent by N clients at once
   (articles/s: what the micro-batching of concurrent requests gives);
3. **rules-only requests/s**: single-segment requests with ``"models": []`` from
   ``--clients`` threads (4), ``--rounds`` rounds of ``--seconds`` each (each client
   keeps one HTTP/1.1 keep-alive connection, reconnecting if it fails, as a CMS would);
   requests answered per second, median and each round.

``--models ""`` starts a rules-only service (and skips nothing else). Also prints the
start time (model loading included). The client runs on the same machine and takes its
share of the CPUs; the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(
    os.environ.get(
        "MTQC_BENCHMARK", ROOT.parent / "shared" / "benchmarks" / "mqm-ted21.zh-en.jsonl"
    )
)


def articles(n: int, size: int = 20) -> list[list[str]]:
    rows = [json.loads(line) for line in BENCH.open(encoding="utf-8")]
    seen: set[str] = set()
    hyps = []
    for r in rows:
        if not r.get("is_human") and r["hyp"] not in seen:
            seen.add(r["hyp"])
            hyps.append(r["hyp"])
    return [hyps[i * size : (i + 1) * size] for i in range(n)]


def post(host: str, port: int, body: dict) -> tuple[int, float]:
    """POST ``body`` on a new connection."""
    data = json.dumps(body).encode()
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection(host, port, timeout=120)
    conn.request("POST", "/api/v1/check", data, {"Content-Type": "application/json"})
    resp = conn.getresponse()
    resp.read()
    conn.close()
    return resp.status, time.perf_counter() - t0


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    k = min(len(xs) - 1, max(0, round(p / 100 * (len(xs) - 1))))
    return xs[k]


def run_clients(client: Callable[[], None], clients: int) -> float:
    """Run ``client`` in ``clients`` threads at once; the seconds until all have ended."""
    threads = [threading.Thread(target=client) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0


def rules_only_rate(host: str, port: int, seconds: float, clients: int) -> float:
    """Single-segment rules-only requests answered per second by ``clients`` threads."""
    one = {"segments": [{"mt": "The spillover action was prepared for months."}], "models": []}
    done = [0]
    stop = time.perf_counter() + seconds
    lock = threading.Lock()

    data = json.dumps(one).encode()
    headers = {"Content-Type": "application/json"}

    def client() -> None:
        n = 0
        conn = http.client.HTTPConnection(host, port, timeout=120)
        while time.perf_counter() < stop:
            try:
                conn.request("POST", "/api/v1/check", data, headers)
                resp = conn.getresponse()
                resp.read()
            except (OSError, http.client.HTTPException):
                conn.close()  # the server closed it (idle timeout): reconnect
                conn = http.client.HTTPConnection(host, port, timeout=120)
                continue
            assert resp.status == 200, resp.status
            n += 1
        conn.close()
        with lock:
            done[0] += n

    took = run_clients(client, clients)  # before reading done: the clients fill it
    return done[0] / took


def concurrent_articles(host: str, port: int, arts: list[list[str]], clients: int) -> float:
    """Articles per second when ``clients`` threads each send articles back to back."""
    todo = list(arts)
    lock = threading.Lock()

    def client() -> None:
        while True:
            with lock:
                if not todo:
                    return
                art = todo.pop()
            status, _ = post(host, port, {"segments": [{"mt": t} for t in art]})
            assert status == 200, status

    return len(arts) / run_clients(client, clients)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=int, default=30, help="0: skip the article latency")
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=3, help="rounds of rules-only requests")
    ap.add_argument("--models", default="tagger,lm")
    ap.add_argument(
        "--concurrent",
        type=int,
        default=0,
        help="also send the articles again from this many clients at once (articles/s)",
    )
    args = ap.parse_args()
    from mtqc.scorers.cache import cache_dir

    work = Path(tempfile.mkdtemp())
    cache = work / "cache"
    cache.mkdir()
    if (cache_dir() / "models").exists():
        (cache / "models").symlink_to(cache_dir() / "models")
    env = {**os.environ, "MTQC_CACHE_DIR": str(cache), "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "mtqc", "serve", "--port", "0", "--store"]
    cmd += [str(work / "h.sqlite"), "--max-segments", "100"]
    if args.models:
        cmd += ["--models", args.models]
    rows = []
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True, cwd=work)
    try:
        line = ""
        while "check service" not in line:
            line = proc.stderr.readline()
            if proc.poll() is not None:
                sys.exit(f"mtqc serve ended: {line}")
        rows.append((f"start incl. loading `{args.models}`", f"{time.perf_counter() - t0:.1f} s"))
        # keep reading its log (one line a request): a full pipe would block the server
        threading.Thread(target=proc.stderr.read, daemon=True).start()
        m = re.search(r"http://([^:/]+):(\d+)/", line)
        assert m is not None
        host, port = m.group(1), int(m.group(2))
        if args.articles:
            arts = articles(2 * args.articles + 1 if args.concurrent else args.articles + 1)
            status, _ = post(host, port, {"segments": [{"mt": t} for t in arts[0]]})
            assert status == 200, status
            lat = []
            for art in arts[1 : args.articles + 1]:
                status, dt = post(host, port, {"segments": [{"mt": t} for t in art]})
                assert status == 200, status
                lat.append(dt)
                print(f"article {len(lat)}: {dt:.2f} s", file=sys.stderr, flush=True)
            rows.append(
                (
                    f"20-segment article, `{args.models}` warm, {len(lat)} articles: "
                    "p50 / p99 / max",
                    f"{statistics.median(lat):.2f} / {pct(lat, 99):.2f} / {max(lat):.2f} s",
                )
            )
            if args.concurrent:
                rate = concurrent_articles(host, port, arts[args.articles + 1 :], args.concurrent)
                rows.append(
                    (
                        f"{args.articles} other articles from {args.concurrent} clients at once",
                        f"{rate:.2f} articles/s ({1 / rate:.2f} s each)",
                    )
                )
        rates = [
            rules_only_rate(host, port, args.seconds, args.clients) for _ in range(args.rounds)
        ]
        rows.append(
            (
                f"rules-only single-segment requests, {args.clients} client threads, "
                f"{args.rounds} rounds of {args.seconds:.0f} s: median (each)",
                f"{statistics.median(rates):.0f} /s ({', '.join(f'{r:.0f}' for r in rates)})",
            )
        )
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    print(
        f"{time.strftime('%Y-%m-%d %H:%M')}, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f} (1 min) "
        f"{os.getloadavg()[1]:.1f} (5 min) at the end"
    )
    print("| measure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
