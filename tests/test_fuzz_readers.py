"""Fuzzing every reader: mutated inputs give segments or a user error, nothing else.

Each of the eight readers (plain text, TSV, CSV, JSONL, XLIFF 1.2, XLIFF 2.0, TMX, PO) gets
a bounded number of inputs mutated from a valid file (byte flips, insertions, deletions,
duplicated and swapped lines, truncation, and format-specific tokens: lone surrogates,
NUL, deep nesting, huge numbers, entities, broken quotes ...). Reading one must either
return segments that every output and store can hold (UTF-8-encodable, no NUL, metadata
that serialises as JSON) or raise :class:`~mtqc.errors.MtqcError` (exit 2) — never any
other exception (exit 3). Inputs are seeded: a failure names the seed that reproduces it.

CI runs ``MTQC_FUZZ_INPUTS`` (default 250) inputs per reader in a few seconds; a release
runs many more, e.g. ``MTQC_FUZZ_INPUTS=100000 pytest -q -s tests/test_fuzz_readers.py``
(``-s`` shows how many inputs were tried). ``MTQC_FUZZ_SEED`` shifts the seeds.
"""

from __future__ import annotations

import io
import json
import os
import random
from pathlib import Path

import pytest

from mtqc.errors import MtqcError
from mtqc.model import Segment
from mtqc.readers import read_segments

