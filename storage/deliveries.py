"""Slack deliveries already handled, so a retried event, command or button press has one effect."""

from __future__ import annotations

from storage.clock import now_iso
from storage.db import Db


def claim(db: Db, key: str, kind: str) -> bool:
    """Record `key`; True the first time, False for a repeat (the unique key does the work, also
    when the repeat lands on another replica at the same moment)."""
    cursor = db.execute(
        "INSERT INTO deliveries (key, kind, at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING",
        [key, kind, now_iso()],
    )
    return cursor.rowcount == 1
