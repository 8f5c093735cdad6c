"""Measure causal LMs as target-only mistranslation detectors (speed and span quality).

Usage (from the repository root, with the models extra installed)::

    HF_HUB_OFFLINE=1 .venv/bin/python bench/bench_lm.py --lm smollm2 --n 600
    HF_HUB_OFFLINE=1 .venv/bin/python bench/bench_lm.py --lm gemma-3-270m --accept-model-terms

Quality is measured on the MT items of the MQM benchmark (zh→en TED, expert spans):
word-level ROC-AUC of each word score for "this word is inside a gold error span", and
character-level F1 of the scorer's merged spans against the gold spans (major+minor).
Speed: model load time, segments/s and tokens/s of scoring, peak RSS. The items are a
deterministic spread over the file (every k-th MT item), never hand-picked.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(
    os.environ.get(
        "MTQC_BENCHMARK", ROOT.parent / "shared" / "benchmarks" / "mqm-ted21.zh-en.jsonl"
    )
)


def load_items(path: Path, n: int, min_words: int = 0) -> list[dict]:
    items = [json.loads(line) for line in path.open(encoding="utf-8")]
    mt = [
        it
        for it in items
        if not it["is_human"]
        and not any(s.get("nontranslation") for s in it["spans"])
        and len(it["hyp"].split()) >= min_words
    ]
    step = max(1, len(mt) // n)
    return mt[::step][:n]


def roc_auc(scores: list[float], labels: list[int]) -> float:
    """Mann–Whitney AUC with ties counted half."""
    pairs = sorted(zip(scores, labels, strict=True))
    n_pos = sum(labels)
    n_neg = len(labels) - n_pos
    if not n_pos or not n_neg:
        return float("nan")
    rank_sum = 0.0
    i = 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        avg_rank = (i + j + 1) / 2  # 1-based average rank of the tie group
        rank_sum += avg_rank * sum(lab for _, lab in pairs[i:j])
        i = j
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def char_f1(pred: list[set[int]], gold: list[set[int]]) -> tuple[float, float, float]:
    tp = sum(len(p & g) for p, g in zip(pred, gold, strict=True))
    np_ = sum(len(p) for p in pred)
    ng = sum(len(g) for g in gold)
    prec = tp / np_ if np_ else 0.0
    rec = tp / ng if ng else 0.0
    return prec, rec, (2 * prec * rec / (prec + rec) if prec + rec else 0.0)


def cpu_seconds() -> float:
    """User + system CPU time of this process (all threads)."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lm", default=None)
    ap.add_argument("--accept-model-terms", action="store_true")
    ap.add_argument("--dtype", default=None)
    ap.add_argument("--n", type=int, default=600)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument(
        "--min-words", type=int, default=0, help="only items this long (20: news-length)"
    )
    ap.add_argument("--json", default=None, help="write the figures here")
    ap.add_argument(
        "--source",
        action="store_true",
        help="measure the source-conditioned scorer (M003) instead: needs a multilingual --lm",
    )
    ap.add_argument(
        "--cache", action="store_true", help="use the result cache (speed figures are then void)"
    )
    args = ap.parse_args(argv)

    from mtqc.model import Segment
    from mtqc.scorers import lm as lmmod

    items = load_items(BENCH, args.n, args.min_words)
    if args.source:
        return bench_source(args, items)
    t0 = time.perf_counter()
    scorer = lmmod.LMFluencyScorer(
        lm=args.lm,
        accept_model_terms=args.accept_model_terms,
        dtype=args.dtype,
        batch_size=args.batch_size,
        cache=args.cache,
    )
    scorer.load()
    load_s = time.perf_counter() - t0
    segs = [Segment(id=it["id"], mt=it["hyp"]) for it in items]
    t1, c1 = time.perf_counter(), cpu_seconds()
    analyses = scorer.analyse([s.mt for s in segs])
    score_s, cpu_s = time.perf_counter() - t1, cpu_seconds() - c1
    n_tok = sum(len(a.token_bits) for a in analyses)
    outs = scorer.score(segs)  # flags at the shipped default threshold (analysis cached)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    gold_chars: list[set[int]] = []
    feats: dict[str, list[float]] = {
        "raw_bits": [],
        "excess": [],
        "max_token_bits": [],
        "slor": [],
        "half_slor": [],
    }
    try:
        from wordfreq import zipf_frequency
    except ImportError:  # the unigram comparison is optional
        zipf_frequency = None
    labels: list[int] = []
    for it, a in zip(items, analyses, strict=True):
        g: set[int] = set()
        for s in it["spans"]:
            g.update(range(s["start"], s["end"]))
        gold_chars.append(g)
        for w in a.words:
            labels.append(int(any(c in g for c in range(w.start, w.end))))
            feats["raw_bits"].append(w.bits)
            feats["excess"].append(w.excess)
            feats["max_token_bits"].append(w.max_token_bits)
            if zipf_frequency is not None:
                # unigram surprisal in bits: p = 10**(zipf - 9); unknown words get zipf 1
                uni = (9 - max(zipf_frequency(w.text, "en"), 1.0)) * 3.3219
                feats["slor"].append(w.bits - uni)
                feats["half_slor"].append(w.bits - 0.5 * uni)
    aucs = {k: round(roc_auc(v, labels), 4) for k, v in feats.items() if v}

    # char F1 when flagging words whose feature is above a quantile (merged, word-aligned)
    sweeps: dict[str, dict[str, float]] = {}
    for key, attr in (("raw_bits", "bits"), ("excess", "excess")):
        vals = sorted(feats[key])
        best = (0.0, 0.0, 0.0, 0.0)
        for q in (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98):
            thr = vals[int(q * (len(vals) - 1))]
            pred = []
            for a in analyses:
                spans = lmmod.merge_spans([getattr(w, attr) >= thr for w in a.words], a.words)
                pred.append({c for s, e in spans for c in range(s, e)})
            p, r, f = char_f1(pred, gold_chars)
            if f > best[3]:
                best = (q, thr, p, f)
        sweeps[key] = {
            "best_quantile": best[0],
            "threshold": round(best[1], 2),
            "precision": round(best[2], 3),
            "f1": round(best[3], 3),
        }
    pred = [{c for f in o.flags for c in range(f.start, f.end)} for o in outs]
    p, r, f = char_f1(pred, gold_chars)
    all_chars = [set(range(len(it["hyp"]))) for it in items]
    flagged_segments = sum(1 for o in outs if o.flags)
    figures = {
        "model": scorer.signature(),
        "items": len(items),
        "tokens": n_tok,
        "load_s": round(load_s, 2),
        "score_s": round(score_s, 2),
        "segments_per_s": round(len(items) / score_s, 2),
        "tokens_per_s": round(n_tok / score_s, 1),
        # what the 2 cores would give without other jobs: segments per CPU-second × threads
        "segments_per_s_uncontended_est": round(
            len(items) / cpu_s * __import__("torch").get_num_threads(), 2
        ),
        "cpu_s": round(cpu_s, 1),
        "peak_rss_mb": round(rss_mb),
        "threads": __import__("torch").get_num_threads(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "word_auc": aucs,
        "char_f1_sweep": sweeps,
        "default_threshold": {
            "precision": round(p, 3),
            "recall": round(r, 3),
            "f1": round(f, 3),
            "flagged_segments": flagged_segments,
        },
        "flag_every_char_f1": round(char_f1(all_chars, gold_chars)[2], 3),
    }
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    return 0


def bench_source(args: argparse.Namespace, items: list[dict]) -> int:
    """Word AUC of source-conditioned bits and of the source's gain; M003 span F1."""
    from mtqc.model import Segment
    from mtqc.scorers.source import SourceEvidenceScorer

    t0 = time.perf_counter()
    sc = SourceEvidenceScorer(
        lm=args.lm,
        accept_model_terms=args.accept_model_terms,
        dtype=args.dtype,
        batch_size=args.batch_size,
        cache=args.cache,
    )
    sc.load()
    load_s = time.perf_counter() - t0
    segs = [Segment(id=it["id"], mt=it["hyp"], src=it["src"], src_lang="zh") for it in items]
    t1, c1 = time.perf_counter(), cpu_seconds()
    gains = sc.word_gains(segs)
    score_s, cpu_s = time.perf_counter() - t1, cpu_seconds() - c1
    outs = sc.score(segs)
    feats: dict[str, list[float]] = {
        "bits": [],
        "cond_bits": [],
        "neg_gain": [],
        "cond_minus_gain": [],
    }
    labels: list[int] = []
    gold_chars: list[set[int]] = []
    for it, words in zip(items, gains, strict=True):
        g: set[int] = set()
        for sp in it["spans"]:
            g.update(range(sp["start"], sp["end"]))
        gold_chars.append(g)
        for w in words:
            labels.append(int(any(c in g for c in range(w["start"], w["end"]))))
            feats["bits"].append(w["bits"])
            feats["cond_bits"].append(w["cond_bits"])
            feats["neg_gain"].append(-w["gain"])
            feats["cond_minus_gain"].append(w["cond_bits"] - w["gain"])
    pred = [{c for f in o.flags if f.side == "mt" for c in range(f.start, f.end)} for o in outs]
    p, r, f = char_f1(pred, gold_chars)
    figures = {
        "model": sc.signature(),
        "items": len(items),
        "load_s": round(load_s, 2),
        "score_s (two passes)": round(score_s, 2),
        "segments_per_s": round(len(items) / score_s, 2),
        "cpu_s": round(cpu_s, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "word_auc": {k: round(roc_auc(v, labels), 4) for k, v in feats.items()},
        "m003_default": {
            "precision": round(p, 3),
            "recall": round(r, 3),
            "f1": round(f, 3),
            "flagged_segments": sum(1 for o in outs if o.flags),
        },
    }
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
