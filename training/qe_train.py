"""Train the QE cross-encoder (``qe`` scorer, M006) from ``training/qe_data.py``'s folder.

Runs unchanged on a GPU (bf16 autocast) and on CPU, where it is a smoke run (a few
hundred items, a few steps) unless ``--full`` is given. Needs only torch and numpy.

* body: e5-small; word embeddings frozen; layers ``--train-layers`` (default 8–11)
  trained in full, LoRA (rank 16, alpha 32) on every linear layer of the others;
* loss: token cross-entropy over the MT tokens (OK/minor/major, weights 1/2/3) +
  segment MSE of ``log(1+MQM)/log(26)`` + BCE of has_major, + ``--rank-weight`` ×
  RankNet over the pairs of one source's translations (:func:`rank_loss`); a reference
  is appended to half the batches that have one, so one model serves source and
  reference mode;
* batches: length-sorted, shuffled batch order (of whole source groups with the ranking
  loss or ``--group-batches``), built in a background thread; validation = fold 0
  (documents), run every ``--select-every`` epochs: the checkpoint with the best
  Kendall all + within a source of the runtime risk is kept;
* after training: word thresholds for p(error) and p(major) chosen on validation
  (token-level F1), validation Kendall of both segment outputs, and the shipped
  weights (trained layers, LoRA factors, heads; fp16) in ``OUT/qe.N.pt`` with the
  config, the log in ``OUT/qe-train.json``; ``--pack OUT`` writes them as
  ``mtqc/scorers/weights/qe.safetensors``.

    python -m training.qe_train --data .mtqc-cache/qe-carry --out /tmp/qe-out
    python -m training.qe_train --pack /tmp/qe-out [--pack-to DEST]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]


def _load_qe_net():
    """``mtqc/scorers/qe_net.py`` as a standalone module (it needs only torch), so that a
    bare GPU machine does not import the rest of mtqc and its dependencies."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("qe_net", ROOT / "mtqc" / "scorers" / "qe_net.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("qe_net", mod)
    spec.loader.exec_module(mod)
    return mod


_qe = _load_qe_net()
QENet, add_lora, build_batch = _qe.QENet, _qe.add_lora, _qe.build_batch
set_trainable, shipped_state = _qe.set_trainable, _qe.shipped_state


LOG26 = math.log(26.0)


def load_mini(path: Path) -> tuple[dict, dict[str, torch.Tensor]]:
    """The e5 config and BertModel-named fp32 state from ``e5mini.npz``."""
    z = np.load(path)
    cfg = json.loads(str(z["config"]))
    cfg["vocab_size"] = len(z["used"])
    state = {}
    for key in z.files:
        if not key.startswith("t:"):
            continue
        name = key[2:]
        dtype, n = (int(v) for v in z[f"d:{name}"])
        raw = z[key].tobytes()
        arr = _qe.dequantize_q4_0(raw, n) if dtype == 1 else np.frombuffer(raw, "<f4", n)
        state[_qe.e5_parameter_name(name)] = torch.from_numpy(np.array(arr, np.float32))
    return cfg, state


def load_data(path: Path) -> dict:
    z = np.load(path)
    d = {k: z[k] for k in z.files}
    for k in ("src", "mt", "ref"):
        lens = d[f"{k}_len"]
        off = np.concatenate([[0], np.cumsum(lens)])
        d[f"{k}_off"] = off
    d["lab_off"] = d["mt_off"]
    d["n"] = len(d["mqm"])
    d["group"] = source_groups(d)
    return d


def source_groups(d: dict) -> np.ndarray:
    """``(n,)`` int64: one id per distinct (language pair, source token sequence), so that
    the systems' translations of one source sentence share an id."""
    ids: dict[tuple[int, bytes], int] = {}
    out = np.empty(d["n"], np.int64)
    src, off, lp = d["src"], d["src_off"], d["lp"]
    for i in range(d["n"]):
        key = (int(lp[i]), src[off[i] : off[i + 1]].tobytes())
        out[i] = ids.setdefault(key, len(ids))
    return out


def row(d: dict, i: int, with_ref: bool):
    def get(k):
        return d[k][d[f"{k}_off"][i] : d[f"{k}_off"][i + 1]].tolist()

    return (get("src"), get("mt"), get("ref") if with_ref else None), get("lab")


