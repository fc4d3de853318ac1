"""Shots (job cards), jobs (requests) and takes (clips), with every state transition recorded."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, cast

from storage import audit, review_notes
from storage.clock import now_iso
from storage.db import Db
from storage.rows import JobRow, ShotRow, TakeRow, TakeView
from storage.states import ENDED, TAKE_ACTIVE, JobState, TakeState

WORK = "dailies_work"  # notified when takes become ready to run, so idle replicas pick them up


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


def create_job(db: Db, new: NewJob) -> tuple[int, int, list[int]]:
    """Insert the shot (if new), the job and its takes in one transaction.
    Returns (shot_id, job_id, take_ids). Raises DuplicateTrigger for a repeated source_key."""
    existing = db.execute("SELECT id FROM jobs WHERE source_key = ?", [new.source_key]).fetchone()
    if existing:
        raise DuplicateTrigger(existing[0])
    try:
        return _insert_job(db, new)
    except db.IntegrityError:
        # the same trigger stored at this moment by another replica (the unique source_key)
        existing = db.execute("SELECT id FROM jobs WHERE source_key = ?", [new.source_key]).fetchone()
        if existing:
            raise DuplicateTrigger(existing[0]) from None
        raise


def _insert_job(db: Db, new: NewJob) -> tuple[int, int, list[int]]:
    now = now_iso()
    with db.atomic():
        shot_id = new.shot_id
        if shot_id is None:
            shot_id = db.insert(
                "shots",
                {
                    "channel_id": new.channel_id,
                    "team_id": new.team_id,
                    "user_id": new.user_id,
                    "title": new.title[:300],
                    "created_at": now,
                },
            )
        job_id = db.insert(
            "jobs",
            {
                "shot_id": shot_id,
                "team_id": new.team_id,
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
            },
        )
        next_version = (
            db.execute("SELECT coalesce(max(version), 0) FROM takes WHERE shot_id = ?", [shot_id]).fetchone()[
                0
            ]
            + 1
        )
        take_state = TakeState.QUEUED if new.state == JobState.QUEUED else TakeState.HELD
        take_ids: list[int] = []
        for i in range(new.takes):
            seed = new.seeds[i] if i < len(new.seeds) else None
            take_ids.append(
                db.insert(
                    "takes",
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
                    },
                )
            )
        _record(db, job_id, None, None, new.state, "created", now)
        if take_state == TakeState.QUEUED:
            db.notify(WORK)
    return shot_id, job_id, take_ids


def _record(db: Db, job_id: int, take_id: int | None, old: str | None, new: str, note: str, at: str) -> None:
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


def set_card_ts(db: Db, shot_id: int, card_ts: str) -> None:
    db.execute("UPDATE shots SET card_ts = ? WHERE id = ?", [card_ts, shot_id])


def mark_card_posting(db: Db, shot_id: int, nonce: str, at: float) -> None:
    """Record that the card is about to be posted (kept if an earlier attempt left one)."""
    db.execute(
        "UPDATE shots SET card_nonce = ?, card_posting_at = ? WHERE id = ? AND card_nonce IS NULL",
        [nonce, at, shot_id],
    )


def set_card_state(db: Db, shot_id: int, state: str) -> None:
    db.execute("UPDATE shots SET card_state = ? WHERE id = ?", [state, shot_id])


def update_take(
    db: Db,
    take_id: int,
    state: str | None = None,
    note: str = "",
    *,
    holder: str | None = None,
    **fields: Any,
) -> bool:
    """Change a take's fields; a state change is recorded as a transition in the same transaction,
    and the job's state is recomputed from its takes. A take that has ended (delivered, failed,
    cancelled) stays ended: the update is refused and False returned. With `holder` (a replica),
    so is an update from a replica whose claim on the take another replica has taken over."""
    now = now_iso()
    with db.atomic():
        row = db.execute(
            f"SELECT job_id, state, claimed_by FROM takes WHERE id = ?{db.for_update}", [take_id]
        ).fetchone()
        if row is None:
            return False
        job_id, old, claimed_by = row
        if old in ENDED or (holder and claimed_by not in (None, holder)):
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
        shown: dict[str, JobState] = {
            TakeState.SUBMITTING: JobState.QUEUED,
            TakeState.DOWNLOADING: JobState.RENDERING,
        }
        return shown[lead] if lead in shown else JobState(lead)
    if states and all(s == TakeState.CANCELLED for s in states):
        return JobState.CANCELLED
    if any(s == TakeState.DELIVERED for s in states):
        return JobState.DELIVERED
    if any(s == TakeState.FAILED for s in states):
        return JobState.FAILED
    return JobState.CANCELLED if states else current


def _refresh_job(db: Db, job_id: int, now: str) -> None:
    # the job's row lock makes replicas finishing two takes of one job take turns here
    job = db.execute(f"SELECT state FROM jobs WHERE id = ?{db.for_update}", [job_id]).fetchone()
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


def set_job_state(db: Db, job_id: int, state: str, note: str = "", take_state: str | None = None) -> None:
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
        if take_state == TakeState.QUEUED:
            db.notify(WORK)


def lock_job(db: Db, job_id: int) -> dict[str, Any]:
    """Inside a transaction: hold the job's takes and then the job's row until it ends, and return
    the row. Takes before their job, the order `update_take` locks them in, so the two never wait
    on each other in a circle."""
    db.execute(f"SELECT id FROM takes WHERE job_id = ? ORDER BY id{db.for_update}", [job_id])
    job = db.one(f"SELECT * FROM jobs WHERE id = ?{db.for_update}", [job_id])
    if job is None:
        raise LookupError(f"no job {job_id}")
    return job


def cancel_job(db: Db, job_id: int, team_id: str, channel_id: str, user_id: str, reason: str) -> str | None:
    """Cancel the job and its unfinished takes, recorded with `reason` in the audit; one transaction
    holding the job (`lock_job`), so a job that ends meanwhile is not cancelled after the fact. Returns
    the state of a job that had already ended (nothing changed), else None."""
    with db.atomic():
        state: str = lock_job(db, job_id)["state"]
        if state in ENDED:
            return state
        set_job_state(db, job_id, JobState.CANCELLED, f"by {user_id}", TakeState.CANCELLED)
        audit.record(db, team_id, channel_id, user_id, "cancel", reason, job_id)
    return None


def get_job(db: Db, job_id: int) -> JobRow | None:
    rows = list(db["jobs"].rows_where("id = ?", [job_id]))
    if not rows:
        return None
    return _job(rows[0])


def _job(row: dict[str, Any]) -> JobRow:
    """A jobs row with its request decoded."""
    row["request"] = json.loads(row["request"] or "{}")
    return cast(JobRow, row)


def get_shot(db: Db, shot_id: int) -> ShotRow | None:
    rows = list(db["shots"].rows_where("id = ?", [shot_id]))
    return cast(ShotRow, rows[0]) if rows else None


def shot_by_card(db: Db, team_id: str, channel_id: str, card_ts: str) -> ShotRow | None:
    rows = list(
        db["shots"].rows_where(
            "team_id = ? AND channel_id = ? AND card_ts = ?",
            [team_id, channel_id, card_ts],
            order_by="id",  # a campaign's board before its shots, which share its message
        )
    )
    return cast(ShotRow, rows[0]) if rows else None


def get_take(db: Db, take_id: int) -> TakeRow | None:
    rows = list(db["takes"].rows_where("id = ?", [take_id]))
    return cast(TakeRow, rows[0]) if rows else None


def shot_view(db: Db, shot_id: int) -> tuple[ShotRow | None, list[JobRow], list[TakeView]]:
    """The shot with its jobs and takes, for rendering the card."""
    shot = get_shot(db, shot_id)
    jobs = [_job(dict(j)) for j in db["jobs"].rows_where("shot_id = ?", [shot_id], order_by="id")]
    notes = review_notes.counts(db, [shot_id])
    takes = [
        cast(TakeView, dict(t, notes=notes.get(t["id"], 0)))  # how many review notes the version has
        for t in db["takes"].rows_where("shot_id = ?", [shot_id], order_by="version")
    ]
    return shot, jobs, takes


def takes_of_shot(db: Db, shot_id: int) -> list[TakeRow]:
    """A shot's versions, oldest first."""
    return cast(list[TakeRow], db["takes"].rows_where("shot_id = ?", [shot_id], order_by="version"))


