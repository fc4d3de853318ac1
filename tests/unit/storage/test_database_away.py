"""The store when its database is away (here a SQLite file another process holds locked): a
person's call fails at once with DatabaseAway, background work waits and then runs exactly once."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from storage.db import DatabaseAway, Store
from storage.engines import connect


def insert_note(db, text: str) -> int:
    with db.atomic():
        db.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, text TEXT)")
        return db.insert("notes", {"text": text})


def short_busy_wait(db) -> None:
    db.execute("PRAGMA busy_timeout=50")


@pytest.fixture
async def store(tmp_path):
    store = Store(connect(tmp_path / "dailies.db"))
    await store.run(short_busy_wait)
    await store.run(insert_note, "before")
    yield store
    store.close()


@pytest.fixture
def other_writer(tmp_path):
    """Another process' connection holding the file's write lock until released."""
    conn = sqlite3.connect(tmp_path / "dailies.db", isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    yield conn
    if conn.in_transaction:
        conn.execute("ROLLBACK")
    conn.close()


async def test_a_locked_file_is_a_clear_error_then_everything_written_once(store, other_writer, tmp_path):
    with pytest.raises(DatabaseAway, match="locked by another process"):
        await store.run(insert_note, "during")
    assert "locked" in store.away
    with pytest.raises(DatabaseAway):  # known away: answered without waiting on the file again
        await store.run(insert_note, "during")

    waiting = asyncio.create_task(store.patient().run(insert_note, "background"))
    await asyncio.sleep(0.3)
    assert not waiting.done(), "background work waits for the database"
    other_writer.execute("ROLLBACK")
    await asyncio.wait_for(waiting, 10)
    assert store.away == ""

    rows = store.db.query("SELECT text FROM notes ORDER BY id")
    assert [r["text"] for r in rows] == ["before", "background"]
    check = sqlite3.connect(tmp_path / "dailies.db")
    assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    check.close()


async def test_a_statement_error_is_not_the_database_away(store):
    with pytest.raises(store.db.Error):
        await store.run(lambda db: db.execute("SELECT * FROM no_such_table"))
    assert store.away == ""
