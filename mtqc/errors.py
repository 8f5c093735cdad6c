"""Errors a user can act on. The CLI entry is the one place that turns them into
messages and exit codes (2 for all of these)."""

from __future__ import annotations


class MtqcError(Exception):
    """Base class: ``str(err)`` is a complete message for the user."""

    exit_code = 2


class UsageError(MtqcError):
    """The command line asks for something impossible or contradictory."""


class ConfigError(MtqcError):
    """The configuration (pyproject.toml / mtqc.toml / glossary) is wrong."""


class InputError(MtqcError):
    """An input file cannot be read as asked: names the file, the line, what to do."""

    def __init__(self, path: str, problem: str, *, line: int | None = None, hint: str = ""):
        self.path = path
        self.line = line
        self.problem = problem
        self.hint = hint
        where = f"{path}:{line}" if line else path
        msg = f"{where}: {problem}"
        if hint:
            msg += f"\n  hint: {hint}"
        super().__init__(msg)


class ModelError(MtqcError):
    """A model cannot be loaded (missing extra, missing weights, offline hub)."""