def recent_jobs(db: Db, team_id: str, channel_id: str, limit: int = 10) -> list[dict[str, Any]]:
    return list(
        db["jobs"].rows_where(
            "team_id = ? AND channel_id = ?", [team_id, channel_id], order_by="id desc", limit=limit
        )
    )


def transitions(db: Db, job_id: int) -> list[dict[str, Any]]:
    return list(db["transitions"].rows_where("job_id = ?", [job_id], order_by="id"))


def set_source_media(db: Db, take_id: int, **fields: Any) -> None:
    """Where a delivered clip can be found again for an edit (`media_path`, or `result_url` = None
    once the backend's link expired); not a state change, so allowed on a finished take."""
    allowed = {k: v for k, v in fields.items() if k in ("media_path", "result_url")}
    if allowed:
        db["takes"].update(take_id, allowed)


def add_job_note(db: Db, job_id: int, note: str) -> None:
    """One more line for the job's card (`request.notes`), e.g. how a provider had to run it."""
    with db.atomic():
        row = db.execute(f"SELECT request FROM jobs WHERE id = ?{db.for_update}", [job_id]).fetchone()
        if row is None:
            return
        request = json.loads(row[0] or "{}")
        if note in request.get("notes", []):
            return
        request["notes"] = [*request.get("notes", []), note]
        db["jobs"].update(job_id, {"request": json.dumps(request), "updated_at": now_iso()})


