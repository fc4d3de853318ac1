"""Shots (job cards), jobs (requests) and takes (clips), with every state transition recorded."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from storage.clock import now_iso
from storage.states import ENDED, TAKE_ACTIVE, JobState, TakeState


class DuplicateTrigger(Exception):
    """A job for this trigger (Slack retry of the same command or message) already exists."""

    def __init__(self, job_id: int) -> None:
        super().__init__(f"job {job_id} already exists for this trigger")
        self.job_id = job_id


@dataclass(frozen=True)
class NewJob:
    channel_id: str
    team_id: str
    user_id: str
    kind: str
    model: str
    backend: str
    request: dict[str, Any]
    takes: int
    estimate_usd: float
    source_key: str
    state: str = JobState.QUEUED
    title: str = ""
    shot_id: int | None = None  # None: a new shot (a new card)
    parent_take_id: int | None = None
    seeds: tuple[int | None, ...] = ()


def create_job(db: Database, new: NewJob) -> tuple[int, int, list[int]]:
    """Insert the shot (if new), the job and its takes in one transaction.
    Returns (shot_id, job_id, take_ids). Raises DuplicateTrigger for a repeated source_key."""
    existing = db.execute("SELECT id FROM jobs WHERE source_key = ?", [new.source_key]).fetchone()
    if existing:
        raise DuplicateTrigger(existing[0])
    now = now_iso()
    with db.atomic():
        shot_id = new.shot_id
        if shot_id is None:
            shot_id = (
                db["shots"]
                .insert(
                    {
                        "channel_id": new.channel_id,
                        "team_id": new.team_id,
                        "user_id": new.user_id,
                        "title": new.title[:300],
                        "created_at": now,
                    }
                )
                .last_pk
            )
        job_id = (
            db["jobs"]
            .insert(
                {
                    "shot_id": shot_id,
                    "channel_id": new.channel_id,
                    "user_id": new.user_id,
                    "kind": new.kind,
                    "state": new.state,
                    "model": new.model,
                    "backend": new.backend,
                    "request": json.dumps(new.request),
                    "takes": new.takes,
                    "estimate_usd": new.estimate_usd,
                    "cost_usd": 0.0,
                    "parent_take_id": new.parent_take_id,
                    "source_key": new.source_key,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            .last_pk
        )
        next_version = (
            db.execute("SELECT coalesce(max(version), 0) FROM takes WHERE shot_id = ?", [shot_id]).fetchone()[
                0
            ]
            + 1
        )
        take_state = TakeState.QUEUED if new.state == JobState.QUEUED else TakeState.HELD
        take_ids = []
        for i in range(new.takes):
            seed = new.seeds[i] if i < len(new.seeds) else None
            take_ids.append(
                db["takes"]
                .insert(
                    {
                        "job_id": job_id,
                        "shot_id": shot_id,
                        "version": next_version + i,
                        "state": take_state,
                        "seed": seed,
                        "progress": 0,
                        "attempts": 0,
                        "cost_usd": 0.0,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                .last_pk
            )
        _record(db, job_id, None, None, new.state, "created", now)
    return shot_id, job_id, take_ids


def _record(
    db: Database, job_id: int, take_id: int | None, old: str | None, new: str, note: str, at: str
) -> None:
    db["transitions"].insert(
        {
            "job_id": job_id,
            "take_id": take_id,
            "from_state": old,
            "to_state": new,
            "note": note[:500],
            "at": at,
        }
    )


def set_card_ts(db: Database, shot_id: int, card_ts: str) -> None:
    db.execute("UPDATE shots SET card_ts = ? WHERE id = ?", [card_ts, shot_id])


def mark_card_posting(db: Database, shot_id: int, nonce: str, at: float) -> None:
    """Record that the card is about to be posted (kept if an earlier attempt left one)."""
    db.execute(
        "UPDATE shots SET card_nonce = ?, card_posting_at = ? WHERE id = ? AND card_nonce IS NULL",
        [nonce, at, shot_id],
    )


def set_card_state(db: Database, shot_id: int, state: str) -> None:
    db.execute("UPDATE shots SET card_state = ? WHERE id = ?", [state, shot_id])


def update_take(db: Database, take_id: int, state: str | None = None, note: str = "", **fields: Any) -> bool:
    """Change a take's fields; a state change is recorded as a transition in the same transaction,
    and the job's state is recomputed from its takes. A take that has ended (delivered, failed,
    cancelled) stays ended: the update is refused and False returned."""
    now = now_iso()
    with db.atomic():
        row = db.execute("SELECT job_id, state FROM takes WHERE id = ?", [take_id]).fetchone()
        if row is None:
            return False
        job_id, old = row
        if old in ENDED:
            return False
        fields["updated_at"] = now
        if state is not None:
            fields["state"] = state
            if state in ENDED:
                fields.setdefault("finished_at", now)
        db["takes"].update(take_id, fields)
        if state is not None and state != old:
            _record(db, job_id, take_id, old, state, note, now)
            _refresh_job(db, job_id, now)
    return True


def job_state_from_takes(states: list[str], current: str) -> str:
    """The job's state as the card shows it: the least advanced take leads (pure)."""
    if current == JobState.AWAITING_APPROVAL and all(s == TakeState.HELD for s in states):
        return current
    active = [s for s in states if s in TAKE_ACTIVE]
    if active:
        lead = min(active, key=TAKE_ACTIVE.index)
        shown = {TakeState.SUBMITTING: JobState.QUEUED, TakeState.DOWNLOADING: JobState.RENDERING}
        return shown[lead] if lead in shown else JobState(lead)
    if states and all(s == TakeState.CANCELLED for s in states):
        return JobState.CANCELLED
    if any(s == TakeState.DELIVERED for s in states):
        return JobState.DELIVERED
    if any(s == TakeState.FAILED for s in states):
        return JobState.FAILED
    return JobState.CANCELLED if states else current


