"""A campaign's cut: a shot of its own in the board's thread (`campaign_shot` = CUT), each `cut` a
job of kind `cut` there whose request holds the plan (pieces, fade), completed as it is assembled."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from storage.campaigns import CUT
from storage.clock import now_iso
from storage.db import Db
from storage.jobs import NewJob, create_job


def create_cut(db: Db, campaign_id: int, new: NewJob) -> tuple[int, int, list[int]]:
    """Store the cut's job (its next version) on the campaign's cut shot, made on the first cut,
    in one transaction. Returns (shot_id, job_id, take_ids); raises DuplicateTrigger like create_job."""
    with db.atomic():
        row = db.execute(
            f"SELECT id, card_ts FROM shots WHERE id = (SELECT board_shot_id FROM campaigns WHERE id = ?)"
            f"{db.for_update}",
            [campaign_id],
        ).fetchone()
        if row is None:
            raise LookupError(f"no board for campaign {campaign_id}")
        found = db.execute(
            "SELECT id FROM shots WHERE campaign_id = ? AND campaign_shot = ?", [campaign_id, CUT]
        ).fetchone()
        if found:
            shot_id = found[0]
        else:
            shot_id = db.insert(
                "shots",
                {
                    "team_id": new.team_id,
                    "channel_id": new.channel_id,
                    "user_id": new.user_id,
                    "title": "The cut",
                    "card_ts": row[1],  # the board's message is its thread
                    "created_at": now_iso(),
                    "campaign_id": campaign_id,
                    "campaign_shot": CUT,
                },
            )
        return create_job(db, replace(new, shot_id=shot_id))


def record_cut(db: Db, job_id: int, **fields: Any) -> None:
    """Keep more of the cut's plan in its job's request (`cut.pieces` with their record in points
    once assembled, `cut.sidecars`: the edit lists' uploads)."""
    with db.atomic():
        row = db.execute(f"SELECT request FROM jobs WHERE id = ?{db.for_update}", [job_id]).fetchone()
        if row is None:
            return
        request = json.loads(row[0] or "{}")
        request["cut"] = {**request.get("cut", {}), **fields}
        db["jobs"].update(job_id, {"request": json.dumps(request), "updated_at": now_iso()})


def source_notes(db: Db, take_ids: list[int]) -> list[dict[str, Any]]:
    """The review notes on a cut's source versions, oldest first."""
    if not take_ids:
        return []
    marks = ",".join("?" * len(take_ids))
    return db.query(f"SELECT * FROM review_notes WHERE take_id IN ({marks}) ORDER BY ts, id", list(take_ids))
