"""Config loading, validation and prefix selection."""

from __future__ import annotations

import pytest

from mtqc.config import load_config, parse_config
from mtqc.errors import ConfigError
from mtqc.model import Severity


def test_longest_prefix_wins():
    cfg = parse_config({"select": ["T101", "P"], "ignore": ["T", "P002"]}, "x")
    assert cfg.is_selected("T101")
    assert not cfg.is_selected("T102")
    assert cfg.is_selected("P001")
    assert not cfg.is_selected("P002")
    assert not cfg.is_selected("N001")  # not selected at all


def test_default_selects_everything_but_ignored():
    cfg = parse_config({"ignore": ["W"]}, "x")
    assert cfg.is_selected("P001") and cfg.is_selected("N003")
    assert not cfg.is_selected("W001")


def test_extend_select_adds_to_select():
    cfg = parse_config({"select": ["P"], "extend-select": ["N001"]}, "x")
    assert cfg.is_selected("N001") and not cfg.is_selected("N002")


def test_unknown_key_suggests_the_right_one():
    with pytest.raises(ConfigError, match=r"unknown key 'selcet' \(did you mean 'select'\?\)"):
        parse_config({"selcet": ["P"]}, "mtqc.toml")


def test_wrong_type_and_bad_severity_are_errors():
    with pytest.raises(ConfigError, match="'select' must be a list"):
        parse_config({"select": "P"}, "mtqc.toml")
    with pytest.raises(ConfigError, match="severity.P001: unknown severity 'huge'"):
        parse_config({"severity": {"P001": "huge"}}, "mtqc.toml")
    with pytest.raises(ConfigError, match="fail-on must be one of"):
        parse_config({"fail-on": "sometimes"}, "mtqc.toml")


def test_glossary_entries_need_source_and_target():
    with pytest.raises(ConfigError, match="glossary entry 1 lacks target"):
        parse_config({"glossary": [{"source": "overloper"}]}, "mtqc.toml")


def test_pyproject_tool_table_is_read(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[tool.mtqc]\nignore = ["W"]\n[tool.mtqc.severity]\nP001 = "major"\n'
    )
    cfg = load_config(cwd=tmp_path)
    assert cfg.ignore == ["W"]
    assert cfg.severity == {"P001": Severity.MAJOR}


def test_mtqc_toml_wins_over_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.mtqc]\nignore = ["W"]\n')
    (tmp_path / "mtqc.toml").write_text('ignore = ["P"]\n')
    assert load_config(cwd=tmp_path).ignore == ["P"]


def test_invalid_toml_names_the_file(tmp_path):
    p = tmp_path / "mtqc.toml"
    p.write_text("select = [\n")
    with pytest.raises(ConfigError, match="mtqc.toml: not valid TOML"):
        load_config(str(p))


def test_missing_explicit_config_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(str(tmp_path / "nope.toml"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rule-options": {"U004": {"min_ratio": 0.4}}}, "U004: unknown option 'min_ratio'"),
        ({"rule-options": {"U004": {"min_char": 5}}}, "did you mean 'min_chars'"),
        ({"rule-options": {"U004": {"min_chars": "abc"}}}, "U004.min_chars must be like"),
        ({"rule-options": {"T001": {"disable": "it-sounds"}}}, "T001.disable must be like"),
        ({"rule-options": {"X999": {"foo": 1}}}, "rule-options.X999: no rule 'X999'"),
        ({"severity": {"X123": "minor"}}, "severity.X123: no rule 'X123'"),
        ({"fail-on": "minr"}, "did you mean 'minor'"),
        ({"max-score": 1.5}, "max-score is a risk in \\[0, 1\\]"),
    ],
)
def test_rule_tables_and_gate_values_are_checked(data, message):
    with pytest.raises(ConfigError, match=message):
        parse_config(data, "mtqc.toml")


def test_valid_rule_options_pass_and_an_int_may_stand_for_a_float():
    cfg = parse_config(
        {
            "rule-options": {"U004": {"min_chars": 10, "ref_band": [0.5, 2]}},
            "severity": {"M002": "minor"},
        },
        "mtqc.toml",
    )
    assert cfg.rule_options["U004"] == {"min_chars": 10, "ref_band": [0.5, 2]}