def _refresh_job(db: Database, job_id: int, now: str) -> None:
    job = db.execute("SELECT state FROM jobs WHERE id = ?", [job_id]).fetchone()
    states = [r[0] for r in db.execute("SELECT state FROM takes WHERE job_id = ?", [job_id])]
    new = job_state_from_takes(states, job[0])
    cost = db.execute(
        "SELECT coalesce(sum(cost_usd), 0) FROM takes WHERE job_id = ? AND state = 'delivered'", [job_id]
    ).fetchone()[0]
    errors = [
        r[0] for r in db.execute("SELECT error FROM takes WHERE job_id = ? AND error IS NOT NULL", [job_id])
    ]
    db.execute(
        "UPDATE jobs SET state = ?, cost_usd = ?, error = ?, updated_at = ? WHERE id = ?",
        [new, cost, errors[0] if errors else None, now, job_id],
    )
    if new != job[0]:
        _record(db, job_id, None, job[0], new, "", now)


def set_job_state(
    db: Database, job_id: int, state: str, note: str = "", take_state: str | None = None
) -> None:
    """Move a whole job (approval, cancel): its non-terminal takes follow to `take_state`."""
    now = now_iso()
    with db.atomic():
        old = db.execute("SELECT state FROM jobs WHERE id = ?", [job_id]).fetchone()[0]
        if take_state:
            for take_id, t_old in db.execute(
                "SELECT id, state FROM takes WHERE job_id = ? AND state NOT IN ('delivered','failed','cancelled')",
                [job_id],
            ).fetchall():
                db.execute(
                    "UPDATE takes SET state = ?, updated_at = ?, finished_at = CASE WHEN ? IN "
                    "('delivered','failed','cancelled') THEN ? ELSE finished_at END WHERE id = ?",
                    [take_state, now, take_state, now, take_id],
                )
                _record(db, job_id, take_id, t_old, take_state, note, now)
        db.execute("UPDATE jobs SET state = ?, updated_at = ? WHERE id = ?", [state, now, job_id])
        if state != old:
            _record(db, job_id, None, old, state, note, now)


def get_job(db: Database, job_id: int) -> dict | None:
    rows = list(db["jobs"].rows_where("id = ?", [job_id]))
    if not rows:
        return None
    job = rows[0]
    job["request"] = json.loads(job["request"] or "{}")
    return job


def get_shot(db: Database, shot_id: int) -> dict | None:
    rows = list(db["shots"].rows_where("id = ?", [shot_id]))
    return rows[0] if rows else None


def shot_by_card(db: Database, channel_id: str, card_ts: str) -> dict | None:
    rows = list(db["shots"].rows_where("channel_id = ? AND card_ts = ?", [channel_id, card_ts]))
    return rows[0] if rows else None


def get_take(db: Database, take_id: int) -> dict | None:
    rows = list(db["takes"].rows_where("id = ?", [take_id]))
    return rows[0] if rows else None


def shot_view(db: Database, shot_id: int) -> tuple[dict, list[dict], list[dict]]:
    """The shot with its jobs and takes, for rendering the card."""
    shot = get_shot(db, shot_id)
    jobs = [
        dict(j, request=json.loads(j["request"] or "{}"))
        for j in db["jobs"].rows_where("shot_id = ?", [shot_id], order_by="id")
    ]
    takes = list(db["takes"].rows_where("shot_id = ?", [shot_id], order_by="version"))
    return shot, jobs, takes


def active_take_ids(db: Database) -> list[int]:
    """Takes the runner must carry on with (after a start or restart), oldest first (ids only:
    the pickup loop runs on every wake, with up to thousands of takes in flight)."""
    marks = ",".join("?" * len(TAKE_ACTIVE))
    return [
        r[0]
        for r in db.execute(f"SELECT id FROM takes WHERE state IN ({marks}) ORDER BY id", list(TAKE_ACTIVE))
    ]


def recent_jobs(db: Database, channel_id: str, limit: int = 10) -> list[dict]:
    return list(db["jobs"].rows_where("channel_id = ?", [channel_id], order_by="id desc", limit=limit))


def transitions(db: Database, job_id: int) -> list[dict]:
    return list(db["transitions"].rows_where("job_id = ?", [job_id], order_by="id"))


def set_source_media(db: Database, take_id: int, **fields: Any) -> None:
    """Where a delivered clip can be found again for an edit (`media_path`, or `result_url` = None
    once the backend's link expired); not a state change, so allowed on a finished take."""
    allowed = {k: v for k, v in fields.items() if k in ("media_path", "result_url")}
    if allowed:
        db["takes"].update(take_id, allowed)
