"""A delivered draft from someone's DM shared into a channel: a new shot there whose v1 is that clip,
stored ready to upload, so the runner delivers it into the new card's thread like any clip."""

from __future__ import annotations

from storage.db import Db
from storage.jobs import NewJob, create_job, update_take
from storage.states import TakeState


def create_shared(db: Db, new: NewJob, media_path: str, size: int, seconds: float | None) -> tuple[int, int]:
    """(shot id, job id) of the shared clip's new shot; its one take waits to be uploaded. One
    transaction, so no runner sees the take queued for a render. Raises jobs.DuplicateTrigger."""
    with db.atomic():
        shot_id, job_id, (take_id,) = create_job(db, new)
        update_take(
            db, take_id, TakeState.UPLOADING, "shared from a DM",
            media_path=media_path, bytes=size, seconds=seconds, progress=100, cost_usd=0.0,
        )  # fmt: skip
    return shot_id, job_id
