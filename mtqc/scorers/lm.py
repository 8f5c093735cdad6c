"""M001 lm-surprisal: target-only fluency from a causal language model.

Every token of the MT gets a surprisal (``-log2 p``, in bits) from a causal LM; token
bits are summed per word (a word never splits: see :func:`mtqc.scorers._hf.word_spans`);
a word is flagged when it is much more surprising than is typical for its sentence (its
bits minus the median word's bits: the *excess*), flagged spans grow into neighbouring
words that are surprising too, and adjacent flagged words are merged into one span.
Punctuation can end a span but never starts one.

Measured (bench/bench_lm.py, 600 MT items of the zh→en MQM benchmark, SmolLM2): the
word-level ROC-AUC of surprisal for "inside a gold error span" is only 0.58, close to
Gemma-3-270M's (0.58); at the default threshold (15 bits) about 27% of flagged
characters are inside gold spans (base rate 10%), and 17% of segments get a flag. The
signal is weak alone: it is meant to be combined with other evidence.

With a reference (``seg.ref``), the scorer also reads the reference *given the MT*
(:func:`mtqc.scorers.prompts.reference_prompt`) and reports ``lm_ref_bits``: how many
bits the model needs for the reference once it has seen the MT. A translation that says
what the reference says makes the reference cheap; one that drops or changes meaning
does not. Every translation of one sentence is scored on the same reference tokens, so
the figure ranks them directly (measured on the benchmark: training/README.md). It
feeds the ``reference+lm`` risk calibration; it raises no flags. ``reference=False``
skips it (one model pass fewer).

The offline default model is the packaged SmolLM2-135M-Instruct (fp32); ``lm=`` takes
any Hugging Face model id or local path (``--lm`` on the command line). Gemma-3-270M is
used only with ``accept_model_terms=True`` (its licence is not open source).

Importing this module never imports torch: :meth:`LMFluencyScorer.load` does.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from mtqc.errors import UsageError
from mtqc.model import CATEGORIES, Flag, Segment, Severity
from mtqc.scorers import ScorerOutput, make_flag, text_key

#: bump when what is cached per text changes shape or meaning
ANALYSIS_VERSION = "1"

_PUNCT_ONLY = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~“”‘’«»…–—·")


@dataclass(slots=True)
class WordScore:
    """One word (or punctuation run) with its surprisal."""

    start: int
    end: int
    text: str
    bits: float  # sum of its tokens' bits
    max_token_bits: float
    n_tokens: int
    excess: float = 0.0  # bits above the sentence's typical (median) word

    @property
    def is_punct(self) -> bool:
        return all(ch in _PUNCT_ONLY for ch in self.text)


@dataclass(slots=True)
class Analysis:
    """What the LM says about one text."""

    text: str
    token_bits: list[float]
    token_offsets: list[tuple[int, int]]
    words: list[WordScore] = field(default_factory=list)
    typical_bits: float = 0.0

    @property
    def mean_bits(self) -> float:
        return sum(self.token_bits) / len(self.token_bits) if self.token_bits else 0.0


def words_from_tokens(
    text: str, offsets: Sequence[tuple[int, int]], bits: Sequence[float]
) -> list[WordScore]:
    """Sum token surprisals into the words of ``text`` (see :func:`_hf.word_spans`)."""
    from mtqc.scorers._hf import token_words, word_spans

    spans = word_spans(text)
    owner = token_words(text, offsets, spans)
    acc: list[list[float]] = [[] for _ in spans]
    for wi, b in zip(owner, bits, strict=True):
        if wi >= 0:
            acc[wi].append(b)
    return [
        WordScore(
            start=s,
            end=e,
            text=text[s:e],
            bits=sum(a),
            max_token_bits=max(a, default=0.0),
            n_tokens=len(a),
        )
        for (s, e), a in zip(spans, acc, strict=True)
    ]


def analyse_tokens(
    text: str, offsets: Sequence[tuple[int, int]], bits: Sequence[float]
) -> Analysis:
    """Words, their bits and their excess over the sentence's median word."""
    words = words_from_tokens(text, offsets, bits)
    scored = [w.bits for w in words if w.n_tokens and not w.is_punct]
    typical = statistics.median(scored) if scored else 0.0
    for w in words:
        w.excess = w.bits - typical
    return Analysis(
        text=text,
        token_bits=list(bits),
        token_offsets=[tuple(o) for o in offsets],
        words=words,
        typical_bits=typical,
    )


