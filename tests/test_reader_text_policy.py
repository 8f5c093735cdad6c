"""What text an input may hold, decided at the reader: lone surrogates, NUL, deep nesting,
huge numbers and NaN are input errors (exit 2, file and line, what to do), never a crash
of an output or the store (exit 3)."""

from __future__ import annotations

import io
import json

import pytest

from mtqc.cli import main
from mtqc.errors import InputError
from mtqc.readers import MAX_META_DEPTH, read_segments

XLIFF2 = (
    '<?xml version="1.0"?>\n'
    '<xliff version="2.0" xmlns="urn:oasis:names:tc:xliff:document:2.0" srcLang="nl" '
    'trgLang="en">\n<file id="f">\n<unit id="1"><segment><source>a</source>\n'
    "<target>ok{}</target></segment></unit>\n</file></xliff>\n"
)

CASES = {
    # name: (file name, content, expected line, words the message must hold)
    "jsonl lone high surrogate": (
        "feed.jsonl",
        '{"mt": "fine"}\n{"mt": "bad \\ud800 text"}\n',
        2,
        ["'mt'", "U+D800", "surrogate"],
    ),
    "jsonl lone low surrogate in src": (
        "feed.jsonl",
        '{"mt": "fine", "src": "x\\udc00"}\n',
        1,
        ["'src'", "U+DC00"],
    ),
    "jsonl surrogate in metadata key": (
        "feed.jsonl",
        '{"mt": "fine", "\\ud800": 1}\n',
        1,
        ["field name", "U+D800"],
    ),
    "jsonl NUL": ("feed.jsonl", '{"mt": "a\\u0000b"}\n', 1, ["NUL", "U+0000"]),
    "jsonl NUL in metadata": (
        "feed.jsonl",
        '{"mt": "a", "note": {"who": ["x\\u0000"]}}\n',
        1,
        ["note.who[0]", "NUL"],
    ),
    "jsonl nested 1000 deep": (
        "feed.jsonl",
        '{"mt": "a", "x": ' + "[" * 1000 + "]" * 1000 + "}\n",
        1,
        ["nested"],
    ),
    "jsonl nested beyond the metadata limit": (
        "feed.jsonl",
        '{"mt": "a", "x": ' + "[" * (MAX_META_DEPTH + 1) + "]" * (MAX_META_DEPTH + 1) + "}\n",
        1,
        ["'x'", "nested more than"],
    ),
    "jsonl 4301-digit integer": (
        "feed.jsonl",
        '{"mt": "a", "n": ' + "9" * 4301 + "}\n",
        1,
        ["4300 digits", "as strings"],
    ),
    "jsonl NaN": ("feed.jsonl", '{"mt": "a", "n": NaN}\n', 1, ["NaN", "not JSON"]),
    "jsonl 1e999": ("feed.jsonl", '{"mt": "a", "n": 1e999}\n', 1, ["inf", "'n'"]),
    "xliff cp surrogate": ("doc.xlf", XLIFF2.format('<cp hex="D800"/>'), 5, ["U+D800"]),
    "xliff cp NUL": ("doc.xlf", XLIFF2.format('<cp hex="0"/>'), 5, ["NUL"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_text_is_an_input_error_naming_file_and_line(case, tmp_path, capsys):
    name, content, line, words = CASES[case]
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    code = main(["check", str(path), "-f", "json", "-o", str(tmp_path / "out.json")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"{path}:{line}:" in err and "hint:" in err and "internal error" not in err
    for w in words:
        assert w in err
    assert not (tmp_path / "out.json").exists()


def test_text_mode_stdin_with_surrogate_escapes():
    with pytest.raises(InputError, match=r"<stdin>:2: field 'mt' holds an unpaired surrogate"):
        read_segments("-", stdin=io.StringIO("ok\nbad \udc80 byte\n"))


def test_allowed_text_passes_through(tmp_path):
    """Paired surrogate escapes (an emoji), other control characters and moderately
    nested metadata are fine; W005 flags the controls."""
    p = tmp_path / "feed.jsonl"
    nested = "[" * MAX_META_DEPTH + "]" * MAX_META_DEPTH
    p.write_text(
        '{"mt": "smile \\ud83d\\ude00 and \\u001b bell", "x": ' + nested + "}\n", encoding="utf-8"
    )
    (seg,) = read_segments(str(p))
    assert seg.mt == "smile \U0001f600 and \x1b bell"
    assert json.dumps(seg.meta)


def test_store_records_what_readers_accept(tmp_path):
    """The SQLite store and every output take any text a reader returns."""
    from mtqc.engine import EngineSettings, check_segments
    from mtqc.outputs import FORMATS, render
    from mtqc.store import open_store

    p = tmp_path / "feed.jsonl"
    p.write_text(
        '{"mt": "ctrl \\u0001\\u001f\\u007f \\u2028 \\ud83d\\ude00 \\ufffd end"}\n',
        encoding="utf-8",
    )
    report = check_segments(read_segments(str(p)), EngineSettings())
    for fmt in FORMATS:
        render(report, fmt).encode("utf-8")
    with open_store(tmp_path / "h.sqlite") as store:
        assert store.record_run(report, "feed") == 1
