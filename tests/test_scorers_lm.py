"""The LM scorer's loading, batching, span merging and caching, on a tiny model built here.

The model (a 1-layer Llama with random weights) and its byte-level BPE tokenizer are
created in ``tmp_path`` and loaded through the ``--lm PATH`` route, so these tests need
torch/transformers but no packaged weights.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from mtqc.errors import ModelError
from mtqc.model import Segment, Severity
from mtqc.scorers.cache import TextCache
from mtqc.scorers.lm import WordScore, flag_words, merge_spans, words_from_tokens

SENTENCES = [
    "The council approved the new budget on Monday.",
    "Police said the suspect was released after questioning.",
    "The storm closed schools across the region for two days.",
    "Prices rose sharply, and the minister promised an inquiry.",
    "A spokesperson declined to comment on the report.",
]


# --------------------------------------------------------------------------- pure parts


def test_import_mtqc_does_not_import_torch():
    code = (
        "import sys, mtqc, mtqc.scorers.lm, mtqc.scorers.source, mtqc.scorers.cache, "
        "mtqc.scorers._hf; assert 'torch' not in sys.modules, 'torch imported'; "
        "assert 'transformers' not in sys.modules, 'transformers imported'"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def _words(text: str, flagged_words: set[str]) -> tuple[list[WordScore], list[bool]]:
    from mtqc.scorers._hf import word_spans

    ws = [WordScore(s, e, text[s:e], 1.0, 1.0, 1) for s, e in word_spans(text)]
    return ws, [w.text in flagged_words for w in ws]


def test_merge_spans_merges_adjacent_words_and_never_cuts_one():
    text = "Wait, it still sounds odd; the well-known spillover action."
    ws, flagged = _words(text, {"still", "sounds", "spillover", "action", "well-known"})
    spans = merge_spans(flagged, ws)
    assert [text[s:e] for s, e in spans] == ["still sounds", "well-known spillover action"]


def test_merge_spans_drops_punctuation_alone_but_keeps_it_inside_a_run():
    text = "He said: “no” — and left."
    ws, flagged = _words(text, {":", "—", "and", "left", "."})
    spans = merge_spans(flagged, ws)
    assert [text[s:e] for s, e in spans] == ["and left."]


def test_flag_words_grows_seeds_into_surprising_neighbours_but_not_from_the_first_word():
    def ws(excesses):
        return [WordScore(i, i + 1, "w", 0.0, 0.0, 1, excess=x) for i, x in enumerate(excesses)]

    # seed at 3, grows left to 2 (≥ 11) and right to 4, stops at 5 (< 11)
    assert flag_words(ws([0, 1, 12, 16, 11, 9, 0]), 15, 11) == [
        False, False, True, True, True, False, False,
    ]  # fmt: skip
    # a surprising first word alone is not flagged (it had no context) ...
    assert flag_words(ws([30, 0, 0]), 15, 11) == [False, False, False]
    # ... but it joins a span that starts on the second word
    assert flag_words(ws([30, 16, 0]), 15, 11) == [True, True, False]


def test_words_from_tokens_sums_bits_per_word_with_space_prefixed_tokens():
    text = "The spillover action."
    # byte-level BPE style offsets: leading space belongs to the token
    offsets = [(0, 3), (3, 9), (9, 13), (13, 20), (20, 21)]
    bits = [1.0, 20.0, 5.0, 9.0, 2.0]
    words = words_from_tokens(text, offsets, bits)
    assert [(w.text, w.bits, w.n_tokens) for w in words] == [
        ("The", 1.0, 1),
        ("spillover", 25.0, 2),
        ("action", 9.0, 1),
        (".", 2.0, 1),
    ]


def test_text_cache_persists_by_signature(tmp_path):
    db = tmp_path / "r.sqlite3"
    c1 = TextCache("lm:a@1|fp32", path=db)
    c1.put_many({"k1": {"bits": [1.5, 2.0]}})
    c1.close()
    assert TextCache("lm:a@1|fp32", path=db).get_many(["k1", "k2"]) == {"k1": {"bits": [1.5, 2.0]}}
    assert TextCache("lm:b@1|fp32", path=db).get("k1") is None


def test_text_cache_falls_back_to_memory_when_disk_is_unusable(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    c = TextCache("sig", path=blocker / "sub" / "r.sqlite3")  # parent is a file
    assert not c.persistent
    c.put("k", [1])
    assert c.get("k") == [1]


def test_fetch_computes_each_missing_key_once_and_keeps_input_order():
    from mtqc.scorers.cache import fetch

    calls = []

    def compute(idx):
        calls.append(idx)
        return [f"v{i}" for i in idx]

    cache = TextCache("sig", path=None)
    cache.put("b", "cached-b")
    keys = ["a", "b", "c", "a"]
    assert fetch(cache, keys, compute) == ["v0", "cached-b", "v2", "v0"]
    assert calls == [[0, 2]]  # first occurrence of each missing key, once
    assert fetch(cache, keys, compute) == ["v0", "cached-b", "v2", "v0"]
    assert calls == [[0, 2]]  # now all cached: no call
    assert fetch(None, ["x", "x", "y"], compute) == ["v0", "v0", "v2"]
    assert calls[-1] == [0, 2]


def test_resolve_errors_are_actionable(tmp_path):
    from mtqc.scorers._hf import resolve_lm

    with pytest.raises(ModelError, match="no such model"):
        resolve_lm(str(tmp_path / "missing-model"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="config.json"):
        resolve_lm(str(tmp_path / "empty"))


def test_gemma_is_never_enabled_without_opt_in():
    from mtqc.scorers._hf import resolve_lm

    with pytest.raises(ModelError, match="Gemma Terms of Use"):
        resolve_lm("gemma-3-270m")


def test_source_scorer_without_multilingual_model_explains_opt_in():
    from mtqc.scorers.source import SourceEvidenceScorer

    with pytest.raises(ModelError, match="--accept-model-terms"):
        SourceEvidenceScorer().load()


# --------------------------------------------------------------------------- tiny model


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory):
    """A 1-layer Llama (random weights) + byte-level BPE tokenizer saved as an HF folder."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    folder = tmp_path_factory.mktemp("tiny-lm")
    tk = Tokenizer(models.BPE())
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tk.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300,
        special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tk.train_from_iterator(SENTENCES * 3, trainer)
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tk, eos_token="<|endoftext|>", pad_token="<|endoftext|>"
    )
    fast.save_pretrained(folder)
    torch.manual_seed(0)
    cfg = transformers.LlamaConfig(
        vocab_size=tk.get_vocab_size(),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=256,
    )
    model = transformers.LlamaForCausalLM(cfg)
    # make the distribution peaky enough that surprisals differ across words
    with torch.no_grad():
        model.lm_head.weight.mul_(40.0)
    model.save_pretrained(folder)
    return folder


