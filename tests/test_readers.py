"""Input readers: exact segments from good inputs, exact errors from bad ones."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from mtqc.errors import InputError
from mtqc.readers import FORMATS, MAX_SEGMENT_CHARS, detect_format, read_segments

INPUTS = Path(__file__).parent / "fixtures" / "inputs"


def fx(name: str) -> str:
    return str(INPUTS / name)


def write(tmp_path: Path, name: str, data: bytes | str) -> str:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_bytes(data.encode("utf-8"))
    else:
        path.write_bytes(data)
    return str(path)


def error(*args, **kwargs) -> InputError:
    with pytest.raises(InputError) as info:
        read_segments(*args, **kwargs)
    return info.value


# --------------------------------------------------------------------------- plain text


def test_text_one_segment_per_line_blank_lines_break_paragraphs():
    segs = read_segments(fx("article.txt"))
    assert [(s.id, s.line, s.meta["paragraph"]) for s in segs] == [
        ("article:1", 1, 1),
        ("article:2", 2, 1),
        ("article:5", 5, 2),
        ("article:6", 6, 2),
        ("article:8", 8, 3),
    ]
    assert segs[0].mt == "The council met on Tuesday."
    assert segs[3].mt == "  Indented line kept as is."  # the text is not stripped
    first = segs[0]
    assert first.doc_id == "article"
    assert first.source_file == fx("article.txt")
    assert (first.src, first.ref, first.bt) == (None, None, None)
    assert (first.src_lang, first.tgt_lang) == (None, "en")


def test_text_parallel_files_align_by_segment_order():
    segs = read_segments(fx("article.txt"), ref=fx("article.ref.txt"), src=fx("article.src.txt"))
    assert [(s.line, s.ref, s.meta["ref_line"]) for s in segs] == [
        (1, "The council met on Tuesday.", 1),
        (2, "It passed the budget.", 2),
        (5, "The mayor was absent.", 4),
        (6, "An indented line.", 5),
        (8, "End of article.", 6),
    ]
    assert [s.src for s in segs][2:] == [
        "De burgemeester was er niet.",
        "Een ingesprongen regel.",
        "Einde van het artikel.",
    ]
    assert segs[4].meta["src_line"] == 6
    assert all(s.src_lang is None for s in segs)  # left for the engine to detect


def test_text_back_translation_and_language_arguments(tmp_path):
    bt = write(tmp_path, "bt.txt", "a\nb\nc\nd\ne\n")
    segs = read_segments(fx("article.txt"), bt=bt, src_lang="nl", tgt_lang="en-GB")
    assert [s.bt for s in segs] == ["a", "b", "c", "d", "e"]
    assert {(s.src_lang, s.tgt_lang) for s in segs} == {("nl", "en-GB")}


def test_text_parallel_count_mismatch_names_both_files_and_counts():
    err = error(fx("article.txt"), ref=fx("short.ref.txt"))
    assert err.path == fx("article.txt")
    msg = str(err)
    assert msg.startswith(f"{fx('article.txt')}: has 5 segments")  # the name once
    assert f"has 5 segments but the ref file {fx('short.ref.txt')} has 3" in msg


def test_text_bom_and_crlf(tmp_path):
    path = write(tmp_path, "win.txt", b"\xef\xbb\xbfFirst line\r\n\r\nSecond line\r\nThird\r\n")
    segs = read_segments(path)
    assert [(s.mt, s.line, s.meta["paragraph"]) for s in segs] == [
        ("First line", 1, 1),
        ("Second line", 3, 2),
        ("Third", 4, 2),
    ]


def test_text_old_mac_cr_line_ends(tmp_path):
    segs = read_segments(write(tmp_path, "mac.txt", b"One\rTwo\r\rThree"))
    assert [(s.mt, s.line) for s in segs] == [("One", 1), ("Two", 2), ("Three", 4)]


def test_parallel_file_may_differ_in_line_ends_and_bom(tmp_path):
    mt = write(tmp_path, "mt.txt", "a\nb\n")
    ref = write(tmp_path, "ref.txt", b"\xef\xbb\xbfA\r\nB\r\n")
    assert [s.ref for s in read_segments(mt, ref=ref)] == ["A", "B"]


# --------------------------------------------------------------------------- stdin


def test_stdin_bytes_are_decoded_with_the_same_rules():
    segs = read_segments("-", stdin=io.BytesIO(b"\xef\xbb\xbfHello\r\n\r\nWorld\r\n"))
    assert [(s.id, s.mt, s.line, s.source_file, s.doc_id) for s in segs] == [
        ("stdin:1", "Hello", 1, "<stdin>", "stdin"),
        ("stdin:3", "World", 3, "<stdin>", "stdin"),
    ]


def test_stdin_text_stream_and_explicit_format():
    segs = read_segments("-", fmt="jsonl", stdin=io.StringIO('{"id": "x", "mt": "Hi"}\n'))
    assert [(s.id, s.mt, s.line) for s in segs] == [("x", "Hi", 1)]


def test_stdin_defaults_to_text():
    segs = read_segments("-", stdin=io.BytesIO(b'{"mt": "Hi"}\n'))
    assert segs[0].mt == '{"mt": "Hi"}'


def test_stdin_errors_name_stdin():
    err = error("-", stdin=io.BytesIO(b"ok\ncaf\xe9\n"))
    assert err.path == "<stdin>"
    assert err.line == 2
    assert "byte offset 6" in str(err)
    assert "iconv -f latin1 -t utf-8" in err.hint


def test_only_one_input_from_stdin():
    err = error("-", ref="-", stdin=io.BytesIO(b"a\n"))
    assert "only one input" in str(err)


# --------------------------------------------------------------------------- TSV / CSV


def test_tsv_header_fields_meta_and_record_start_lines():
    segs = read_segments(fx("records.tsv"))
    assert [(s.id, s.line, s.doc_id) for s in segs] == [
        ("1", 2, "politics"),
        ("2", 3, "politics"),
        ("3", 6, "sport"),
    ]
    assert segs[0].mt == "The council met."
    assert segs[0].ref == "The council convened."
    assert segs[1].mt == "Two lines\nin one field,\twith a tab"  # quoted field
    assert segs[1].ref is None  # empty cell: no reference for this row
    assert segs[2].mt == 'He said "no".'  # a quote inside an unquoted field is text
    assert [s.meta for s in segs] == [{"desk": "city"}, {"desk": "city"}, {"desk": ""}]
    assert {s.tgt_lang for s in segs} == {"en"}


def test_csv_hyp_column_per_record_languages_and_defaults():
    segs = read_segments(fx("records.csv"), tgt_lang="en-US")
    assert [(s.id, s.mt, s.src, s.src_lang, s.tgt_lang, s.line) for s in segs] == [
        (
            "records:2",
            "The council met, finally.",
            "De raad vergaderde eindelijk.",
            "nl",
            "en-GB",
            2,
        ),
        ("records:3", 'Quoted "word" here', "Een woord", None, "en-US", 3),
    ]
    assert [s.meta for s in segs] == [{"score": "0.9"}, {"score": ""}]
    assert {s.doc_id for s in segs} == {"records"}


def test_tsv_crlf_inside_and_between_records(tmp_path):
    path = write(tmp_path, "w.tsv", b'id\tmt\r\n1\t"a\r\nb"\r\n2\tc\r\n')
    segs = read_segments(path)
    assert [(s.id, s.mt, s.line) for s in segs] == [("1", "a\nb", 2), ("2", "c", 4)]


def test_tsv_without_mt_column_names_the_columns():
    err = error(fx("no_mt.tsv"))
    assert err.line == 1
    assert "no 'mt' (or 'hyp') column" in err.problem
    assert "'id', 'ref', 'text'" in err.problem


def test_tsv_row_with_wrong_number_of_fields(tmp_path):
    err = error(write(tmp_path, "bad.tsv", "mt\tref\na\tb\nc\td\te\n"))
    assert err.line == 3
    assert "row has 3 fields but the header (line 1) has 2" in err.problem


def test_tsv_badly_quoted_field_is_an_error_not_mangled_text(tmp_path):
    err = error(write(tmp_path, "q.tsv", 'mt\tref\nok\tok\n"Yes," she said.\tb\n'))
    assert err.line == 3
    assert "quoted whole" in err.hint


def test_csv_unclosed_quote_points_at_the_record_start(tmp_path):
    err = error(write(tmp_path, "q.csv", 'mt,ref\n"Yes, she said.,b\nmore\n'))
    assert err.line == 2
    assert "never closed" in err.problem


def test_tsv_with_header_only_has_no_segments(tmp_path):
    err = error(write(tmp_path, "h.tsv", "id\tmt\n"))
    assert "no segments" in err.problem


def test_tsv_both_mt_and_hyp_columns_is_ambiguous(tmp_path):
    err = error(write(tmp_path, "h.tsv", "mt\thyp\na\tb\n"))
    assert "'mt' and 'hyp'" in err.problem


# --------------------------------------------------------------------------- JSONL


def test_jsonl_fields_meta_and_lines():
    segs = read_segments(fx("records.jsonl"))
    assert [(s.id, s.line, s.doc_id) for s in segs] == [
        ("a1", 1, "d1"),
        ("2", 3, "records"),
        ("records:4", 4, "records"),
    ]
    a1, two, four = segs
    assert (a1.mt, a1.ref, a1.meta) == (
        "The council met.",
        "The council convened.",
        {"editor": {"name": "Ann"}},
    )
    assert (two.mt, two.src, two.src_lang, two.tgt_lang) == (
        "It approved the budget.",
        "Hij keurde de begroting goed.",
        "nl",
        "en-US",
    )
    assert (four.bt, four.tgt_lang, four.meta) == ("Geen id hier.", "en", {})


def test_jsonl_malformed_line_gives_line_and_json_error():
    err = error(fx("malformed.jsonl"))
    assert err.line == 2
    assert "not valid JSON" in err.problem
    assert "Unterminated string" in err.problem


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('{"id": "1", "text": "no mt"}', "no 'mt' (or 'hyp') field"),
        ('{"mt": null}', "no 'mt' (or 'hyp') field"),
        ('["mt", "x"]', "JSON array, not an object"),
        ('{"mt": 5}', "field 'mt' must be a string"),
        ('{"mt": "x", "id": [1]}', "field 'id' must be a string or an integer"),
        ('{"mt": "x", "hyp": "y"}', "'mt' and 'hyp'"),
    ],
)
def test_jsonl_bad_records_name_the_line(tmp_path, line, problem):
    err = error(write(tmp_path, "r.jsonl", '{"mt": "fine"}\n\n' + line + "\n"))
    assert err.line == 3
    assert problem in err.problem


def test_duplicate_ids_are_an_error(tmp_path):
    lines = [json.dumps({"id": i, "mt": "x"}) for i in ("a", "b", "a")]
    err = error(write(tmp_path, "d.jsonl", "\n".join(lines)))
    assert err.line == 3
    assert "duplicate id 'a' (first used on line 1)" in err.problem


def test_fmt_overrides_the_extension(tmp_path):
    path = write(tmp_path, "data.txt", '{"mt": "x"}\n')
    assert read_segments(path, fmt="jsonl")[0].mt == "x"
    assert read_segments(path, fmt="JSONL")[0].mt == "x"


# --------------------------------------------------------------------------- XLIFF


def test_xliff12_units_inline_markup_languages_and_lines():
    segs = read_segments(fx("xliff12.xlf"))
    assert [(s.id, s.mt, s.src, s.line, s.meta["unit_line"]) for s in segs] == [
        ("t1", "The council met on Tuesday.", "De raad vergaderde dinsdag.", 8, 6),
        ("t2", "Click here{x:2}.", "Klik hier{x:2}.", 14, 12),  # <bpt>/<ept>: zero-width
        ("t3", "A long sentence.", "Lange zin.", 20, 17),  # pretty-printing undone
        ("t4", "Two  spaces\nkept", "Twee  spaties", 27, 25),  # xml:space="preserve"
    ]
    t1 = segs[0]
    assert (t1.src_lang, t1.tgt_lang, t1.doc_id) == ("nl", "en", "news/article-7.html")
    codes = t1.meta.pop("codes")
    assert t1.meta == {
        "resname": "headline",
        "state": "translated",
        "notes": ["headline"],
        "unit_line": 6,
    }
    assert codes["mt"] == [  # <g> wraps "met": two zero-width codes around it
        {"start": 12, "end": 12, "code": "g", "id": "1", "text": ""},
        {"start": 15, "end": 15, "code": "g", "id": "1", "text": ""},
    ]
    assert segs[3].meta["xml:space"] == "preserve"


def test_xliff20_segments_pc_ph_cp_and_root_languages():
    segs = read_segments(fx("xliff20.xlf"))
    assert [(s.id, s.mt, s.src, s.line) for s in segs] == [
        ("u1", "The mayor spoke{ph:2}.", "Der Bürgermeister sprach{ph:2}.", 8),
        ("u2:s1", "First sentence.", "Erster Satz.", 14),
        ("u2:s2", "Second\u00a0sentence.", "Zweiter\u00a0Satz.", 19),
    ]
    assert {(s.src_lang, s.tgt_lang, s.doc_id) for s in segs} == {("de", "en-GB", "story.docx")}
    codes = segs[0].meta.pop("codes")
    assert segs[0].meta == {"notes": ["check the name"], "unit_line": 4, "state": "translated"}
    assert [(c["code"], c["start"], c["end"]) for c in codes["mt"]] == [
        ("pc", 4, 4),
        ("pc", 9, 9),
        ("ph", 15, 21),
    ]
    assert segs[2].meta["segment"] == "s2"


def test_sdlxliff_marked_segments_become_segments():
    segs = read_segments(fx("segmented.sdlxliff"))
    assert [(s.id, s.mt, s.src, s.meta["mid"]) for s in segs] == [
        ("42:1", "One.", "Un.", "1"),
        ("42:2", "Two.", "Deux.", "2"),
    ]
    assert {(s.src_lang, s.tgt_lang) for s in segs} == {("fr-FR", "en-US")}


def test_xliff_language_argument_does_not_override_the_file():
    segs = read_segments(fx("xliff12.xlf"), src_lang="de", tgt_lang="fr")
    assert {(s.src_lang, s.tgt_lang) for s in segs} == {("nl", "en")}


def test_xliff_several_files_prefix_ids(tmp_path):
    unit = '<trans-unit id="1"><source>a</source><target>b</target></trans-unit>'
    body = "".join(
        f'<file original="{name}" source-language="nl" target-language="en"><body>{unit}</body></file>'
        for name in ("one.html", "two.html")
    )
    segs = read_segments(write(tmp_path, "m.xlf", f'<xliff version="1.2">{body}</xliff>'))
    assert [(s.id, s.doc_id) for s in segs] == [
        ("one.html:1", "one.html"),
        ("two.html:1", "two.html"),
    ]


def test_xliff_unit_without_target_is_an_error_naming_the_unit():
    err = error(fx("no_target.xlf"))
    assert err.line == 6
    assert "trans-unit 'missing' has no <target>" in err.problem
    assert "translate the unit" in err.hint


def test_xliff20_segment_without_target_is_an_error(tmp_path):
    doc = (
        '<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.0" srcLang="nl">\n'
        '<file id="f"><unit id="u9">\n<segment><source>x</source></segment>\n'
        "</unit></file></xliff>"
    )
    err = error(write(tmp_path, "n.xlf", doc))
    assert err.line == 3
    assert "unit 'u9' has no <target>" in err.problem


def test_malformed_xml_gives_line_and_column():
    err = error(fx("malformed.xlf"))
    assert err.line == 5
    assert "is not well-formed XML" in err.problem
    assert "(line 5, column 63)" in err.problem


def test_xml_external_entity_is_refused():
    err = error(fx("external_entity.xlf"))
    assert err.problem == "XML declares an entity/DTD, which mtqc refuses to expand for safety"
    assert err.line == 2


def test_billion_laughs_is_refused_at_the_declaration():
    err = error(fx("billion_laughs.xlf"))
    assert "refuses to expand for safety" in err.problem
    assert err.line == 2  # the DOCTYPE line: refused before any entity is expanded


def test_entity_declared_in_tmx_is_refused(tmp_path):
    doc = '<!DOCTYPE tmx [<!ENTITY a "b">]><tmx><body/></tmx>'
    err = error(write(tmp_path, "e.tmx", doc))
    assert "refuses to expand" in err.problem


def test_bare_doctype_is_accepted_but_never_loaded(tmp_path):
    # most TMX exports carry <!DOCTYPE tmx SYSTEM "tmx14.dtd">; it declares nothing and is
    # not fetched, so an entity it might define stays undefined: an error, not a lookup
    secret = tmp_path / "secret.dtd"
    secret.write_text('<!ENTITY foo "leaked">')
    tuvs = '<tuv xml:lang="en"><seg>a</seg></tuv><tuv xml:lang="de"><seg>&foo;</seg></tuv>'
    doc = f'<!DOCTYPE tmx SYSTEM "{secret}">\n' + _tmx("en", tuvs)
    err = error(write(tmp_path, "x.tmx", doc))
    assert "undefined entity &foo;" in err.problem
    assert err.line == 3


def test_wrong_root_element(tmp_path):
    err = error(fx("memory.tmx"), fmt="xliff")
    assert "the root element is <tmx>, not <xliff>" in err.problem


def test_xliff_without_units_has_no_segments(tmp_path):
    err = error(write(tmp_path, "e.xlf", '<xliff version="1.2"><file original="a"/></xliff>'))
    assert "no segments" in err.problem


# --------------------------------------------------------------------------- TMX


def test_tmx_header_srclang_picks_the_source_variant():
    segs = read_segments(fx("memory.tmx"))
    assert [(s.id, s.mt, s.src, s.line, s.meta["unit_line"]) for s in segs] == [
        ("tu-1", "The budget was approved.", "De begroting werd goedgekeurd.", 8, 6),
        ("memory:11", "Second sentence.", "Tweede zin.", 16, 11),
    ]
    assert {(s.src_lang, s.tgt_lang, s.doc_id) for s in segs} == {("nl-NL", "en-US", "memory")}
    codes = segs[0].meta.pop("codes")
    assert [(c["code"], c["start"], c["end"]) for c in codes["mt"]] == [
        ("bpt", 4, 4),
        ("ept", 10, 10),
    ]
    assert segs[0].meta == {
        "creationdate": "20240101T000000Z",
        "props": {"x-domain": "news"},
        "unit_line": 6,
    }


def _tmx(srclang: str, tuvs: str) -> str:
    return (
        f'<tmx version="1.4"><header srclang="{srclang}"/><body>\n'
        f'<tu tuid="1">{tuvs}</tu>\n</body></tmx>'
    )


def test_tmx_srclang_all_needs_src_lang(tmp_path):
    tuvs = '<tuv xml:lang="de"><seg>Haus</seg></tuv><tuv xml:lang="en"><seg>house</seg></tuv>'
    path = write(tmp_path, "a.tmx", _tmx("*all*", tuvs))
    err = error(path)
    assert "which language is the source" in err.problem
    seg = read_segments(path, src_lang="de")[0]
    assert (seg.src, seg.mt, seg.src_lang, seg.tgt_lang) == ("Haus", "house", "de", "en")


def test_tmx_several_translations_need_tgt_lang(tmp_path):
    tuvs = (
        '<tuv xml:lang="en"><seg>house</seg></tuv>'
        '<tuv xml:lang="de"><seg>Haus</seg></tuv>'
        '<tuv xml:lang="fr"><seg>maison</seg></tuv>'
    )
    path = write(tmp_path, "m.tmx", _tmx("en", tuvs))
    err = error(path)
    assert err.line == 2
    assert "several translations (de, fr)" in err.problem
    assert read_segments(path, tgt_lang="fr")[0].mt == "maison"


def test_tmx_unit_with_only_the_source_is_an_error(tmp_path):
    path = write(tmp_path, "s.tmx", _tmx("en", '<tuv xml:lang="en"><seg>house</seg></tuv>'))
    err = error(path)
    assert "<tu> '1' has no translation" in err.problem


# --------------------------------------------------------------------------- decoding


def test_invalid_utf8_names_offset_and_line(tmp_path):
    path = write(tmp_path, "latin.txt", "Fine line\nCaf\xe9 au lait\n".encode("latin-1"))
    err = error(path)
    assert err.path == path
    assert err.line == 2
    assert "byte 0xe9 at byte offset 13" in err.problem
    assert f"iconv -f latin1 -t utf-8 {path}" in err.hint


def test_binary_file_is_refused(tmp_path):
    err = error(write(tmp_path, "img.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
    assert "looks like a binary file (NUL byte at byte offset 8)" in err.problem
    assert err.line == 3


def test_utf16_is_named(tmp_path):
    err = error(write(tmp_path, "u.txt", "Hello\n".encode("utf-16")))
    assert "UTF-16" in err.problem
    assert "iconv -f utf-16 -t utf-8" in err.hint


@pytest.mark.parametrize("content", [b"", b"  \n\n\t\r\n"])
@pytest.mark.parametrize("name", ["e.txt", "e.tsv", "e.jsonl", "e.xlf", "e.tmx"])
def test_empty_input_has_no_segments(tmp_path, name, content):
    err = error(write(tmp_path, name, content))
    assert "no segments" in err.problem


def test_empty_parallel_file_is_named(tmp_path):
    ref = write(tmp_path, "ref.txt", "\n")
    err = error(fx("article.txt"), ref=ref)
    assert err.path == ref
    assert "no segments" in err.problem


def test_missing_file(tmp_path):
    path = str(tmp_path / "nope.docx")  # the missing file is named before the format
    err = error(path)
    assert (err.path, err.problem) == (path, "no such file")


def test_directory(tmp_path):
    err = error(str(tmp_path))
    assert err.problem == "is a directory, not a file"


def test_missing_parallel_file(tmp_path):
    ref = str(tmp_path / "ref.txt")
    err = error(fx("article.txt"), ref=ref)
    assert (err.path, err.problem) == (ref, "no such file")


# --------------------------------------------------------------------------- long lines


def test_one_megabyte_line_is_refused_with_line_and_length(tmp_path):
    path = write(tmp_path, "big.txt", "ok\n\n" + "word " * 200_000 + "\n")
    err = error(path)
    assert err.line == 3
    assert "is 1,000,000 characters long; the limit is 100,000" in err.problem
    assert "split the text" in err.hint


def test_segment_at_the_limit_is_accepted(tmp_path):
    path = write(tmp_path, "edge.txt", "x" * MAX_SEGMENT_CHARS + "\n")
    assert len(read_segments(path)[0].mt) == MAX_SEGMENT_CHARS
    err = error(write(tmp_path, "over.txt", "x" * (MAX_SEGMENT_CHARS + 1)))
    assert "100,001 characters" in err.problem


def test_long_reference_line_names_the_reference_file(tmp_path):
    mt = write(tmp_path, "mt.txt", "a\nb\n")
    ref = write(tmp_path, "ref.txt", "a\n\n" + "y" * 1_000_000 + "\n")
    err = error(mt, ref=ref)
    assert (err.path, err.line) == (ref, 3)
    assert "(ref) is 1,000,000 characters long" in err.problem


def test_one_megabyte_field_in_tsv_and_jsonl(tmp_path):
    tsv = error(write(tmp_path, "big.tsv", "id\tmt\n1\tok\n2\t" + "z" * 1_000_000 + "\n"))
    assert tsv.line == 3
    assert "the limit for a segment is 100,000" in tsv.problem
    jsonl = error(write(tmp_path, "big.jsonl", json.dumps({"mt": "z" * 1_000_000})))
    assert jsonl.line == 1
    assert "1,000,000 characters long" in jsonl.problem


# --------------------------------------------------------------------------- formats


@pytest.mark.parametrize(
    ("path", "fmt"),
    [
        ("a.txt", "text"),
        ("a.TSV", "tsv"),
        ("dir.v2/a.csv", "csv"),
        ("a.jsonl", "jsonl"),
        ("a.ndjson", "jsonl"),
        ("a.xlf", "xliff"),
        ("a.xliff", "xliff"),
        ("a.sdlxliff", "xliff"),
        ("a.tmx", "tmx"),
        ("job.nl-en.mqxliff", "xliff"),
        ("job.MXLIFF", "xliff"),
        ("messages.po", "po"),
        ("messages.pot", "po"),
        ("missing.hyp", "text"),
        ("-", "text"),
    ],
)
def test_detect_format(path, fmt):
    assert detect_format(path) == fmt
    assert fmt in FORMATS


def test_a_binary_file_with_an_unknown_extension_is_refused_as_binary(tmp_path):
    err = error(write(tmp_path, "story.docx", b"PK\x03\x04\x14\x00\x06\x00word/document.xml"))
    assert "binary file" in err.problem


def test_unknown_format_name(tmp_path):
    err = error(write(tmp_path, "a.txt", "x"), fmt="docx")
    assert "unknown input format 'docx'" in err.problem
    assert "--input-format" in err.hint


def test_parallel_files_only_for_plain_text():
    err = error(fx("records.tsv"), ref=fx("article.ref.txt"))
    assert "--ref can only be used with plain-text MT" in err.problem


# --------------------------------------------------------------------------- MT columns


def test_mt_column_locates_the_mt_on_its_line_or_says_it_is_unknown(tmp_path):
    # plain text: the line is the MT
    (seg,) = read_segments(write(tmp_path, "a.txt", "  The storm closed schools.\n"))
    assert seg.mt_column == 0
    # TSV: unquoted fields are exact, even when the same text is in another column
    tsv = 'id\tref\tmt\nx1\tSame text.\tSame text.\nx2\tok\t"Quoted, plain."\n'
    tsv += 'x3\tok\t"""Yes,"" she said."\n'
    a, b, c = read_segments(write(tmp_path, "b.tsv", tsv))
    line = tsv.split("\n")[1]
    assert line[a.mt_column : a.mt_column + len(a.mt)] == a.mt and a.mt_column == 14
    line = tsv.split("\n")[2]
    assert line[b.mt_column : b.mt_column + len(b.mt)] == b.mt == "Quoted, plain."
    assert c.mt == '"Yes," she said.' and c.mt_column is None  # doubled quotes: unknown
    # a record spread over two lines: unknown
    (d,) = read_segments(write(tmp_path, "c.csv", 'id,mt\n1,"two\nlines"\n'))
    assert d.mt == "two\nlines" and d.mt_column is None
    # JSONL: exact when JSON writes the text verbatim, unknown when it escapes it
    rows = [{"id": "1", "mt": "Kyiv ‘Juice’ café."}, {"id": "2", "mt": 'He said "no".'}]
    e, f = read_segments(
        write(tmp_path, "d.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    )
    raw = json.dumps(rows[0], ensure_ascii=False)
    assert raw[e.mt_column : e.mt_column + len(e.mt)] == e.mt
    assert f.mt_column is None
    # XML formats: the element's line only
    xliff = (
        '<?xml version="1.0"?><xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">'
        '<file source-language="nl" target-language="en" datatype="plaintext" original="x">'
        '<body><trans-unit id="1"><source>Hallo</source><target>Hello</target></trans-unit>'
        "</body></file></xliff>"
    )
    (g,) = read_segments(write(tmp_path, "e.xlf", xliff))
    assert g.mt == "Hello" and g.mt_column is None


# --------------------------------------------------------------------------- inline codes


def _xlf12(target: str, source: str = "Welcome, <x id='N'/>!", lang: str = "en") -> str:
    return (
        '<xliff version="1.2"><file original="f" source-language="fr" '
        f'target-language="{lang}"><body>\n'
        f'<trans-unit id="1"><source>{source}</source>\n<target>{target}</target></trans-unit>\n'
        "</body></file></xliff>"
    )


def _xlf2(unit: str) -> str:
    return (
        '<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.0" srcLang="en" '
        f'trgLang="de"><file id="f">\n{unit}\n</file></xliff>'
    )


def _rule_codes(seg) -> set[str]:
    from mtqc.checks import all_rules
    from mtqc.checks._apply import apply_rule

    return {code for code, r in all_rules().items() if apply_rule(r, seg, None)}


def test_angular_x_equiv_text_is_a_token_and_no_stray_punctuation(tmp_path):
    path = write(
        tmp_path,
        "messages.fr.xlf",
        _xlf12(
            'Welcome, <x id="INTERPOLATION" equiv-text="{{ name }}"/>!',
            'Bienvenue, <x id="INTERPOLATION" equiv-text="{{ name }}"/> !',
        ),
    )
    (seg,) = read_segments(path)
    assert seg.mt == "Welcome, {{ name }}!"
    assert seg.src == "Bienvenue, {{ name }} !"
    assert seg.meta["codes"]["mt"] == [
        {"start": 9, "end": 19, "code": "x", "id": "INTERPOLATION", "text": "{{ name }}"}
    ]
    assert "P002" not in _rule_codes(seg)


def test_a_lost_placeholder_shows_in_the_codes(tmp_path):
    path = write(
        tmp_path, "m.xlf", _xlf12("Welcome!", 'Bienvenue, <x id="I" equiv-text="{{ name }}"/> !')
    )
    (seg,) = read_segments(path)
    assert seg.mt == "Welcome!"
    assert "mt" not in seg.meta["codes"]
    assert [c["text"] for c in seg.meta["codes"]["src"]] == ["{{ name }}"]


def test_xliff12_codes_without_equiv_text_are_visible_placeholders(tmp_path):
    target = (
        'Du hast <ph id="1">%d</ph> <g id="2">neue</g> Nachrichten<x id="3"/> '
        '<bpt id="4">&lt;b&gt;</bpt>heute<ept id="4">&lt;/b&gt;</ept><it id="5" pos="open"/>.'
    )
    (seg,) = read_segments(write(tmp_path, "de.xliff", _xlf12(target, lang="de")))
    assert seg.mt == "Du hast %d neue Nachrichten{x:3} heute."
    spans = [(c["code"], c["id"], seg.mt[c["start"] : c["end"]]) for c in seg.meta["codes"]["mt"]]
    assert spans == [
        ("ph", "1", "%d"),
        ("g", "2", ""),
        ("g", "2", ""),
        ("x", "3", "{x:3}"),
        ("bpt", "4", ""),
        ("ept", "4", ""),
        ("it", "5", ""),
    ]


def test_xliff12_bpt_ept_equiv_text_is_written(tmp_path):
    target = 'Click <bpt id="1" equiv-text="&lt;b&gt;"/>Save<ept id="1" equiv-text="&lt;/b&gt;"/>.'
    (seg,) = read_segments(write(tmp_path, "m.xlf", _xlf12(target)))
    assert seg.mt == "Click <b>Save</b>."


def test_xliff20_angular_ph_disp_pc_sc_ec(tmp_path):
    unit = (
        '<unit id="u"><segment><source>Hello <ph id="0" equiv="INTERPOLATION" disp="{{ name }}"/>'
        '</source><target>Hallo <ph id="0" equiv="INTERPOLATION" disp="{{ name }}"/>, '
        '<pc id="1" dispStart="&lt;b&gt;" dispEnd="&lt;/b&gt;">willkommen</pc> '
        '<sc id="2"/>zurück<ec startRef="2"/> <ph id="3"/></target></segment></unit>'
    )
    (seg,) = read_segments(write(tmp_path, "a.xlf", _xlf2(unit)))
    assert seg.mt == "Hallo {{ name }}, <b>willkommen</b> zurück {ph:3}"
    assert seg.src == "Hello {{ name }}"
    kinds = [(c["code"], seg.mt[c["start"] : c["end"]]) for c in seg.meta["codes"]["mt"]]
    assert kinds == [
        ("ph", "{{ name }}"),
        ("pc", "<b>"),
        ("pc", "</b>"),
        ("sc", ""),
        ("ec", ""),
        ("ph", "{ph:3}"),
    ]


def test_code_offsets_stay_true_after_pretty_printing_is_undone(tmp_path):
    target = '\n   Welkom,\n   <x id="1" equiv-text="{0}"/>\n   !\n'
    (seg,) = read_segments(write(tmp_path, "nl.xlf", _xlf12(target, lang="nl")))
    assert seg.mt == "Welkom, {0} !"
    (code,) = seg.meta["codes"]["mt"]
    assert seg.mt[code["start"] : code["end"]] == "{0}"


def test_tmx_ph_is_its_native_code(tmp_path):
    tmx = (
        '<tmx version="1.4"><header srclang="ja"/><body>\n<tu tuid="1">'
        '<tuv xml:lang="ja"><seg><ph x="1">{0}</ph>さん、こんにちは。</seg></tuv>'
        '<tuv xml:lang="en"><seg>Hello, <ph x="1">{0}</ph>. <bpt i="1">&lt;i&gt;</bpt>Hi'
        '<ept i="1">&lt;/i&gt;</ept><ph/></seg></tuv></tu>\n</body></tmx>'
    )
    (seg,) = read_segments(write(tmp_path, "m.tmx", tmx))
    assert (seg.mt, seg.src) == ("Hello, {0}. Hi{ph}", "{0}さん、こんにちは。")
    assert [c["code"] for c in seg.meta["codes"]["mt"]] == ["ph", "bpt", "ept", "ph"]


# --------------------------------------------------------------------------- tracked changes

_SDL = (
    '<xliff xmlns="urn:oasis:names:tc:xliff:document:1.2" '
    'xmlns:sdl="http://sdl.com/FileTypes/SdlXliff/1.0" version="1.2">\n'
    '<file original="news.docx" source-language="{src}" target-language="{tgt}"><body>\n'
    '<trans-unit id="7"><source>{source}</source>\n'
    '<seg-source><mrk mtype="seg" mid="1">{source}</mrk></seg-source>\n'
    '<target><mrk mtype="seg" mid="1">{target}</mrk></target></trans-unit>\n'
    "</body></file></xliff>"
)


def test_trados_deleted_text_is_not_part_of_the_translation(tmp_path):
    target = (
        'The cabinet <mrk mtype="x-sdl-deleted" sdl:revid="r1">stepped down on 21</mrk>'
        '<mrk mtype="x-sdl-added" sdl:revid="r2">resigned on 12</mrk> March.'
    )
    xml = _SDL.format(
        src="nl-NL", tgt="en-GB", source="Het kabinet trad op 12 maart af.", target=target
    )
    (seg,) = read_segments(write(tmp_path, "news.docx.sdlxliff", xml))
    assert seg.mt == "The cabinet resigned on 12 March."
    assert "N002" not in _rule_codes(seg)


@pytest.mark.parametrize(
    ("src", "tgt", "source", "target", "read"),
    [
        (  # German → French: a whole added sentence, a deleted word inside a code
            "de-DE",
            "fr-FR",
            "Der Preis beträgt 5 €.",
            'Le prix <mrk mtype="x-sdl-deleted">était</mrk><mrk mtype="x-sdl-added">est</mrk>'
            ' de <g id="3">5 €</g>.',
            "Le prix est de 5 €.",
        ),
        (  # Japanese target, a deleted placeholder goes with its deletion
            "en-US",
            "ja-JP",
            "Hello {0}.",
            'こんにちは<mrk mtype="x-sdl-deleted"><x id="1" equiv-text="{1}"/></mrk>'
            '<mrk mtype="x-sdl-added"><x id="2" equiv-text="{0}"/></mrk>。',
            "こんにちは{0}。",
        ),
    ],
)
def test_trados_tracked_changes_other_languages(tmp_path, src, tgt, source, target, read):
    xml = _SDL.format(src=src, tgt=tgt, source=source, target=target)
    (seg,) = read_segments(write(tmp_path, "d.sdlxliff", xml))
    assert seg.mt == read
    assert [c["text"] for c in seg.meta["codes"]["mt"] if c["code"] == "x"] in ([], ["{0}"])


# --------------------------------------------------------------------------- not to translate, empty


def _cli(args, capsys):
    from mtqc.cli import main

    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_translate_no_units_are_skipped_and_counted(tmp_path):
    from mtqc.readers import iter_segments

    xml = (
        '<xliff version="1.2"><file original="ui" source-language="en" target-language="de">'
        '<body>\n<trans-unit id="brand" translate="no"><source>Acme Cloud</source></trans-unit>\n'
        '<trans-unit id="1"><source>Save</source><target>Speichern</target></trans-unit>\n'
        '<group id="legal" translate="no">\n'
        '<trans-unit id="2"><source>© Acme</source><target>© Acme</target></trans-unit>\n'
        '<trans-unit id="3" translate="yes"><source>Terms</source><target>AGB</target></trans-unit>\n'
        "</group></body></file></xliff>"
    )
    stream = iter_segments(write(tmp_path, "ui.xlf", xml))
    assert [(s.id, s.mt) for s in stream] == [("1", "Speichern"), ("3", "AGB")]
    assert stream.skipped == {"translate=no": 2}


def test_xliff20_translate_no_and_all_skipped_is_no_segments(tmp_path):
    from mtqc.readers import iter_segments

    units = (
        '<unit id="a" translate="no"><segment><source>iPhone</source></segment></unit>\n'
        '<unit id="b"><segment><source>Hello</source><target>Hallo</target></segment></unit>'
    )
    stream = iter_segments(write(tmp_path, "a.xlf", _xlf2(units)))
    assert [s.id for s in stream] == ["b"]
    assert stream.skipped == {"translate=no": 1}
    only = '<unit id="a" translate="no"><segment><source>iPhone</source></segment></unit>'
    err = error(write(tmp_path, "b.xlf", _xlf2(only)))
    assert 'all 1 <unit> elements are marked translate="no"' in err.problem


def test_memoq_not_started_empty_target_is_flagged_u006(tmp_path, capsys):
    xml = (
        '<xliff version="1.2" xmlns:mq="MQXliff"><file original="a" source-language="nl-NL" '
        'target-language="en-GB"><body>\n'
        '<trans-unit id="1" mq:status="NotStarted"><source>Klik op Opslaan.</source>'
        '<target xml:space="preserve"> </target></trans-unit>\n'
        '<trans-unit id="2"><source>Klik op Annuleren.</source><target>Click Cancel.</target>'
        "</trans-unit>\n</body></file></xliff>"
    )
    path = write(tmp_path, "job.xlf", xml)
    segs = read_segments(path)
    assert [s.mt for s in segs] == [" ", "Click Cancel."]
    assert "U006" in _rule_codes(segs[0])
    assert "U006" not in _rule_codes(segs[1])
    code, out, _ = _cli(["check", path, "-f", "jsonl"], capsys)
    assert code == 1
    assert '"U006"' in out


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("empty.tsv", "id\tsrc\tmt\n1\tDas Haus ist rot.\tThe house is red.\n2\tGuten Tag.\t\n"),
        ("empty.csv", 'id,src,mt\n1,"Hola, mundo.","Hello, world."\n2,¿Qué tal?,"  "\n'),
        (
            "empty.jsonl",
            '{"id": "1", "src": "你好。", "mt": "Hello."}\n{"id": "2", "src": "再见。", "mt": ""}\n',
        ),
    ],
)
def test_empty_mt_cell_with_a_source_is_flagged_u006(tmp_path, name, data):
    segs = read_segments(write(tmp_path, name, data))
    assert ["U006" in _rule_codes(s) for s in segs] == [False, True]


