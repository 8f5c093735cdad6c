"""The S rules (source comparison, Dutch→English): the false-friend list, the Dutch
lemmatiser of the dictionary reader, negation and back-translation checks."""

from __future__ import annotations

import pytest

from mtqc.checks import _dictionary as nl_dict
from mtqc.checks import source as S
from mtqc.checks._apply import apply_rule
from mtqc.checks.base import all_rules
from mtqc.errors import ConfigError
from mtqc.model import Segment

needs_dictionary = pytest.mark.skipif(
    not nl_dict.available(),
    reason="the FreeDict Dutch-English dictionary (Debian dict-freedict-nld-eng) is not installed",
)


def flags(code: str, mt: str, src: str, bt: str | None = None) -> list[str]:
    seg = Segment(id="x", mt=mt, src=src, bt=bt, src_lang="nl", tgt_lang="en")
    return [f.text for f in apply_rule(all_rules()[code], seg, {})]


def test_false_friend_list_is_large_and_sourced():
    entries = S.load_false_friends()
    assert len(entries) >= 80
    for e in entries:
        assert e.source and e.why and e.right, e.id


def test_false_friend_list_errors_name_the_line(tmp_path):
    p = tmp_path / "ff.tsv"
    p.write_text(
        "id\tdutch\tenglish\tright\tseverity\tcontext\tsource\twhy\n"
        "x\tparket\tparquet\tprosecutor\tmajor\tmaybe:x\tVan Dale\twhy\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=":2: context"):
        S.load_false_friends(p)


def test_false_friend_needs_the_dutch_word_in_the_source():
    assert flags("S001", "The brand destroyed the shed.", "De brand verwoestte de schuur.") == [
        "brand"
    ]
    assert flags("S001", "The brand destroyed the shed.", "Het merk verwoestte de schuur.") == []


def test_lemma_candidates_cover_inflection():
    c = nl_dict.lemma_candidates
    assert "neerschieten" in c("neergeschoten")
    assert "vrijspreken" in c("vrijgesproken")
    assert "uitlenen" in c("uitgeleend")
    assert "zaak" in c("zaken")
    assert "brutaal" in c("brutale")
    assert "actueel" in c("actuele")
    assert "komen" in c("kwam")


@needs_dictionary
def test_lemmas_are_headwords():
    assert nl_dict.lemmas("zaken")[-1] == "zaak"
    assert "schieten" in nl_dict.lemmas("geschoten")
    assert "shop" in nl_dict.word_translations("zaken")


@needs_dictionary
def test_negation_without_an_aligned_word_is_flagged_on_the_source():
    seg = Segment(
        id="x",
        mt="Janssens went to the city.",
        src="Janssens is nooit in Zwolle geweest.",
        src_lang="nl",
        tgt_lang="en",
    )
    got = [(f.side, f.text) for f in apply_rule(all_rules()["S003"], seg, {})]
    assert got == [("src", "nooit")]


def test_negation_kept_in_other_words_is_not_flagged():
    assert flags("S003", "Hardly anyone came.", "Er kwam bijna niemand.") == []
    assert flags("S003", "The plan failed to convince.", "Het plan overtuigde niet.") == []


def test_the_parsed_dictionary_is_cached_per_file_version(tmp_path, monkeypatch):
    """FreeDict is parsed once per dictionary file (size, mtime) and the parse cached in the
    mtqc cache directory; a changed file or a damaged cache is parsed again."""
    import gzip
    import os

    from mtqc.checks import _dictionary

    dict_file = tmp_path / "nld-eng.dict.dz"
    entry = "huis /hœys/\n1. house, home\n2. household\n"
    dict_file.write_bytes(gzip.compress(entry.encode("utf-8")))
    monkeypatch.setenv("MTQC_FREEDICT_NLD_ENG", str(dict_file))
    monkeypatch.setenv("MTQC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("MTQC_NO_CACHE", raising=False)
    parsed = []
    real_parse = _dictionary._parse_file
    monkeypatch.setattr(_dictionary, "_parse_file", lambda p: parsed.append(p) or real_parse(p))

    expected = {"huis": (("house", "home"), ("household",))}
    assert _dictionary._system_table() == expected and len(parsed) == 1
    assert (tmp_path / "cache" / "freedict-nld-eng.marshal").is_file()
    assert _dictionary._system_table() == expected and len(parsed) == 1  # from the cache

    dict_file.write_bytes(gzip.compress((entry + "boom /bo:m/\ntree\n").encode("utf-8")))
    os.utime(dict_file, ns=(1, 1))  # another version of the dictionary
    assert _dictionary._system_table()["boom"] == (("tree",),) and len(parsed) == 2

    (tmp_path / "cache" / "freedict-nld-eng.marshal").write_bytes(b"\x00not marshal")
    assert _dictionary._system_table()["boom"] == (("tree",),) and len(parsed) == 3