def merge_spans(flagged: Sequence[bool], words: Sequence[WordScore]) -> list[tuple[int, int]]:
    """Word-aligned spans: runs of adjacent flagged words, merged.

    Punctuation never starts a span (leading punctuation is trimmed, so a run made only
    of punctuation is dropped) but may end one, as a calque's odd final period does.
    Spans start and end on word boundaries.
    """
    spans: list[tuple[int, int]] = []
    run: list[WordScore] = []
    for w, f in [*zip(words, flagged, strict=True), (None, False)]:
        if f and w is not None:
            if run or not w.is_punct:
                run.append(w)
            continue
        if run:
            spans.append((run[0].start, run[-1].end))
        run = []
    return spans


def flag_words(words: Sequence[WordScore], threshold: float, grow: float) -> list[bool]:
    """Which words to flag: excess ≥ ``threshold``, then grown into neighbours ≥ ``grow``.

    Hysteresis, as in edge detection: a clearly surprising word seeds a span, which
    extends over adjacent words that are surprising too (a calque is often a phrase).
    The first word is predicted from no context at all, so its surprisal is inflated
    (measured: excluding it raises precision): it is flagged only with the next word.
    """
    n = len(words)
    flagged = [w.n_tokens > 0 and w.excess >= threshold for w in words]
    if n and not (n > 1 and flagged[1]):
        flagged[0] = False
    changed = True
    while changed:
        changed = False
        for i in range(1, n):
            if flagged[i] or not words[i].n_tokens or words[i].excess < grow:
                continue
            if flagged[i - 1] or (i + 1 < n and flagged[i + 1]):
                flagged[i] = changed = True
    return flagged


#: A text shorter than this share of its batch's longest starts a new batch: an
#: article's sentences (8–70 tokens) padded into batches of 16 were 10–60 % padding,
#: and a forward call costs a few milliseconds beyond its arithmetic.
BATCH_MIN_FILL = 0.8

#: How many of a rule flag's suggestions the minimal-pair check scores.
MINIMAL_PAIR_FIXES = 3
_SENTENCE_END = re.compile(r"[.!?]+[”\"’)]*\s+")


