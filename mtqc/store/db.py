"""A thin database layer: one API over SQLite (stdlib) and PostgreSQL (psycopg 3).

SQL is written once with ``?`` placeholders; the few dialect differences (placeholder
style, auto-increment keys, string aggregation, locking for migrations) live here.
A thread takes a connection when it first needs one and keeps it until it calls
:meth:`Database.release` (the dashboard does, at the end of every request); released
connections wait in a small pool (:data:`POOL_SIZE`) for the next thread, and the rest are
closed. So a threaded web server, which runs each request on a new thread, holds at most
one connection per request in flight plus the pool, however long it runs.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from mtqc.errors import InputError, UsageError

DEFAULT_SQLITE_PATH = Path("reports") / "mtqc-history.sqlite"
SQLITE_BUSY_TIMEOUT_MS = 60_000
#: idle connections kept for reuse after :meth:`Database.release`
POOL_SIZE = 4


def redact(url: str) -> str:
    """``url`` without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _set_wal(conn: Any, attempts: int = 50) -> None:
    """Switch a SQLite connection to WAL, waiting while another process holds the lock.

    Changing the journal mode needs an exclusive lock, and SQLite may answer "database
    is locked" at once instead of waiting for the busy timeout (two writers opening a
    fresh store together); retry for up to ~5 s before giving up.
    """
    for attempt in range(attempts):
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or attempt == attempts - 1:
                raise
            time.sleep(0.1)


