"""The database behind every storage function: one `Db` facade over SQLite (the embedded default) or
PostgreSQL (`DATABASE_URL`, what several replicas share), and the `Store` thread that runs them.

How a storage function is written (one copy of the SQL serves both engines):

    def set_card_ts(db: Db, shot_id: int, card_ts: str) -> None:
        db.execute("UPDATE shots SET card_ts = ? WHERE id = ?", [card_ts, shot_id])

    def recent_jobs(db: Db, channel_id: str) -> list[dict[str, Any]]:
        return db.query("SELECT * FROM jobs WHERE channel_id = ? ORDER BY id DESC", [channel_id])

- a plain function `verb(db, ...)` in a `storage/` module; call it as `await store.run(verb, ...)`;
- `?` placeholders (translated for psycopg); `db.query` gives dicts of a statement that returns rows
  (`SELECT`, `… RETURNING`), `db.one` one dict or None, `db.execute` a cursor of tuples (`fetchone`,
  `fetchall`, `rowcount`);
- `db.insert(table, row)` returns the new id; `db.upsert(table, row, pk=...)`; `with db.atomic():`
  for several statements that stand or fall together (nestable);
- a decision that reads, checks and then writes (the cost gate, a verdict, a claim) is ONE storage
  function doing all of it inside `with db.atomic():`, locking what it decides on first
  (`db.lock(key)`, or a `SELECT ...{db.for_update}` of the row). The storage thread alone makes
  nothing atomic: other replicas write to the same PostgreSQL between two statements;
- SQL both engines speak: `coalesce`, `greatest(a, b)`, `strpos`, `ON CONFLICT`, `RETURNING`; no
  `INSERT OR IGNORE`, no scalar `max(a, b)`, no `instr`; a duplicate raises `db.IntegrityError`;
- `db.table_names()` and `db[table].columns_dict` (name → Python type) describe the schema.

On SQLite the facade is sqlite-utils' `Database` over the storage thread's connection
(`storage.sqlite`); on PostgreSQL, psycopg 3 (`storage.postgres`).
"""

from __future__ import annotations

import asyncio
import copy
import logging
import os
import re
import secrets
import socket
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from functools import lru_cache
from typing import Any, Protocol, TypeVar

from sqlite_utils.utils import dedupe_keys

T = TypeVar("T")
log = logging.getLogger(__name__)

# while the database is away, how often to try it again: soon at first, then at most this often
RECONNECT_FIRST_SECONDS = 0.25
RECONNECT_CEILING_SECONDS = 2.0

Row = dict[str, Any]  # one row as `query` gives it: column name → value