def batches(d: dict, idx: list[int], bs: int, shuffle: bool, rng: random.Random) -> list[list[int]]:
    total = d["src_len"] + d["mt_len"] + d["ref_len"]
    order = sorted(idx, key=lambda i: (total[i], rng.random() if shuffle else 0))
    out = [order[k : k + bs] for k in range(0, len(order), bs)]
    if shuffle:
        rng.shuffle(out)
    return out


def group_batches(d: dict, idx: list[int], max_items: int, rng: random.Random) -> list[list[int]]:
    """Batches of whole source groups (all translations of one source together, so that
    the ranking loss sees them side by side), groups length-sorted with random ties, at
    most ``max_items`` items a batch (a larger group is cut), batch order shuffled."""
    total = d["src_len"] + d["mt_len"] + d["ref_len"]
    groups: dict[int, list[int]] = {}
    for i in idx:
        groups.setdefault(int(d["group"][i]), []).append(i)
    members = list(groups.values())
    members.sort(key=lambda g: (float(np.mean(total[g])), rng.random()))
    out: list[list[int]] = [[]]
    for g in members:
        for k in range(0, len(g), max_items):
            part = g[k : k + max_items]
            if len(out[-1]) + len(part) > max_items:
                out.append([])
            out[-1].extend(part)
    out = [b for b in out if b]
    rng.shuffle(out)
    return out


def rank_loss(
    score: torch.Tensor, target: torch.Tensor, group: torch.Tensor, margin: float, sigma: float
):
    """RankNet loss over pairs of one source's translations: for every pair (i, j) of a
    group with ``target[i] > target[j] + margin``, ``softplus(-sigma (score[i] - score[j]))``,
    averaged over pairs (0 when the batch has none). Burges et al. 2005, "Learning to rank
    using gradient descent"."""
    same = group[:, None] == group[None, :]
    better = (target[:, None] - target[None, :]) > margin
    pairs = same & better
    n = pairs.sum()
    if int(n) == 0:
        return score.sum() * 0.0
    diff = score[:, None] - score[None, :]
    return F.softplus(-sigma * diff)[pairs].sum() / n


def seg_targets(d: dict, ix: list[int]):
    y = np.clip(np.log1p(np.maximum(d["mqm"][ix], 0.0)) / LOG26, 0.0, 1.3)
    return torch.tensor(y, dtype=torch.float32), torch.tensor(d["major"][ix], dtype=torch.float32)


def kendall_b(x: np.ndarray, y: np.ndarray) -> float:
    """Kendall tau-b (O(n^2) in blocks; fine for a few thousand items)."""
    n = len(x)
    conc = disc = tx = ty = 0.0
    for s in range(0, n, 512):
        dx = np.sign(x[s : s + 512, None] - x[None, :])
        dy = np.sign(y[s : s + 512, None] - y[None, :])
        conc += float(((dx * dy) > 0).sum())
        disc += float(((dx * dy) < 0).sum())
        tx += float(((dx == 0) & (dy != 0)).sum())
        ty += float(((dy == 0) & (dx != 0)).sum())
    denom = math.sqrt((conc + disc + tx) * (conc + disc + ty))
    return (conc - disc) / denom if denom else 0.0


def within_taus(x: np.ndarray, y: np.ndarray, group: np.ndarray) -> list[float]:
    """Kendall tau-b of each group (source) with at least two items and some spread in
    both ``x`` and ``y``."""
    taus = []
    for g in np.unique(group):
        m = group == g
        if m.sum() < 2 or np.ptp(y[m]) == 0 or np.ptp(x[m]) == 0:
            continue
        taus.append(kendall_b(x[m], y[m]))
    return taus


def kendall_within(x: np.ndarray, y: np.ndarray, group: np.ndarray) -> float:
    """Mean of :func:`within_taus` (the issue's "within sentence" figure; 0 when no
    group qualifies)."""
    taus = within_taus(x, y, group)
    return float(np.mean(taus)) if taus else 0.0


def qe_risk(seg: np.ndarray) -> np.ndarray:
    """The runtime segment risk (``mtqc.scorers.combine.qe_risk``) from ``(n, 2)`` head
    outputs: mean of P(major) and the clipped scaled MQM."""
    return 0.5 / (1 + np.exp(-seg[:, 1])) + 0.5 * np.clip(seg[:, 0], 0.0, 1.0)