INPUTS = Path(__file__).resolve().parent / "fixtures" / "inputs"
N = int(os.environ.get("MTQC_FUZZ_INPUTS", "250"))
SEED = int(os.environ.get("MTQC_FUZZ_SEED", "0"))
CLI_N = max(10, N // 100)  # whole `mtqc check` runs per reader (rules + every output)

# reader name -> (input format, seed files)
READERS: dict[str, tuple[str, list[str]]] = {
    "text": ("text", ["article.txt", "short.ref.txt"]),
    "tsv": ("tsv", ["records.tsv", "records.tsv", "no_mt.tsv"]),
    "csv": ("csv", ["records.csv"]),
    "jsonl": ("jsonl", ["records.jsonl"]),
    "xliff12": ("xliff", ["xliff12.xlf", "segmented.sdlxliff"]),
    "xliff20": ("xliff", ["xliff20.xlf"]),
    "tmx": ("tmx", ["memory.tmx"]),
    "po": ("po", ["messages.po"]),
}

COMMON = [
    b"\x00",
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\r",
    b"\r\n",
    b"\n",
    b"\n\n",
    b'"',
    b"'",
    b"\t",
    b",",
    b"\\",
    b" ",
    "\u200b".encode(),
    "\u2028".encode(),
    "\U0001f600".encode(),
    b"\x1b[31m",
    b"\x7f",
    "é".encode(),
    "\ufffd".encode(),
    b"A" * 100_001,
]
TOKENS: dict[str, list[bytes]] = {
    "text": [],
    "tsv": [b'"', b'""', b'"a""b"', b"\t\t", b"mt", b"hyp", b"id", b"\tid", b"=1+1"],
    "csv": [b'"', b'""', b'"a,b"', b",,", b"mt", b"hyp", b"ref", b"id", b"-2+3+cmd|' /C calc'!A0"],
    "jsonl": [
        b"\\ud800",
        b"\\udc00",
        b"\\ud83d\\ude00",
        b"\\u0000",
        b"\\u001b",
        b"[" * 1500,
        b"{" * 50,
        b"]",
        b"}",
        b"1" * 5000,
        b"-" + b"9" * 4400,
        b"1e999",
        b"NaN",
        b"Infinity",
        b"null",
        b"true",
        b"[]",
        b"{}",
        b'"mt"',
        b'"MT"',
        b'"hyp"',
        b'"id"',
        b'"doc"',
        b'"mt": 5',
        b'"id": [1]',
        b'"id": true',
        b'"x": ' + b"[" * 40 + b"]" * 40,
        b":",
        b'"',
    ],
    "xml": [
        b'<cp hex="D800"/>',
        b'<cp hex="0"/>',
        b'<cp hex="110000"/>',
        b'<cp hex="zz"/>',
        b'<cp hex="1F600"/>',
        b"&#xD800;",
        b"&#0;",
        b"&#x1;",
        b"&amp;",
        b"&lt;",
        b"&a;",
        b'<!DOCTYPE x [<!ENTITY a "b">]>',
        b'<!DOCTYPE tmx SYSTEM "tmx14.dtd">',
        b'<!ENTITY e SYSTEM "file:///etc/passwd">',
        b"<g>" * 3000,
        b"</g>",
        b"<![CDATA[x<y]]>",
        b"</target>",
        b"<target>",
        b"<target/>",
        b"</source>",
        b"<segment>",
        b"</unit>",
        b'<unit id="1">',
        b'<trans-unit id="1">',
        b'<mrk mtype="seg" mid="1">',
        b"</mrk>",
        b"<seg>",
        b"</seg>",
        b'<tuv xml:lang="en">',
        b"</tuv>",
        b'xml:space="preserve"',
        b'version="2.0"',
        b'version="1.2"',
        b'srclang="*all*"',
        b"<ph>x</ph>",
        b"<?pi x?>",
        b"<!-- c -->",
        b'xmlns="urn:x"',
        b'id=""',
        b"<x/>",
        b'<x id="1" equiv-text="{0}"/>',
        b'<ph id="2" disp="{{ n }}" equiv="I"/>',
        b'<pc id="3" dispStart="&lt;b&gt;">',
        b"</pc>",
        b'<mrk mtype="x-sdl-deleted">',
        b'<mrk mtype="x-sdl-added">',
        b'translate="no"',
        b'<?xml version="1.0" encoding="windows-1252"?>',
        b'<?xml version="1.0" encoding="zlib_codec"?>',
        b'<?xml version="1.0" encoding="utf-16"?>',
        b'<?xml version="1.0" encoding="nope"?>',
        b'<group translate="no">',
        b"</group>",
    ],
    "po": [
        b'msgid "',
        b'msgstr "',
        b'msgstr[1] "',
        b'msgid_plural "',
        b'msgctxt "',
        b"#, fuzzy\n",
        b"#~ ",
        b"#: a.py:1\n",
        b'\\"',
        b"\\n",
        b'"\n',
        b'""',
    ],
}


def _tokens(reader: str) -> list[bytes]:
    kind = "xml" if reader in ("xliff12", "xliff20", "tmx") else reader
    return COMMON + TOKENS[kind]


def _byte(rng: random.Random) -> int:
    """Mostly printable ASCII (the invalid UTF-8 tokens cover bad bytes)."""
    return rng.randrange(32, 127) if rng.random() < 0.8 else rng.randrange(256)


def mutate(data: bytes, rng: random.Random, tokens: list[bytes]) -> bytes:
    """One to four random edits of ``data`` (mostly one, mostly at a boundary)."""
    buf = bytearray(data)
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):
        op = rng.randrange(8)
        pos = rng.randrange(len(buf) + 1)
        if rng.random() < 0.6:  # mostly at a boundary: after a tag, quote, field or line
            marks = [i + 1 for i, b in enumerate(buf) if b in b'>"\t,\n']
            pos = rng.choice(marks) if marks else pos
        if op == 0 and buf:  # change a byte
            buf[rng.randrange(len(buf))] = _byte(rng)
        elif op == 1:  # random bytes
            buf[pos:pos] = bytes(_byte(rng) for _ in range(rng.randint(1, 8)))
        elif op == 2 and buf:  # delete a slice
            end = min(len(buf), pos + rng.randint(1, 64))
            del buf[pos:end]
        elif op == 3 and buf:  # duplicate a slice
            end = min(len(buf), pos + rng.randint(1, 200))
            buf[pos:pos] = buf[pos:end] * rng.randint(1, 3)
        elif op in (4, 5):  # a token that matters to the format (twice as likely)
            buf[pos:pos] = rng.choice(tokens)
        elif op == 6:  # swap or repeat lines
            lines = bytes(buf).split(b"\n")
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            if rng.random() < 0.5:
                lines[i], lines[j] = lines[j], lines[i]
            else:
                lines.insert(i, lines[j])
            buf = bytearray(b"\n".join(lines))
        else:  # truncate
            del buf[pos:]
    return bytes(buf)