# --------------------------------------------------------------------------- ids


def test_repeated_mid_in_a_segmented_unit_is_an_error_naming_unit_and_line(tmp_path):
    xml = _SDL.format(
        src="fr-FR",
        tgt="en-US",
        source="Un.",
        target='One.</mrk>\n<mrk mtype="seg" mid="1">Two.',
    )
    err = error(write(tmp_path, "r.sdlxliff", xml))
    assert "trans-unit '7'" in err.problem and "mid '1'" in err.problem
    assert "first on line 5" in err.problem
    assert err.line == 6


def test_repeated_mid_in_seg_source_is_an_error_too(tmp_path):
    xml = _SDL.format(src="de-DE", tgt="en-US", source="Eins.", target="One.").replace(
        '<mrk mtype="seg" mid="1">Eins.</mrk>',
        '<mrk mtype="seg" mid="1">Eins.</mrk> <mrk mtype="seg" mid="1">Zwei.</mrk>',
    )
    err = error(write(tmp_path, "r.sdlxliff", xml))
    assert "<seg-source> has two segments with mid '1'" in err.problem


def test_single_line_tmx_without_tuids_numbers_its_units(tmp_path):
    tmx = (
        '<tmx version="1.4"><header srclang="en"/><body>'
        '<tu><tuv xml:lang="en"><seg>Yes</seg></tuv><tuv xml:lang="es"><seg>Sí</seg></tuv></tu>'
        '<tu><tuv xml:lang="en"><seg>No</seg></tuv><tuv xml:lang="es"><seg>No</seg></tuv></tu>'
        '<tu tuid="t"><tuv xml:lang="en"><seg>Hi</seg></tuv><tuv xml:lang="es"><seg>Hola</seg>'
        "</tuv></tu></body></tmx>"
    )
    segs = read_segments(write(tmp_path, "one.tmx", tmx))
    assert [(s.id, s.mt) for s in segs] == [("one:1:1", "Sí"), ("one:1:2", "No"), ("t", "Hola")]


