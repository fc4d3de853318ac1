"""Review decisions on versions and jobs, the index from message ts to version, and spend reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.request.review import verdict
from storage import audit, channels, jobs, review_notes
from storage.clock import now_iso
from storage.db import Db
from storage.rows import JobRow, ShotRow, TakeView
from storage.states import JobState, TakeState

DECISIONS = ("approve", "reject", "withdrawn")


def record(
    db: Db,
    *,
    team_id: str,
    channel_id: str,
    shot_id: int,
    job_id: int,
    take_id: int | None,
    user_id: str,
    decision: str,
    via: str,
) -> None:
    """Append one decision; earlier ones by the same person on the same subject stay on record."""
    if decision not in DECISIONS:
        raise ValueError(f"unknown decision {decision!r}")
    db["approvals"].insert(
        {
            "team_id": team_id,
            "channel_id": channel_id,
            "shot_id": shot_id,
            "job_id": job_id,
            "take_id": take_id,
            "user_id": user_id,
            "decision": decision,
            "via": via,
            "at": now_iso(),
        }
    )


def latest_for_shot(db: Db, shot_id: int) -> list[dict[str, Any]]:
    """Each person's latest decision on each subject (take, or job when take_id is NULL) of a shot."""
    return _rows(db, shot_id)


def _rows(db: Db, shot_id: int) -> list[dict[str, Any]]:
    return db.query(
        "SELECT a.* FROM approvals a JOIN (SELECT max(id) AS id FROM approvals WHERE shot_id = ? "
        "GROUP BY job_id, coalesce(take_id, 0), user_id) m ON a.id = m.id ORDER BY a.id",
        [shot_id],
    )


def index_message(db: Db, team_id: str, channel_id: str, ts: str, shot_id: int, take_id: int | None) -> None:
    db["messages"].upsert(
        {"team_id": team_id, "channel_id": channel_id, "ts": ts, "shot_id": shot_id, "take_id": take_id},
        pk=("team_id", "channel_id", "ts"),
    )


def message_target(db: Db, team_id: str, channel_id: str, ts: str) -> dict[str, Any] | None:
    rows = list(
        db["messages"].rows_where("team_id = ? AND channel_id = ? AND ts = ?", [team_id, channel_id, ts])
    )
    return rows[0] if rows else None


def take_by_file(db: Db, team_id: str, channel_id: str, file_id: str) -> dict[str, Any] | None:
    row = db.execute(
        "SELECT takes.id, takes.shot_id FROM takes JOIN jobs ON takes.job_id = jobs.id "
        "WHERE jobs.team_id = ? AND jobs.channel_id = ? AND takes.slack_file_id = ?",
        [team_id, channel_id, file_id],
    ).fetchone()
    return {"id": row[0], "shot_id": row[1]} if row else None


def unindexed_clips(db: Db, team_id: str, channel_id: str, limit: int) -> list[dict[str, Any]]:
    """The channel's latest delivered clips whose message ts is not known yet (newest first):
    `id`, `shot_id`, `slack_file_id`."""
    return db.query(
        "SELECT takes.id, takes.shot_id, takes.slack_file_id FROM takes JOIN jobs ON takes.job_id = jobs.id "
        "WHERE jobs.team_id = ? AND jobs.channel_id = ? AND takes.slack_file_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
        "messages WHERE messages.team_id = jobs.team_id AND messages.channel_id = jobs.channel_id "
        "AND messages.take_id = takes.id) "
        "ORDER BY takes.id DESC LIMIT ?",
        [team_id, channel_id, limit],
    )


def reserved(db: Db, team_id: str, channel_id: str) -> float:
    """The estimate still held by takes that are running (held takes reserve nothing until approved)."""
    row = db.execute(
        "SELECT coalesce(sum(jobs.estimate_usd * 1.0 / greatest(jobs.takes, 1)), 0) FROM takes "
        "JOIN jobs ON takes.job_id = jobs.id WHERE jobs.team_id = ? AND jobs.channel_id = ? AND takes.state IN "
        "('queued','submitting','rendering','downloading','uploading')",
        [team_id, channel_id],
    ).fetchone()
    return float(row[0])


def spend_by(
    db: Db, team_id: str, channel_id: str, since_iso: str, column: str
) -> list[tuple[str, float, int]]:
    """This month's delivered spend grouped by jobs.model or jobs.user_id: (key, usd, clips)."""
    if column not in ("model", "user_id"):
        raise ValueError(column)
    return [
        (r[0], float(r[1]), int(r[2]))
        for r in db.execute(
            f"SELECT jobs.{column}, coalesce(sum(takes.cost_usd), 0), count(*) FROM takes "
            "JOIN jobs ON takes.job_id = jobs.id WHERE jobs.team_id = ? AND jobs.channel_id = ? "
            "AND takes.state = 'delivered' "
            f"AND takes.finished_at >= ? GROUP BY jobs.{column} ORDER BY 2 DESC",
            [team_id, channel_id, since_iso],
        ).fetchall()
    ]


