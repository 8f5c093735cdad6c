"""Load time, speed and peak memory of the ``qe`` scorer on CPU (no result cache).

    python -m training.qe_speed --n 300 --threads 2            # TED zh→en src + MT
    python -m training.qe_speed --n 300 --data nlnews --fp32   # nlnews-dev nl→en, fp32

Segments: ``--n`` MT items (src + mt) of the TED development set (a fixed random sample)
or of nlnews-dev, scored once after a warm-up batch. Besides segments per second of wall
time it prints segments per CPU-second (user + system time of all threads), which
depends less on what else the machine runs. Load time is measured from before
the scorer's import, in a fresh process. Peak memory is the process's ``ru_maxrss``. The
machine's load average is printed with the figures: on a shared machine they vary.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks"
FILES = {"ted": "mqm-ted21.zh-en.jsonl", "nlnews": "nlnews-dev.nl-en.jsonl"}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data", choices=sorted(FILES), default="ted")
    ap.add_argument("--fp32", action="store_true", help="no int8 quantisation")
    ap.add_argument("--batch-size", type=int, default=None)
    a = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    t0 = time.time()
    from mtqc.model import Segment
    from mtqc.scorers.qe import QEScorer

    opts = {"batch_size": a.batch_size} if a.batch_size else {}
    s = QEScorer(cache=False, threads=a.threads, quantize=not a.fp32, **opts)
    s.load()
    load_s = time.time() - t0
    path = BENCH / FILES[a.data]
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if not r.get("is_human")]
    if a.data == "ted":
        random.Random(0).shuffle(rows)
    segs = [
        Segment(id=str(i), src=r["src"], mt=r.get("mt") or r["hyp"])
        for i, r in enumerate(rows[: a.n])
    ]
    s.score(segs[:16])
    t, c = time.time(), time.process_time()
    s.score(segs)
    dt, cpu = time.time() - t, time.process_time() - c
    print(
        json.dumps(
            {
                "data": a.data,
                "int8": s._int8,
                "load_s": round(load_s, 2),
                "segments": len(segs),
                "segments_per_s": round(len(segs) / dt, 1),
                "segments_per_cpu_s": round(len(segs) / cpu, 1),
                "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
                "threads": a.threads,
                "loadavg": [round(x, 2) for x in os.getloadavg()],
            }
        )
    )


if __name__ == "__main__":
    main()