# --------------------------------------------------------------------------- more file types

PO = r"""# French translation
msgid ""
msgstr ""
"Language: fr_CA\n"
"Content-Type: text/plain; charset=UTF-8\n"

#. Shown in the toolbar
#: src/app.py:12 src/menu.py:40
#, python-format
msgctxt "menu"
msgid "Open %s"
msgstr "Ouvrir %s"

#, fuzzy
msgid "Close"
msgstr "Fermé"

msgid "Save"
msgstr ""

msgid "One file"
msgid_plural "%d files"
msgstr[0] "Un fichier"
msgstr[1] "%d fichiers"

#~ msgid "Old"
#~ msgstr "Vieux"
"""


def test_po_entries_meta_plurals_fuzzy_and_obsolete(tmp_path):
    from mtqc.readers import iter_segments

    stream = iter_segments(write(tmp_path, "fr.po", PO))
    segs = list(stream)
    assert [(s.id, s.src, s.mt, s.line) for s in segs] == [
        ("fr:7", "Open %s", "Ouvrir %s", 7),
        ("fr:14", "Close", "Fermé", 14),
        ("fr:18", "Save", "", 18),
        ("fr:21[0]", "One file", "Un fichier", 21),
        ("fr:21[1]", "%d files", "%d fichiers", 21),
    ]
    assert stream.skipped == {"obsolete": 1}
    assert segs[0].meta == {
        "msgctxt": "menu",
        "occurrences": ["src/app.py:12", "src/menu.py:40"],
        "flags": ["python-format"],
        "comment": "Shown in the toolbar",
    }
    assert segs[1].meta["fuzzy"] is True
    assert {s.tgt_lang for s in segs} == {"fr-CA"}
    assert "U006" in _rule_codes(segs[2])  # untranslated entry


