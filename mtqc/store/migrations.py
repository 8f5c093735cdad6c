"""Versioned schema migrations: an ordered list, each applied once in a transaction.

The ``schema_version`` table records every applied step; a store made by an older mtqc
is upgraded in place when it is opened. Never edit a released step: append a new one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from mtqc.errors import UsageError
from mtqc.store.db import Database, redact
from mtqc.store.normalize import normalize_phrase


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...] = ()  # ``{pk}`` is replaced by the dialect's key type
    python: Callable[[Database], None] | None = None  # runs after the statements


def _backfill_norm_text(db: Database) -> None:
    for row in db.query("SELECT id, text FROM flags"):
        db.execute(
            "UPDATE flags SET norm_text = ? WHERE id = ?",
            (normalize_phrase(row["text"]), row["id"]),
        )


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "runs, segments, flags and review decisions",
        (
            "CREATE TABLE runs (id {pk}, created TEXT NOT NULL, feed TEXT NOT NULL,"
            " documents INTEGER NOT NULL, version TEXT NOT NULL, signature TEXT NOT NULL,"
            " mode TEXT NOT NULL, summary TEXT NOT NULL)",
            "CREATE TABLE segments (id {pk},"
            " run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
            " seg_id TEXT NOT NULL, doc TEXT NOT NULL, line INTEGER NOT NULL,"
            " mt TEXT NOT NULL, score DOUBLE PRECISION NOT NULL, source_file TEXT NOT NULL)",
            "CREATE TABLE flags (id {pk},"
            " run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
            " segment_id BIGINT NOT NULL REFERENCES segments(id) ON DELETE CASCADE,"
            " code TEXT NOT NULL, name TEXT NOT NULL, span_start INTEGER NOT NULL,"
            " span_end INTEGER NOT NULL, text TEXT NOT NULL, severity INTEGER NOT NULL,"
            " category TEXT NOT NULL, message TEXT NOT NULL, suggestions TEXT NOT NULL,"
            " score DOUBLE PRECISION, evidence TEXT NOT NULL, side TEXT NOT NULL,"
            " fingerprint TEXT NOT NULL)",
            "CREATE TABLE decisions (id {pk}, feed TEXT NOT NULL, fingerprint TEXT NOT NULL,"
            " code TEXT NOT NULL, text TEXT NOT NULL,"
            " decision TEXT NOT NULL CHECK (decision IN ('accept', 'dismiss')),"
            " who TEXT NOT NULL, reason TEXT NOT NULL, decided_at TEXT NOT NULL,"
            " flag_id BIGINT REFERENCES flags(id) ON DELETE SET NULL)",
            "CREATE INDEX runs_feed_created ON runs (feed, created)",
            "CREATE INDEX segments_run_doc ON segments (run_id, doc)",
            "CREATE INDEX flags_run ON flags (run_id)",
            "CREATE INDEX flags_segment ON flags (segment_id)",
            "CREATE INDEX decisions_feed_fingerprint ON decisions (feed, fingerprint)",
        ),
    ),
    Migration(
        2,
        "suppressed counts, normalised phrases for recurring artifacts, decision source",
        (
            "ALTER TABLE segments ADD COLUMN suppressed INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE flags ADD COLUMN norm_text TEXT NOT NULL DEFAULT ''",
            "ALTER TABLE decisions ADD COLUMN source TEXT NOT NULL DEFAULT 'review'",
            "CREATE INDEX flags_norm_text ON flags (norm_text)",
            "CREATE INDEX decisions_flag ON decisions (flag_id)",
        ),
        _backfill_norm_text,
    ),
)

CURRENT_VERSION = MIGRATIONS[-1].version


def current_version(db: Database) -> int:
    """The store's schema version (0 for an empty database)."""
    if not db.table_exists("schema_version"):
        return 0
    rows = db.query("SELECT MAX(version) AS v FROM schema_version")
    return int(rows[0]["v"] or 0)


def migrate(db: Database, target: int | None = None) -> int:
    """Apply pending migrations up to ``target`` (default: all); return the new version.

    Safe when several processes open a fresh store at once: the check and the steps
    run under the database's write lock (SQLite) or an advisory lock (PostgreSQL).
    """
    target = CURRENT_VERSION if target is None else target
    with db.transaction():
        db.lock_for_migration()
        db.execute(
            "CREATE TABLE IF NOT EXISTS schema_version"
            " (version INTEGER NOT NULL, applied_at TEXT NOT NULL, description TEXT NOT NULL)"
        )
        have = current_version(db)
        if have > CURRENT_VERSION:
            raise UsageError(
                f"the run store {redact(db.url)} has schema version {have}, newer than this mtqc "
                f"understands ({CURRENT_VERSION}): upgrade mtqc, or use another --store"
            )
        for m in MIGRATIONS:
            if have < m.version <= target:
                for stmt in m.statements:
                    db.execute(stmt.replace("{pk}", db.pk))
                if m.python is not None:
                    m.python(db)
                db.execute(
                    "INSERT INTO schema_version (version, applied_at, description)"
                    " VALUES (?, ?, ?)",
                    (m.version, datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), m.description),
                )
                have = m.version
    return have