class Cursor(Protocol):
    """What `Db.execute` gives on both engines (a DB-API cursor: sqlite3's or psycopg's). Its rows
    are tuples whose values the SQL decides, so they are typed `Any` here."""

    @property
    def description(self) -> Sequence[Sequence[Any]] | None: ...

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> Sequence[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class StorageError(Exception):
    """The database cannot be opened or written; the message says which one and what to do."""


class DatabaseAway(StorageError):
    """The database cannot be reached right now (a restart, a failover, a file another process holds
    locked): nothing was changed; the same request later will work."""


class Db(ABC):
    """What storage functions see; `storage.sqlite` and `storage.postgres` implement the few
    engine-specific parts (`_run`, `atomic`, `notify`, `skip_locked`, `types`)."""

    engine = ""  # "sqlite" | "postgresql"
    IntegrityError: type[Exception] = Exception
    Error: type[Exception] = Exception  # the driver's base error
    skip_locked = ""  # appended to a claiming SELECT: rows another replica is claiming are skipped
    for_update = ""  # appended to a SELECT whose rows the transaction goes on to change
    types: dict[str, str] = {}  # DDL type names: {id}, {real}, {text}, {int}

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        return self._run(sql, list(params))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """The rows of a statement that returns rows, as dicts; a name the result repeats gets `_2`,
        `_3`, … (as sqlite-utils names them, so both engines give the same keys)."""
        cursor = self._run(sql, list(params))
        if cursor.description is None:
            raise ValueError("query() is for statements that return rows: use execute()")
        cols = dedupe_keys(d[0] for d in cursor.description)
        return [dict(zip(cols, row, strict=True)) for row in cursor.fetchall()]

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def insert(self, table: str, row: dict[str, Any]) -> int:
        """Insert a row into a table with an `id` key; returns the new id."""
        cols = ", ".join(row)
        marks = ", ".join("?" * len(row))
        new_id: int = self._run(
            f"INSERT INTO {table} ({cols}) VALUES ({marks}) RETURNING id", list(row.values())
        ).fetchone()[0]
        return new_id

    def upsert(self, table: str, row: dict[str, Any], pk: str | tuple[str, ...]) -> None:
        """Insert, or update the given columns of the row with the same primary key."""
        keys = (pk,) if isinstance(pk, str) else pk
        cols = ", ".join(row)
        marks = ", ".join("?" * len(row))
        changes = ", ".join(f"{c} = excluded.{c}" for c in row if c not in keys)
        action = f"DO UPDATE SET {changes}" if changes else "DO NOTHING"
        self._run(
            f"INSERT INTO {table} ({cols}) VALUES ({marks}) ON CONFLICT ({', '.join(keys)}) {action}",
            list(row.values()),
        )

    def __getitem__(self, table: str) -> Table:
        return Table(self, table)

    def ddl(self, statement: str) -> str:
        """A schema statement with its {id}, {real}, ... type names for this engine."""
        return statement.format(**self.types)

    # ---- engine-specific ----

    @abstractmethod
    def _run(self, sql: str, params: list[Any]) -> Cursor:
        """Run one statement with `?` placeholders; returns the engine's cursor."""

    @abstractmethod
    def atomic(self) -> AbstractContextManager[None]:
        """A transaction (a savepoint when nested): committed on exit, rolled back on an error."""

    @abstractmethod
    def lock(self, key: str) -> None:
        """Inside `atomic()`: another transaction locking the same `key`, in any process, waits
        until this one ends (commit or rollback). Outside a transaction it would hold nothing, so
        it raises."""

    def lock_schema(self) -> None:
        """Inside the migrations' transaction: other processes migrating wait for this one.
        Nothing to do on an engine with one writer (SQLite)."""
        return None

    def notify(self, channel: str) -> None:
        """Tell other replicas (listening on `channel`) that there is new work, at commit.
        Nothing to do on an engine without notifications: replicas fall back to a short poll."""
        return None

    @abstractmethod
    def table_names(self) -> list[str]:
        """The tables in this database, by name."""

    @abstractmethod
    def columns(self, table: str) -> dict[str, type]:
        """A table's columns in order, each with the Python type its values have ({} if no such table)."""

    def lost(self, exc: Exception) -> bool:
        """Whether `exc` means the database cannot be reached for now (try again later), rather than
        a mistake in a statement."""
        return False

    def away_reason(self, exc: Exception) -> str:
        """Why the database is away, for /healthz and the log (no password)."""
        first = str(exc).strip().splitlines()
        return f"{self.describe()} is unreachable ({first[0] if first else type(exc).__name__})"

    def reconnect(self) -> None:
        """Try the database again after it was away: raises while it still is."""
        self.execute("SELECT 1").fetchone()

    def unusable(self, exc: Exception) -> StorageError:
        """The operator's message for a database that opened but cannot be used."""
        return StorageError(f"The {self.engine} database cannot be used ({exc}).")

    def describe(self) -> str:
        """Which database, for /healthz and logs (no password)."""
        return self.engine

    @abstractmethod
    def close(self) -> None:
        """Close the connection."""


class Table:
    """A few sqlite-utils-style verbs over one table (rows with an integer `id` key), in SQL both
    engines speak: for simple reads and writes in storage functions and tests."""

    def __init__(self, db: Db, name: str) -> None:
        self.db, self.name = db, name
        self.last_pk: int | None = None

    def get(self, pk: int) -> Row | None:
        return self.db.one(f"SELECT * FROM {self.name} WHERE id = ?", [pk])

    def rows_where(
        self,
        where: str | None = None,
        params: Sequence[Any] = (),
        *,
        order_by: str | None = None,
        limit: int | None = None,
    ) -> list[Row]:
        sql = f"SELECT * FROM {self.name}"
        if where:
            sql += f" WHERE {where}"
        if order_by:
            sql += f" ORDER BY {order_by}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return self.db.query(sql, params or ())

    @property
    def rows(self) -> list[Row]:
        return self.rows_where()

    @property
    def count(self) -> int:
        count: int = self.db.execute(f"SELECT count(*) FROM {self.name}").fetchone()[0]
        return count

    @property
    def columns_dict(self) -> dict[str, type]:
        """`{column name: Python type}`, as sqlite-utils' `Table.columns_dict` gives it."""
        return self.db.columns(self.name)

    def insert(self, row: dict[str, Any]) -> Table:
        self.last_pk = self.db.insert(self.name, row)
        return self

    def insert_all(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self.insert(row)

    def upsert(self, row: dict[str, Any], pk: str | tuple[str, ...] = "id") -> None:
        self.db.upsert(self.name, row, pk)

    def delete(self, pk: int) -> None:
        self.db.execute(f"DELETE FROM {self.name} WHERE id = ?", [pk])

    def update(self, pk: int, fields: dict[str, Any]) -> None:
        if fields:
            sets = ", ".join(f"{c} = ?" for c in fields)
            self.db.execute(f"UPDATE {self.name} SET {sets} WHERE id = ?", [*fields.values(), pk])

    def delete_where(self, where: str, params: Sequence[Any] = ()) -> None:
        self.db.execute(f"DELETE FROM {self.name} WHERE {where}", params)


@lru_cache(maxsize=1024)
def pyformat(sql: str) -> str:
    """`?` placeholders as psycopg's `%s` (and a literal `%` doubled), leaving quoted text alone."""
    out = []
    for part in re.split(r"('(?:[^']|'')*')", sql):
        if part.startswith("'"):
            out.append(part.replace("%", "%%"))
        else:
            out.append(part.replace("%", "%%").replace("?", "%s"))
    return "".join(out)


def new_replica_id() -> str:
    """`host/pid/random`: unique per process start; host and pid let a restart on the same machine
    take back its predecessor's takes at once instead of waiting out their lease."""
    return f"{socket.gethostname()}/{os.getpid()}/{secrets.token_hex(3)}"


class _Link:
    """Whether the database answers, shared by a Store and its patient view."""

    def __init__(self) -> None:
        self.away = ""  # why, while the database cannot be reached
        self.since = 0.0
        self.back = asyncio.Event()
        self.back.set()
        self.reconnecting: asyncio.Task[None] | None = None


class Store:
    """Runs storage functions on one dedicated thread, so the event loop (and Slack acks) never
    wait on the database. That thread makes nothing atomic: each storage function that decides
    something runs its own transaction (see the module docstring). PostgreSQL is reached with
    psycopg's sync API on this same thread: the storage functions stay one plain-function copy for
    both engines, and each replica needs a single connection (plus one for LISTEN).

    When the connection breaks (a restart, a failover, a locked SQLite file) the store is *away*:
    one line is logged, a reconnect is tried with capped backoff, and `run` raises `DatabaseAway` at
    once, so a person gets an answer instead of a wait. Background work uses `patient()`, a view
    whose `run` instead waits for the database and runs the function then, so takes resume from
    their last committed state with no error loop."""

    def __init__(self, db: Db, replica: str = "", *, quiet: bool = False) -> None:
        self.db = db
        self._say = log.debug if quiet else log.warning  # the going away and coming back
        self.replica = replica or new_replica_id()  # this process, among replicas on one database
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dailies-db")
        self._link = _Link()
        self._patient = False

    def patient(self) -> Store:
        """The same store, whose `run` waits out the database being away instead of raising."""
        view = copy.copy(self)
        view._patient = True
        return view

    @property
    def away(self) -> str:
        """Why the database cannot be reached right now; "" while it answers."""
        return self._link.away

    async def back(self) -> None:
        """Return once the database answers (at once while it does)."""
        await self._link.back.wait()

    @property
    def engine(self) -> str:
        return self.db.engine

    @property
    def Error(self) -> type[Exception]:  # named as Db.Error, the driver's error it is
        """The driver's base error, for a caller that carries on without the database."""
        return self.db.Error

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        link = self._link
        while True:
            if link.away:
                if not self._patient:
                    raise DatabaseAway(link.away)
                await link.back.wait()
                continue
            try:
                return await loop.run_in_executor(self._pool, lambda: fn(self.db, *args, **kwargs))
            except Exception as exc:
                if not self.db.lost(exc):
                    raise
                # one dropped connection (a pooler recycling it) is mended at once; else it is away
                if not await self._mended():
                    self._went_away(exc)
                if not self._patient:
                    raise DatabaseAway(self.db.away_reason(exc)) from None
                # patient: the broken statement's transaction was rolled back; run it again

    async def _mended(self) -> bool:
        if self._link.away:
            return False
        try:
            await asyncio.get_running_loop().run_in_executor(self._pool, self.db.reconnect)
        except Exception:
            return False
        return True

    def _went_away(self, exc: Exception) -> None:
        link = self._link
        if link.away:
            return
        link.away = self.db.away_reason(exc)
        link.since = time.monotonic()
        link.back.clear()
        self._say("database unreachable: %s; pausing database work until it is back", link.away)
        link.reconnecting = asyncio.create_task(self._reconnect(), name="db-reconnect")

    async def _reconnect(self) -> None:
        loop = asyncio.get_running_loop()
        link = self._link
        delay = RECONNECT_FIRST_SECONDS
        while True:
            await asyncio.sleep(delay)
            try:
                await loop.run_in_executor(self._pool, self.db.reconnect)
            except Exception as exc:
                if not self.db.lost(exc):
                    log.warning("database check failed: %s", type(exc).__name__)
                delay = min(delay * 2, RECONNECT_CEILING_SECONDS)
                continue
            self._say("database reachable again after %.1f s", time.monotonic() - link.since)
            link.away = ""
            link.back.set()
            link.reconnecting = None
            return

    async def watch(self, channel: str, on_notify: Callable[[], None]) -> None:
        """Call `on_notify` whenever another replica notifies `channel` (PostgreSQL; SQLite has no
        other writers worth waiting for, and the runner's short poll covers them)."""
        listen = getattr(self.db, "listen", None)
        if listen is not None:
            await listen(channel, on_notify)

    def close(self) -> None:
        if self._link.reconnecting is not None:
            self._link.reconnecting.cancel()
        self._pool.shutdown(wait=True)
        self.db.close()
