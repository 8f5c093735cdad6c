"""The QE network and training loop on a tiny random BERT (CPU, a few seconds)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # training/ is a folder of scripts, not an installed package
    sys.path.insert(0, str(ROOT))

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
np = pytest.importorskip("numpy")

TINY = dict(
    vocab_size=40,
    hidden_size=32,
    num_hidden_layers=3,
    num_attention_heads=4,
    intermediate_size=64,
    max_position_embeddings=128,
    type_vocab_size=2,
    layer_norm_eps=1e-12,
)

_INV_LAYER = {
    "attention.self.query": "q",
    "attention.self.key": "k",
    "attention.self.value": "v",
    "attention.output.dense": "ao",
    "attention.output.LayerNorm": "aln",
    "intermediate.dense": "fi",
    "output.dense": "fo",
    "output.LayerNorm": "oln",
}
_INV_EMB = {
    "embeddings.word_embeddings.weight": "emb.word",
    "embeddings.position_embeddings.weight": "emb.pos",
    "embeddings.token_type_embeddings.weight": "emb.type",
    "embeddings.LayerNorm.weight": "emb.ln.w",
    "embeddings.LayerNorm.bias": "emb.ln.b",
}


def tiny_bert():
    torch.manual_seed(0)
    cfg = transformers.BertConfig(**TINY, hidden_act="gelu", pad_token_id=1)
    return transformers.BertModel(cfg, add_pooling_layer=False).eval()


def test_encoder_equals_bertmodel():
    from mtqc.scorers.qe_net import QENet, add_lora, merge_lora

    bert = tiny_bert()
    net = QENet(dict(TINY)).eval()
    missing, unexpected = net.body.load_state_dict(bert.state_dict(), strict=False)
    assert not missing and not [u for u in unexpected if "position_ids" not in u]
    ids = torch.tensor([[0, 5, 6, 7, 2, 2, 8, 9, 2], [0, 5, 2, 2, 8, 2, 1, 1, 1]])
    att = (ids != 1).long()
    att[0] = 1
    with torch.no_grad():
        ref = bert(input_ids=ids, attention_mask=att).last_hidden_state
        ours = net.body(ids, att)
    valid = att.bool()
    assert torch.allclose(ref[valid], ours[valid], atol=1e-5)
    # LoRA deltas merged into the weights give the same outputs as applied on the fly
    add_lora(net, [0, 1], rank=4, alpha=8)
    for n, p in net.named_parameters():
        if "lora_b" in n:
            torch.nn.init.normal_(p, std=0.1)
    with torch.no_grad():
        before = net.body(ids, att)
        merge_lora(net)
        after = net.body(ids, att)
    assert torch.allclose(before, after, atol=1e-5)


def write_tiny_carry(folder, n_items=48):
    bert = tiny_bert()
    out = {"config": np.asarray(json.dumps(TINY)), "used": np.arange(TINY["vocab_size"])}
    for k, v in bert.state_dict().items():
        if k in _INV_EMB:
            name = _INV_EMB[k]
        elif k.startswith("encoder.layer."):
            parts = k.split(".")
            li, rest = parts[2], ".".join(parts[3:-1])
            name = f"l{li}.{_INV_LAYER[rest]}.{'w' if parts[-1] == 'weight' else 'b'}"
        else:
            continue
        arr = v.numpy().astype("<f4").reshape(-1)
        out[f"t:{name}"] = np.frombuffer(arr.tobytes(), np.uint8)
        out[f"d:{name}"] = np.asarray([0, arr.size])
    np.savez(folder / "e5mini.npz", **out)
    rng = np.random.default_rng(0)
    cols = {k: [] for k in ("src", "mt", "ref", "lab")}
    lens = {k: [] for k in ("src", "mt", "ref")}
    mqm, major = [], []
    for i in range(n_items):
        src = rng.integers(4, 40, rng.integers(3, 10))
        bad = i % 2 == 1
        mt = src.copy() if not bad else rng.integers(4, 40, len(src))
        lab = np.full(len(mt), 2 if bad else 0, np.int8)
        ref = src if i % 3 else np.zeros(0, np.int64)
        for k, v in (("src", src), ("mt", mt), ("ref", ref)):
            cols[k].append(v.astype(np.int32))
            lens[k].append(len(v))
        cols["lab"].append(lab)
        mqm.append(5.0 if bad else 0.0)
        major.append(1.0 if bad else 0.0)
    data = {k: np.concatenate(v) for k, v in cols.items()}
    data.update({f"{k}_len": np.asarray(v, np.int32) for k, v in lens.items()})
    data.update(
        mqm=np.asarray(mqm, np.float32),
        major=np.asarray(major, np.float32),
        lp=np.zeros(n_items, np.int16),
        lps=np.asarray(["xx-en"]),
        fold=np.asarray([0 if i % 4 == 0 else 1 for i in range(n_items)], np.int16),
    )
    np.savez_compressed(folder / "data.npz", **data)


def test_training_loop_runs_and_ships_small_weights(tmp_path, monkeypatch):
    from training import qe_train

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    write_tiny_carry(tmp_path)
    out = tmp_path / "out"
    qe_train.main(
        ["--data", str(tmp_path), "--out", str(out), "--train-layers", "2", "--rank", "2"]
    )
    info = json.loads((out / "qe-train.json").read_text())
    assert info["config"]["smoke"] is True and info["config"]["steps"] >= 1
    assert set(info["validation"]) == {"source", "reference"}
    saved = torch.load(out / "qe.0.pt")
    keys = set(saved["state"])
    assert any(k.startswith("body.encoder.layer.2.") for k in keys)
    assert any("lora_a" in k for k in keys) and any(k.startswith("heads.") for k in keys)
    assert not any("word_embeddings" in k for k in keys)
    assert all(v.dtype == torch.float16 for v in saved["state"].values())


def test_kendall_b_matches_known_values():
    from training.qe_train import kendall_b

    x = np.array([1.0, 2.0, 3.0, 4.0])
    assert kendall_b(x, x) == pytest.approx(1.0)
    assert kendall_b(x, -x) == pytest.approx(-1.0)
    assert kendall_b(np.array([1.0, 1.0, 2.0]), np.array([1.0, 2.0, 3.0])) == pytest.approx(
        2 / np.sqrt(6)
    )


def test_meta_construction_then_int8_quantisation_of_the_linear_layers():
    """The scorer's inference path: build on the meta device, assign the weights, merge
    LoRA, quantise the encoder's linear layers (all but the feed-forward output) to int8."""
    from mtqc.scorers.qe_net import (
        FP32_LINEARS,
        LINEARS,
        QENet,
        add_lora,
        merge_lora,
        quantize_int8,
    )

    torch.manual_seed(1)
    ref = QENet(dict(TINY)).eval()
    add_lora(ref, [0], rank=2, alpha=4)
    for n, p in ref.named_parameters():
        if "lora_b" in n:
            torch.nn.init.normal_(p, std=0.1)
    state = {k: v.clone() for k, v in ref.state_dict().items()}
    with torch.device("meta"):
        net = QENet(dict(TINY))
        add_lora(net, [0], rank=2, alpha=4)
    net.load_state_dict(state, assign=True)
    assert not any(p.is_meta for p in net.parameters())
    merge_lora(net)
    net.eval()
    ids = torch.tensor([[0, 5, 6, 7, 2, 2, 8, 9, 2], [0, 5, 2, 2, 8, 2, 1, 1, 1]])
    att = (ids != 1).long()
    mtm = torch.zeros_like(ids, dtype=torch.bool)
    mtm[:, 4:6] = True
    with torch.no_grad():
        tok0, seg0 = ref(ids, att, mtm)
        tok1, seg1 = net(ids, att, mtm)
    assert torch.allclose(tok0, tok1, atol=1e-5) and torch.allclose(seg0, seg1, atol=1e-5)
    if not quantize_int8(net):
        pytest.skip("no int8 engine in this torch")
    layer = net.body.encoder.layer[0]
    for name in LINEARS:
        kind = type(layer.get_submodule(name)).__module__
        assert ("quantized" in kind) == (name not in FP32_LINEARS), (name, kind)
    with torch.no_grad():
        tok2, seg2 = net(ids, att, mtm)
    p0, p2 = torch.softmax(tok0, -1), torch.softmax(tok2, -1)
    assert (p0 - p2).abs().max() < 0.1
    assert (seg0 - seg2).abs().max() < 0.1


