"""SQLite, the embedded default (`DAILIES_DB`): one file in WAL mode, reached through sqlite-utils'
`Database` over the storage thread's connection, with the PostgreSQL-named functions SQLite lacks."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import count
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlite_utils import Database

from storage.db import Db, Row, StorageError

if TYPE_CHECKING:
    from _typeshed import SupportsRichComparison

V = TypeVar("V", bound="SupportsRichComparison")


def strpos(text: str | None, part: str | None) -> int | None:
    """PostgreSQL's strpos: the 1-based position of `part` in `text`, 0 when absent."""
    if text is None or part is None:
        return None
    return text.find(part) + 1


def greatest(a: V | None, b: V | None) -> V | None:
    """PostgreSQL's greatest of two values, which skips NULLs (SQLite's scalar max() does not)."""
    present = [v for v in (a, b) if v is not None]
    return max(present) if present else None


class SqliteDb(Db):
    engine = "sqlite"
    IntegrityError = sqlite3.IntegrityError
    Error = sqlite3.Error
    # one writer at a time (BEGIN IMMEDIATE): a transaction's reads already exclude other writers
    skip_locked = for_update = ""
    types = {"id": "INTEGER PRIMARY KEY", "real": "REAL", "text": "TEXT", "int": "INTEGER"}

    def __init__(self, lite: Database, path: str) -> None:
        self.lite, self.path = lite, path
        self._depth = 0
        self._names = count()
        # PostgreSQL's names for these, so one copy of the SQL runs on both
        lite.register_function(strpos, deterministic=True)
        lite.register_function(greatest, deterministic=True)

    def _run(self, sql: str, params: list[Any]) -> sqlite3.Cursor:
        return self.lite.execute(sql, params)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(self.lite.query(sql, list(params)))

    @contextmanager
    def atomic(self) -> Iterator[None]:
        # not sqlite-utils' atomic(): its plain BEGIN defers the write lock to the first write, and
        # the outermost level must take it at once, so another process' writer cannot slip in
        # between this transaction's reads and its writes
        name = f"s{next(self._names)}"
        self.lite.execute("BEGIN IMMEDIATE" if self._depth == 0 else f"SAVEPOINT {name}")
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            self.lite.execute("ROLLBACK" if self._depth == 0 else f"ROLLBACK TO {name}")
            if self._depth:
                self.lite.execute(f"RELEASE {name}")
            raise
        self._depth -= 1
        self.lite.execute("COMMIT" if self._depth == 0 else f"RELEASE {name}")

    def lock(self, key: str) -> None:
        if self._depth == 0:
            raise RuntimeError(f"lock({key!r}) outside a transaction holds nothing")
        # nothing more to take: the outermost atomic() began IMMEDIATE, so this transaction already
        # holds the database's one write lock, for every key, until it ends

    def lost(self, exc: Exception) -> bool:
        # another process holds the file's write lock past the busy timeout, or the file (or its
        # folder) was made read-only: nothing was written; the same call works once that ends
        return isinstance(exc, sqlite3.OperationalError) and any(
            words in str(exc) for words in ("database is locked", "readonly database")
        )

    def away_reason(self, exc: Exception) -> str:
        if "readonly" in str(exc):
            return f"DAILIES_DB={self.path} cannot be written (read-only file or folder)"
        return f"DAILIES_DB={self.path} is locked by another process"

    def reconnect(self) -> None:
        # the write lock, taken and given back at once: reads alone succeed on a locked file
        self.lite.execute("BEGIN IMMEDIATE")
        self.lite.execute("ROLLBACK")

    def table_names(self) -> list[str]:
        return sorted(self.lite.table_names())

    def columns(self, table: str) -> dict[str, type]:
        return self.lite.table(table).columns_dict

    def unusable(self, exc: Exception) -> StorageError:
        return unusable(self.path, exc)

    def describe(self) -> str:
        return f"sqlite:{self.path}"

    def close(self) -> None:
        self.lite.close()


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
        # isolation_level=None: the driver opens no transaction of its own, atomic() opens them all
        conn = sqlite3.connect(str(path), check_same_thread=False, timeout=10.0, isolation_level=None)
        # the bot's connection is the bot's: no sqlite-utils plugins (an operator may have some
        # installed for the command line) and none of its pragmas
        lite = Database(conn, recursive_triggers=False, execute_plugins=False)
        if not memory:
            lite.enable_wal()
        lite.execute("PRAGMA busy_timeout=10000")
        lite.execute("PRAGMA foreign_keys=ON")
        lite.execute("PRAGMA synchronous=NORMAL")
        lite.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise unusable(path, exc) from None
    except OSError as exc:
        raise StorageError(f"DAILIES_DB={path} cannot be opened ({exc.strerror}).") from None
    return SqliteDb(lite, str(path))


def unusable(path: str | Path, exc: Exception) -> StorageError:
    return StorageError(
        f"DAILIES_DB={path} cannot be used ({exc}): point DAILIES_DB at a writable SQLite file "
        "(a corrupt file can be moved aside; Dailies creates a new one)."
    )