def _load(folder):
    from mtqc.scorers._hf import load_causal_lm, resolve_lm

    return load_causal_lm(resolve_lm(str(folder)), "fp32")


def test_offsets_map_tokens_to_the_right_words(tiny_lm):
    from mtqc.scorers._hf import token_logprobs, token_words, word_spans

    model, tok = _load(tiny_lm)
    text = "Police said the storm closed schools."
    (ts,) = token_logprobs(model, tok, [text])
    assert "".join(text[s:e] for s, e in ts.offsets) == text  # every character, once
    spans = word_spans(text)
    owners = token_words(text, ts.offsets, spans)
    for (s, e), wi in zip(ts.offsets, owners, strict=True):
        ws, we = spans[wi]
        assert text[s:e].strip() and ws <= s + (len(text[s:e]) - len(text[s:e].lstrip())) < we


def test_bits_match_a_direct_forward_pass_with_start_token(tiny_lm):
    import torch

    from mtqc.scorers._hf import start_token_id, token_logprobs

    model, tok = _load(tiny_lm)
    text = "The council approved the budget."
    (ts,) = token_logprobs(model, tok, [text])
    start = start_token_id(tok)
    assert start == tok.convert_tokens_to_ids("<|endoftext|>")
    ids = [start, *tok(text, add_special_tokens=False)["input_ids"]]
    with torch.no_grad():
        logp = torch.log_softmax(model(torch.tensor([ids])).logits[0].float(), -1)
    expected = [-logp[i - 1, ids[i]].item() / 0.6931471805599453 for i in range(1, len(ids))]
    assert ts.token_ids == ids[1:]
    assert ts.bits == pytest.approx(expected, abs=1e-3)


