"""Append-only record of decisions: approvals, rejections, cancellations, settings changes."""

from __future__ import annotations

from typing import Any

from storage.clock import now_iso
from storage.db import Db


def record(
    db: Db,
    team_id: str,
    channel_id: str,
    user_id: str,
    action: str,
    detail: str = "",
    job_id: int | None = None,
    take_id: int | None = None,
) -> None:
    db["audit"].insert(
        {
            "team_id": team_id,
            "channel_id": channel_id,
            "user_id": user_id,
            "action": action,
            "job_id": job_id,
            "take_id": take_id,
            "detail": detail[:1000],
            "at": now_iso(),
        }
    )


def latest(db: Db, team_id: str, channel_id: str, limit: int = 20) -> list[dict[str, Any]]:
    return list(
        db["audit"].rows_where(
            "team_id = ? AND channel_id = ?", [team_id, channel_id], order_by="id desc", limit=limit
        )
    )
