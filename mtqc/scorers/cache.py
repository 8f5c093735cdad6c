"""Where model scorers keep things between runs: the cache directory and a result cache.

* :func:`cache_dir` — ``$MTQC_CACHE_DIR``, else ``$XDG_CACHE_HOME/mtqc``, else
  ``~/.cache/mtqc``. Converted model weights and the result database live here.
* :class:`TextCache` — results keyed by ``(scorer signature, text key)``: an in-memory
  dict in front of a small SQLite file (``results.sqlite3`` in the cache directory), so
  re-checking an unchanged feed costs nothing. Values are anything ``json`` can write.
  Set ``MTQC_NO_CACHE=1`` (or pass ``path=None``) to keep results in memory only.

Standard library only: importing this module never imports torch.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    signature TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (signature, key)
)
"""


def cache_dir() -> Path:
    """The mtqc cache directory (not created here)."""
    env = os.environ.get("MTQC_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg).expanduser() / "mtqc"
    return Path.home() / ".cache" / "mtqc"


def caching_disabled() -> bool:
    """True when ``$MTQC_NO_CACHE`` is set to anything but empty or ``0``."""
    return os.environ.get("MTQC_NO_CACHE", "").strip() not in ("", "0")


def store_file(path: Path, data: bytes) -> bool:
    """Write ``data`` to the cache file ``path`` atomically (a temporary file beside it,
    then ``os.replace``), creating its folder. Best effort: False when it cannot be
    written, and the temporary file is removed; a reader never sees half a file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
        return True
    except BaseException as exc:  # an interrupt too: never leave the temporary file
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            return False
        raise


def _default_db() -> Path | None:
    if caching_disabled():
        return None
    return cache_dir() / "results.sqlite3"


class TextCache:
    """A result cache for one scorer signature.

    ``get_many`` returns the cached values for the keys it knows; ``put_many`` stores new
    ones. A disk cache that cannot be opened or written (read-only home, full disk) is
    dropped silently and the cache keeps working in memory: a cache must never fail a run.

    >>> c = TextCache("lm:test|fp32", path=None)
    >>> c.put_many({"k": {"bits": [1.0]}}); c.get_many(["k", "x"])
    {'k': {'bits': [1.0]}}
    """

    def __init__(self, signature: str, path: str | os.PathLike[str] | None | bool = True):
        self.signature = signature
        self._mem: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        db_path = _default_db() if path is True else (Path(path) if path else None)
        if db_path is not None:
            try:
                db_path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(str(db_path), timeout=10, check_same_thread=False)
                self._db.execute(_SCHEMA)
                self._db.commit()
            except (OSError, sqlite3.Error):
                self._db = None

    @property
    def persistent(self) -> bool:
        """True when results also go to disk."""
        return self._db is not None

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """Cached values for those of ``keys`` that are known."""
        found: dict[str, Any] = {}
        missing: list[str] = []
        with self._lock:
            for k in keys:
                if k in self._mem:
                    found[k] = self._mem[k]
                else:
                    missing.append(k)
            if missing and self._db is not None:
                try:
                    for i in range(0, len(missing), 500):
                        chunk = missing[i : i + 500]
                        marks = ",".join("?" * len(chunk))
                        rows = self._db.execute(
                            f"SELECT key, value FROM results WHERE signature = ? AND key IN ({marks})",
                            [self.signature, *chunk],
                        ).fetchall()
                        for k, v in rows:
                            found[k] = self._mem[k] = json.loads(v)
                except (sqlite3.Error, ValueError):
                    self._db = None
        return found

    def get(self, key: str) -> Any | None:
        """The cached value for ``key``, or None."""
        return self.get_many([key]).get(key)

    def put_many(self, items: Mapping[str, Any]) -> None:
        """Store values (JSON-serialisable) under their keys."""
        if not items:
            return
        with self._lock:
            self._mem.update(items)
            if self._db is not None:
                try:
                    self._db.executemany(
                        "INSERT OR REPLACE INTO results (signature, key, value) VALUES (?, ?, ?)",
                        [(self.signature, k, json.dumps(v)) for k, v in items.items()],
                    )
                    self._db.commit()
                except (sqlite3.Error, OSError):
                    self._db = None

    def put(self, key: str, value: Any) -> None:
        """Store one value."""
        self.put_many({key: value})

    def close(self) -> None:
        """Close the database (the in-memory part stays usable)."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


def fetch(
    cache: TextCache | None,
    keys: Sequence[str],
    compute: Callable[[list[int]], Sequence[Any]],
) -> list[Any]:
    """The value for each of ``keys``, in order: from ``cache`` when it has it, else from
    ``compute(positions)`` — called once, with the position in ``keys`` of the first
    occurrence of each missing key, returning their values in that order — and stored.
    With ``cache=None`` everything is computed (once per distinct key)."""
    found = cache.get_many(set(keys)) if cache is not None else {}
    first: dict[str, int] = {}
    for i, k in enumerate(keys):
        if k not in found and k not in first:
            first[k] = i
    if first:
        fresh = dict(zip(first, compute(list(first.values())), strict=True))
        if cache is not None:
            cache.put_many(fresh)
        found.update(fresh)
    return [found[k] for k in keys]


@contextlib.contextmanager
def publish_folder(folder: Path) -> Iterator[Path]:
    """Write a converted model into a temporary folder beside ``folder`` and move it into
    place only when the ``with`` block succeeds (``os.replace``), so a half-written
    conversion is never read. When another process published ``folder`` first, its copy
    is kept and ours removed; on any error the temporary folder is removed."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=folder.parent))
    try:
        yield tmp
        try:
            os.replace(tmp, folder)
        except OSError:  # another process finished first
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