def take_ids_of_job(db: Db, job_id: int) -> list[int]:
    return [r[0] for r in db.execute("SELECT id FROM takes WHERE job_id = ? ORDER BY id", [job_id])]


def takes_of_job(db: Db, job_id: int) -> list[TakeRow]:
    return cast(list[TakeRow], db["takes"].rows_where("job_id = ?", [job_id], order_by="id"))


def job_id_for_source(db: Db, source_key: str) -> int | None:
    """The job a trigger (a command's trigger id, an event id) made, if any."""
    row = db.execute("SELECT id FROM jobs WHERE source_key = ?", [source_key]).fetchone()
    return row[0] if row else None


def unposted_gated_shots(db: Db) -> list[int]:
    """Shots holding a job for approval whose card was never posted (nobody could approve it)."""
    rows = db.execute(
        "SELECT DISTINCT shots.id FROM shots JOIN jobs ON jobs.shot_id = shots.id "
        "WHERE shots.card_ts IS NULL AND jobs.state = 'awaiting_approval'"
    )
    return [r[0] for r in rows]


def source_take(db: Db, take_id: int) -> dict[str, Any] | None:
    """A take with its job's model and backend: the clip an edit or extension works on."""
    rows = list(
        db.query(
            "SELECT takes.*, jobs.model AS model, jobs.backend AS backend "
            "FROM takes JOIN jobs ON takes.job_id = jobs.id WHERE takes.id = ?",
            [take_id],
        )
    )
    return rows[0] if rows else None


def find_task(db: Db, backend: str, task_id: str) -> str | None:
    """Our stored provider task id for a backend's own id (some backends' ids are stored with a
    route prefix, `<route>:<id>`)."""
    row = db.execute(
        "SELECT takes.provider_task_id FROM takes JOIN jobs ON takes.job_id = jobs.id "
        "WHERE jobs.backend = ? AND (takes.provider_task_id = ? OR takes.provider_task_id LIKE ?) LIMIT 1",
        [backend, task_id, f"%:{task_id}"],
    ).fetchone()
    found: str | None = row[0] if row else None
    return found


def recent_jobs_of_user(db: Db, user_id: str, limit: int) -> list[dict[str, Any]]:
    """A user's latest jobs in any channel, each with its card's ts and the shot's title."""
    return [
        dict(r)
        for r in db.query(
            "SELECT j.id, j.channel_id, j.state, j.model, j.cost_usd, j.estimate_usd, s.card_ts, s.title "
            "FROM jobs j JOIN shots s ON s.id = j.shot_id WHERE j.user_id = ? ORDER BY j.id DESC LIMIT ?",
            [user_id, limit],
        )
    ]


def recent_shots(
    db: Db, team_id: str, channel_id: str, limit: int = 8, scan: int = 30
) -> list[dict[str, Any]]:
    """The channel's latest shots (from its last `scan` jobs), each with its `jobs` and `takes`."""
    shot_ids = list(dict.fromkeys(j["shot_id"] for j in recent_jobs(db, team_id, channel_id, scan)))
    views = [shot_view(db, shot_id) for shot_id in shot_ids[:limit]]
    return [dict(shot, jobs=jobs, takes=takes) for shot, jobs, takes in views if shot and jobs]


def find_version(
    db: Db, shot_id: int, *, take_id: int | None = None, job_id: int | None = None
) -> tuple[JobRow | None, TakeRow | None]:
    """(job, take) a card button names: a take (with its job) or a job alone, on that shot."""
    take = get_take(db, take_id) if take_id is not None else None
    ref = take["job_id"] if take else job_id
    job = get_job(db, ref) if ref is not None and (take or take_id is None) else None
    if job is None or job["shot_id"] != shot_id:
        return None, None
    return job, take


def set_take_approved(db: Db, take_id: int, approved_at: str | None) -> None:
    """When the take's verdict became "approved" (None: no longer approved); not a state change."""
    db.execute("UPDATE takes SET approved_at = ? WHERE id = ?", [approved_at, take_id])