def test_risk_features_read_the_metrics():
    import math

    from mtqc.scorers.qe import risk_features

    m = {"qe_major_p": 0.5, "qe_reg": 0.2, "qe_sum_p": math.e - 1, "qe_words": 3.0}
    assert risk_features(m, ["logit_qe_major_p", "qe_reg", "log_qe_sum_p"]) == pytest.approx(
        [0.0, 0.2, 1.0]
    )


def _grouped_data(sizes):
    """A minimal data dict: ``sizes[g]`` translations of source g."""
    group = np.concatenate([np.full(n, g) for g, n in enumerate(sizes)]).astype(np.int64)
    n = len(group)
    return {
        "group": group,
        "src_len": np.full(n, 5),
        "mt_len": np.arange(n) % 7 + 3,
        "ref_len": np.zeros(n, np.int64),
    }


def test_group_batches_keep_each_source_whole_and_cover_every_item_once():
    import random

    from training.qe_train import group_batches

    d = _grouped_data([3, 5, 2, 9, 4, 1, 6])
    idx = list(range(len(d["group"])))
    plan = group_batches(d, idx, max_items=8, rng=random.Random(0))
    flat = [i for b in plan for i in b]
    assert sorted(flat) == idx  # every item exactly once
    assert all(len(b) <= 8 for b in plan)
    # a group of at most max_items items lies in one batch; the group of 9 is cut in two
    where = {}
    for k, b in enumerate(plan):
        for i in b:
            where.setdefault(int(d["group"][i]), set()).add(k)
    assert all(len(v) == 1 for g, v in where.items() if g != 3)
    assert len(where[3]) == 2