def _sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The half-open span of the sentence(s) of ``text`` that hold ``start:end``."""
    a = 0
    for m in _SENTENCE_END.finditer(text, 0, start):
        a = m.end()
    m = _SENTENCE_END.search(text, end)
    return a, (m.end() if m else len(text))


def _match_case(fix: str, original: str) -> str:
    """``fix`` capitalised like ``original`` (a sentence-initial span stays capitalised)."""
    if original[:1].isupper() and fix[:1].islower():
        return fix[0].upper() + fix[1:]
    return fix


class CausalLMScorerBase:
    """What the causal-LM scorers share: options, lazy loading, the result cache.

    ``lm`` is a Hugging Face id, a local folder or GGUF file, or None for the scorer's
    default; ``accept_model_terms`` opts in to a model whose licence is not OSI (its
    terms are then in :attr:`notices`, which the caller shows the user).
    """

    def __init__(
        self,
        lm: str | None,
        *,
        accept_model_terms: bool,
        allow_gemma: bool,
        dtype: str | None,
        batch_size: int,
        cache: bool,
        cache_path: str | None,
        label: str,
    ) -> None:
        if batch_size < 1:
            raise UsageError(f"{label} scorer: batch_size must be at least 1")
        self.lm = lm
        self.allow_gemma = bool(accept_model_terms or allow_gemma)
        self.dtype = dtype
        self.batch_size = batch_size
        self.use_cache = cache
        self.cache_path = cache_path
        #: licence notices the caller must show the user (non-empty for Gemma)
        self.notices: list[str] = []
        self.model_calls = 0  # forward passes made (for progress and tests)
        self._model: Any = None
        self._tok: Any = None
        self._resolved: Any = None
        self._cache: Any = None

    def _load_model(self, name: str | None, cache_tag: str, *, check=None) -> None:
        """Resolve ``name``, load it (heavy imports here) and open the result cache.

        ``check(resolved)`` may raise before the weights are loaded.
        """
        from mtqc.scorers._hf import load_causal_lm, resolve_lm
        from mtqc.scorers.cache import TextCache

        self._resolved = resolve_lm(name, allow_gemma=self.allow_gemma)
        if check is not None:
            check(self._resolved)
        if self._resolved.terms:
            self.notices.append(self._resolved.terms)
        self.dtype = self.dtype or self._resolved.default_dtype
        self._model, self._tok = load_causal_lm(self._resolved, self.dtype)
        path: Any = (self.cache_path or True) if self.use_cache else None
        self._cache = TextCache(f"{self.signature()}|{cache_tag}", path=path)

    def signature(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def _count_call(self, _n: int) -> None:
        self.model_calls += 1

    def _token_scores(self, texts: Sequence[str], prefixes: Sequence[str] | None = None):
        """Token surprisals of ``texts`` (after their ``prefixes``): one batched run of the
        loaded model."""
        from mtqc.scorers._hf import token_logprobs

        return token_logprobs(
            self._model,
            self._tok,
            texts,
            prefixes=prefixes,
            batch_size=self.batch_size,
            on_batch=self._count_call,
            min_fill=BATCH_MIN_FILL,
        )

    def _cached_scores(
        self,
        keys: Sequence[str],
        texts: Sequence[str],
        prefixes: Sequence[str] | None,
        keep: Any,
    ) -> list[Any]:
        """``keep(token scores)`` of each text (after its prefix), from the result cache
        or from one batched model run over the texts not cached yet."""
        from mtqc.scorers.cache import fetch

        if self._model is None:
            self.load()

        def compute(idx: list[int]) -> list[Any]:
            pre = [prefixes[i] for i in idx] if prefixes is not None else None
            return [keep(ts) for ts in self._token_scores([texts[i] for i in idx], pre)]

        return fetch(self._cache, keys, compute)

    def load(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class LMFluencyScorer(CausalLMScorerBase):
    """Flags wording a language model finds much more surprising than the rest of its
    sentence (code M001, ``lm-surprisal``).

    Options: ``lm`` (model name, folder, ``.gguf`` or hub id; default: packaged
    SmolLM2-135M), ``accept_model_terms`` (needed for Gemma), ``dtype`` (``fp32``/``bf16``;
    default per model), ``batch_size`` (16), ``threshold`` (excess bits that flag a word;
    default 15), ``grow`` (excess bits for a neighbouring word to join a flagged span;
    default threshold − 4), ``major_threshold`` (excess bits that make the flag major;
    default 22),
    ``severity`` (default minor), ``category`` (default ``style/awkward``),
    ``reference`` (also score the reference given the MT when there is one: the
    ``lm_ref_bits`` metric; default True), ``cache`` (keep results by text hash on disk;
    default True), ``cache_path``.
    """

    code = "M001"
    name = "lm-surprisal"
    needs: frozenset[str] = frozenset()

    def __init__(
        self,
        lm: str | None = None,
        *,
        accept_model_terms: bool = False,
        allow_gemma: bool = False,
        dtype: str | None = None,
        batch_size: int = 16,
        threshold: float = 15.0,
        grow: float | None = None,
        major_threshold: float = 22.0,
        severity: str | Severity = Severity.MINOR,
        category: str = "style/awkward",
        reference: bool = True,
        cache: bool = True,
        cache_path: str | None = None,
    ) -> None:
        super().__init__(
            lm,
            accept_model_terms=accept_model_terms,
            allow_gemma=allow_gemma,
            dtype=dtype,
            batch_size=batch_size,
            cache=cache,
            cache_path=cache_path,
            label="lm",
        )
        self.reference = bool(reference)
        if category not in CATEGORIES:
            raise UsageError(f"lm scorer: unknown category {category!r}")
        self.threshold = float(threshold)
        self.grow = float(grow) if grow is not None else self.threshold - 4.0
        self.major_threshold = float(major_threshold)
        try:
            self.severity = Severity.parse(severity)
        except ValueError as exc:
            raise UsageError(f"lm scorer: {exc}") from None
        self.category = category

    # ------------------------------------------------------------------ protocol

    def load(self) -> None:
        """Resolve and load the model (heavy imports happen here)."""
        if self._model is not None:
            return
        self._load_model(self.lm, f"a{ANALYSIS_VERSION}")

    def signature(self) -> str:
        """``lm:<model>@<sha8>|<precision>`` (model and revision known after load)."""
        if self._resolved is None:
            return f"lm:{self.lm or 'SmolLM2-135M-Instruct'}@unloaded|{self.dtype or 'auto'}"
        return f"lm:{self._resolved.name}@{self._resolved.short_rev}|{self.dtype}"

    def score(self, segments: list[Segment]) -> list[ScorerOutput]:
        """One output per segment: M001 flags and ``lm_*`` metrics.

        Segments in a target language the model is known not to cover (the packaged
        SmolLM2 is English-only) get an empty output: surprisals would mean nothing there.
        """
        if self._model is None:
            self.load()
        langs = self._resolved.languages
        todo = [
            i
            for i, s in enumerate(segments)
            if not langs or (s.tgt_lang or "en").lower().split("-")[0].split("_")[0] in langs
        ]
        outs = [ScorerOutput() for _ in segments]
        analyses = self.analyse([segments[i].mt for i in todo])
        for i, a in zip(todo, analyses, strict=True):
            outs[i] = self._output(segments[i], a)
        with_ref = [i for i in todo if segments[i].ref] if self.reference else []
        if with_ref:
            pairs = [
                (segments[i].mt, segments[i].ref or "", segments[i].tgt_lang) for i in with_ref
            ]
            for i, (bits, n) in zip(with_ref, self.reference_bits(pairs), strict=True):
                outs[i].metrics["lm_ref_bits"] = round(bits, 3)
                outs[i].metrics["lm_ref_tokens"] = float(n)
        return outs

    # ------------------------------------------------------------------ work

    def analyse(self, texts: Sequence[str]) -> list[Analysis]:
        """Token and word surprisals for each text (cached by text hash)."""
        known = self._cached_scores(
            [text_key(t) for t in texts],
            texts,
            None,
            lambda ts: {"offsets": ts.offsets, "bits": [round(b, 4) for b in ts.bits]},
        )
        return [
            analyse_tokens(t, [tuple(o) for o in v["offsets"]], v["bits"])
            for t, v in zip(texts, known, strict=True)
        ]

    def total_bits(self, texts: Sequence[str]) -> list[float]:
        """Total surprisal of each text in bits (cached by text hash)."""
        known = self._cached_scores(
            [text_key("total", t) for t in texts],
            texts,
            None,
            lambda ts: round(sum(ts.bits), 4),
        )
        return [float(v) for v in known]

    def annotate_rule_flags(self, results: Sequence[Any]) -> None:
        """Minimal pairs: does the LM prefer a rule flag's suggested fix to the MT?

        For each rule flag (not a model flag) on the MT with suggestions, the sentence
        around the span is scored as it is and with the span replaced by each of the
        first ``MINIMAL_PAIR_FIXES`` suggestions (a placeholder such as "(delete)" or
        one with "…" is skipped). The flag's evidence gets ``lm_minimal_pair``:
        ``{"mt_bits", "fix", "fix_bits", "bits_saved"}`` for the cheapest fix: positive
        ``bits_saved`` means the model finds the fix more natural than the MT. Evidence
        only: severities are not changed. ``results`` are SegmentResults.
        """
        jobs: list[tuple[Any, str, list[str], list[str]]] = []
        for r in results:
            seg = r.segment
            if (seg.tgt_lang or "en").split("-")[0].lower() != "en":
                continue
            for f in r.flags:
                if f.code.startswith("M") or f.side != "mt" or not f.suggestions:
                    continue
                fixes = [
                    x
                    for x in f.suggestions[:MINIMAL_PAIR_FIXES]
                    if x and "…" not in x and not x.startswith("(")
                ]
                if not fixes:
                    continue
                a, b = _sentence_bounds(seg.mt, f.start, f.end)
                mt_sentence = seg.mt[a:b]
                pairs = [
                    seg.mt[a : f.start]
                    + _match_case(fix, seg.mt[f.start : f.end])
                    + seg.mt[f.end : b]
                    for fix in fixes
                ]
                jobs.append((f, mt_sentence, fixes, pairs))
        if not jobs:
            return
        texts = sorted({t for _, mt, _, pairs in jobs for t in (mt, *pairs)})
        bits = dict(zip(texts, self.total_bits(texts), strict=True))
        for f, mt, fixes, pairs in jobs:
            best = min(range(len(pairs)), key=lambda i: bits[pairs[i]])
            f.evidence["lm_minimal_pair"] = {
                "mt_bits": round(bits[mt], 2),
                "fix": fixes[best],
                "fix_bits": round(bits[pairs[best]], 2),
                "bits_saved": round(bits[mt] - bits[pairs[best]], 2),
            }

    def reference_bits(
        self, pairs: Sequence[tuple[str, str, str | None]]
    ) -> list[tuple[float, int]]:
        """For each ``(mt, ref, tgt_lang)``: total bits of ``ref`` given the MT prompt, and
        the number of reference tokens (cached by text hash)."""
        from mtqc.scorers.prompts import reference_prompt

        prompts = [reference_prompt(mt, lang) for mt, _, lang in pairs]
        refs = [ref for _, ref, _ in pairs]
        known = self._cached_scores(
            [text_key("ref|mt", p, r) for p, r in zip(prompts, refs, strict=True)],
            refs,
            prompts,
            lambda ts: {"bits": round(sum(ts.bits), 4), "tokens": len(ts.bits)},
        )
        return [(float(v["bits"]), int(v["tokens"])) for v in known]

    def _output(self, seg: Segment, a: Analysis) -> ScorerOutput:
        flagged = flag_words(a.words, self.threshold, self.grow)
        flags: list[Flag] = []
        for start, end in merge_spans(flagged, a.words):
            inside = [w for w in a.words if start <= w.start and w.end <= end]
            excess = max(w.excess for w in inside)
            span = seg.mt[start:end]
            sev = Severity.MAJOR if excess >= self.major_threshold else self.severity
            flags.append(
                make_flag(
                    self.code,
                    self.name,
                    seg,
                    start,
                    end,
                    severity=max(sev, self.severity),
                    category=self.category,
                    message=f"Unusual wording for the language model: “{span}” is "
                    f"{excess:.1f} bits more surprising than a typical word of this "
                    "sentence; check it reads naturally and says what the source says",
                    score=round(1.0 / (1.0 + math.exp(-(excess - self.threshold) / 4.0)), 4),
                    evidence={
                        "bits": [[w.text, round(w.bits, 1)] for w in inside],
                        "excess_bits": round(excess, 1),
                        "typical_bits": round(a.typical_bits, 1),
                        "mean_bits": round(a.mean_bits, 2),
                        "threshold_bits": self.threshold,
                        "model": self.signature(),
                    },
                )
            )

        content = [w for w in a.words if w.n_tokens and not w.is_punct]
        metrics = {
            "lm_mean_bits": round(a.mean_bits, 3),
            "lm_max_bits": round(max(a.token_bits, default=0.0), 3),
            "lm_max_excess": round(max((w.excess for w in content), default=0.0), 3),
            "lm_sum_bits": round(sum(a.token_bits), 3),
            "lm_tokens": float(len(a.token_bits)),
            "lm_flagged_words": float(sum(flagged)),
        }
        return ScorerOutput(flags=flags, metrics=metrics)
