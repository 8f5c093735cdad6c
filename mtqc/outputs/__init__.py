"""Output formats: a report in, a string out.

``FORMATS`` maps a format name to ``render(report, *, color=False) -> str``:

========  ==================================================================
text      flagged lines with their spans marked, then a summary (terminal)
json      the whole report (schema in :mod:`mtqc.outputs.json_`)
jsonl     one object per segment, in input order
csv       one row per flag
html      one self-contained page to review from (filters, popovers)
sarif     SARIF 2.1.0 (code scanning, IDEs)
junit     JUnit XML, one test case per segment
github    GitHub Actions annotations (workflow commands)
========  ==================================================================

Only ``text`` uses colour. :func:`write_atomic` writes a file so that readers never see
a half-written one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from mtqc.errors import MtqcError, UsageError
from mtqc.model import Report
from mtqc.outputs.csv_ import render_csv
from mtqc.outputs.github import render_github
from mtqc.outputs.html import render_html
from mtqc.outputs.json_ import render_json, render_jsonl
from mtqc.outputs.junit import render_junit
from mtqc.outputs.sarif import render_sarif
from mtqc.outputs.text import render_text

Renderer = Callable[..., str]

FORMATS: dict[str, Renderer] = {
    "text": render_text,
    "json": render_json,
    "jsonl": render_jsonl,
    "csv": render_csv,
    "html": render_html,
    "sarif": render_sarif,
    "junit": render_junit,
    "github": render_github,
}


def render(report: Report, fmt: str, *, color: bool = False) -> str:
    """Render ``report`` in format ``fmt`` (a key of :data:`FORMATS`)."""
    try:
        renderer = FORMATS[fmt]
    except KeyError:
        raise UsageError(
            f"unknown output format {fmt!r}; choose one of: {', '.join(FORMATS)}"
        ) from None
    return renderer(report, color=color)


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically, creating parent directories.

    The text goes to a temporary file in the same directory, is flushed and fsynced,
    then renamed over ``path``: readers see the old file or the new one, never a
    half-written one. An existing file keeps its permissions; a new one gets 0644.
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        mode = target.stat().st_mode & 0o7777 if target.exists() else 0o644
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as e:
        raise MtqcError(
            f"cannot write {target}: {e.strerror or e}; check that the directory "
            "can be created and is writable"
        ) from e
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise MtqcError(
                f"cannot write {target}: {e.strerror or e}; check free space and permissions"
            ) from e
        raise
    with contextlib.suppress(OSError):  # make the rename durable (POSIX)
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


__all__ = ["FORMATS", "render", "write_atomic"]
