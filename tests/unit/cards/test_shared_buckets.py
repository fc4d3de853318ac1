"""The Slack budget shared through the database: two replicas (two Stores, two connections on one
database) draw from one bucket, and a 429 one of them sees pauses the method on the other."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.app import shared_buckets, slack_clients
from bot.config import load_config
from bot.slack.budget import Bucket, SlackBudget, Tier
from bot.slack.shared_buckets import SharedBuckets, bucket_of, row_of
from storage import slack_budget
from storage.db import Store
from storage.engines import connect

NOW = 1_800_000_000.0
TIER = Tier(per_minute=60, burst=5)  # one token a second, five back to back
KEY = ("T1", "chat.update", "")


@pytest.fixture
def replicas(engine, request, tmp_path):
    """Two replicas' budget stores on one fresh database of the test's engine."""
    if engine == "postgresql":
        url = request.getfixturevalue("database_url")
        stores = [Store(connect(database_url=url)) for _ in range(2)]
    else:
        path = tmp_path / "dailies.db"
        stores = [Store(connect(path)) for _ in range(2)]
    yield [SharedBuckets(store) for store in stores]
    for store in stores:
        store.close()


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def test_a_bucket_survives_the_row_it_is_stored_in():
    limited = Bucket(tokens=1.5, at=NOW, paused_until=NOW + 30, scale=0.8, last_429=NOW)
    assert bucket_of(row_of(limited), TIER, NOW) == limited
    never = Bucket(tokens=2.0, at=NOW)
    assert row_of(never)["last_429"] is None  # -inf is no number both engines store
    assert bucket_of(row_of(never), TIER, NOW) == never
    assert bucket_of(None, TIER, NOW) == Bucket(tokens=5.0, at=NOW)


async def test_takes_from_both_replicas_at_once_never_exceed_the_burst_and_the_rate(replicas):
    a, b = replicas

    async def many(now: float, n: int) -> list[float]:
        calls = [(a if i % 2 else b).take(KEY, TIER, now, 0.0) for i in range(n)]
        return await asyncio.gather(*calls)

    waits = await many(NOW, 40)
    assert sum(1 for w in waits if w == 0.0) == 5  # the burst, shared: not 5 for each replica
    # three seconds later: three tokens earned, whichever replica asks
    waits = await many(NOW + 3, 40)
    assert sum(1 for w in waits if w == 0.0) == 3
    assert min(waits) == 0.0 and max(waits) == pytest.approx(1.0)  # the next token in a second
    (row,) = await a.store.run(slack_budget.buckets, "T1")
    assert (row["method"], row["channel_id"], row["tokens"]) == ("chat.update", "", pytest.approx(0.0))


async def test_a_429_on_one_replica_pauses_the_method_for_the_team_on_the_other(replicas):
    a, b = replicas
    assert await b.take(KEY, TIER, NOW, 0.0) == 0.0
    await a.limited(KEY, TIER, NOW + 1, retry_after=30)
    assert await b.paused_until(KEY) == NOW + 31
    assert await b.take(KEY, TIER, NOW + 2, 0.0) == pytest.approx(29.0)
    # other teams and methods are not paused
    assert await b.take(("T2", "chat.update", ""), TIER, NOW + 2, 0.0) == 0.0
    assert await b.take(("T1", "chat.postMessage", ""), TIER, NOW + 2, 0.0) == 0.0
    # after Retry-After, tokens come back at the slowed rate (0.8 of the tier)
    assert await b.take(KEY, TIER, NOW + 31 + 1.3, 0.0) == 0.0


async def test_two_slack_budgets_share_the_pause_and_the_next_call_waits_for_retry_after(replicas):
    clock = Clock()
    one, two = (SlackBudget({"chat.update": TIER}, store=r, clock=clock) for r in replicas)
    try:
        await one.acquire("T1", "chat.update")
        await one.rate_limited("T1", "chat.update", retry_after=20)
        assert await two.paused_for("T1", "chat.update") == 20.0
        waiting = asyncio.create_task(two.acquire("T1", "chat.update"))
        await asyncio.sleep(0.6)  # the dispenser has looked at the shared bucket at least once
        assert not waiting.done() and two.waiting("T1", "chat.update") == 1
        clock.now += 23  # past Retry-After, and a token (beyond the cushion) at the slowed rate
        await asyncio.wait_for(waiting, timeout=5)
    finally:
        await one.close()
        await two.close()


async def test_per_channel_buckets_are_shared_too(replicas):
    a, b = replicas
    channel = ("T1", "chat.postMessage", "C1")
    tier = Tier(per_minute=60, burst=3)
    waits = [await (a, b)[i % 2].take(channel, tier, NOW, 0.0) for i in range(4)]
    assert waits[:3] == [0.0, 0.0, 0.0] and waits[3] == pytest.approx(1.0)
    assert await b.take(("T1", "chat.postMessage", "C2"), tier, NOW, 0.0) == 0.0


async def test_a_lost_connection_costs_one_call_counted_here_then_the_budget_is_shared_again(
    database_url, caplog
):
    a, b = (SharedBuckets(Store(connect(database_url=database_url))) for _ in range(2))
    try:
        assert await a.take(KEY, TIER, NOW, 0.0) == 0.0
        backend = (await a.store.run(lambda db: db.one("SELECT pg_backend_pid() AS pid")))["pid"]
        await b.store.run(lambda db: db.execute("SELECT pg_terminate_backend(?)", [backend]))
        with caplog.at_level(logging.WARNING, logger="bot.slack.shared_buckets"):
            assert await a.take(KEY, TIER, NOW, 0.0) == 0.0  # this replica's own bucket meanwhile
        assert "cannot be reached" in caplog.text
        for _ in range(4):  # reconnected: the shared bucket again (4 left of the burst)
            assert await a.take(KEY, TIER, NOW, 0.0) == 0.0
        assert await b.take(KEY, TIER, NOW, 0.0) > 0
    finally:
        a.close()
        b.close()


def test_several_replicas_share_the_budget_and_one_process_keeps_it_in_memory(database_url, tmp_path):
    config = load_config({"DATABASE_URL": database_url}, dotenv=None)
    main = Store(connect(database_url=database_url))
    buckets = shared_buckets(config, main)
    try:
        assert isinstance(buckets, SharedBuckets) and buckets.store.db is not main.db
        assert slack_clients(config, None, buckets).budget.store is buckets
    finally:
        buckets.close()
        main.close()
    assert shared_buckets(load_config({"DAILIES_DB": str(tmp_path / "d.db")}, dotenv=None), main) is None
