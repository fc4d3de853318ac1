"""The Slack budget's buckets in the database, so every replica draws from the same ones: Slack
counts per workspace and method whichever process calls, and a 429 one replica receives pauses that
method for the workspace on all of them (its `paused_until` is in the shared row).

Each call locks its key's row, applies budget.py's pure arithmetic (`take`, `limited`) and writes
the bucket back, in one transaction on the budget's own connection (so a Slack call never queues
behind the replica's other queries). If the database cannot be reached, this replica keeps a
budget of its own meanwhile rather than stopping its Slack calls."""

from __future__ import annotations

import logging
import math

from bot.slack.budget import Bucket, InProcessBuckets, Key, Tier, fresh, limited, take
from storage import slack_budget
from storage.db import DatabaseAway, Store

log = logging.getLogger(__name__)


def bucket_of(row: dict | None, tier: Tier, now: float) -> Bucket:
    """A stored row as a Bucket; a key never used is a full bucket."""
    if row is None:
        return fresh(tier, now)
    last = row["last_429"]
    return Bucket(
        tokens=row["tokens"],
        at=row["at"],
        paused_until=row["paused_until"] or 0.0,
        scale=row["scale"] or 1.0,
        last_429=float("-inf") if last is None else last,
    )


def row_of(bucket: Bucket) -> dict:
    return {
        "tokens": bucket.tokens,
        "at": bucket.at,
        "paused_until": bucket.paused_until,
        "scale": bucket.scale,
        "last_429": bucket.last_429 if math.isfinite(bucket.last_429) else None,
    }


class SharedBuckets:
    """A `BucketStore` over the `slack_buckets` table; `store` is best a Store of its own."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.local = InProcessBuckets()  # only while the database cannot be reached
        self._unreachable = False

    async def take(self, key: Key, tier: Tier, now: float, keep: float) -> float:
        def taken(row: dict | None) -> tuple[dict, float]:
            bucket, wait = take(bucket_of(row, tier, now), tier, now, keep)
            return row_of(bucket), wait

        try:
            wait = await self.store.run(slack_budget.change_bucket, *key, taken)
        except (self.store.Error, DatabaseAway) as exc:
            self._lost(exc)
            return await self.local.take(key, tier, now, keep)
        self._found()
        return wait

    async def limited(self, key: Key, tier: Tier, now: float, retry_after: float) -> None:
        def paused(row: dict | None) -> tuple[dict, None]:
            return row_of(limited(bucket_of(row, tier, now), tier, now, retry_after)), None

        try:
            await self.store.run(slack_budget.change_bucket, *key, paused)
        except (self.store.Error, DatabaseAway) as exc:
            self._lost(exc)
            await self.local.limited(key, tier, now, retry_after)

    async def paused_until(self, key: Key) -> float:
        try:
            return await self.store.run(slack_budget.paused_until, *key)
        except (self.store.Error, DatabaseAway) as exc:
            self._lost(exc)
            return await self.local.paused_until(key)

    def close(self) -> None:
        self.store.close()

    def _lost(self, exc: Exception) -> None:
        if not self._unreachable:
            log.warning(
                "Slack budget: the database cannot be reached (%s); this replica counts its own calls "
                "until it is back",
                type(exc).__name__,
            )
        self._unreachable = True

    def _found(self) -> None:
        if self._unreachable:
            log.info("Slack budget: shared through the database again")
            self._unreachable = False
            self.local = InProcessBuckets()