def test_batching_gives_the_one_by_one_numbers_in_input_order(tiny_lm):
    from mtqc.scorers._hf import token_logprobs

    model, tok = _load(tiny_lm)
    texts = ["Prices rose.", SENTENCES[2], "", SENTENCES[0], "A spokesperson declined."]
    calls: list[int] = []
    batched = token_logprobs(
        model, tok, texts, batch_size=2, want_hidden=True, on_batch=calls.append
    )
    assert calls == [2, 2]  # the empty text needs no forward pass
    assert [b.text for b in batched] == texts
    for text, b in zip(texts, batched, strict=True):
        (single,) = token_logprobs(model, tok, [text], want_hidden=True)
        assert b.offsets == single.offsets
        assert b.bits == pytest.approx(single.bits, abs=1e-4)
        if text:
            assert b.hidden.shape == (len(b.bits), 16)
            assert b.hidden == pytest.approx(single.hidden, abs=1e-4)


def test_prefix_conditions_but_is_not_scored(tiny_lm):
    from mtqc.scorers._hf import token_logprobs

    model, tok = _load(tiny_lm)
    text = "The storm closed schools."
    plain, cond = token_logprobs(model, tok, [text, text], prefixes=["", "Police said:\n"])
    assert "".join(text[s:e] for s, e in cond.offsets) == text
    assert len(cond.bits) == len(plain.bits)
    assert cond.bits != pytest.approx(plain.bits, abs=1e-3)


def test_scorer_flags_are_word_aligned_merged_and_cached(tiny_lm, tmp_path):
    from mtqc.scorers._hf import word_spans
    from mtqc.scorers.lm import LMFluencyScorer

    segs = [Segment(id=str(i), mt=t) for i, t in enumerate(SENTENCES)]
    db = tmp_path / "results.sqlite3"
    s1 = LMFluencyScorer(lm=str(tiny_lm), threshold=0.5, cache_path=str(db), batch_size=2)
    s1.load()
    out1 = s1.score(segs)
    assert s1.model_calls == 3
    flags = [f for o in out1 for f in o.flags]
    assert flags, "a 0.5-bit threshold on a random model must flag something"
    for seg, o in zip(segs, out1, strict=True):
        bounds = word_spans(seg.mt)
        starts = {s for s, _ in bounds}
        ends = {e for _, e in bounds}
        for f in o.flags:
            assert f.code == "M001" and f.severity >= Severity.MINOR
            assert f.start in starts and f.end in ends and f.text == seg.mt[f.start : f.end]
            assert f.evidence["bits"] and f.evidence["excess_bits"] >= 0.5
        for a, b in zip(o.flags, o.flags[1:], strict=False):
            assert seg.mt[a.end : b.start].strip(), "adjacent flagged words must be merged"
        assert o.metrics["lm_tokens"] > 0 and o.metrics["lm_mean_bits"] > 0
    # the same instance and a fresh one (same cache file) answer without the model
    assert [o.flags for o in s1.score(segs)] == [o.flags for o in out1]
    s2 = LMFluencyScorer(lm=str(tiny_lm), threshold=0.5, cache_path=str(db))
    s2.load()
    out2 = s2.score(segs)
    assert s1.model_calls == 3 and s2.model_calls == 0
    assert [(o.flags, o.metrics) for o in out2] == [(o.flags, o.metrics) for o in out1]