def test_pot_template_and_a_broken_po_file(tmp_path):
    segs = read_segments(write(tmp_path, "app.pot", 'msgid "Hello"\nmsgstr ""\n'))
    assert [(s.src, s.mt) for s in segs] == [("Hello", "")]
    err = error(write(tmp_path, "bad.po", 'msgid "Hello"\nHallo\nmsgstr ""\n'))
    assert "cannot be read as a gettext PO file: Syntax error" in err.problem
    assert err.line == 2


def test_po_file_cannot_take_parallel_files(tmp_path):
    err = error(write(tmp_path, "a.po", 'msgid "a"\nmsgstr "b"\n'), ref=fx("short.ref.txt"))
    assert "PO files carry the source themselves" in err.hint


@pytest.mark.parametrize("name", ["job.mqxliff", "job.mxliff"])
def test_memoq_and_phrase_extensions_are_xliff(tmp_path, name):
    (seg,) = read_segments(write(tmp_path, name, _xlf12("Hallo", "Hello", lang="de")))
    assert (seg.mt, seg.src, seg.tgt_lang) == ("Hallo", "Hello", "de")


def test_unknown_extension_is_read_as_plain_text_with_a_reference(tmp_path, capsys):
    hyp = write(tmp_path, "out.hyp", "The cat sat on the mat.\nIt was late.\n")
    ref = write(tmp_path, "ref.txt", "The cat sat on the mat.\nIt was late.\n")
    segs = read_segments(hyp, ref=ref)
    assert [(s.id, s.mt, s.ref) for s in segs] == [
        ("out:1", "The cat sat on the mat.", "The cat sat on the mat."),
        ("out:2", "It was late.", "It was late."),
    ]
    code, _, err = _cli(["check", hyp, "--ref", ref], capsys)
    assert code == 0, err