@torch.no_grad()
def predict(net, d, idx, with_ref, device, bs=128, amp=None):
    net.eval()
    probs, segs = {}, {}
    rng = random.Random(0)
    for b in batches(d, idx, bs, False, rng):
        rows = [row(d, i, with_ref and d["ref_len"][i] > 0)[0] for i in b]
        ids, att, mtm, _, starts = build_batch(rows)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp is not None):
            tok, seg = net(ids.to(device), att.to(device), mtm.to(device))
        p = torch.softmax(tok.float(), -1).cpu().numpy()
        seg = seg.float().cpu().numpy()
        for j, i in enumerate(b):
            n = len(rows[j][1])
            probs[i] = p[j, starts[j] : starts[j] + n]
            segs[i] = seg[j]
    net.train()
    return probs, segs


def best_threshold(scores: np.ndarray, gold: np.ndarray) -> tuple[float, float]:
    best = (0.5, 0.0)
    for t in np.arange(0.05, 0.96, 0.025):
        pred = scores >= t
        tp = float((pred & gold).sum())
        if tp == 0:
            continue
        p, r = tp / pred.sum(), tp / gold.sum()
        f = 2 * p * r / (p + r)
        if f > best[1]:
            best = (float(t), f)
    return best


def evaluate(net, d, val, device, amp, log, modes=(False, True)) -> dict:
    """Validation figures per input (``source``: src + mt; ``reference``: + ref): token F1
    at the best threshold (error / major), Kendall tau-b of the segment outputs against MQM
    over all items and within a source (mean over sources), and ``select``, the figure the
    checkpoint is chosen by: Kendall all + within of the runtime risk."""
    out = {}
    group = d["group"][val]
    for with_ref in modes:
        probs, segs = predict(net, d, val, with_ref, device, amp=amp)
        lab = np.concatenate([d["lab"][d["lab_off"][i] : d["lab_off"][i + 1]] for i in val])
        pr = np.concatenate([probs[i] for i in val])
        p_err, p_maj = 1.0 - pr[:, 0], pr[:, 2]
        t_err, f_err = best_threshold(p_err, lab > 0)
        t_maj, f_maj = best_threshold(p_maj, lab == 2)
        mqm = d["mqm"][val]
        s = np.array([segs[i] for i in val])
        major_p = 1 / (1 + np.exp(-s[:, 1]))
        risk = qe_risk(s)
        r = {
            "token_f1": round(f_err, 4),
            "threshold": round(t_err, 3),
            "major_token_f1": round(f_maj, 4),
            "major_threshold": round(t_maj, 3),
            "kendall_major_p": round(kendall_b(major_p, mqm), 4),
            "kendall_mqm": round(kendall_b(s[:, 0], mqm), 4),
            "kendall_sum_perr": round(
                kendall_b(np.array([float((1 - probs[i][:, 0]).sum()) for i in val]), mqm), 4
            ),
            "kendall_risk": round(kendall_b(risk, mqm), 4),
            "within_risk": round(kendall_within(risk, mqm, group), 4),
            "within_mqm": round(kendall_within(s[:, 0], mqm, group), 4),
            "within_major_p": round(kendall_within(major_p, mqm, group), 4),
        }
        r["select"] = round(r["kendall_risk"] + r["within_risk"], 4)
        out["reference" if with_ref else "source"] = r
        log(f"validation ({'with' if with_ref else 'no'} ref): {r}")
    return out


