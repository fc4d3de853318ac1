"""Slack deliveries already handled, so a retried event, command or button press has one effect."""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database

from storage.clock import now_iso


def claim(db: Database, key: str, kind: str) -> bool:
    """Record `key`; True the first time, False for a repeat (the unique key does the work)."""
    try:
        db.execute("INSERT INTO deliveries (key, kind, at) VALUES (?, ?, ?)", [key, kind, now_iso()])
    except sqlite3.IntegrityError:
        return False
    return True
