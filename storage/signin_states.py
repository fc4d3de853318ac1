"""Sign in with Slack's pending sign-ins: a single-use state per browser, the nonce its id_token
must carry and the screening-room pass to return to (in the database, so any replica can finish)."""

from __future__ import annotations

from storage.db import Db


def issue(db: Db, state: str, nonce: str, back_to: str, expires_at: float) -> None:
    db.execute(
        "INSERT INTO signin_states (state, nonce, back_to, expires_at) VALUES (?, ?, ?, ?)",
        [state, nonce, back_to, expires_at],
    )


def consume(db: Db, state: str, now: float) -> tuple[str, str] | None:
    """(nonce, back_to) once for a state issued here and not yet expired; expired states are swept."""
    with db.atomic():
        rows = db.query(
            "SELECT nonce, back_to FROM signin_states WHERE state = ? AND expires_at >= ?", [state, now]
        )
        used = db.execute("DELETE FROM signin_states WHERE state = ? AND expires_at >= ?", [state, now])
        db.execute("DELETE FROM signin_states WHERE expires_at < ?", [now])
    if not rows or used.rowcount != 1:
        return None  # another replica consumed it between the read and the delete
    return str(rows[0]["nonce"]), str(rows[0]["back_to"] or "")
