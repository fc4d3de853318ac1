"""Slack Events API deliveries written down before they are acknowledged, so an event acked just
before the database went away is still handled once it is back (by whichever replica claims it)."""

from __future__ import annotations

import json
from typing import Any

from storage.db import Db


def receive(
    db: Db, team_id: str, event_id: str, body: dict[str, Any], replica: str, now: float, lease: float
) -> bool:
    """Store a delivery, claimed by `replica` to handle now; one short statement, committed before
    the ack. False for a retry of an event already in the inbox (its holder handles it)."""
    cursor = db.execute(
        "INSERT INTO event_inbox (event_id, team_id, body, received_at, claimed_by, claimed_until) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING",
        [event_id, team_id, json.dumps(body), now, replica, now + lease],
    )
    return cursor.rowcount == 1


def reclaim(db: Db, event_id: str, replica: str, now: float, lease: float) -> bool:
    """Hold an event again to retry it: True while it is still this replica's (or its lease lapsed and
    no one else took it meanwhile); False when it is gone or another replica holds it."""
    cursor = db.execute(
        "UPDATE event_inbox SET claimed_by = ?, claimed_until = ? "
        "WHERE event_id = ? AND (claimed_by = ? OR claimed_until < ?)",
        [replica, now + lease, event_id, replica, now],
    )
    return cursor.rowcount == 1


def claim_stale(
    db: Db, replica: str, now: float, lease: float, limit: int
) -> list[tuple[str, dict[str, Any]]]:
    """Claim events whose holder stopped (killed, or away longer than its lease), oldest first:
    (event_id, body) each. Replicas claiming at once skip each other's rows on PostgreSQL."""
    rows = db.execute(
        "WITH stale AS MATERIALIZED (SELECT event_id FROM event_inbox WHERE claimed_until < ? "
        f"ORDER BY received_at LIMIT ?{db.skip_locked}) "
        "UPDATE event_inbox SET claimed_by = ?, claimed_until = ? "
        "WHERE event_id IN (SELECT event_id FROM stale) RETURNING event_id, body, received_at",
        [now, limit, replica, now + lease],
    ).fetchall()
    return [(r[0], json.loads(r[1])) for r in sorted(rows, key=lambda r: (r[2], r[0]))]


def retry(db: Db, key: str) -> None:
    """Before handling an event again after its attempt broke off (the database went away): the
    attempt's own record of the delivery (`deliveries` key `key`) is dropped, so the retry is not
    taken for a repeat. The inbox row being held by one replica at a time, no other attempt made it."""
    db.execute("DELETE FROM deliveries WHERE key = ?", [key])


def handled(db: Db, event_id: str) -> None:
    """The event is handled (or failed for good): out of the inbox. A later retry from Slack is
    stored again and dropped as a repeat by the handler's own record in `deliveries`."""
    db.execute("DELETE FROM event_inbox WHERE event_id = ?", [event_id])


def waiting(db: Db) -> int:
    """How many events are in the inbox (received, not yet handled)."""
    row = db.execute("SELECT count(*) FROM event_inbox").fetchone()
    return int(row[0])
