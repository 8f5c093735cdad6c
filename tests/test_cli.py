"""The command line: exit codes, the CI gate, modes, baselines, rule docs, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mtqc.cli import main

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpora" / "seed" / "000_901a9486359773a6.txt"
SAMPLE = ROOT / "corpora" / "sample-nl-en.tsv"


def run(args, capsys):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


XXE = (
    '<?xml version="1.0"?>\n<!DOCTYPE xliff [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    '<xliff version="1.2"><file source-language="nl" target-language="en" original="a">'
    '<body><trans-unit id="1"><source>a</source><target>&xxe;</target></trans-unit>'
    "</body></file></xliff>\n"
)


def write_bytes(tmp_path, name, data):
    p = tmp_path / name
    p.write_bytes(data)
    return p


def test_clean_text_passes_the_gate(tmp_path, capsys):
    mt = write(tmp_path, "mt.txt", "The council approved the budget on Monday.\n")
    code, out, err = run(["check", mt, "--format", "jsonl"], capsys)
    assert code == 0, err
    rec = json.loads(out)
    assert rec["flags"] == [] and rec["line"] == 1


def test_major_flag_fails_the_default_gate(tmp_path, capsys):
    mt = write(tmp_path, "mt.txt", "It costs 500 euros.\n")
    ref = write(tmp_path, "ref.txt", "It costs 800 euros.\n")
    code, out, err = run(["check", mt, "--ref", ref, "--format", "json"], capsys)
    assert code == 1
    assert "gate failed" in err
    flags = json.loads(out)["segments"][0]["flags"]
    n001 = [f for f in flags if f["code"] == "N001"]
    assert n001 and n001[0]["text"] == "500" and (n001[0]["start"], n001[0]["end"]) == (9, 12)


def test_fail_on_threshold_and_none(tmp_path, capsys):
    mt = write(tmp_path, "mt.txt", "The the council met.\n")  # W001 doubled word: minor
    assert run(["check", mt], capsys)[0] == 0  # default gate: major
    assert run(["check", mt, "--fail-on", "minor"], capsys)[0] == 1
    assert run(["check", mt, "--fail-on", "none", "--max-score", "0.99"], capsys)[0] == 0
    assert run(["check", mt, "--fail-on", "none", "--max-score", "0.05"], capsys)[0] == 1


def test_forced_target_only_mode_ignores_references(tmp_path, capsys):
    mt = write(tmp_path, "mt.txt", "It costs 500 euros.\n")
    ref = write(tmp_path, "ref.txt", "It costs 800 euros.\n")
    code, out, _ = run(["check", mt, "--ref", ref, "--mode", "target-only", "-f", "json"], capsys)
    doc = json.loads(out)
    assert code == 0 and doc["mode"] == "target-only"
    assert doc["segments"][0]["flags"] == []


def test_mode_follows_inputs(tmp_path, capsys):
    mt = write(tmp_path, "mt.txt", "A line.\n")
    ref = write(tmp_path, "ref.txt", "A line.\n")
    src = write(tmp_path, "src.txt", "Een regel.\n")
    bt = write(tmp_path, "bt.txt", "Een regel.\n")
    modes = {}
    for name, extra in {
        "target-only": [],
        "reference": ["--ref", ref],
        "source": ["--src", src, "--src-lang", "nl"],
        "round-trip": ["--src", src, "--bt", bt, "--src-lang", "nl"],
    }.items():
        _, out, _ = run(["check", mt, *extra, "-f", "json", "--fail-on", "none"], capsys)
        modes[name] = json.loads(out)["mode"]
    assert modes == {m: m for m in modes}


def test_forcing_a_mode_the_input_lacks_is_a_usage_error(tmp_path, capsys):
    mt = write(tmp_path, "mt.txt", "A line.\n")
    code, _, err = run(["check", mt, "--mode", "reference"], capsys)
    assert code == 2 and "needs 'ref'" in err and "Traceback" not in err


def test_baseline_hides_accepted_flags(tmp_path, capsys):
    mt = write(tmp_path, "mt.txt", "The the council met.\nThey they left.\n")
    base = tmp_path / "base.json"
    code, _, err = run(["check", mt, "--fail-on", "minor", "--write-baseline", base], capsys)
    assert code == 0  # writing a baseline accepts today's flags
    assert "wrote 2 accepted flag(s)" in err and "gate failed" not in err
    data = json.loads(base.read_text())
    assert data["mtqc_baseline"] == 1 and {e["code"] for e in data["entries"]} == {"W001"}
    code, out, _ = run(
        ["check", mt, "--fail-on", "minor", "--baseline", base, "-f", "json"], capsys
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["summary"]["flags"] == 0 and doc["summary"]["suppressed"] == 2
    # a new flag still shows
    write(tmp_path, "mt.txt", "The the council met.\nWe we left.\n")
    code, out, _ = run(
        ["check", mt, "--fail-on", "minor", "--baseline", base, "-f", "json"], capsys
    )
    flags = [f for s in json.loads(out)["segments"] for f in s["flags"]]
    assert code == 1 and [f["text"] for f in flags] == ["We we"]


def test_select_and_ignore_from_the_command_line(tmp_path, capsys):
    mt = write(tmp_path, "mt.txt", "The the council met ,  today.\n")
    _, out, _ = run(["check", mt, "-f", "json", "--select", "W001"], capsys)
    assert {f["code"] for f in json.loads(out)["segments"][0]["flags"]} == {"W001"}
    _, out, _ = run(["check", mt, "-f", "json", "--ignore", "W,P"], capsys)
    assert json.loads(out)["segments"][0]["flags"] == []


def test_config_file_severity_override(tmp_path, capsys):
    mt = write(tmp_path, "mt.txt", "The the council met.\n")
    cfg = write(tmp_path, "mtqc.toml", '[severity]\nW001 = "critical"\n')
    code, out, _ = run(["check", mt, "--config", cfg, "-f", "json"], capsys)
    assert code == 1
    assert json.loads(out)["segments"][0]["flags"][0]["severity"] == "critical"


def test_unknown_config_key_is_exit_2_with_suggestion(tmp_path, capsys):
    mt = write(tmp_path, "mt.txt", "A line.\n")
    cfg = write(tmp_path, "mtqc.toml", 'ignor = ["W"]\n')
    code, _, err = run(["check", mt, "--config", cfg], capsys)
    assert code == 2 and "did you mean 'ignore'" in err


def test_output_file_is_written(tmp_path, capsys):
    out_file = tmp_path / "out" / "report.sarif"
    code, out, _ = run(["check", SEED, "-f", "sarif", "-o", out_file, "--fail-on", "none"], capsys)
    assert code == 0 and out == ""
    assert json.loads(out_file.read_text())["version"] == "2.1.0"


def test_rules_and_rule_docs(capsys):
    code, out, _ = run(["rules"], capsys)
    assert code == 0
    codes = [line.split()[0] for line in out.splitlines()]
    assert len(codes) >= 20 and "W001" in codes
    code, out, _ = run(["rule", "w001"], capsys)
    assert code == 0 and out.startswith("W001 doubled-word")
    assert "What it flags" in out and "Use instead" in out
    code, _, err = run(["rule", "W01"], capsys)
    assert code == 2 and "no rule 'W01'" in err


@pytest.mark.parametrize(
    ("setup", "needle"),
    [
        (lambda d: write(d, "empty.txt", ""), "no segments"),
        (lambda d: write_bytes(d, "bin.txt", b"\x00\x01\x02binary"), "binary"),
        (lambda d: d / "missing.txt", "no such file"),
        (lambda d: write_bytes(d, "x.docx", b"PK\x03\x04\x14\x00\x00\x00"), "binary"),
        (lambda d: write(d, "bad.xlf", "<xliff><file><body><trans-unit>"), "XML"),
        (lambda d: write(d, "ent.xlf", XXE), "entit"),
        (lambda d: write(d, "long.txt", "word " * 200_000 + "\n"), "characters"),
        (lambda d: write_bytes(d, "latin1.txt", "Caf\xe9 au lait.\n".encode("latin-1")), "UTF-8"),
    ],
)
def test_bad_input_exits_2_without_traceback(tmp_path, capsys, setup, needle):
    path = setup(tmp_path)
    code, _, err = run(["check", path], capsys)
    assert code == 2
    assert needle in err
    assert "Traceback" not in err
    assert str(path.name) in err


def test_mismatched_counts_name_both_counts(tmp_path, capsys):
    mt = write(tmp_path, "mt.txt", "One.\nTwo.\nThree.\n")
    ref = write(tmp_path, "ref.txt", "One.\nTwo.\n")
    code, _, err = run(["check", mt, "--ref", ref], capsys)
    assert code == 2 and "3" in err and "2" in err and "ref.txt" in err


def test_usage_error_exits_2(capsys):
    code, _, err = run(["check"], capsys)
    assert code == 2 and "mtqc: error" in err


def test_console_script_runs_as_a_process(tmp_path):
    """The installed entry point: stdin input, exit status from the gate."""
    proc = subprocess.run(
        [sys.executable, "-m", "mtqc", "check", "-", "--fail-on", "minor", "-f", "jsonl"],
        input="We we left.\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["flags"][0]["code"] == "W001"


def test_demo_sample_is_reference_mode(capsys):
    code, out, _ = run(["check", SAMPLE, "-f", "json", "--fail-on", "none"], capsys)
    doc = json.loads(out)
    assert code == 0 and doc["mode"] == "reference"
    assert list(doc["corpus_metrics"]) == ["chrf"]  # the default: the metric the risk uses
    assert "nrefs:1" in doc["corpus_metrics"]["chrf"]["signature"]
    assert doc["signature"].split("|")[3] == "metrics:chrf"


def test_metrics_flag_and_config(tmp_path, capsys):
    args = ["check", str(SAMPLE), "-f", "json", "--fail-on", "none"]
    code, out, _ = run([*args, "--metrics", "chrf,ter,bleu"], capsys)
    doc = json.loads(out)
    assert code == 0 and list(doc["corpus_metrics"]) == ["chrf", "bleu", "ter"]
    assert {"chrf", "bleu", "ter"} == set(doc["segments"][0]["metrics"])
    assert "|metrics:chrf+bleu+ter" in doc["signature"]
    cfg = tmp_path / "mtqc.toml"
    cfg.write_text('metrics = ["bleu"]\n', encoding="utf-8")
    code, out, _ = run([*args, "--config", str(cfg)], capsys)
    assert list(json.loads(out)["corpus_metrics"]) == ["bleu"]
    code, out, _ = run([*args, "--config", str(cfg), "--metrics", "none"], capsys)
    assert json.loads(out)["corpus_metrics"] == {}
    code, _, err = run([*args, "--metrics", "chrf,rouge"], capsys)
    assert code == 2 and "unknown metric 'rouge'" in err
    cfg.write_text('metrics = ["rouge"]\n', encoding="utf-8")
    code, _, err = run([*args, "--config", str(cfg)], capsys)
    assert code == 2 and "metrics: unknown metric 'rouge'" in err


def test_store_run_and_decisions_round_trip(tmp_path, capsys):
    """check --store records the run; an imported baseline dismisses in later runs."""
    db = f"sqlite:///{tmp_path / 'h.sqlite'}"
    mt = write(tmp_path, "mt.txt", "We we left.\n")
    code, out, _ = run(
        ["check", mt, "--store", db, "--feed", "f", "-f", "json", "--fail-on", "minor"], capsys
    )
    assert code == 1 and json.loads(out)["summary"]["flags"] == 1
    base = tmp_path / "b.json"
    run(["check", mt, "--write-baseline", base, "--fail-on", "none"], capsys)
    code, _, err = run(
        ["decisions", "import", base, "--store", db, "--feed", "f", "--who", "ann"], capsys
    )
    assert code == 0 and "imported 1" in err
    code, out, _ = run(["decisions", "export", "--store", db, "--feed", "f"], capsys)
    assert [e["code"] for e in json.loads(out)["entries"]] == ["W001"]
    code, out, _ = run(
        ["check", mt, "--store", db, "--feed", "f", "-f", "json", "--fail-on", "minor"], capsys
    )
    assert code == 0 and json.loads(out)["summary"]["suppressed"] == 1
    # another feed is not affected
    code, _, _ = run(["check", mt, "--store", db, "--feed", "other", "--fail-on", "minor"], capsys)
    assert code == 1


def test_glossary_and_forbidden_terms_from_config(tmp_path, capsys):
    mt = write(tmp_path, "mt.txt", "The spillover action was prepared.\nThe mayor met the press.\n")
    src = write(
        tmp_path, "src.txt", "De overloopactie werd voorbereid.\nDe burgemeester sprak de pers.\n"
    )
    cfg = write(
        tmp_path,
        "mtqc.toml",
        'select = ["T002", "T003"]\n'
        "[[glossary]]\n"
        'source = "overloopactie"\ntarget = ["defection operation", "defection"]\n'
        'wrong = ["spillover action"]\n'
        "[[forbidden]]\n"
        'term = "press"\nuse = "media"\nnote = "house style"\n',
    )
    args = ["check", mt, "--src", src, "--src-lang", "nl", "--config", cfg, "-f", "json"]
    code, out, err = run(args, capsys)
    assert code == 1, err
    segs = json.loads(out)["segments"]
    assert [(f["code"], f["text"]) for f in segs[0]["flags"]] == [("T002", "spillover action")]
    assert "defection operation" in segs[0]["flags"][0]["suggestions"]
    assert [(f["code"], f["text"]) for f in segs[1]["flags"]] == [("T003", "press")]


def test_rule_documents_model_flag_codes_and_how_they_are_shown(capsys):
    code, out, _ = run(["rule", "M002"], capsys)
    assert code == 0
    assert out.startswith("M002 model flag of the `tagger` scorer (--models tagger)")
    assert "shown: as info hints only" in out
    code, _, err = run(["rule", "M999"], capsys)
    assert code == 2 and "no rule 'M999'" in err


def test_skipped_units_are_counted_in_the_report_and_said(tmp_path, capsys):
    xml = (
        '<xliff version="1.2"><file original="ui" source-language="en" target-language="de">'
        '<body>\n<trans-unit id="brand" translate="no"><source>Acme Cloud</source></trans-unit>\n'
        '<trans-unit id="1"><source>Save</source><target>Speichern</target></trans-unit>\n'
        "</body></file></xliff>"
    )
    path = write(tmp_path, "ui.xlf", xml)
    code, out, err = run(["check", path, "-f", "json", "--fail-on", "none"], capsys)
    assert code == 0
    assert json.loads(out)["inputs"]["skipped"] == {"translate=no": 1}
    assert "units not checked: 1 (translate=no)" in err


def test_glossary_renderings_of_source_names_are_not_missing_names(tmp_path, capsys):
    mt = write(tmp_path, "mt.txt", "La Chambre des représentants a voté hier.\n")
    src = write(tmp_path, "src.txt", "The House of Representatives voted yesterday.\n")
    base = ["check", mt, "--src", src, "--src-lang", "en", "--tgt-lang", "fr", "-f", "json"]
    plain = write(tmp_path, "plain.toml", 'select = ["N006"]\n')
    code, out, _ = run([*base, "--config", plain], capsys)
    flagged = json.loads(out)["segments"][0]["flags"]
    assert [(f["code"], f["text"]) for f in flagged] == [("N006", "House of Representatives")]
    cfg = write(
        tmp_path,
        "mtqc.toml",
        'select = ["N006", "T002"]\n'
        "[[glossary]]\n"
        'source = "House of Representatives"\ntarget = "Chambre des représentants"\n',
    )
    code, out, err = run([*base, "--config", cfg], capsys)
    assert code == 0, err
    assert json.loads(out)["segments"][0]["flags"] == []
