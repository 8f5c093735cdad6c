"""Extract frozen MiniLM hidden states of the benchmark's MT items, once, into a cache.

For each mode (``ref``: ``[CLS] mt [SEP] ref [SEP]``; ``tgt``: ``[CLS] mt [SEP]``) writes
``CACHE/<mode>.npz``-like files: all 7 hidden layers of every token (float16, one flat
array), per-token item index, char offsets, sequence id (0 MT, 1 ref), and labels.

    python -m training.extract
"""

from __future__ import annotations

import time

import numpy as np

from training.data import CACHE, char_labels, load_items

MAX_LEN = 256
BATCH = 32


def tokens_and_states(tok, enc, mts, refs):
    """Yield per item (input_ids, offsets, seq_ids, hidden[7, T, 384] float16)."""
    import torch

    order = sorted(range(len(mts)), key=lambda i: len(mts[i]) + len(refs[i] or ""))
    out = [None] * len(mts)
    for b in range(0, len(order), BATCH):
        idx = order[b : b + BATCH]
        if refs[0] is None:
            x = tok(
                [mts[i] for i in idx],
                truncation=True,
                max_length=MAX_LEN,
                padding=True,
                return_offsets_mapping=True,
                return_tensors="pt",
            )
        else:
            x = tok(
                [mts[i] for i in idx],
                [refs[i] for i in idx],
                truncation="only_second",
                max_length=MAX_LEN,
                padding=True,
                return_offsets_mapping=True,
                return_tensors="pt",
            )
        offs = x.pop("offset_mapping").numpy()
        with torch.no_grad():
            hs = enc(**x, output_hidden_states=True).hidden_states
        H = torch.stack(hs, 0).numpy().astype(np.float16)  # [7, B, T, 384]
        for j, i in enumerate(idx):
            n = int(x["attention_mask"][j].sum())
            seq = x.sequence_ids(j)[:n]
            out[i] = (
                x["input_ids"][j, :n].numpy(),
                offs[j, :n],
                np.array([-1 if s is None else s for s in seq], dtype=np.int8),
                x["token_type_ids"][j, :n].numpy(),
                H[:, j, :n],
            )
    return out


def main() -> None:
    import torch

    from mtqc.scorers.align import load_encoder

    torch.set_num_threads(2)
    items = load_items()
    tok, enc = load_encoder()
    CACHE.mkdir(parents=True, exist_ok=True)
    for mode in ("ref", "tgt"):
        t0 = time.time()
        refs = [it.ref for it in items] if mode == "ref" else [None] * len(items)
        res = tokens_and_states(tok, enc, [it.mt for it in items], refs)
        lens = np.array([len(r[0]) for r in res])
        item_idx = np.repeat(np.arange(len(items)), lens)
        ids = np.concatenate([r[0] for r in res])
        offs = np.concatenate([r[1] for r in res])
        seq = np.concatenate([r[2] for r in res])
        tti = np.concatenate([r[3] for r in res])
        y_any = np.zeros(len(ids), np.int8)
        y_maj = np.zeros(len(ids), np.int8)
        pos = 0
        for it, r in zip(items, res, strict=True):
            a, m = char_labels(it)
            for k, ((s, e), sq) in enumerate(zip(r[1], r[2], strict=True)):
                if sq == 0 and e > s:
                    y_any[pos + k] = max(a[s:e], default=0)
                    y_maj[pos + k] = max(m[s:e], default=0)
            pos += len(r[0])
        hid = np.lib.format.open_memmap(
            CACHE / f"{mode}_hidden.npy", mode="w+", dtype=np.float16, shape=(len(ids), 7, 384)
        )
        pos = 0
        for r in res:
            n = len(r[0])
            hid[pos : pos + n] = r[4].transpose(1, 0, 2)
            pos += n
        hid.flush()
        np.savez(
            CACHE / f"{mode}_tokens.npz",
            item=item_idx,
            ids=ids,
            offs=offs,
            seq=seq,
            tti=tti,
            y_any=y_any,
            y_maj=y_maj,
            lens=lens,
        )
        print(f"{mode}: {len(ids)} tokens, {time.time() - t0:.0f}s", flush=True)


if __name__ == "__main__":
    main()