def batch_stream(d, train, a, rng, seed):
    """An endless iterator of prepared CPU batches (built in a background thread so the
    accelerator does not wait for Python): ``(epoch, items, tensors...)``."""
    import queue
    import threading

    q: queue.Queue = queue.Queue(maxsize=16)
    stop = threading.Event()
    ref_rng = random.Random(seed + 1)

    def work():
        epoch = 0
        while not stop.is_set():
            if a.rank_weight > 0 or a.group_batches:
                plan = group_batches(d, train, a.batch, rng)
            else:
                plan = batches(d, train, a.batch, True, rng)
            for b in plan:
                has_ref = sum(d["ref_len"][i] > 0 for i in b) * 2 > len(b)
                with_ref = has_ref and ref_rng.random() < 0.5
                rows, labs = zip(
                    *(row(d, i, with_ref and d["ref_len"][i] > 0) for i in b), strict=True
                )
                ids, att, mtm, lab, _ = build_batch(rows, labs)
                y_mqm, y_major = seg_targets(d, b)
                raw = torch.tensor(d["mqm"][b], dtype=torch.float32)
                grp = torch.tensor(d["group"][b], dtype=torch.long)
                item = (epoch, b, ids, att, mtm, lab, y_mqm, y_major, raw, grp)
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.5)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            epoch += 1

    threading.Thread(target=work, daemon=True).start()
    try:
        while True:
            yield q.get()
    finally:
        stop.set()


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=".mtqc-cache/qe-carry")
    ap.add_argument("--out", default="/tmp/qe-out")
    ap.add_argument("--epochs", type=float, default=2.0)
    ap.add_argument("--batch", type=int, default=32, help="items per batch (at most)")
    ap.add_argument("--time-budget", type=float, default=330.0, help="seconds of training")
    ap.add_argument(
        "--deadline",
        type=float,
        default=0.0,
        help="seconds from start by which the outputs must be written (0: no deadline); "
        "training stops early enough for the final validation and the files",
    )
    ap.add_argument("--train-layers", default="8,9,10,11")
    ap.add_argument("--rank", type=int, default=16)
    ap.add_argument("--lr", type=float, default=6e-5)
    ap.add_argument(
        "--rank-weight",
        type=float,
        default=0.0,
        help="weight of the within-source RankNet loss on the segment head (0: none)",
    )
    ap.add_argument("--rank-margin", type=float, default=1.0, help="MQM points between a pair")
    ap.add_argument(
        "--rank-sigma", type=float, default=10.0, help="RankNet scale of the MQM output"
    )
    ap.add_argument(
        "--group-batches", action="store_true", help="source groups even without ranking"
    )
    ap.add_argument(
        "--select-every", type=float, default=1.0, help="epochs between checkpoint validations"
    )
    ap.add_argument("--full", action="store_true", help="full run even on CPU")
    ap.add_argument("--val-items", type=int, default=0, help="cap the validation items (0: all)")
    ap.add_argument("--smoke-items", type=int, default=256)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument(
        "--pack",
        metavar="RUN_DIR",
        help="write RUN_DIR's qe.N.pt as qe.safetensors (to --pack-to) instead of training",
    )
    ap.add_argument("--pack-to", default=str(ROOT / "mtqc/scorers/weights/qe.safetensors"))
    a = ap.parse_args(argv)
    if a.pack:
        pack(Path(a.pack), Path(a.pack_to))
        return

    t0 = time.time()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []

    def log(msg: str) -> None:
        msg = f"[{time.time() - t0:7.1f}s] {msg}"
        print(msg, flush=True)
        lines.append(msg)

    cuda = torch.cuda.is_available()
    device = torch.device("cuda" if cuda else "cpu")
    smoke = not cuda and not a.full
    amp = torch.bfloat16 if cuda else None
    torch.manual_seed(a.seed)
    rng = random.Random(a.seed)
    data_dir = Path(a.data)
    cfg, state = load_mini(data_dir / "e5mini.npz")
    d = load_data(data_dir / "data.npz")
    log(
        f"device {device} ({torch.cuda.get_device_name(0) if cuda else 'cpu'}), torch {torch.__version__}, "
        f"{d['n']} items in {int(d['group'].max()) + 1} source groups, smoke={smoke}"
    )
    train_layers = [int(x) for x in a.train_layers.split(",") if x]
    lora_layers = [i for i in range(cfg["num_hidden_layers"]) if i not in train_layers]
    net = QENet(cfg)
    shapes = {k: v.shape for k, v in net.body.state_dict().items()}
    state = {k: v.reshape(shapes[k]) for k, v in state.items()}
    missing, unexpected = net.body.load_state_dict(state, strict=False)
    assert not unexpected and all("lora" in m for m in missing), (missing[:3], unexpected[:3])
    add_lora(net, lora_layers, a.rank, 2.0 * a.rank)
    set_trainable(net, train_layers)
    net.to(device).train()

    idx = list(range(d["n"]))
    val = [i for i in idx if d["fold"][i] == 0]
    train = [i for i in idx if d["fold"][i] != 0]
    if a.val_items:
        val = val[: a.val_items]
    if smoke:
        train, val = train[: a.smoke_items], val[: max(32, a.smoke_items // 4)]
        a.epochs, a.batch = 1.0, 16
    per_epoch = max(1, math.ceil(len(train) / a.batch))
    total = max(1, int(per_epoch * a.epochs))
    if smoke:
        total = min(total, 6)
    # the time left for training: the budget, or what the deadline leaves after a
    # reserve for the final validation and the files (measured from the first epochs)
    budget = a.time_budget
    if a.deadline:
        budget = min(budget, a.deadline - (time.time() - t0) - 45.0)
    groups = [
        {
            "params": [
                p for n, p in net.named_parameters() if p.requires_grad and n.startswith("heads.")
            ],
            "lr": 10 * a.lr,
        },
        {
            "params": [p for n, p in net.named_parameters() if p.requires_grad and "lora_" in n],
            "lr": 5 * a.lr,
        },
        {
            "params": [
                p
                for n, p in net.named_parameters()
                if p.requires_grad and n.startswith("body.") and "lora_" not in n
            ],
            "lr": a.lr,
        },
    ]
    for g in groups:
        g["base_lr"] = g["lr"]
    opt = torch.optim.AdamW(groups, weight_decay=0.01)
    warm = max(1, int(0.05 * total))
    n_train = sum(p.numel() for g in groups for p in g["params"])
    trainable = [(n, p) for n, p in net.named_parameters() if p.requires_grad]
    log(
        f"train {len(train)}, validation {len(val)}, {per_epoch} steps/epoch, {total} steps planned, "
        f"{budget:.0f} s budget, {n_train / 1e6:.2f} M trainable, rank weight {a.rank_weight}"
    )
    cls_w = torch.tensor([1.0, 2.0, 3.0], device=device)
    step, seen, t_train = 0, 0, time.time()
    best: dict | None = None
    history: list[dict] = []
    next_select = a.select_every
    stream = batch_stream(d, train, a, rng, a.seed)

    def select(tag: str) -> None:
        nonlocal best
        t = time.time()
        r = evaluate(net, d, val, device, amp, lambda m: None, modes=(False,))["source"]
        r.update(tag=tag, step=step, epochs=round(seen / max(1, len(train)), 3))
        history.append(r)
        improved = best is None or r["select"] > best["metrics"]["select"]
        if improved:
            best = {
                "metrics": r,
                "state": {n: p.detach().clone() for n, p in trainable},
            }
        log(
            f"checkpoint {tag}: Kendall risk all {r['kendall_risk']} within {r['within_risk']} "
            f"(MQM within {r['within_mqm']}), token F1 {r['token_f1']}"
            f"{' (best)' if improved else ''} [{time.time() - t:.1f} s]"
        )

    for epoch, b, ids, att, mtm, lab, y_mqm, y_major, raw, grp in stream:
        ids, att, mtm, lab = (t.to(device, non_blocking=True) for t in (ids, att, mtm, lab))
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp is not None):
            tok, seg = net(ids, att, mtm)
        tok, seg = tok.float(), seg.float()
        l_tok = F.cross_entropy(
            tok.reshape(-1, 3), lab.reshape(-1), weight=cls_w, ignore_index=-100
        )
        l_mqm = F.mse_loss(seg[:, 0], y_mqm.to(device))
        l_maj = F.binary_cross_entropy_with_logits(seg[:, 1], y_major.to(device))
        loss = l_tok + 2.0 * l_mqm + 0.5 * l_maj
        l_rank = torch.zeros((), device=device)
        if a.rank_weight > 0:
            raw, grp = raw.to(device), grp.to(device)
            l_rank = rank_loss(seg[:, 0], raw, grp, a.rank_margin, a.rank_sigma) + 0.5 * rank_loss(
                seg[:, 1], raw, grp, a.rank_margin, 1.0
            )
            loss = loss + a.rank_weight * l_rank
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for g in groups for p in g["params"]], 1.0)
        # linear warm-up, then linear decay over the steps or the time budget, whichever ends first
        done_frac = max(step / total, (time.time() - t_train) / max(1.0, budget))
        f = (step + 1) / warm if step < warm else max(0.0, 1.0 - done_frac) / 0.95
        for g in groups:
            g["lr"] = g["base_lr"] * f
        opt.step()
        step += 1
        seen += len(b)
        if step % 100 == 0 or smoke:
            el = time.time() - t_train
            log(
                f"step {step}/{total} ep {epoch} loss {loss.item():.4f} (tok {l_tok.item():.4f} "
                f"mqm {l_mqm.item():.4f} major {l_maj.item():.4f} rank {l_rank.item():.4f}) "
                f"{seen / el:.0f} items/s"
            )
        finished = step >= total or time.time() - t_train > budget
        if not smoke and (seen / max(1, len(train)) >= next_select or finished):
            next_select += a.select_every
            select(f"{seen / max(1, len(train)):.2f} epochs")
        if finished:
            break
    stream.close()
    train_s = time.time() - t_train
    log(
        f"trained {step} steps, {seen} items ({seen / max(1, len(train)):.2f} epochs) in {train_s:.0f} s"
    )
    if best is not None:
        with torch.no_grad():
            for n, p in trainable:
                p.copy_(best["state"][n])
        log(f"kept the checkpoint of {best['metrics']['tag']} (select {best['metrics']['select']})")
    metrics = evaluate(net, d, val, device, amp, log)
    config = {
        **{
            k: cfg[k]
            for k in (
                "hidden_size",
                "num_hidden_layers",
                "num_attention_heads",
                "intermediate_size",
                "max_position_embeddings",
                "type_vocab_size",
                "layer_norm_eps",
            )
        },
        "train_layers": train_layers,
        "lora_layers": lora_layers,
        "rank": a.rank,
        "alpha": 2.0 * a.rank,
        "threshold": metrics["source"]["threshold"],
        "major_threshold": metrics["source"]["major_threshold"],
        "threshold_ref": metrics["reference"]["threshold"],
        "major_threshold_ref": metrics["reference"]["major_threshold"],
        "steps": step,
        "epochs": round(seen / max(1, len(train)), 3),
        "kept_epochs": best["metrics"]["epochs"] if best else round(seen / max(1, len(train)), 3),
        "rank_weight": a.rank_weight,
        "train_items": len(train),
        "smoke": smoke,
    }
    # files of at most 15.5 MiB each (what comes back from a device machine is limited)
    state = shipped_state(net, train_layers)
    chunks: list[dict] = [{}]
    size = 0
    for k, v in state.items():
        nb = v.numel() * v.element_size()
        if size + nb > 15.5 * 2**20 and chunks[-1]:
            chunks.append({})
            size = 0
        chunks[-1][k] = v
        size += nb
    for n, c in enumerate(chunks):
        torch.save({"config": config, "state": c}, out / f"qe.{n}.pt")
    info = {
        "config": config,
        "validation": metrics,
        "checkpoints": history,
        "train_s": round(train_s, 1),
        "log": lines,
        "args": vars(a),
    }
    (out / "qe-train.json").write_text(json.dumps(info, indent=1), encoding="utf-8")
    log(
        f"wrote {len(chunks)} files qe.N.pt ({sum(p.stat().st_size for p in out.glob('qe.*.pt')) / 2**20:.1f} MiB)"
    )


def pack(run_dir: Path, dest: Path) -> None:
    """Write a run's ``qe.N.pt`` files as the shipped ``qe.safetensors`` (config in the
    metadata), e.g. ``python -m training.qe_train --pack /tmp/qe-out``."""
    from safetensors.torch import save_file

    state: dict = {}
    config = None
    for f in sorted(run_dir.glob("qe.*.pt")):
        saved = torch.load(f, map_location="cpu")
        config = saved["config"]
        state.update(saved["state"])
    if config is None:
        raise SystemExit(f"no qe.N.pt files in {run_dir}")
    save_file(
        {k: v.contiguous() for k, v in state.items()},
        str(dest),
        metadata={"config": json.dumps(config)},
    )
    print(f"wrote {dest} ({dest.stat().st_size / 1e6:.1f} MB, {len(state)} tensors)")


if __name__ == "__main__":
    main()
