"""The Slack budget's token buckets, shared by every replica on one database: one row per
(workspace, method, channel or ""), holding the few numbers of its bucket. The arithmetic is the
caller's (`change`, run while the row is locked), so each change is atomic for its key across
processes: a row lock on PostgreSQL (`FOR UPDATE`), the single writer's transaction on SQLite."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from storage.db import Db

T = TypeVar("T")

COLUMNS = ("tokens", "at", "paused_until", "scale", "last_429")
_SELECT = (
    f"SELECT {', '.join(COLUMNS)} FROM slack_buckets WHERE team_id = ? AND method = ? AND channel_id = ?"
)
_UPDATE = (
    f"UPDATE slack_buckets SET {', '.join(f'{c} = ?' for c in COLUMNS)} "
    "WHERE team_id = ? AND method = ? AND channel_id = ?"
)


def change_bucket(
    db: Db,
    team: str,
    method: str,
    channel: str,
    change: Callable[[dict[str, Any] | None], tuple[dict[str, Any], T]],
) -> T:
    """Lock the bucket's row, give its numbers to `change` (None for a bucket never used: a
    full one), store the numbers it returns and return its result; one transaction."""
    key = [team, method, channel]
    with db.atomic():
        row = db.one(_SELECT + db.for_update, key)
        if row is None:
            # a first use: the row must exist to be locked; a replica inserting it at the same
            # moment makes this wait for its commit, then both go on to the locking read
            db.execute(
                "INSERT INTO slack_buckets (team_id, method, channel_id) VALUES (?, ?, ?) "
                "ON CONFLICT (team_id, method, channel_id) DO NOTHING",
                key,
            )
            row = db.one(_SELECT + db.for_update, key)
        numbers, result = change(None if row is None or row["tokens"] is None else row)
        db.execute(_UPDATE, [*(numbers[c] for c in COLUMNS), *key])
    return result


def paused_until(db: Db, team: str, method: str, channel: str = "") -> float:
    """Until when (Unix time) Slack asked for this method to be left alone; 0.0 when it did not."""
    row = db.one(
        "SELECT paused_until FROM slack_buckets WHERE team_id = ? AND method = ? AND channel_id = ?",
        [team, method, channel],
    )
    return (row["paused_until"] or 0.0) if row else 0.0


def buckets(db: Db, team: str) -> list[dict[str, Any]]:
    """A workspace's buckets (for tests and the operator): key columns and numbers."""
    return db.query("SELECT * FROM slack_buckets WHERE team_id = ? ORDER BY method, channel_id", [team])
