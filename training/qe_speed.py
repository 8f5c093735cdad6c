"""Load time, speed and peak memory of the ``qe`` scorer on CPU (no result cache).

    python -m training.qe_speed --n 300 --threads 2

Segments: the first ``--n`` MT items of nlnews-dev (src + mt), scored once after a warm-up
batch. Peak memory is the process's ``ru_maxrss``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--file", default=str(BENCH / "nlnews-dev.nl-en.jsonl"))
    a = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    t0 = time.time()
    from mtqc.model import Segment
    from mtqc.scorers.qe import QEScorer

    s = QEScorer(cache=False, threads=a.threads)
    s.load()
    load_s = time.time() - t0
    rows = [json.loads(line) for line in Path(a.file).read_text(encoding="utf-8").splitlines()]
    segs = [
        Segment(id=str(i), src=r["src"], mt=r.get("mt") or r["hyp"])
        for i, r in enumerate(rows[: a.n])
    ]
    s.score(segs[:16])
    t = time.time()
    s.score(segs)
    dt = time.time() - t
    print(
        json.dumps(
            {
                "load_s": round(load_s, 2),
                "segments": len(segs),
                "segments_per_s": round(len(segs) / dt, 1),
                "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
                "threads": a.threads,
                "loadavg": os.getloadavg(),
            }
        )
    )


if __name__ == "__main__":
    main()
