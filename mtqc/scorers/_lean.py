"""Lean loaders for the packaged models: torch, ``tokenizers`` and ``safetensors`` only.

Importing transformers' model classes costs more than loading the weights (on the
2-vCPU reference machine: 3.3–5.1 s for the lazy-import tables, ``modeling_bert`` /
``modeling_llama`` and what they pull in — ``torch._dynamo``, ``torch.distributed``, the
generation utilities), so the two architectures mtqc ships are written out here, with
the same module names as transformers' (so the weights load by name and the tagger's
LoRA deltas find their layers) and the same arithmetic:

* :class:`BertModel` — a BERT encoder (the packaged all-MiniLM-L6-v2 behind ``tagger``);
* :class:`LlamaForCausalLM` — a Llama decoder (the packaged SmolLM2-135M behind ``lm``);
* :class:`FastTokenizer` — a ``tokenizers.Tokenizer`` answering the calls the scorers make
  of a transformers fast tokenizer (ids, offsets, pairs, truncation, padding).

:func:`lean_bert` and :func:`lean_causal_lm` return None for a checkpoint they do not
cover (another architecture, rope scaling, no ``tokenizer.json``): the caller then loads
it with transformers. Outputs equal transformers' within float rounding (tested in
``tests/test_lean_models.py``).

:func:`import_torch` is the one place mtqc imports torch for its scorers: it asks
OpenMP's worker threads to sleep rather than spin while they wait
(``OMP_WAIT_POLICY=PASSIVE`` unless set): on a machine whose cores are shared with other
work, spinning workers took the CPU from the thread with the work, and a forward pass
with two threads ran several times slower than with one.
"""

from __future__ import annotations

import json
import math
import os
import struct
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

#: llama configs this module reproduces (anything else goes to transformers)
_LLAMA_ACTS = ("silu",)


