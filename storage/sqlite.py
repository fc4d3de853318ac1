"""SQLite, the embedded default (`DAILIES_DB`): one file, WAL, and the functions SQLite lacks."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from itertools import count
from pathlib import Path

from storage.db import Db, StorageError


def _strpos(text: str | None, part: str | None) -> int | None:
    if text is None or part is None:
        return None
    return text.find(part) + 1


def _greatest(*values):
    present = [v for v in values if v is not None]
    return max(present) if present else None


class SqliteDb(Db):
    engine = "sqlite"
    IntegrityError = sqlite3.IntegrityError
    Error = sqlite3.Error
    # one writer at a time (BEGIN IMMEDIATE): a transaction's reads already exclude other writers
    skip_locked = for_update = ""
    types = {"id": "INTEGER PRIMARY KEY", "real": "REAL", "text": "TEXT", "int": "INTEGER"}

    def __init__(self, conn: sqlite3.Connection, path: str) -> None:
        self.conn, self.path = conn, path
        self._depth = 0
        self._names = count()
        # PostgreSQL's names for these, so one copy of the SQL runs on both
        conn.create_function("strpos", 2, _strpos, deterministic=True)
        conn.create_function("greatest", -1, _greatest, deterministic=True)

    def _run(self, sql: str, params: list):
        return self.conn.execute(sql, params)

    @contextmanager
    def atomic(self):
        name = f"s{next(self._names)}"
        # the outermost level takes the write lock at once, so another process' writer cannot
        # slip in between this transaction's reads and its writes
        self.conn.execute("BEGIN IMMEDIATE" if self._depth == 0 else f"SAVEPOINT {name}")
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            self.conn.execute("ROLLBACK" if self._depth == 0 else f"ROLLBACK TO {name}")
            if self._depth:
                self.conn.execute(f"RELEASE {name}")
            raise
        self._depth -= 1
        self.conn.execute("COMMIT" if self._depth == 0 else f"RELEASE {name}")

    def lock(self, key: str) -> None:
        if self._depth == 0:
            raise RuntimeError(f"lock({key!r}) outside a transaction holds nothing")
        # nothing more to take: the outermost atomic() began IMMEDIATE, so this transaction already
        # holds the database's one write lock, for every key, until it ends

    def table_names(self) -> list[str]:
        rows = self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        return [r[0] for r in rows]

    def unusable(self, exc: Exception) -> StorageError:
        return unusable(self.path, exc)

    def describe(self) -> str:
        return f"sqlite:{self.path}"

    def close(self) -> None:
        self.conn.close()


def open_sqlite(path: str | Path) -> SqliteDb:
    """Open (creating if needed) the SQLite file at `path` (":memory:" for tests)."""
    memory = str(path) == ":memory:"
    if not memory:
        parent = Path(path).expanduser().resolve().parent
        if not parent.is_dir():
            raise StorageError(
                f"DAILIES_DB points into {parent}, which does not exist: create it or change DAILIES_DB."
            )
    try:
        conn = sqlite3.connect(str(path), check_same_thread=False, timeout=10.0, isolation_level=None)
        if not memory:
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA busy_timeout=10000")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise unusable(path, exc) from None
    except OSError as exc:
        raise StorageError(f"DAILIES_DB={path} cannot be opened ({exc.strerror}).") from None
    return SqliteDb(conn, str(path))


def unusable(path, exc: Exception) -> StorageError:
    return StorageError(
        f"DAILIES_DB={path} cannot be used ({exc}): point DAILIES_DB at a writable SQLite file "
        "(a corrupt file can be moved aside; Dailies creates a new one)."
    )