def test_rank_loss_orders_pairs_within_a_source_only():
    from training.qe_train import rank_loss

    target = torch.tensor([0.0, 5.0, 1.0, 25.0])
    group = torch.tensor([0, 0, 1, 1])
    right = torch.tensor([0.0, 1.0, 0.0, 1.0])  # worse translation scored higher
    wrong = torch.tensor([1.0, 0.0, 1.0, 0.0])
    assert rank_loss(right, target, group, 1.0, 10.0) < 1e-3
    assert rank_loss(wrong, target, group, 1.0, 10.0) > 9.0
    # across sources nothing is compared: item 1 (5 MQM, source 0) vs item 2 (1 MQM, source 1)
    cross = torch.tensor([0.0, 0.0, 5.0, 5.0])
    assert rank_loss(cross, target, group, 1.0, 10.0) == pytest.approx(np.log(2.0), abs=1e-5)
    # pairs closer than the margin are not compared; no pair left: 0 with a gradient
    score = torch.tensor([0.3, 0.1], requires_grad=True)
    loss = rank_loss(score, torch.tensor([1.0, 1.5]), torch.tensor([0, 0]), 1.0, 10.0)
    loss.backward()
    assert float(loss.detach()) == 0.0 and score.grad is not None


def test_kendall_within_averages_over_sources_with_spread():
    from training.qe_train import kendall_within

    y = np.array([0.0, 1.0, 2.0, 3.0, 3.0, 5.0, 5.0])
    g = np.array([0, 0, 0, 1, 1, 2, 2])
    x = np.array([0.0, 1.0, 2.0, 2.0, 1.0, 0.0, 1.0])
    # source 0 ordered (1.0); source 1 has no spread in y (skipped); source 2 neither
    assert kendall_within(x, y, g) == pytest.approx(1.0)
    x2 = np.array([2.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    assert kendall_within(x2, y, g) == pytest.approx(-1.0)