def import_torch() -> Any:
    """``import torch``, with OpenMP workers that sleep while they wait (see above)."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch

    return torch


# --------------------------------------------------------------------------- tokenizer


class Encoded(dict):
    """What a batched call returns: ``input_ids`` etc. (tensors) and ``sequence_ids(i)``."""

    def __init__(self, data: dict[str, Any], encodings: list[Any]):
        super().__init__(data)
        self.encodings = encodings

    def sequence_ids(self, i: int) -> list[int | None]:
        return self.encodings[i].sequence_ids


def _token_content(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("content")
    return value if isinstance(value, str) else None


class FastTokenizer:
    """A ``tokenizers.Tokenizer`` with the special tokens of ``tokenizer_config.json``.

    ``tok(text, add_special_tokens=True, return_offsets_mapping=True)`` → a dict of lists;
    ``tok(texts, pairs, truncation=..., max_length=..., padding=True,
    return_offsets_mapping=True, return_tensors="pt")`` → :class:`Encoded` (padded to the
    longest, right side, as transformers does).
    """

    is_fast = True

    def __init__(self, tk: Any, config: dict[str, Any]):
        tk.no_truncation()
        tk.no_padding()
        self._tk = tk
        self._lock = threading.Lock()
        ids: dict[str, int | None] = {}
        for name in ("bos", "eos", "unk", "pad", "sep", "cls", "mask"):
            content = _token_content(config.get(f"{name}_token"))
            ids[name] = tk.token_to_id(content) if content is not None else None
        self.bos_token_id = ids["bos"]
        self.eos_token_id = ids["eos"]
        self.unk_token_id = ids["unk"]
        self.pad_token_id = ids["pad"]
        extra = config.get("additional_special_tokens") or config.get("extra_special_tokens")
        more = [tk.token_to_id(c) for c in map(_token_content, extra or []) if c is not None]
        self.all_special_ids = list(
            dict.fromkeys(i for i in [*ids.values(), *more] if i is not None)
        )

    @classmethod
    def from_folder(cls, folder: Path) -> FastTokenizer | None:
        """The tokenizer of a model folder, or None without ``tokenizer.json``."""
        # as for transformers' tokenizers: no thread pool of its own beside torch's
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from tokenizers import Tokenizer

        path = folder / "tokenizer.json"
        if not path.is_file():
            return None
        try:
            config = json.loads((folder / "tokenizer_config.json").read_text("utf-8"))
        except (OSError, ValueError):
            config = {}
        return cls(Tokenizer.from_file(str(path)), config)

    def token_to_id(self, token: str) -> int | None:
        return self._tk.token_to_id(token)

    def convert_tokens_to_ids(self, tokens: Any) -> Any:
        """As transformers: an unknown token is the ``unk`` id."""
        if isinstance(tokens, str):
            found = self._tk.token_to_id(tokens)
            return self.unk_token_id if found is None else found
        return [self.convert_tokens_to_ids(t) for t in tokens]

    def get_vocab(self) -> dict[str, int]:
        return self._tk.get_vocab(with_added_tokens=True)

    def __call__(
        self,
        text: Any,
        text_pair: Any = None,
        *,
        add_special_tokens: bool = True,
        return_offsets_mapping: bool = False,
        truncation: bool | str = False,
        max_length: int | None = None,
        padding: bool = False,
        return_tensors: str | None = None,
    ) -> Any:
        if isinstance(text, str):
            enc = self._tk.encode(text, text_pair, add_special_tokens=add_special_tokens)
            out: dict[str, Any] = {
                "input_ids": list(enc.ids),
                "attention_mask": list(enc.attention_mask),
            }
            if return_offsets_mapping:
                out["offset_mapping"] = list(enc.offsets)
            return out
        inputs = list(text) if text_pair is None else list(zip(text, text_pair, strict=True))
        with self._lock:  # truncation and padding are settings of the shared tokenizer
            if truncation:
                if max_length is None:
                    raise ValueError("truncation needs max_length")
                strategy = "longest_first" if truncation is True else str(truncation)
                self._tk.enable_truncation(max_length, strategy=strategy)
            if padding:
                pad = self.pad_token_id if self.pad_token_id is not None else 0
                pad_token = self._tk.id_to_token(pad) or ""
                self._tk.enable_padding(pad_id=pad, pad_token=pad_token)
            try:
                encs = self._tk.encode_batch(inputs, add_special_tokens=add_special_tokens)
            finally:
                self._tk.no_truncation()
                self._tk.no_padding()
        data = {
            "input_ids": [e.ids for e in encs],
            "token_type_ids": [e.type_ids for e in encs],
            "attention_mask": [e.attention_mask for e in encs],
        }
        if return_offsets_mapping:
            data["offset_mapping"] = [e.offsets for e in encs]
        if return_tensors == "pt":
            torch = import_torch()
            data = {k: torch.tensor(v, dtype=torch.long) for k, v in data.items()}
        elif return_tensors is not None:
            raise ValueError(f"return_tensors={return_tensors!r} is not supported")
        return Encoded(data, encs)


# --------------------------------------------------------------------------- modules


def _config(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / "config.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None


_ST_DTYPES = {
    "F32": "float32",
    "F16": "float16",
    "BF16": "bfloat16",
    "F64": "float64",
    "I64": "int64",
    "I32": "int32",
    "I16": "int16",
    "I8": "int8",
    "U8": "uint8",
    "BOOL": "bool",
}


def read_safetensors(path: Path) -> dict[str, Any]:
    """The tensors of a safetensors file, as views into one buffer filled by one
    ``readinto``. (safetensors' own reader maps the file; on the reference VM the page
    faults of touching 540 MB of mapped pages took 3.4 s, the plain read 0.7 s.)"""
    torch = import_torch()
    with open(path, "rb", buffering=0) as f:
        head = f.read(8)
        if len(head) != 8:
            raise ValueError(f"{path}: not a safetensors file")
        (n,) = struct.unpack("<Q", head)
        header = json.loads(f.read(n))
        size = os.fstat(f.fileno()).st_size - 8 - n
        buf = torch.empty(max(size, 0), dtype=torch.uint8)
        view = memoryview(buf.numpy())
        got = 0
        while got < size:
            k = f.readinto(view[got:])
            if not k:
                raise ValueError(f"{path}: truncated")
            got += k
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = getattr(torch, _ST_DTYPES[info["dtype"]])
        start, end = info["data_offsets"]
        raw = buf[start:end]
        if start % dtype.itemsize:  # safetensors aligns its tensors; a copy if not
            raw = raw.clone()
        out[name] = raw.view(dtype).view(info["shape"])
    return out


def _load_state(module: Any, files: list[Path], rename: Any = None) -> None:
    """Point ``module``'s parameters at the tensors of the safetensors ``files`` (no
    copy; every parameter must be found; extra tensors in the files, such as BERT's
    pooler, are ignored)."""
    torch = import_torch()
    params = dict(module.named_parameters())
    seen: set[str] = set()
    with torch.no_grad():
        for path in files:
            for key, t in read_safetensors(path).items():
                name = rename(key) if rename else key
                p = params.get(name)
                if p is None:
                    continue
                if tuple(t.shape) != tuple(p.shape):
                    raise ValueError(f"{key}: shape {tuple(t.shape)}, expected {tuple(p.shape)}")
                p.data = t
                seen.add(name)
    missing = sorted(set(params) - seen)
    if missing:
        raise ValueError(f"weights missing from {files[0].parent}: {', '.join(missing[:5])}")


def _weight_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.safetensors"))


class Output(SimpleNamespace):
    """``last_hidden_state`` and (when asked for) ``hidden_states``, as transformers names them."""


def _build_modules() -> dict[str, type]:
    """The module classes (built on first use: torch is imported here)."""
    torch = import_torch()
    from torch import nn as _nn
    from torch.nn import functional as F  # noqa: N812

    class Linear(_nn.Linear):
        """``nn.Linear`` without the random initialisation (the weights are read next)."""

        def reset_parameters(self) -> None:
            pass

    class Embedding(_nn.Embedding):
        def reset_parameters(self) -> None:
            pass

    # torch.device("meta") would spare the initialisation too, but its first use
    # imports torch._dynamo (seconds)
    nn = SimpleNamespace(
        Module=_nn.Module,
        ModuleList=_nn.ModuleList,
        Parameter=_nn.Parameter,
        LayerNorm=_nn.LayerNorm,
        Linear=Linear,
        Embedding=Embedding,
    )

    # ---------------------------------------------------------------- BERT

    class BertSelfAttention(nn.Module):
        def __init__(self, c: Any):
            super().__init__()
            self.heads = c.num_attention_heads
            self.head_dim = c.hidden_size // c.num_attention_heads
            self.query = nn.Linear(c.hidden_size, c.hidden_size)
            self.key = nn.Linear(c.hidden_size, c.hidden_size)
            self.value = nn.Linear(c.hidden_size, c.hidden_size)

        def forward(self, x: Any, mask: Any) -> Any:
            b, t, _ = x.shape
            shape = (b, t, self.heads, self.head_dim)
            q = self.query(x).view(shape).transpose(1, 2)
            k = self.key(x).view(shape).transpose(1, 2)
            v = self.value(x).view(shape).transpose(1, 2)
            a = F.scaled_dot_product_attention(
                q, k, v, attn_mask=mask, scale=1.0 / math.sqrt(self.head_dim)
            )
            return a.transpose(1, 2).reshape(b, t, -1)

    class BertSelfOutput(nn.Module):
        def __init__(self, c: Any):
            super().__init__()
            self.dense = nn.Linear(c.hidden_size, c.hidden_size)
            self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)

        def forward(self, h: Any, x: Any) -> Any:
            return self.LayerNorm(self.dense(h) + x)

    class BertAttention(nn.Module):
        def __init__(self, c: Any):
            super().__init__()
            self.self = BertSelfAttention(c)
            self.output = BertSelfOutput(c)

    class BertIntermediate(nn.Module):
        def __init__(self, c: Any):
            super().__init__()
            self.dense = nn.Linear(c.hidden_size, c.intermediate_size)

        def forward(self, x: Any) -> Any:
            return F.gelu(self.dense(x))

    class BertLayer(nn.Module):
        def __init__(self, c: Any):
            super().__init__()
            self.attention = BertAttention(c)
            self.intermediate = BertIntermediate(c)
            self.output = BertSelfOutput(c)
            self.output.dense = nn.Linear(c.intermediate_size, c.hidden_size)

        def forward(self, x: Any, mask: Any) -> Any:
            a = self.attention.output(self.attention.self(x, mask), x)
            return self.output(self.intermediate(a), a)

    class BertEncoder(nn.Module):
        def __init__(self, c: Any):
            super().__init__()
            self.layer = nn.ModuleList(BertLayer(c) for _ in range(c.num_hidden_layers))

    class BertEmbeddings(nn.Module):
        def __init__(self, c: Any):
            super().__init__()
            self.word_embeddings = nn.Embedding(c.vocab_size, c.hidden_size)
            self.position_embeddings = nn.Embedding(c.max_position_embeddings, c.hidden_size)
            self.token_type_embeddings = nn.Embedding(c.type_vocab_size, c.hidden_size)
            self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)

        def forward(self, ids: Any, types: Any) -> Any:
            pos = torch.arange(ids.shape[1]).unsqueeze(0)
            x = self.word_embeddings(ids) + self.token_type_embeddings(types)
            return self.LayerNorm(x + self.position_embeddings(pos))

    class BertModel(nn.Module):
        """BERT's encoder as transformers' ``BertModel`` computes it (no pooler)."""

        def __init__(self, c: Any):
            super().__init__()
            self.config = c
            self.embeddings = BertEmbeddings(c)
            self.encoder = BertEncoder(c)

        def forward(
            self,
            input_ids: Any,
            attention_mask: Any = None,
            token_type_ids: Any = None,
            output_hidden_states: bool = False,
        ) -> Output:
            if token_type_ids is None:
                token_type_ids = torch.zeros_like(input_ids)
            x = self.embeddings(input_ids, token_type_ids)
            mask = None
            if attention_mask is not None and not bool(attention_mask.all()):
                mask = attention_mask.bool()[:, None, None, :]
            states = [x]
            for layer in self.encoder.layer:
                x = layer(x, mask)
                states.append(x)
            return Output(
                last_hidden_state=x,
                hidden_states=tuple(states) if output_hidden_states else None,
            )

    # ---------------------------------------------------------------- Llama

    class RMSNorm(nn.Module):
        def __init__(self, size: int, eps: float):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(size))
            self.eps = eps

        def forward(self, x: Any) -> Any:
            dtype = x.dtype
            h = x.to(torch.float32)
            h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + self.eps)
            return self.weight * h.to(dtype)

    class LlamaAttention(nn.Module):
        def __init__(self, c: Any):
            super().__init__()
            self.heads = c.num_attention_heads
            self.kv_heads = c.num_key_value_heads
            self.head_dim = c.head_dim
            d = c.hidden_size
            self.q_proj = nn.Linear(d, self.heads * self.head_dim, bias=False)
            self.k_proj = nn.Linear(d, self.kv_heads * self.head_dim, bias=False)
            self.v_proj = nn.Linear(d, self.kv_heads * self.head_dim, bias=False)
            self.o_proj = nn.Linear(self.heads * self.head_dim, d, bias=False)

        def forward(self, x: Any, cos: Any, sin: Any, mask: Any) -> Any:
            b, t, _ = x.shape
            q = self.q_proj(x).view(b, t, self.heads, self.head_dim).transpose(1, 2)
            k = self.k_proj(x).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
            v = self.v_proj(x).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
            q = q * cos + _rotate_half(q) * sin
            k = k * cos + _rotate_half(k) * sin
            rep = self.heads // self.kv_heads
            if rep > 1:
                k = k.repeat_interleave(rep, dim=1)
                v = v.repeat_interleave(rep, dim=1)
            a = F.scaled_dot_product_attention(
                q,
                k,
                v,
                attn_mask=mask,
                is_causal=mask is None,
                scale=self.head_dim**-0.5,
            )
            return self.o_proj(a.transpose(1, 2).reshape(b, t, -1))

    def _rotate_half(x: Any) -> Any:
        half = x.shape[-1] // 2
        return torch.cat((-x[..., half:], x[..., :half]), dim=-1)

    class LlamaMLP(nn.Module):
        def __init__(self, c: Any):
            super().__init__()
            self.gate_proj = nn.Linear(c.hidden_size, c.intermediate_size, bias=False)
            self.up_proj = nn.Linear(c.hidden_size, c.intermediate_size, bias=False)
            self.down_proj = nn.Linear(c.intermediate_size, c.hidden_size, bias=False)

        def forward(self, x: Any) -> Any:
            return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))

    class LlamaDecoderLayer(nn.Module):
        def __init__(self, c: Any):
            super().__init__()
            self.self_attn = LlamaAttention(c)
            self.mlp = LlamaMLP(c)
            self.input_layernorm = RMSNorm(c.hidden_size, c.rms_norm_eps)
            self.post_attention_layernorm = RMSNorm(c.hidden_size, c.rms_norm_eps)

        def forward(self, x: Any, cos: Any, sin: Any, mask: Any) -> Any:
            x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
            return x + self.mlp(self.post_attention_layernorm(x))

    class LlamaModel(nn.Module):
        def __init__(self, c: Any):
            super().__init__()
            self.config = c
            self.embed_tokens = nn.Embedding(c.vocab_size, c.hidden_size)
            self.layers = nn.ModuleList(LlamaDecoderLayer(c) for _ in range(c.num_hidden_layers))
            self.norm = RMSNorm(c.hidden_size, c.rms_norm_eps)
            dim = c.head_dim
            inv = 1.0 / (c.rope_theta ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
            self.register_buffer("inv_freq", inv, persistent=False)

        def forward(
            self, input_ids: Any, attention_mask: Any = None, output_hidden_states: bool = False
        ) -> Output:
            """Right-padded batches: each row's tokens see only the tokens before them, so
            the causal mask alone keeps padding out of every real token's state."""
            x = self.embed_tokens(input_ids)
            t = input_ids.shape[1]
            if attention_mask is not None and not bool(attention_mask.all()):
                m = attention_mask.bool()
                if bool((m[:, 1:] & ~m[:, :-1]).any()):  # not right-padded
                    causal = torch.ones(t, t, dtype=torch.bool).tril()
                    mask = causal[None, None] & m[:, None, None, :]
                else:
                    mask = None
            else:
                mask = None
            pos = torch.arange(t, dtype=torch.float32)
            freqs = pos[:, None] * self.inv_freq[None, :]
            emb = torch.cat((freqs, freqs), dim=-1)
            cos, sin = emb.cos().to(x.dtype), emb.sin().to(x.dtype)
            states = [x]
            for layer in self.layers:
                x = layer(x, cos, sin, mask)
                states.append(x)
            x = self.norm(x)
            if output_hidden_states:
                states[-1] = x
            return Output(
                last_hidden_state=x,
                hidden_states=tuple(states) if output_hidden_states else None,
            )

    class TiedHead(nn.Module):
        def __init__(self, embed: Any):
            super().__init__()
            self.embed = embed

        def forward(self, h: Any) -> Any:
            return F.linear(h, self.embed.weight)

    class LlamaForCausalLM(nn.Module):
        """A Llama decoder with its output layer (``base_model`` + ``lm_head``)."""

        def __init__(self, c: Any):
            super().__init__()
            self.config = c
            self.model = LlamaModel(c)
            if c.tie_word_embeddings:
                self.lm_head = TiedHead(self.model.embed_tokens)
            else:
                self.lm_head = nn.Linear(c.hidden_size, c.vocab_size, bias=False)

        @property
        def base_model(self) -> Any:
            return self.model

        def get_output_embeddings(self) -> Any:
            return self.lm_head

        def forward(self, input_ids: Any, attention_mask: Any = None, **_: Any) -> Output:
            out = self.model(input_ids, attention_mask, output_hidden_states=True)
            out.logits = self.lm_head(out.last_hidden_state)
            return out

    return {"BertModel": BertModel, "LlamaForCausalLM": LlamaForCausalLM}


