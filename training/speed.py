"""Scorer speed on benchmark MT items (segments/s, 1 torch thread, no result cache).

python -m training.speed --n 600
"""

from __future__ import annotations

import argparse
import time

from mtqc.model import Segment
from training.data import load_items


def main() -> None:
    import torch

    from mtqc.scorers.align import ReferenceAlignmentScorer
    from mtqc.scorers.tagger import SpanTagger

    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=600)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    items = load_items()[: args.n]
    t0 = time.time()
    tagger = SpanTagger(cache=False)
    tagger.load()
    align = ReferenceAlignmentScorer()
    align.load()
    print(f"load: {time.time() - t0:.1f}s")
    for label, segs in [
        ("tagger, reference", [Segment(id=it.id, mt=it.mt, ref=it.ref) for it in items]),
        ("tagger, target-only", [Segment(id=it.id, mt=it.mt) for it in items]),
    ]:
        t0 = time.time()
        out = tagger.score(segs)
        dt = time.time() - t0
        n_flags = sum(len(o.flags) for o in out)
        print(f"{label}: {len(segs) / dt:.0f} segments/s ({n_flags / len(segs):.2f} flags/seg)")
    segs = [Segment(id=it.id, mt=it.mt, ref=it.ref) for it in items]
    t0 = time.time()
    out = align.score(segs)
    dt = time.time() - t0
    n_flags = sum(len(o.flags) for o in out)
    print(f"align: {len(segs) / dt:.0f} segments/s ({n_flags / len(segs):.2f} flags/seg)")


if __name__ == "__main__":
    main()