@pytest.mark.parametrize(
    ("name", "data", "fmt"),
    [
        ("newstest2019.zh-en.en", "他说。\nHe said.\n", "text"),
        ("newstest.de-en.de", "<b>Fett</b> gedruckt.\n", "text"),
        ("hyp", "Just text\n", "text"),
        ("system.out", '{"mt": "Hello.", "src": "Hallo."}\n', "jsonl"),
        ("system.out", "{not json}\n", "text"),
        ("export.xml", _xlf12("Bonjour", "Hello", lang="fr"), "xliff"),
        (
            "memory.dat",
            '\ufeff<?xml version="1.0"?>\n<!-- tm -->\n<!DOCTYPE tmx SYSTEM "tmx14.dtd">\n'
            '<tmx version="1.4"><header srclang="en"/><body><tu tuid="1">'
            '<tuv xml:lang="en"><seg>Hi</seg></tuv><tuv xml:lang="pl"><seg>Cześć</seg></tuv>'
            "</tu></body></tmx>",
            "tmx",
        ),
        ("catalog.txt.orig", 'msgid "Hi"\nmsgstr "Hej"\n', "po"),
    ],
)
def test_unknown_extensions_are_sniffed(tmp_path, name, data, fmt):
    path = write(tmp_path, name, data)
    assert detect_format(path) == fmt
    assert read_segments(path)