_MODULES: dict[str, type] = {}
_MODULES_LOCK = threading.Lock()


def modules() -> dict[str, type]:
    with _MODULES_LOCK:
        if not _MODULES:
            _MODULES.update(_build_modules())
    return _MODULES


# --------------------------------------------------------------------------- loaders


def _bert_config(cfg: dict[str, Any]) -> SimpleNamespace | None:
    if cfg.get("model_type") != "bert" or cfg.get("hidden_act", "gelu") != "gelu":
        return None
    if cfg.get("position_embedding_type", "absolute") != "absolute":
        return None
    c = SimpleNamespace(**cfg)
    c.layer_norm_eps = float(cfg.get("layer_norm_eps", 1e-12))
    c.type_vocab_size = int(cfg.get("type_vocab_size", 2))
    return c


def _checkpoint(
    folder: str | Path, read_config: Any
) -> tuple[SimpleNamespace, list[Path], FastTokenizer] | None:
    """``(config, weight files, tokenizer)`` of a checkpoint folder whose config
    ``read_config`` accepts, or None (another architecture, no weights, no tokenizer)."""
    folder = Path(folder)
    cfg = _config(folder)
    c = read_config(cfg) if cfg else None
    files = _weight_files(folder)
    if c is None or not files:
        return None
    tok = FastTokenizer.from_folder(folder)
    return None if tok is None else (c, files, tok)


