"""Workspaces that installed Dailies through OAuth (one row per workspace: its bot token, and the
refresh token when rotation is on), the OAuth states handed to browsers, and the claim that lets
one replica at a time refresh a workspace's token (Slack's refresh tokens work once)."""

from __future__ import annotations

from typing import Any

from storage.db import Db
from storage.states import JOB_UNFINISHED, JobState, TakeState

COLUMNS = (
    "team_id",
    "enterprise_id",
    "team_name",
    "enterprise_name",
    "app_id",
    "bot_id",
    "bot_user_id",
    "bot_token",
    "bot_scopes",
    "bot_refresh_token",
    "bot_token_expires_at",
    "user_id",
    "is_enterprise_install",
    "token_type",
    "installed_at",
)


def save_installation(db: Db, row: dict[str, Any]) -> None:
    """Store a workspace's installation (the latest install wins); a refresh claim survives it, and
    a workspace that had removed Dailies is no longer due for its purge."""
    values = {c: row.get(c) for c in COLUMNS}
    values["is_enterprise_install"] = 1 if row.get("is_enterprise_install") else 0
    values["team_id"] = row.get("team_id") or ""
    with db.atomic():
        db.upsert("slack_installations", values, pk="team_id")
        db.execute("DELETE FROM departures WHERE team_id = ?", [values["team_id"]])


def find_installation(db: Db, team_id: str) -> dict[str, Any] | None:
    return db.one("SELECT * FROM slack_installations WHERE team_id = ?", [team_id or ""])


def delete_installation(db: Db, team_id: str) -> bool:
    """Forget the workspace's tokens; True if there was an installation."""
    return db.execute("DELETE FROM slack_installations WHERE team_id = ?", [team_id or ""]).rowcount > 0


def token_rows(db: Db) -> list[dict[str, Any]]:
    """Each workspace's stored tokens, as stored (sealed or not)."""
    return db.query("SELECT team_id, bot_token, bot_refresh_token FROM slack_installations ORDER BY team_id")


def replace_tokens(db: Db, old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Store `new`'s tokens for the workspace if it still holds `old`'s (one UPDATE decides)."""
    cursor = db.execute(
        "UPDATE slack_installations SET bot_token = ?, bot_refresh_token = ? WHERE team_id = ? "
        "AND bot_token IS NOT DISTINCT FROM ? AND bot_refresh_token IS NOT DISTINCT FROM ?",
        [
            new["bot_token"],
            new["bot_refresh_token"],
            old["team_id"],
            old["bot_token"],
            old["bot_refresh_token"],
        ],
    )
    return cursor.rowcount == 1


def expiring(db: Db, before: float) -> list[str]:
    """Workspaces whose bot token expires before `before` (Unix time) and can be refreshed."""
    rows = db.query(
        "SELECT team_id FROM slack_installations WHERE bot_refresh_token IS NOT NULL "
        "AND bot_token_expires_at IS NOT NULL AND bot_token_expires_at < ? ORDER BY bot_token_expires_at",
        [before],
    )
    return [r["team_id"] for r in rows]


def claim_refresh(db: Db, team_id: str, holder: str, now: float, seconds: float) -> bool:
    """Claim the right to refresh the team's token for `seconds`; False while another holds it.
    One UPDATE decides, so two replicas never spend the same single-use refresh token."""
    cursor = db.execute(
        "UPDATE slack_installations SET refresher = ?, refresh_until = ? "
        "WHERE team_id = ? AND (refresher IS NULL OR refresh_until < ? OR refresher = ?)",
        [holder, now + seconds, team_id, now, holder],
    )
    return cursor.rowcount == 1


def finish_refresh(
    db: Db, team_id: str, holder: str, token: str, refresh_token: str | None, expires_at: float
) -> bool:
    """Store the refreshed tokens and release the claim; False if the claim was lost meanwhile."""
    cursor = db.execute(
        "UPDATE slack_installations SET bot_token = ?, bot_refresh_token = ?, bot_token_expires_at = ?, "
        "refresher = NULL, refresh_until = NULL WHERE team_id = ? AND refresher = ?",
        [token, refresh_token, expires_at, team_id, holder],
    )
    return cursor.rowcount == 1


def release_refresh(db: Db, team_id: str, holder: str) -> None:
    db.execute(
        "UPDATE slack_installations SET refresher = NULL, refresh_until = NULL "
        "WHERE team_id = ? AND refresher = ?",
        [team_id, holder],
    )


def issue_state(db: Db, state: str, expires_at: float) -> None:
    db.execute("INSERT INTO slack_oauth_states (state, expires_at) VALUES (?, ?)", [state, expires_at])


def consume_state(db: Db, state: str, now: float) -> bool:
    """True once for a state issued here and not yet expired; expired states are swept."""
    with db.atomic():
        used = db.execute(
            "DELETE FROM slack_oauth_states WHERE state = ? AND expires_at >= ?", [state, now]
        ).rowcount
        db.execute("DELETE FROM slack_oauth_states WHERE expires_at < ?", [now])
    return used == 1


def stop_team_jobs(db: Db, team_id: str, note: str) -> list[int]:
    """End every unfinished job of a workspace that removed Dailies (cancelled, nothing charged);
    returns their ids so the runner can stop the takes it is running."""
    from storage import jobs as jobs_db

    marks = ", ".join("?" * len(JOB_UNFINISHED))
    rows = db.query(
        f"SELECT jobs.id FROM jobs JOIN shots ON shots.id = jobs.shot_id "
        f"WHERE shots.team_id = ? AND jobs.state IN ({marks}) ORDER BY jobs.id",
        [team_id, *JOB_UNFINISHED],
    )
    ids = [r["id"] for r in rows]
    for job_id in ids:
        jobs_db.set_job_state(db, job_id, JobState.CANCELLED, note, take_state=TakeState.CANCELLED)
    return ids


def team_of_take(db: Db, take_id: int) -> str:
    """The workspace a take's card and clip go to ("" when unknown)."""
    row = db.one(
        "SELECT shots.team_id FROM takes JOIN shots ON shots.id = takes.shot_id WHERE takes.id = ?", [take_id]
    )
    return (row or {}).get("team_id") or ""


def installed_teams(db: Db) -> list[dict[str, Any]]:
    """Every installed workspace, oldest install first (for `dailies doctor`)."""
    return db.query(
        "SELECT team_id, team_name, bot_token_expires_at, bot_refresh_token IS NOT NULL AS rotating "
        "FROM slack_installations ORDER BY installed_at"
    )
