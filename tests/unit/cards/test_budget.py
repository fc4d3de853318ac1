"""The shared Slack budget: the pure bucket, priority order among waiters, and a 429 pausing a
method for every caller (against a stand-in that enforces Slack's tiers)."""

from __future__ import annotations

import asyncio

import pytest

from bot.slack.budget import (
    CUSHION,
    RESERVE,
    SLOWDOWN,
    SLOWEST,
    Bucket,
    Priority,
    SlackBudget,
    Tier,
    fresh,
    kept,
    limited,
    refill,
    take,
)
from bot.slack.clients import SlackClients
from tests.fakes.slack import BOT_TOKEN
from tests.fakes.slack_tiers import TieredSlack

TIER = Tier(per_minute=60, burst=3)  # one token a second


def test_a_full_bucket_allows_its_burst_then_one_call_per_token():
    bucket = fresh(TIER, now=100.0)
    for _ in range(3):
        bucket, wait = take(bucket, TIER, 100.0)
        assert wait == 0.0
    bucket, wait = take(bucket, TIER, 100.0)
    assert wait == pytest.approx(1.0)
    bucket, wait = take(bucket, TIER, 101.0)
    assert wait == 0.0 and bucket.tokens == pytest.approx(0.0)


def test_the_budget_starts_at_slacks_rate_and_keeps_a_cushion_for_jitter():
    """No fixed margin on the rate: calls reaching Slack late then early are absorbed by a token
    every caller leaves in the bucket (none in a bucket of one)."""
    budget = SlackBudget({"chat.update": Tier(per_minute=50, burst=10)})
    assert budget.tier("chat.update") == Tier(per_minute=50, burst=10)
    assert fresh(budget.tier("chat.update"), 0.0).scale == 1.0
    assert kept(Priority.URGENT, Tier(50, 10)) == CUSHION
    assert kept(Priority.URGENT, Tier(600, 1)) == 0.0


def test_the_rate_adapts_to_the_429s_seen_down_at_once_and_up_slowly():
    bucket = fresh(TIER, 0.0)
    once = limited(bucket, TIER, now=0.0, retry_after=0)
    twice = limited(once, TIER, now=1.0, retry_after=0)
    assert once.scale == SLOWDOWN and twice.scale == pytest.approx(SLOWDOWN**2), "each 429 slows it"
    calm = [refill(twice, TIER, 1.0 + minutes * 60).scale for minutes in (1, 2, 3, 5, 10)]
    assert calm == sorted(calm) and calm[0] == twice.scale < calm[2], "a quiet minute, then up"
    assert calm[-1] == 1.0, "back at the tier, never above"


def test_a_bucket_never_holds_more_than_its_burst():
    assert refill(Bucket(tokens=0.0, at=0.0), TIER, now=3600.0).tokens == TIER.burst


def test_a_429_pauses_the_bucket_for_retry_after_and_slows_it_down():
    bucket = limited(fresh(TIER, 100.0), TIER, now=100.0, retry_after=30)
    assert bucket.tokens == 0 and bucket.paused_until == 130.0
    assert take(bucket, TIER, 129.0)[1] == pytest.approx(1.0), "nothing before Retry-After"
    # no tokens are earned while paused; afterwards at the slowed rate
    assert take(bucket, TIER, 130.5)[1] > 0
    assert bucket.scale < 1.0
    for _ in range(20):
        bucket = limited(bucket, TIER, 130.0, 0)
    assert bucket.scale == SLOWEST, "never slower than the floor"


def test_the_rate_recovers_after_a_calm_minute():
    bucket = limited(fresh(TIER, 0.0), TIER, now=0.0, retry_after=1)
    assert refill(bucket, TIER, 30.0).scale == bucket.scale, "not within the minute after a 429"
    assert refill(bucket, TIER, 60.0 + 600.0).scale == 1.0


def test_lower_priorities_leave_a_reserve():
    tier = Tier(per_minute=60, burst=10)
    bucket = Bucket(tokens=4.0, at=0.0)
    assert take(bucket, tier, 0.0, keep=RESERVE[Priority.URGENT] * tier.burst)[1] == 0.0
    assert take(bucket, tier, 0.0, keep=RESERVE[Priority.PROGRESS] * tier.burst)[1] > 0, "5 kept back"


async def test_waiters_are_served_best_priority_first():
    budget = SlackBudget({"chat.update": Tier(per_minute=600, burst=1)})
    await budget.acquire("T1", "chat.update")  # the bucket is empty now
    served: list[str] = []

    async def call(name: str, priority: Priority) -> None:
        await budget.acquire("T1", "chat.update", priority=priority)
        served.append(name)

    waiters = [
        asyncio.create_task(call("progress", Priority.PROGRESS)),
        asyncio.create_task(call("state", Priority.STATE)),
        asyncio.create_task(call("final", Priority.URGENT)),
    ]
    await asyncio.gather(*waiters)
    await budget.close()
    assert served == ["final", "state", "progress"]


async def test_each_workspace_and_method_has_its_own_budget():
    budget = SlackBudget({"chat.update": Tier(per_minute=1, burst=1)})
    await budget.acquire("T1", "chat.update")
    await budget.rate_limited("T1", "chat.update", 60)
    # neither another workspace's chat.update nor this workspace's other methods wait
    await asyncio.wait_for(budget.acquire("T2", "chat.update"), 1)
    await asyncio.wait_for(budget.acquire("T1", "chat.postEphemeral"), 1)
    assert await budget.paused_for("T1", "chat.update") > 50
    assert await budget.paused_for("T2", "chat.update") == 0
    await budget.close()


async def test_after_a_429_no_caller_calls_that_method_before_retry_after():
    slack = TieredSlack()
    await slack.start()
    budget = SlackBudget()
    clients = SlackClients(token=BOT_TOKEN, base_url=slack.api_url, budget=budget)
    try:
        posted = await clients.durable.chat_postMessage(channel="C1", text="card")
        slack.fail_next("chat.update", status=429, headers={"Retry-After": "1"})
        first = asyncio.create_task(clients.durable.chat_update(channel="C1", ts=posted["ts"], text="v1"))
        while not await budget.paused_for("", "chat.update"):  # the 429 has come back
            await asyncio.sleep(0.01)
        # cards (durable) and an answer (interactive) want chat.update while it is paused
        await asyncio.gather(
            first,
            *(clients.durable.chat_update(channel="C1", ts=posted["ts"], text=f"v{n}") for n in (2, 3)),
            clients.interactive.chat_update(channel="C1", ts=posted["ts"], text="answer"),
        )
    finally:
        await budget.close()
        await slack.stop()
    updates = slack.calls_to("chat.update")
    assert len(updates) == 5, "the refused call and four that landed"
    after = [round(c.at - updates[0].at, 3) for c in updates[1:]]
    assert min(after) >= 1.0, f"a caller went before Retry-After: {after}"
    assert budget.limited_count == 1 and not slack.limited, "the budget kept within Slack's tiers"