def record_decision(
    db: Db,
    *,
    team_id: str,
    channel_id: str,
    shot_id: int,
    job_id: int,
    take_id: int | None,
    user_id: str,
    decision: str,
    via: str,
    label: str,
) -> None:
    """`record` and its audit line ("approve v2 by reaction") in one transaction."""
    with db.atomic():
        record(
            db, team_id=team_id, channel_id=channel_id, shot_id=shot_id, job_id=job_id, take_id=take_id,
            user_id=user_id, decision=decision, via=via,
        )  # fmt: skip
        audit.record(db, team_id, channel_id, user_id, decision, f"{label} by {via}", job_id, take_id)


def decisions_on(db: Db, shot_id: int, job_id: int, take_id: int | None) -> dict[str, str]:
    """Each person's latest decision on one subject (a take, or the job itself when take_id is None)."""
    rows = latest_for_shot(db, shot_id)
    return {r["user_id"]: r["decision"] for r in rows if r["job_id"] == job_id and r["take_id"] == take_id}


@dataclass(frozen=True)
class Decided:
    changed: str  # the subject's new verdict when this decision changed it ("approved", ...), else ""
    state: str  # the job's state when the decision was taken
    started: bool  # it approved a job waiting for approval, which is queued now


def decide(
    db: Db,
    *,
    team_id: str,
    channel_id: str,
    job_id: int,
    take_id: int | None,
    user_id: str,
    decision: str,
    via: str,
    label: str,
) -> Decided:
    """Record one decision on a version (`take_id`) or a job waiting for approval, and act on the
    subject's verdict (the channel's approvers and rule, `review.verdict`): a version's approval is
    marked, a job approved past the gate is queued. One transaction holding the channel's lock and
    the job (its takes and row): of two approvers deciding at once, exactly one sees the verdict change."""
    with db.atomic():
        channels.lock_channel(db, team_id, channel_id)
        job = jobs.lock_job(db, job_id)
        settings = channels.get_settings(db, team_id, channel_id)

        def judged() -> str:
            decided = decisions_on(db, job["shot_id"], job_id, take_id)
            return verdict(decided, settings.approvers, settings.approval_rule, job["user_id"])

        before = judged()
        record_decision(
            db, team_id=job["team_id"], channel_id=job["channel_id"], shot_id=job["shot_id"], job_id=job_id,
            take_id=take_id, user_id=user_id, decision=decision, via=via, label=label,
        )  # fmt: skip
        after = judged()
        changed = after if after != before else ""
        if take_id is not None and changed:
            jobs.set_take_approved(db, take_id, now_iso() if after == "approved" else None)
        started = take_id is None and job["state"] == JobState.AWAITING_APPROVAL and changed == "approved"
        if started:
            jobs.set_job_state(db, job_id, JobState.QUEUED, "approved", TakeState.QUEUED)
            audit.record(
                db, job["team_id"], job["channel_id"], user_id, "start", "approved past the gate", job_id
            )
    return Decided(changed, job["state"], started)


def shot_with_decisions(
    db: Db, shot_id: int
) -> tuple[ShotRow | None, list[JobRow], list[TakeView], list[dict[str, Any]]]:
    """The shot, its jobs and takes (as `jobs.shot_view`), and each person's latest decisions."""
    return (*jobs.shot_view(db, shot_id), latest_for_shot(db, shot_id))


def room_of(
    db: Db, shot_id: int, team_id: str, channel_id: str
) -> tuple[
    list[JobRow], list[TakeView], list[dict[str, Any]], channels.ChannelSettings, list[dict[str, Any]]
]:
    """What the screening room shows of a shot, read in one go: its jobs and takes, each person's
    latest decisions, the channel's settings (who approves, by which rule) and the review notes."""
    _, shot_jobs, takes = jobs.shot_view(db, shot_id)
    settings = channels.get_settings(db, team_id, channel_id)
    return shot_jobs, takes, latest_for_shot(db, shot_id), settings, review_notes.for_shot(db, shot_id)


@dataclass(frozen=True)
class MonthSpend:
    spent: float  # delivered since the month started
    reserved: float  # held by takes still running
    by_model: list[tuple[str, float, int]]  # (model, usd, clips)
    by_user: list[tuple[str, float, int]]  # (user id, usd, clips)


def month_spend_report(db: Db, team_id: str, channel_id: str, since_iso: str) -> MonthSpend:
    """The channel's spend since `since_iso`, what running takes reserve, and who spent it on what."""
    return MonthSpend(
        spent=channels.month_spend(db, team_id, channel_id, since_iso),
        reserved=reserved(db, team_id, channel_id),
        by_model=spend_by(db, team_id, channel_id, since_iso, "model"),
        by_user=spend_by(db, team_id, channel_id, since_iso, "user_id"),
    )