def test_reference_bits_are_scored_given_the_mt_and_cached(tiny_lm, tmp_path):
    from mtqc.scorers._hf import token_logprobs
    from mtqc.scorers.lm import LMFluencyScorer
    from mtqc.scorers.prompts import reference_prompt

    ref = "Police said the suspect was released."
    segs = [
        Segment(id="a", mt=SENTENCES[1], ref=ref),
        Segment(id="b", mt=SENTENCES[2], ref=ref),
        Segment(id="c", mt=SENTENCES[2]),
    ]
    db = str(tmp_path / "r.sqlite3")
    sc = LMFluencyScorer(lm=str(tiny_lm), cache_path=db, batch_size=8)
    sc.load()
    a, b, c = sc.score(segs)
    assert sc.model_calls == 2  # one pass over the MTs, one over the references
    direct = token_logprobs(
        sc._model, sc._tok, [ref, ref], prefixes=[reference_prompt(s.mt) for s in segs[:2]]
    )
    assert [a.metrics["lm_ref_bits"], b.metrics["lm_ref_bits"]] == pytest.approx(
        [sum(d.bits) for d in direct], abs=1e-2
    )
    assert a.metrics["lm_ref_tokens"] == len(direct[0].bits)
    assert "lm_ref_bits" not in c.metrics  # no reference: nothing to read
    # the same answer from the disk cache, without the model
    again = LMFluencyScorer(lm=str(tiny_lm), cache_path=db)
    again.load()
    assert [o.metrics for o in again.score(segs)] == [a.metrics, b.metrics, c.metrics]
    assert again.model_calls == 0
    # reference=False skips the second pass
    off = LMFluencyScorer(lm=str(tiny_lm), cache=False, reference=False)
    off.load()
    assert "lm_ref_bits" not in off.score(segs[:1])[0].metrics and off.model_calls == 1


def test_signature_names_model_revision_and_precision(tiny_lm, tmp_path):
    import shutil

    from mtqc.scorers._hf import resolve_lm
    from mtqc.scorers.lm import LMFluencyScorer

    s = LMFluencyScorer(lm=str(tiny_lm), cache=False)
    s.load()
    rev = resolve_lm(str(tiny_lm)).revision
    assert s.signature() == f"lm:{tiny_lm.name}@{rev[:8]}|fp32"
    # different weights → a different revision
    other = tmp_path / tiny_lm.name
    shutil.copytree(tiny_lm, other)
    (other / "config.json").write_text(
        (other / "config.json")
        .read_text()
        .replace('"rms_norm_eps": 1e-06', '"rms_norm_eps": 1e-05')
    )
    assert resolve_lm(str(other)).revision != rev


# --------------------------------------------------------------------------- source / bt


def _bt_flags(src: str, bt: str, mt: str, src_lang: str):
    from mtqc.scorers.source import SourceEvidenceScorer

    sc = SourceEvidenceScorer(bt_only=True)
    sc.load()  # no model: must not need one
    (out,) = sc.score([Segment(id="s1", mt=mt, src=src, bt=bt, src_lang=src_lang)])
    return out


def test_bt_number_change_is_mapped_back_to_the_mt():
    src = "会议于2019年举行，有300人参加。"
    bt = "会议于2018年举行，有300人参加。"
    mt = "The meeting was held in 2018 and 300 people attended."
    out = _bt_flags(src, bt, mt, "zh")
    got = {(f.side, f.text) for f in out.flags if f.code == "M004"}
    assert got == {("mt", "2018"), ("src", "2019")}
    for f in out.flags:
        text = {"mt": mt, "bt": bt, "src": src}[f.side]
        assert text[f.start : f.end] == f.text
    assert 0 < out.metrics["bt_chrf"] < 100


def test_bt_only_divergence_is_flagged_on_the_back_translation():
    src = "De minister heeft het voorstel gisteren ingetrokken."
    bt = "De minister heeft het voorstel gisteren enthousiast verdedigd in 2020."
    mt = "The minister enthusiastically defended the proposal yesterday."
    out = _bt_flags(src, bt, mt, "nl")
    on_bt = sorted(f.text for f in out.flags if f.side == "bt")
    assert on_bt == ["2020", "enthousiast verdedigd"]
    assert not [f for f in out.flags if f.side == "mt"]
    assert out.metrics["bt_unsupported_ratio"] > 0


def test_latin_names_are_anchors_only_for_non_latin_sources():
    from mtqc.scorers.source import anchors

    assert [a.key for a in anchors("苹果公司的CEO库克说", names=True)] == ["ceo"]
    out = _bt_flags("苹果公司的CEO库克说", "苹果公司的CFO库克说", "Apple's CFO Cook said", "zh")
    assert {(f.side, f.text) for f in out.flags} >= {("mt", "CFO"), ("src", "CEO")}
    # in a Latin-script source, capitalised words are not anchors (sentence starts)
    same = _bt_flags(
        "Gisteren zei hij nee.", "Gisteren zei hij nee.", "Yesterday he said no.", "nl"
    )
    assert same.flags == [] and same.metrics["bt_unsupported_ratio"] == 0