class Database:
    """A connection factory for one store URL; ``kind`` is ``sqlite`` or ``postgresql``."""

    def __init__(self, url: str | None, *, pool_size: int = POOL_SIZE):
        self.url, self.kind, self.path = _parse_url(url)
        self._local = threading.local()
        self._all: list[Any] = []  # every open connection (in use or idle)
        self._idle: list[Any] = []  # released, ready for the next thread
        self._pool_size = pool_size
        self._lock = threading.Lock()

    # -- connections -------------------------------------------------------------------

    @property
    def conn(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                conn = self._connect()
                with self._lock:
                    self._all.append(conn)
            self._local.conn = conn
            self._local.depth = 0
        return conn

    def release(self) -> None:
        """Give back this thread's connection: to the pool, or closed when it is full.

        Call it when a thread is done with the store for now (the dashboard does after
        each request). Inside a transaction it does nothing. The next use in this thread
        takes a connection again.
        """
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "depth", 0):
            return
        self._local.conn = None
        healthy = not getattr(conn, "closed", False) and not (
            self.kind == "sqlite" and conn.in_transaction
        )
        with self._lock:
            if healthy and len(self._idle) < self._pool_size and conn in self._all:
                self._idle.append(conn)
                return
            if conn in self._all:
                self._all.remove(conn)
        with contextlib.suppress(Exception):
            conn.close()

    @property
    def open_connections(self) -> int:
        """How many connections are open (in use by a thread or idle in the pool)."""
        with self._lock:
            return len(self._all)

    def _connect(self) -> Any:
        if self.kind == "sqlite":
            assert self.path is not None
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(
                    self.path,
                    timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
                    isolation_level=None,  # we issue BEGIN/COMMIT ourselves
                    check_same_thread=False,
                )
                conn.row_factory = sqlite3.Row
                conn.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
                _set_wal(conn)
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute("PRAGMA foreign_keys = ON")
            except (OSError, sqlite3.Error) as e:
                raise InputError(
                    str(self.path),
                    f"cannot open the run store: {e}",
                    hint="check that the directory exists and is writable, or pass --store URL",
                ) from None
            return conn
        try:
            import psycopg
            from psycopg.rows import dict_row
        except ImportError:
            raise UsageError(
                "a PostgreSQL store needs psycopg: pip install 'mtqc[postgres]'"
            ) from None
        try:
            return psycopg.connect(self.url, autocommit=True, row_factory=dict_row)
        except psycopg.Error as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise InputError(
                redact(self.url),
                f"cannot connect to the run store: {first}",
                hint="check host, port, user, password and database in the URL",
            ) from None

    def close(self) -> None:
        """Close every connection this object opened (in any thread)."""
        with self._lock:
            conns, self._all, self._idle = self._all, [], []
        for c in conns:
            with contextlib.suppress(Exception):
                c.close()
        self._local = threading.local()

    # -- statements --------------------------------------------------------------------

    def sql(self, text: str) -> str:
        """Translate ``?`` placeholders for the driver."""
        return text.replace("?", "%s") if self.kind == "postgresql" else text

    def query(self, text: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Run a statement and return its rows as dicts."""
        cur = self.conn.execute(self.sql(text), tuple(params))
        if cur.description is None:
            return []
        return [dict(r) for r in cur.fetchall()]

    def execute(self, text: str, params: Sequence[Any] = ()) -> None:
        self.conn.execute(self.sql(text), tuple(params))

    def insert(self, text: str, params: Sequence[Any] = ()) -> int:
        """Run an INSERT and return the new row's ``id``."""
        cur = self.conn.execute(self.sql(text + " RETURNING id"), tuple(params))
        row = cur.fetchone()
        return int(row["id"] if self.kind == "postgresql" else row[0])

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """A write transaction; nested uses join the outer one.

        SQLite takes the write lock up front (``BEGIN IMMEDIATE``) so that two writers
        wait for each other (busy timeout) instead of failing on a lock upgrade.
        """
        conn = self.conn
        depth = self._local.depth
        if depth:
            self._local.depth += 1
            try:
                yield
            finally:
                self._local.depth -= 1
            return
        self._local.depth = 1
        try:
            if self.kind == "sqlite":
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            else:
                with conn.transaction():
                    yield
        finally:
            self._local.depth = 0

    def lock_for_migration(self) -> None:
        """Serialise schema migrations between processes (inside a transaction)."""
        if self.kind == "postgresql":
            self.execute("SELECT pg_advisory_xact_lock(7244806213)")
        # SQLite: BEGIN IMMEDIATE already holds the database's write lock.

    # -- dialect snippets --------------------------------------------------------------

    @property
    def pk(self) -> str:
        if self.kind == "postgresql":
            return "BIGSERIAL PRIMARY KEY"
        return "INTEGER PRIMARY KEY AUTOINCREMENT"

    def agg_distinct(self, expr: str) -> str:
        """Comma-joined distinct values of ``expr`` in a group."""
        if self.kind == "postgresql":
            return f"string_agg(DISTINCT {expr}, ',')"
        return f"group_concat(DISTINCT {expr})"

    def table_exists(self, name: str) -> bool:
        if self.kind == "postgresql":
            rows = self.query("SELECT to_regclass(?) AS t", (name,))
            return rows[0]["t"] is not None
        rows = self.query("SELECT name FROM sqlite_master WHERE type='table' AND name=?", (name,))
        return bool(rows)

    def columns(self, table: str) -> set[str]:
        """Column names of ``table`` (for tests and checks)."""
        if self.kind == "postgresql":
            rows = self.query(
                "SELECT column_name AS name FROM information_schema.columns "
                "WHERE table_name = ? AND table_schema = current_schema()",
                (table,),
            )
        else:
            rows = self.query(f"PRAGMA table_info({table})")
        return {r["name"] for r in rows}


def _parse_url(url: str | None) -> tuple[str, str, Path | None]:
    if url is None or not str(url).strip():
        path = DEFAULT_SQLITE_PATH
        return f"sqlite:///{path}", "sqlite", path
    url = str(url).strip()
    scheme = url.split(":", 1)[0].lower() if "://" in url else ""
    if scheme in ("postgresql", "postgres"):
        return url, "postgresql", None
    if scheme == "sqlite":
        rest = url[len("sqlite://") :]
        # sqlite:///relative/path and sqlite:////absolute/path (SQLAlchemy's convention)
        path = Path(rest[1:] if rest.startswith("/") else rest)
        if not str(path) or str(path) == ".":
            raise UsageError(f"store URL {url!r} names no file: use sqlite:///path/to/file.sqlite")
        return url, "sqlite", path
    if scheme:
        raise UsageError(
            f"unsupported store URL {redact(url)!r}: use a file path, sqlite:///path or "
            "postgresql://user:password@host/dbname"
        )
    return url, "sqlite", Path(url)
