"""Per-channel settings (a channel of one workspace: team and channel id): default and final model,
budget, per-job limit, approvers, who may talk to Dailies in a job's thread."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from storage.clock import now_iso
from storage.db import Db


@dataclass(frozen=True)
class ChannelSettings:
    channel_id: str
    default_model: str | None = None
    final_model: str | None = None
    budget_usd: float | None = None
    job_limit_usd: float | None = None
    approvers: tuple[str, ...] = ()
    approval_rule: str = "any"
    replies: str = "requester"  # who talks to Dailies in a thread unmentioned: requester | anyone | mention


def get_settings(db: Db, team_id: str, channel_id: str) -> ChannelSettings:
    rows = list(db["channels"].rows_where("team_id = ? AND channel_id = ?", [team_id, channel_id]))
    if not rows:
        return ChannelSettings(channel_id)
    r = rows[0]
    return ChannelSettings(
        channel_id=channel_id,
        default_model=r["default_model"],
        final_model=r["final_model"],
        budget_usd=r["budget_usd"],
        job_limit_usd=r["job_limit_usd"],
        approvers=tuple(json.loads(r["approvers"] or "[]")),
        approval_rule=r["approval_rule"] or "any",
        replies=r.get("replies") or "requester",
    )


def lock_channel(db: Db, team_id: str, channel_id: str) -> None:
    """Inside a transaction: decisions on this channel's money and approvals (in any replica)
    take turns until the transaction ends."""
    db.lock(f"channel {team_id} {channel_id}")


COLUMNS = {
    "model": "default_model",
    "final-model": "final_model",
    "budget": "budget_usd",
    "job-limit": "job_limit_usd",
    "approvers": "approvers",
    "approval": "approval_rule",
    "replies": "replies",
}


def set_setting(
    db: Db, team_id: str, channel_id: str, key: str, value: str | float | Sequence[str] | None
) -> None:
    """Store one setting (`key` as `/video settings` names it); approvers are a sequence of user ids."""
    column = COLUMNS[key]
    if column == "approvers":
        if not isinstance(value, Sequence) or isinstance(value, str):
            raise TypeError(f"approvers are a sequence of user ids, not {value!r}")
        value = json.dumps(list(value))
    with db.atomic():
        db["channels"].upsert(
            {"team_id": team_id, "channel_id": channel_id, column: value, "updated_at": now_iso()},
            pk=("team_id", "channel_id"),
        )


def month_spend(db: Db, team_id: str, channel_id: str, since_iso: str) -> float:
    row = db.execute(
        "SELECT coalesce(sum(takes.cost_usd), 0) FROM takes JOIN jobs ON takes.job_id = jobs.id "
        "WHERE jobs.team_id = ? AND jobs.channel_id = ? AND takes.state = 'delivered' AND takes.finished_at >= ?",
        [team_id, channel_id, since_iso],
    ).fetchone()
    return float(row[0])
