"""Opening the database: pragmas, registered migrations, and the one thread all queries run on."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from sqlite_utils import Database

from storage.migrations import MIGRATIONS

T = TypeVar("T")


class StorageError(Exception):
    """The database cannot be opened or written; the message says which file and what to do."""


def connect(path: str | Path) -> Database:
    """Open (creating if needed) and migrate the database at `path` (":memory:" for tests)."""
    memory = str(path) == ":memory:"
    if not memory:
        parent = Path(path).expanduser().resolve().parent
        if not parent.is_dir():
            raise StorageError(
                f"DAILIES_DB points into {parent}, which does not exist: create it or change DAILIES_DB."
            )
    try:
        conn = sqlite3.connect(str(path), check_same_thread=False, timeout=10.0, isolation_level=None)
        db = Database(conn)
        if not memory:
            db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA busy_timeout=10000")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA synchronous=NORMAL")
        MIGRATIONS.apply(db)
        db.execute("SELECT count(*) FROM jobs").fetchone()
    except sqlite3.DatabaseError as exc:
        raise StorageError(
            f"DAILIES_DB={path} cannot be used ({exc}): point DAILIES_DB at a writable SQLite file "
            "(a corrupt file can be moved aside; Dailies creates a new one)."
        ) from None
    except OSError as exc:
        raise StorageError(f"DAILIES_DB={path} cannot be opened ({exc.strerror}).") from None
    return db


class Store:
    """Runs storage functions on one dedicated thread, so the event loop (and Slack acks) never
    wait on SQLite, and writes are serialised without lock contention."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dailies-db")

    async def run(self, fn: Callable[..., T], *args, **kwargs) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, lambda: fn(self.db, *args, **kwargs))

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.db.conn.close()
