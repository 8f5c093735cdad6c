"""Reference metrics agree with sacrebleu's public API, segment by segment and corpus-wide."""

from __future__ import annotations

import pytest
from sacrebleu.metrics import BLEU, CHRF, TER

from mtqc.errors import UsageError
from mtqc.metrics import (
    ReferenceMetrics,
    chrf_statistics,
    chrf_statistics_batch,
    parse_metrics,
    reference_scores,
)

HYPS = [
    "The council has eventually released extra money for the pool.",
    "No reference for this one.",
    "The police carried out a large control near Antwerp on Saturday.",
    "He left the the room quickly.",
]
REFS = [
    "The council may have released extra money for the swimming pool.",
    None,
    "On Saturday the police carried out a large-scale check near Antwerp.",
    "He quickly left the room.",
]


def test_segment_and_corpus_scores_match_sacrebleu():
    per_seg, corpus = reference_scores(HYPS, REFS)
    assert per_seg[1] == {}
    pairs = [(h, r) for h, r in zip(HYPS, REFS, strict=True) if r]
    with_ref = [m for m in per_seg if m]
    for (h, r), m in zip(pairs, with_ref, strict=True):
        assert m["chrf"] == pytest.approx(CHRF().sentence_score(h, [r]).score, abs=1e-4)
        assert m["ter"] == pytest.approx(TER().sentence_score(h, [r]).score, abs=1e-4)
        bleu = BLEU(effective_order=True).sentence_score(h, [r]).score
        assert m["bleu"] == pytest.approx(bleu, abs=1e-4)
    hs, rs = [h for h, _ in pairs], [[r for _, r in pairs]]
    assert corpus["chrf"]["score"] == pytest.approx(CHRF().corpus_score(hs, rs).score, abs=1e-4)
    assert corpus["ter"]["score"] == pytest.approx(TER().corpus_score(hs, rs).score, abs=1e-4)
    assert corpus["bleu"]["score"] == pytest.approx(BLEU().corpus_score(hs, rs).score, abs=1e-4)
    assert corpus["chrf"]["segments"] == 3
    assert corpus["bleu"]["signature"].startswith("nrefs:1|case:mixed|eff:no|tok:13a")


def test_no_references_gives_no_metrics():
    per_seg, corpus = reference_scores(["a", "b"], [None, ""])
    assert per_seg == [{}, {}] and corpus == {}


EDGE_PAIRS = [
    ("", "x"),
    ("a", ""),
    ("ab", "abcdefgh"),
    ("a b  c", "abc"),
    ("aaaaaaa", "aaa"),
    ("Het is 5 °C.\u00a0Koud!", "It is 5 °C. Cold!"),
    ("我们对宇宙的了解", "我们对宇宙的大部分了解"),
    ("emoji 😀😀 here", "emoji 😀 here"),
] + list(zip(HYPS, [r or "" for r in REFS], strict=True))


def test_chrf_statistics_equal_sacrebleus():
    metric = CHRF()
    for h, r in EDGE_PAIRS:
        assert chrf_statistics(h, r) == metric._extract_corpus_statistics([h], [[r]])[0], (h, r)


def test_chrf_statistics_batch_equal_sacrebleus():
    """The NumPy batch counts equal sacrebleu's pair by pair: edge cases, a batch of
    random strings over a small alphabet (many repeated n-grams) and one of many
    distinct characters (too many to pack: None, the caller counts one by one)."""
    import random

    metric = CHRF()
    rng = random.Random(7)
    pairs = list(EDGE_PAIRS)
    for _ in range(300):
        pairs.append(
            tuple(
                "".join(rng.choice("ab c\u00e9\t") for _ in range(rng.randint(0, 30)))
                for _ in range(2)
            )
        )
    hyps, refs = [h for h, _ in pairs], [r for _, r in pairs]
    expected = [metric._extract_corpus_statistics([h], [[r]])[0] for h, r in pairs]
    assert chrf_statistics_batch(hyps, refs) == expected
    assert chrf_statistics_batch([], []) == []
    han = "".join(chr(0x4E00 + i) for i in range(3000))
    assert chrf_statistics_batch([han], ["x"]) is None


def test_chosen_metrics_only():
    acc = ReferenceMetrics("en", ("chrf",))
    per_seg = acc.add(HYPS, REFS)
    assert all(set(m) == {"chrf"} for m in per_seg if m)
    corpus = acc.corpus()
    pairs = [(h, r) for h, r in zip(HYPS, REFS, strict=True) if r]
    hs, rs = [h for h, _ in pairs], [[r for _, r in pairs]]
    assert list(corpus) == ["chrf"]
    assert corpus["chrf"]["score"] == pytest.approx(CHRF().corpus_score(hs, rs).score, abs=1e-4)
    ref_metric = CHRF()
    ref_metric.corpus_score(hs, rs)
    assert corpus["chrf"]["signature"] == str(ref_metric.get_signature())
    assert ReferenceMetrics("en", ()).add(HYPS, REFS) == [{}, {}, {}, {}]


def test_parse_metrics():
    assert parse_metrics("ter, CHRF") == ("chrf", "ter")
    assert parse_metrics("none") == () == parse_metrics([])
    with pytest.raises(UsageError, match="unknown metric 'comet'"):
        parse_metrics("comet")


def test_merged_accumulators_score_as_one():
    pairs = [(h, r) for h, r in zip(HYPS, REFS, strict=True) if r]
    whole = ReferenceMetrics("en", ("chrf", "bleu", "ter"))
    whole.add([h for h, _ in pairs], [r for _, r in pairs])
    first, second = (ReferenceMetrics("en", ("chrf", "bleu", "ter")) for _ in range(2))
    first.add([pairs[0][0]], [pairs[0][1]])
    second.add([h for h, _ in pairs[1:]], [r for _, r in pairs[1:]])
    first.merge(second.statistics(), second.segments)
    assert first.corpus() == whole.corpus()
    assert first.corpus()["chrf"]["segments"] == 3