def lean_bert(folder: str | Path) -> tuple[FastTokenizer, Any] | None:
    """``(tokenizer, encoder)`` of a BERT checkpoint folder in eval mode, or None when it
    is not one this module reproduces."""
    found = _checkpoint(folder, _bert_config)
    if found is None:
        return None
    c, files, tok = found
    model = modules()["BertModel"](c)
    _load_state(model, files, rename=lambda k: k[5:] if k.startswith("bert.") else k)
    return tok, model.float().eval()


def _llama_config(cfg: dict[str, Any]) -> SimpleNamespace | None:
    if cfg.get("model_type") != "llama" or cfg.get("hidden_act", "silu") not in _LLAMA_ACTS:
        return None
    if cfg.get("attention_bias") or cfg.get("mlp_bias") or cfg.get("pretraining_tp", 1) != 1:
        return None
    rope = cfg.get("rope_parameters") or cfg.get("rope_scaling") or {}
    if rope.get("rope_type", rope.get("type", "default")) != "default":
        return None
    theta = rope.get("rope_theta", cfg.get("rope_theta"))
    if theta is None:
        return None
    c = SimpleNamespace(**cfg)
    c.rope_theta = float(theta)
    c.num_key_value_heads = int(cfg.get("num_key_value_heads") or cfg["num_attention_heads"])
    c.head_dim = int(cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"])
    c.tie_word_embeddings = bool(cfg.get("tie_word_embeddings", False))
    c.final_logit_softcapping = None
    return c


def lean_causal_lm(folder: str | Path, torch_dtype: Any) -> tuple[Any, FastTokenizer] | None:
    """``(model, tokenizer)`` of a Llama checkpoint folder in eval mode, or None when it
    is not one this module reproduces."""
    found = _checkpoint(folder, _llama_config)
    if found is None:
        return None
    c, files, tok = found
    model = modules()["LlamaForCausalLM"](c)
    inv = model.model.inv_freq
    _load_state(model, files)
    model = model.to(torch_dtype)
    model.model.inv_freq = inv  # rotary frequencies stay in float32
    return model.eval(), tok
