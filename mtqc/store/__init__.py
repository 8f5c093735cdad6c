"""Run history: every checked run, its segments, flags and the reviewers' decisions.

``open_store(None)`` opens ``reports/mtqc-history.sqlite`` (relative to the working
directory); ``sqlite:///path`` or a plain path opens another SQLite file;
``postgresql://user:password@host/db`` opens PostgreSQL (needs ``psycopg``).
"""

from __future__ import annotations

from mtqc.store.db import DEFAULT_SQLITE_PATH, Database
from mtqc.store.migrations import CURRENT_VERSION, MIGRATIONS
from mtqc.store.queries import Filters
from mtqc.store.store import Store


def open_store(url: str | None = None, *, schema_version: int | None = None) -> Store:
    """Open (creating or upgrading as needed) the run store at ``url``.

    ``schema_version`` stops the migrations at that version (for upgrade tests only).
    """
    db = Database(url)
    try:
        return Store(db, schema_version=schema_version)
    except BaseException:
        db.close()
        raise


__all__ = [
    "CURRENT_VERSION",
    "DEFAULT_SQLITE_PATH",
    "MIGRATIONS",
    "Filters",
    "Store",
    "open_store",
]
