"""The event inbox in one process, on a SQLite file another connection can lock: an event is not
acknowledged while it cannot be stored, one acknowledged just before the database went away is
handled once it is back (its broken-off attempt's delivery record dropped), and an event a stopped
replica held is taken over by the sweep."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.slack.inbox import EventInbox
from storage import deliveries, event_inbox
from storage.db import Store
from storage.engines import connect


def body(event_id: str) -> dict:
    event = {"type": "app_mention", "user": "U1", "text": "<@UBOT> hi", "channel": "C1", "ts": "1.1"}
    return {"type": "event_callback", "team_id": "T1", "event_id": event_id, "event": event}


def short_busy_wait(db) -> None:
    db.execute("PRAGMA busy_timeout=50")


def note(db, event_id: str) -> None:
    db.execute("INSERT INTO meta (key, value) VALUES (?, 'handled')", [f"note:{event_id}"])


def notes(db) -> list[str]:
    return [r["key"] for r in db.query("SELECT key FROM meta WHERE key LIKE 'note:%' ORDER BY key")]


class Listening:
    """A Bolt app whose app_mention listener records its delivery, waits on `gate`, then writes a note."""

    def __init__(self, store: Store) -> None:
        self.gate = asyncio.Event()
        self.gate.set()
        self.told: list[Exception] = []
        self.runs = 0

        async def authorize() -> AuthorizeResult:
            return AuthorizeResult(enterprise_id=None, team_id="T1", bot_token="xoxb-1", bot_user_id="UBOT")

        self.app = AsyncApp(authorize=authorize, request_verification_enabled=False)

        async def on_mention(body: dict) -> None:
            self.runs += 1
            if not await store.run(deliveries.claim, f"ev:{body['event_id']}", "app_mention"):
                return
            await self.gate.wait()
            await store.run(note, body["event_id"])

        async def on_error(error: Exception) -> None:
            self.told.append(error)

        self.app.event("app_mention")(on_mention)
        self.app.error(on_error)


@pytest.fixture
async def store(tmp_path):
    store = Store(connect(tmp_path / "dailies.db"), replica="r1")
    await store.run(short_busy_wait)
    yield store
    store.close()


@pytest.fixture
def lock(tmp_path):
    """Take the file's write lock as another process would; returns the release."""
    conn = sqlite3.connect(tmp_path / "dailies.db", isolation_level=None)

    def take():
        conn.execute("BEGIN IMMEDIATE")
        return lambda: conn.execute("ROLLBACK")

    yield take
    conn.close()


async def eventually(check, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        assert loop.time() < deadline, "condition never held"
        await asyncio.sleep(0.02)


async def deliver(app: AsyncApp, payload: dict) -> int:
    return (await app.async_dispatch(AsyncBoltRequest(body=payload, mode="socket_mode"))).status


async def test_an_event_that_cannot_be_stored_is_not_acknowledged(store, lock):
    bot = Listening(store)
    EventInbox(store, bot.app).attach()
    release = lock()
    assert await deliver(bot.app, body("Ev1")) == 503
    release()
    await eventually(lambda: asyncio.sleep(0, store.away == ""))
    assert await deliver(bot.app, body("Ev1")) == 200  # Slack's retry
    await eventually(lambda: store.patient().run(lambda db: notes(db) == ["note:Ev1"]))
    assert bot.runs == 1 and bot.told == []


async def test_an_event_acknowledged_before_the_database_went_away_is_handled_once_it_is_back(store, lock):
    bot = Listening(store)
    inbox = EventInbox(store, bot.app)
    inbox.attach()
    bot.gate.clear()
    assert await deliver(bot.app, body("Ev1")) == 200
    await eventually(lambda: asyncio.sleep(0, bot.runs == 1))  # its delivery recorded, then waiting
    release = lock()
    bot.gate.set()  # its note fails: the database is away
    await eventually(lambda: asyncio.sleep(0, bool(store.away)))
    release()
    await eventually(lambda: store.patient().run(lambda db: notes(db) == ["note:Ev1"]))
    await eventually(lambda: store.patient().run(lambda db: event_inbox.waiting(db) == 0))
    assert bot.runs == 2, "run again, and not taken for a repeat of itself"
    assert bot.told == [], "no one is told it failed: it did not"
    assert await deliver(bot.app, body("Ev1")) == 200  # a late retry from Slack: a repeat
    await eventually(lambda: store.patient().run(lambda db: event_inbox.waiting(db) == 0))
    assert await store.run(notes) == ["note:Ev1"]
    await inbox.close()


async def test_an_event_a_stopped_replica_held_is_taken_over_by_the_sweep(store):
    await store.run(event_inbox.receive, "T1", "Ev1", body("Ev1"), "gone", 0.0, 60.0)
    bot = Listening(store)
    inbox = EventInbox(store, bot.app)
    inbox.attach()
    inbox.start()
    try:
        await eventually(lambda: store.patient().run(lambda db: notes(db) == ["note:Ev1"]))
        await eventually(lambda: store.patient().run(lambda db: event_inbox.waiting(db) == 0))
    finally:
        await inbox.close()
