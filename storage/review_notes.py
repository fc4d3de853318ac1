"""Review notes: replies in a job's thread that were conversation, each kept on the version it is
about, with its author, time and the moment it points at; edited and deleted with its message."""

from __future__ import annotations

from typing import Any

from storage.clock import now_iso
from storage.db import Db


def add(
    db: Db,
    team_id: str,
    channel_id: str,
    ts: str,
    *,
    shot_id: int,
    take_id: int | None,
    user_id: str,
    text: str,
    timecode: float | None,
) -> int | None:
    """Keep the note; None when its message is already a note (Slack sent it twice)."""
    row = db.one(
        "INSERT INTO review_notes (team_id, channel_id, ts, shot_id, take_id, user_id, text, timecode, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (team_id, channel_id, ts) DO NOTHING "
        "RETURNING id",
        [team_id, channel_id, ts, shot_id, take_id, user_id, text, timecode, now_iso()],
    )
    return row["id"] if row else None


def get(db: Db, note_id: int) -> dict[str, Any] | None:
    return db.one("SELECT * FROM review_notes WHERE id = ?", [note_id])


def set_offer(db: Db, note_id: int, version: int) -> None:
    """The version an offer to render this note would make: the offer is stale once it exists."""
    db.execute("UPDATE review_notes SET offer_version = ? WHERE id = ?", [version, note_id])


def edit(db: Db, team_id: str, channel_id: str, ts: str, text: str, timecode: float | None) -> int | None:
    """The note of that message takes its new text; its shot id, or None when it is no note."""
    row = db.one(
        "UPDATE review_notes SET text = ?, timecode = ?, edited_at = ? "
        "WHERE team_id = ? AND channel_id = ? AND ts = ? RETURNING shot_id",
        [text, timecode, now_iso(), team_id, channel_id, ts],
    )
    return row["shot_id"] if row else None


def remove(db: Db, team_id: str, channel_id: str, ts: str) -> int | None:
    """Forget the note of a deleted message; its shot id, or None when it was no note."""
    row = db.one(
        "DELETE FROM review_notes WHERE team_id = ? AND channel_id = ? AND ts = ? RETURNING shot_id",
        [team_id, channel_id, ts],
    )
    return row["shot_id"] if row else None


def for_shot(db: Db, shot_id: int) -> list[dict[str, Any]]:
    """The shot's notes, oldest first."""
    return db.query("SELECT * FROM review_notes WHERE shot_id = ? ORDER BY ts, id", [shot_id])


def counts(db: Db, shot_ids: list[int]) -> dict[int, int]:
    """take id -> how many notes it has, for these shots."""
    if not shot_ids:
        return {}
    marks = ",".join("?" * len(shot_ids))
    rows = db.query(
        f"SELECT take_id, count(*) AS n FROM review_notes WHERE shot_id IN ({marks}) "
        "AND take_id IS NOT NULL GROUP BY take_id",
        list(shot_ids),
    )
    return {r["take_id"]: r["n"] for r in rows}
