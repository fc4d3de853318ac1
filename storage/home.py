"""What a person's App Home reads: their latest campaigns and shots with where each stands, and
the versions and held jobs waiting for them as an approver."""

from __future__ import annotations

import json
from typing import Any

from storage import campaigns, subjects
from storage.db import Db

CAMPAIGNS = 5  # the person's latest campaigns the tab lists


def home_of(db: Db, team_id: str, user_id: str, shots: int, review: int, channels: int) -> dict[str, Any]:
    """What the tab shows, read in one go: the user's latest campaigns and `shots` (outside
    campaigns: a campaign's are on its board), what waits for their review, and the subject
    libraries of the (at most `channels`) channels they use."""
    used = subjects.channels_of_user(db, team_id, user_id)[:channels]
    return {
        "campaigns": campaigns.campaigns_of_user(db, team_id, user_id, CAMPAIGNS),
        "shots": recent_shots_of_user(db, team_id, user_id, shots),
        "review": awaiting_review(db, team_id, user_id, review),
        "libraries": {c: subjects.list_subjects(db, team_id, c) for c in used},
    }


def recent_shots_of_user(db: Db, team_id: str, user_id: str, limit: int) -> list[dict[str, Any]]:
    """The user's latest shots in the team (newest first), each with its latest job and latest version."""
    shots = db.query(
        "SELECT id, channel_id, title, card_ts FROM shots WHERE team_id = ? AND user_id = ? "
        "AND campaign_id IS NULL ORDER BY id DESC LIMIT ?",
        [team_id, user_id, limit],
    )
    for shot in shots:
        shot["job"] = db.one(
            "SELECT id, kind, state, model, estimate_usd, cost_usd, error FROM jobs WHERE shot_id = ? "
            "ORDER BY id DESC LIMIT 1",
            [shot["id"]],
        )
        shot["take"] = db.one(
            "SELECT id, version, state, progress, cost_usd, approved_at, "
            "(SELECT count(*) FROM review_notes n WHERE n.take_id = takes.id) AS notes FROM takes WHERE shot_id = ? "
            "ORDER BY version DESC LIMIT 1",
            [shot["id"]],
        )
    return [s for s in shots if s["job"] is not None]


def channels_approved_by(db: Db, team_id: str, user_id: str) -> list[str]:
    """The team's channels that list this user among their approvers."""
    rows = db.query(
        "SELECT channel_id, approvers FROM channels WHERE team_id = ? AND approvers LIKE ? ORDER BY channel_id",
        [team_id, f'%"{user_id}"%'],
    )
    return [r["channel_id"] for r in rows if user_id in json.loads(r["approvers"] or "[]")]


def awaiting_review(db: Db, team_id: str, user_id: str, limit: int) -> list[dict[str, Any]]:
    """Held jobs and delivered, unapproved versions in the channels this user approves for, which
    they have not approved or rejected yet; newest first."""
    channels = channels_approved_by(db, team_id, user_id)
    if not channels:
        return []
    marks = ",".join("?" * len(channels))
    held = db.query(
        "SELECT j.id AS job_id, NULL AS take_id, NULL AS version, j.shot_id, j.channel_id, j.user_id, "
        "j.model, j.estimate_usd AS cost_usd, s.title, s.card_ts, j.created_at AS at FROM jobs j "
        f"JOIN shots s ON s.id = j.shot_id WHERE j.team_id = ? AND j.channel_id IN ({marks}) "
        "AND j.state = 'awaiting_approval' AND NOT EXISTS (SELECT 1 FROM approvals a "
        "WHERE a.job_id = j.id AND a.take_id IS NULL AND a.user_id = ? AND a.decision = 'approve' "
        "AND a.id = (SELECT max(b.id) FROM approvals b WHERE b.job_id = j.id AND b.take_id IS NULL "
        "AND b.user_id = ?)) ORDER BY j.id DESC LIMIT ?",
        [team_id, *channels, user_id, user_id, limit],
    )
    versions = db.query(
        "SELECT j.id AS job_id, t.id AS take_id, t.version, t.shot_id, j.channel_id, j.user_id, j.model, "
        "t.cost_usd, s.title, s.card_ts, t.finished_at AS at FROM takes t JOIN jobs j ON j.id = t.job_id "
        f"JOIN shots s ON s.id = t.shot_id WHERE j.team_id = ? AND j.channel_id IN ({marks}) AND t.state = 'delivered' "
        "AND t.approved_at IS NULL AND NOT EXISTS (SELECT 1 FROM approvals a WHERE a.take_id = t.id "
        "AND a.user_id = ? AND a.decision IN ('approve', 'reject') AND a.id = (SELECT max(b.id) "
        "FROM approvals b WHERE b.take_id = t.id AND b.user_id = ?)) ORDER BY t.id DESC LIMIT ?",
        [team_id, *channels, user_id, user_id, limit],
    )
    return sorted([*held, *versions], key=lambda r: r["at"] or "", reverse=True)[:limit]