def test_source_gain_is_plain_minus_conditioned_bits_and_cached(tiny_lm, tmp_path):
    from mtqc.scorers._hf import token_logprobs
    from mtqc.scorers.lm import words_from_tokens
    from mtqc.scorers.prompts import translation_prompt
    from mtqc.scorers.source import SourceEvidenceScorer

    seg = Segment(
        id="1", mt=SENTENCES[1], src="De politie zei dat de verdachte vrij is.", src_lang="nl"
    )
    sc = SourceEvidenceScorer(
        lm=str(tiny_lm), min_bits=0.0, max_gain=1e9, cache_path=str(tmp_path / "c")
    )
    sc.load()
    (out,) = sc.score([seg])
    assert sc.model_calls == 2  # one pass alone, one given the source
    model, tok = sc._model, sc._tok
    plain, cond = token_logprobs(
        model, tok, [seg.mt, seg.mt], prefixes=["", translation_prompt(seg.src, "nl")]
    )
    pw = words_from_tokens(seg.mt, plain.offsets, plain.bits)
    cw = words_from_tokens(seg.mt, cond.offsets, cond.bits)
    (gains,) = sc.word_gains([seg])
    assert [g["gain"] for g in gains] == pytest.approx(
        [a.bits - b.bits for a, b in zip(pw, cw, strict=True)], abs=1e-2
    )
    # every word is unsupported at these settings: one merged span over the whole sentence
    assert [(f.code, f.start, f.end) for f in out.flags] == [("M003", 0, len(seg.mt))]
    assert out.flags[0].evidence["columns"] == ["word", "bits", "bits_given_source", "gain"]
    assert sc.score([seg])[0].flags == out.flags and sc.model_calls == 2


def test_minimal_pairs_score_each_rule_fix_against_the_mt(tiny_lm, tmp_path):
    from mtqc.model import Flag, SegmentResult, Severity
    from mtqc.scorers.lm import LMFluencyScorer

    mt = "He said it. The plan is a fact now. The end."
    start = mt.index("a fact")
    rule_flag = Flag(
        "T001",
        "x",
        "s",
        start,
        start + 6,
        "a fact",
        Severity.MINOR,
        "other",
        "m",
        suggestions=["final", "(delete)", "done"],
    )
    model_flag = Flag(
        "M001", "x", "s", 0, 2, "He", Severity.MINOR, "other", "m", suggestions=["She"]
    )
    result = SegmentResult(Segment("s", mt), [rule_flag, model_flag])
    sc = LMFluencyScorer(lm=str(tiny_lm), cache_path=str(tmp_path / "c.sqlite3"))
    sc.load()
    sc.annotate_rule_flags([result])
    pair = rule_flag.evidence["lm_minimal_pair"]
    sentence = "The plan is a fact now. "
    fixes = {"final": "The plan is final now. ", "done": "The plan is done now. "}
    texts = [sentence, *fixes.values()]
    bits = dict(zip(texts, sc.total_bits(texts), strict=True))
    best = min(fixes, key=lambda k: bits[fixes[k]])
    assert pair["fix"] == best  # the placeholder "(delete)" is never scored
    assert pair["mt_bits"] == pytest.approx(bits[sentence], abs=0.01)
    assert pair["bits_saved"] == pytest.approx(bits[sentence] - bits[fixes[best]], abs=0.02)
    assert "lm_minimal_pair" not in model_flag.evidence  # model flags are not re-scored


def test_publish_folder_moves_a_finished_conversion_and_drops_a_failed_one(tmp_path):
    from mtqc.scorers.cache import publish_folder

    with publish_folder(tmp_path / "model") as tmp:
        (tmp / "weights").write_text("w")
    assert (tmp_path / "model" / "weights").read_text() == "w"
    with pytest.raises(RuntimeError), publish_folder(tmp_path / "broken"):
        raise RuntimeError("conversion failed")
    # another process published first: its copy is kept, ours removed
    with publish_folder(tmp_path / "model") as tmp:
        (tmp / "weights").write_text("other")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
    assert (tmp_path / "model" / "weights").read_text() == "w"
