"""Duplicate record ids are refused in bounded memory (issue 12): exact below the limit,
64-bit digests above it, the first line named either way."""

from __future__ import annotations

import json

import pytest

from mtqc.errors import InputError
from mtqc.readers import iter_segments
from mtqc.readers.ids import SeenIds


@pytest.mark.parametrize("exact_limit", [10**6, 50])
def test_duplicates_found_with_their_first_line(exact_limit):
    seen = SeenIds(exact_limit=exact_limit, buffer=16)
    ids = [f"doc-{i}" for i in range(2000)]
    for line, record_id in enumerate(ids, 1):
        assert seen.add(record_id, line) is None
    assert len(seen) == 2000
    # ids from the exact part, the merged arrays and the recent buffer alike
    for line in (1, 50, 51, 52, 1000, 1999, 2000):
        assert seen.add(ids[line - 1], 5000) == line
    assert seen.add("doc-2000", 2001) is None


def test_compact_form_is_used_past_the_limit():
    seen = SeenIds(exact_limit=100, buffer=16)
    for line in range(1, 1001):
        seen.add(str(line), line)
    assert seen._exact is None and len(seen._keys) + len(seen._recent) == 1000
    assert list(seen._keys) == sorted(seen._keys)


def test_reader_refuses_a_duplicate_past_the_exact_limit(tmp_path, monkeypatch):
    import mtqc.readers.ids as ids

    monkeypatch.setattr(ids.SeenIds.__init__, "__defaults__", (20, 8))
    path = tmp_path / "feed.jsonl"
    records = [{"id": f"s{i}", "mt": f"Line {i}."} for i in range(60)]
    records.append({"id": "s7", "mt": "Again."})
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    with pytest.raises(InputError) as err:
        list(iter_segments(str(path)))
    assert err.value.line == 61
    assert "duplicate id 's7' (first used on line 8)" in str(err.value)