def check_holdable(segments: list[Segment]) -> None:
    """What a reader returns can be written by every output and store."""
    assert segments and all(isinstance(s, Segment) for s in segments)
    for s in segments:
        for name in ("mt", "src", "ref", "bt", "id", "doc_id", "src_lang", "tgt_lang"):
            value = getattr(s, name)
            assert value is None or isinstance(value, str), (name, value)
            if value:
                value.encode("utf-8")  # no lone surrogate
                assert "\0" not in value, name
        assert isinstance(s.mt, str) and isinstance(s.line, int)
        json.dumps(s.meta, allow_nan=False, ensure_ascii=False).encode("utf-8")


def fuzz_inputs(reader: str, count: int):
    fmt, files = READERS[reader]
    seeds = [(INPUTS / f).read_bytes() for f in files]
    tokens = _tokens(reader)
    for i in range(count):
        seed = f"{reader}:{SEED + i}"
        rng = random.Random(seed)
        yield seed, fmt, mutate(rng.choice(seeds), rng, tokens)


def read(fmt: str, data: bytes):
    return read_segments("-", fmt=fmt, stdin=io.BytesIO(data))


@pytest.mark.parametrize("reader", list(READERS))
def test_seed_files_read(reader):
    fmt, files = READERS[reader]
    for f in files:
        data = (INPUTS / f).read_bytes()
        try:
            check_holdable(read(fmt, data))
        except MtqcError:
            assert f == "no_mt.tsv"  # a seed that is itself a user error


@pytest.mark.parametrize("reader", list(READERS))
def test_fuzzed_inputs_give_segments_or_a_user_error(reader):
    failures: list[str] = []
    outcomes = {"segments": 0, "user error": 0}
    for seed, fmt, data in fuzz_inputs(reader, N):
        try:
            segments = read(fmt, data)
            check_holdable(segments)
            outcomes["segments"] += 1
        except MtqcError as e:
            assert str(e).strip()
            outcomes["user error"] += 1
        except Exception as e:  # noqa: BLE001 - this is what the test looks for
            failures.append(f"seed {seed!r}: {type(e).__name__}: {e!s:.200} input {data[:120]!r}")
    print(f"\nfuzz {reader}: {N} inputs, {outcomes}, {len(failures)} failures")
    assert not failures, "\n".join(failures[:10])
    assert outcomes["segments"] and outcomes["user error"]  # the mutations reach both


@pytest.mark.parametrize("reader", list(READERS))
def test_fuzzed_inputs_through_the_whole_cli_exit_0_1_or_2(reader, tmp_path, capsys):
    """Accepted fuzz inputs go through the rules and every output format."""
    from mtqc.cli import main

    ext = {"text": ".txt", "tsv": ".tsv", "csv": ".csv", "jsonl": ".jsonl", "po": ".po"}.get(
        READERS[reader][0], ".xlf" if reader.startswith("xliff") else ".tmx"
    )
    formats = ["json", "jsonl", "csv", "html", "sarif", "junit", "github", "text"]
    bad: list[str] = []
    for i, (seed, _fmt, data) in enumerate(fuzz_inputs(reader, CLI_N)):
        path = tmp_path / f"in{ext}"
        path.write_bytes(data)
        out = tmp_path / "out"
        code = main(
            [
                "check",
                str(path),
                "-f",
                formats[i % len(formats)],
                "-o",
                str(out),
                "--select",
                "P,W,N,U001,T",
            ]
        )
        err = capsys.readouterr().err
        if code not in (0, 1, 2) or "internal error" in err:
            bad.append(f"seed {seed!r}: exit {code}: {err[-300:]}")
    assert not bad, "\n".join(bad[:5])
