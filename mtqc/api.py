"""The Python API: ``mtqc.check(...)``. Filled in by the engine; see mtqc/engine.py."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def check(
    mt: str | Sequence[str],
    ref: str | Sequence[str] | None = None,
    src: str | Sequence[str] | None = None,
    bt: str | Sequence[str] | None = None,
    **kwargs: Any,
):
    from mtqc.engine import check_texts

    return check_texts(mt, ref=ref, src=src, bt=bt, **kwargs)
