"""Slack's rate limits as one budget per workspace and method, shared by every caller.

Slack counts calls "per API method per workspace per app", so every task that calls a method for a
workspace (cards, uploads, ephemeral answers, App Home, look-ups) draws from one token bucket; a 429
pauses that bucket for `Retry-After`, so every caller waits, and slows it down (a bucket starts at
Slack's rate; each 429 slows it, a calm minute lets it creep back).
The bucket arithmetic is pure (`refill`, `take`, `kept`, `limited`); where buckets live is a `BucketStore`:
in this process by default, small enough (four numbers per key) for a shared table later.
Waiters are served best priority first: new cards and final states before state changes, state
changes before progress ticks, which also leave a reserve in the bucket for the others.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import IntEnum
from typing import Protocol


class Priority(IntEnum):
    URGENT = 0  # new cards, final states, answers a person waits for, uploads
    STATE = 1  # a card's state change (queued → rendering → uploading)
    PROGRESS = 2  # a card's progress tick: coalesced, first to yield when the budget is short


@dataclass(frozen=True)
class Tier:
    per_minute: float
    burst: float  # tokens the bucket holds: how many calls may go back to back

    @property
    def per_second(self) -> float:
        return self.per_minute / 60.0


# Slack's published tiers (Tier 2: 20+/min, Tier 3: 50+/min, Tier 4: 100+/min), at their floor.
# Slack counts in per-minute windows and publishes no burst; a fifth of the minute's calls back to
# back is well inside such a window, and a 429 slows the bucket down if Slack disagrees.
TIER_2, TIER_3, TIER_4 = Tier(20, 4), Tier(50, 10), Tier(100, 20)
TIERS: dict[str, Tier] = {
    "chat.postMessage": Tier(300, 20),  # "several hundred a minute" per workspace, plus the channel's
    "chat.update": TIER_3,
    "chat.delete": TIER_3,
    "chat.postEphemeral": TIER_4,
    "files.getUploadURLExternal": TIER_4,
    "files.completeUploadExternal": TIER_4,
    "files.info": TIER_4,
    "conversations.history": TIER_3,
    "conversations.replies": TIER_3,
    "conversations.info": TIER_3,
    "reactions.add": TIER_3,
    "reactions.remove": TIER_2,
    "views.open": TIER_4,
    "views.push": TIER_4,
    "views.update": TIER_4,
    "views.publish": TIER_4,
    "users.info": TIER_4,
    "auth.test": TIER_4,
    "assistant.threads.setStatus": TIER_4,  # Slack's "special" tier, unpublished: Tier 4's floor
}
DEFAULT_TIER = TIER_2  # a method not in the table
# chat.postMessage also "generally allows one message per second per channel"; configured as
# "chat.postMessage:channel"
PER_CHANNEL: dict[str, Tier] = {"chat.postMessage": Tier(60, 3)}
# what a priority leaves in the bucket for better ones, as a share of the burst
# (state changes keep most of the burst for final states landing in a wave, progress ticks more)
RESERVE = {Priority.URGENT: 0.0, Priority.STATE: 0.7, Priority.PROGRESS: 0.9}
# The margin below Slack's rate adapts to the 429s actually seen (additive increase, multiplicative
# decrease): a bucket starts at the tier's rate, each 429 slows it to SLOWDOWN of its rate (never
# below SLOWEST), and after CALM_SECONDS without one it creeps back up to the tier. A fixed margin
# (95 % once) slows every wave of final states for a 429 that may never come.
SLOWDOWN = 0.8
SLOWEST = 0.5
CALM_SECONDS = 60.0
RECOVERY_PER_SECOND = 0.1 / 60  # a tenth of the tier a minute
# Calls leave on time but reach Slack with jitter: a late call followed by an early one is two calls
# in one token's time. Every caller leaves this many tokens in the bucket (when it holds more than
# one), so Slack's own bucket keeps as many in hand to absorb that, at no cost to the rate.
CUSHION = 1.0


Key = tuple[str, str, str]  # (team, method, channel or "")


@dataclass(frozen=True)
class Bucket:
    """One (team, method[, channel]) budget at time `at`; times are wall-clock seconds."""

    tokens: float
    at: float
    paused_until: float = 0.0
    scale: float = 1.0  # share of the tier's rate in use (adapted down after 429s)
    last_429: float = float("-inf")


def fresh(tier: Tier, now: float) -> Bucket:
    return Bucket(tokens=tier.burst, at=now)


def refill(bucket: Bucket, tier: Tier, now: float) -> Bucket:
    """The bucket at `now`: tokens earned since `at` (none while paused), the rate recovering."""
    start = max(bucket.at, bucket.paused_until)
    earned = max(0.0, now - start) * tier.per_second * bucket.scale
    scale = bucket.scale
    calm_since = bucket.last_429 + CALM_SECONDS
    if scale < 1.0 and now > calm_since:
        scale = min(1.0, scale + (now - max(bucket.at, calm_since)) * RECOVERY_PER_SECOND)
    return replace(
        bucket, tokens=min(tier.burst, bucket.tokens + earned), at=max(now, bucket.at), scale=scale
    )


def take(bucket: Bucket, tier: Tier, now: float, keep: float = 0.0) -> tuple[Bucket, float]:
    """Take one token leaving at least `keep` behind: (bucket, 0.0), or (bucket, seconds to wait)."""
    bucket = refill(bucket, tier, now)
    if now < bucket.paused_until:
        return bucket, bucket.paused_until - now
    short = keep + 1.0 - bucket.tokens
    if short <= 1e-9:
        return replace(bucket, tokens=bucket.tokens - 1.0), 0.0
    return bucket, short / (tier.per_second * bucket.scale)


def kept(priority: Priority, tier: Tier) -> float:
    """Tokens a call at `priority` leaves in the bucket: the cushion, and for a change of state or a
    progress tick the reserve for better ones; a bucket of one token keeps nothing."""
    return min(CUSHION + RESERVE[priority] * tier.burst, tier.burst - 1.0)


def limited(bucket: Bucket, tier: Tier, now: float, retry_after: float) -> Bucket:
    """Slack answered 429: nothing until `retry_after` has passed, then a slower rate for a while."""
    bucket = refill(bucket, tier, now)
    return replace(
        bucket,
        tokens=0.0,
        paused_until=max(bucket.paused_until, now + max(retry_after, 0.0)),
        scale=max(SLOWEST, bucket.scale * SLOWDOWN),
        last_429=now,
    )


class BucketStore(Protocol):
    """Where buckets live; each call is atomic for its key (a row lock in a shared database)."""

    async def take(self, key: Key, tier: Tier, now: float, keep: float) -> float: ...

    async def limited(self, key: Key, tier: Tier, now: float, retry_after: float) -> None: ...

    async def paused_until(self, key: Key) -> float: ...


class InProcessBuckets:
    """Buckets in a dict: one process sees every call it makes, so no locking is needed."""

    def __init__(self) -> None:
        self.buckets: dict[Key, Bucket] = {}

    async def take(self, key: Key, tier: Tier, now: float, keep: float) -> float:
        bucket, wait = take(self.buckets.get(key) or fresh(tier, now), tier, now, keep)
        self.buckets[key] = bucket
        return wait

    async def limited(self, key: Key, tier: Tier, now: float, retry_after: float) -> None:
        self.buckets[key] = limited(self.buckets.get(key) or fresh(tier, now), tier, now, retry_after)

    async def paused_until(self, key: Key) -> float:
        bucket = self.buckets.get(key)
        return bucket.paused_until if bucket else 0.0


class SlackBudget:
    """Every Slack call waits here for its (team, method) token, best priority first."""

    def __init__(
        self,
        tiers: Mapping[str, Tier] | None = None,
        *,
        store: BucketStore | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.tiers = {**TIERS, **(tiers or {})}
        self.store = store or InProcessBuckets()
        self.clock = clock
        self.limited_count = 0  # 429s reported (for logs and the bench)
        self._waiters: dict[Key, list[tuple[int, int, asyncio.Future]]] = {}
        self._dispensers: dict[Key, asyncio.Task] = {}
        self._seq = itertools.count()

    def tier(self, method: str, channel: str = "") -> Tier:
        """The bucket a call draws from: Slack's tier (the bucket's `scale` adapts its rate)."""
        if channel:
            return self.tiers.get(f"{method}:channel") or PER_CHANNEL[method]
        return self.tiers.get(method, DEFAULT_TIER)

    def keys(self, team: str, method: str, channel: str = "") -> list[Key]:
        """The buckets one call draws from: the workspace's, and for chat.postMessage the channel's."""
        keys = [(team, method, "")]
        if channel and method in PER_CHANNEL:
            keys.append((team, method, channel))
        return keys

    async def acquire(
        self, team: str, method: str, *, channel: str = "", priority: Priority = Priority.URGENT
    ) -> None:
        for key in self.keys(team, method, channel):
            await self._acquire(key, priority)

    async def _acquire(self, key: Key, priority: Priority) -> None:
        if not self._waiters.get(key) and await self._take(key, priority) == 0.0:
            return
        fut = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters.setdefault(key, []), (int(priority), next(self._seq), fut))
        task = self._dispensers.get(key)
        if task is None or task.done():
            self._dispensers[key] = asyncio.create_task(self._dispense(key), name=f"budget-{key[1]}")
        await fut  # a cancelled waiter is skipped by the dispenser

    async def _take(self, key: Key, priority: Priority) -> float:
        tier = self.tier(key[1], key[2])
        return await self.store.take(key, tier, self.clock(), kept(priority, tier))

    async def _dispense(self, key: Key) -> None:
        """Hand tokens to this key's waiters, best priority first, as the bucket refills."""
        heap = self._waiters[key]
        while heap:
            priority, _, fut = heap[0]
            if fut.done():
                heapq.heappop(heap)
                continue
            wait = await self._take(key, Priority(priority))
            if wait > 0:
                # short naps: a better waiter may arrive meanwhile, and a pause may be extended
                await asyncio.sleep(min(wait, 0.5))
                continue
            while heap:  # the token goes to the first waiter still waiting
                _, _, fut = heapq.heappop(heap)
                if not fut.done():
                    fut.set_result(None)
                    break
        self._waiters.pop(key, None)

    async def rate_limited(self, team: str, method: str, retry_after: float, *, channel: str = "") -> None:
        """Slack answered 429 for this call: pause the method for the workspace (and the channel)."""
        self.limited_count += 1
        now = self.clock()
        for key in self.keys(team, method, channel):
            if key[2] and not channel:
                continue
            await self.store.limited(key, self.tier(key[1], key[2]), now, retry_after)

    async def paused_for(self, team: str, method: str) -> float:
        """Seconds until this method may be called again for the workspace (0 when not paused)."""
        return max(0.0, await self.store.paused_until((team, method, "")) - self.clock())

    def waiting(self, team: str, method: str) -> int:
        return sum(1 for _, _, fut in self._waiters.get((team, method, ""), ()) if not fut.done())

    async def close(self) -> None:
        for task in self._dispensers.values():
            task.cancel()
        await asyncio.gather(*self._dispensers.values(), return_exceptions=True)