# --------------------------------------------------------------------------- declared encodings


def test_xliff_declared_windows_1252_is_decoded_as_declared(tmp_path):
    xml = '<?xml version="1.0" encoding="windows-1252"?>\n' + _xlf12(
        "Café – “déjà vu” for 5 €", "Café – « déjà vu » pour 5 €"
    )
    (seg,) = read_segments(write(tmp_path, "cp.xlf", xml.encode("cp1252")))
    assert seg.mt == "Café – “déjà vu” for 5 €"
    assert seg.src == "Café – « déjà vu » pour 5 €"


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("ISO-8859-2", "Zażółć gęślą jaźń"),
        ("Shift_JIS", "こんにちは、世界。"),
        ("KOI8-R", "Привет, мир."),
        ("UTF-16", "Grüße, 世界."),
    ],
)
def test_tmx_in_other_declared_encodings(tmp_path, encoding, text):
    tmx = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n<tmx version="1.4"><header srclang="en"/>'
        f'<body>\n<tu tuid="1"><tuv xml:lang="en"><seg>Hello</seg></tuv><tuv xml:lang="xx">'
        f"<seg>{text}</seg></tuv></tu>\n</body></tmx>"
    )
    (seg,) = read_segments(write(tmp_path, "m.tmx", tmx.encode(encoding)))
    assert seg.mt == text


def test_declared_encoding_errors_are_input_errors(tmp_path):
    head = '<?xml version="1.0" encoding="{}"?>\n'
    err = error(write(tmp_path, "a.xlf", head.format("x-unknown") + _xlf12("a", "b")))
    assert "declares the encoding 'x-unknown'" in err.problem
    err = error(write(tmp_path, "b.xlf", head.format("zlib_codec") + _xlf12("a", "b")))
    assert "declares the encoding 'zlib_codec'" in err.problem
    bad = (head.format("Shift_JIS") + _xlf12("a", "b")).encode() + b"\x81"
    err = error(write(tmp_path, "c.xlf", bad))
    assert "is not valid Shift_JIS" in err.problem and err.line == 5
    # a file that says nothing is UTF-8, with the usual message
    err = error(write(tmp_path, "d.xlf", _xlf12("Caf\xe9", "b").encode("latin-1")))
    assert "is not valid UTF-8" in err.problem
