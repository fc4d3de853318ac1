"""The cost gate as one transaction: under the channel's lock, its limits, the month's spend and
what running takes reserve are read, and the job is stored started or held on that reading."""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.request.review import GateDecision, gate
from storage import approvals, audit, channels
from storage.db import Db
from storage.jobs import NewJob, create_job
from storage.states import JobState

HELD_NOTE = ":raised_hand: Waiting for approval: {reason}."


def decide_locked(db: Db, team_id: str, channel_id: str, estimate: float, since: str) -> GateDecision | None:
    """Take the channel's lock, then decide on `estimate` from its limits, the month's spend and what
    running takes reserve (None when it sets no limit or budget). Only inside the transaction that
    stores what was decided on: the lock is held until it commits."""
    channels.lock_channel(db, team_id, channel_id)
    settings = channels.get_settings(db, team_id, channel_id)
    if settings.job_limit_usd is None and settings.budget_usd is None:
        return None
    return gate(
        estimate,
        job_limit=settings.job_limit_usd,
        budget=settings.budget_usd,
        spent=channels.month_spend(db, team_id, channel_id, since),
        reserved=approvals.reserved(db, team_id, channel_id),
    )


@dataclass(frozen=True)
class Gated:
    shot_id: int
    job_id: int
    take_ids: list[int]
    decision: GateDecision | None  # None: nothing to decide (no limit set, or not asked to start)


def create_gated(db: Db, new: NewJob, since: str) -> Gated:
    """Store `new`, held for approval when the cost gate says so, with what it decided in the
    audit. One transaction holding the channel's lock from the first read to the insert: two
    requests (on one replica or two) never both pass what remains of one budget. Raises
    `jobs.DuplicateTrigger` for a trigger already stored."""
    with db.atomic():
        decision = decide_locked(db, new.team_id, new.channel_id, new.estimate_usd, since)
        if new.state != JobState.QUEUED or decision is None:
            return Gated(*create_job(db, new), None)
        if decision.start:
            note = f"started: ${new.estimate_usd:,.2f}"
        else:
            notes = [*new.request.get("notes", []), HELD_NOTE.format(reason=decision.reason)]
            new = replace(new, state=JobState.AWAITING_APPROVAL, request={**new.request, "notes": notes})
            note = "held: " + decision.reason
        created = create_job(db, new)
        audit.record(db, new.team_id, new.channel_id, new.user_id, "gate", note, created[1])
    return Gated(*created, decision)


@dataclass(frozen=True)
class GatedTogether:
    created: list[tuple[int, int, list[int]]]  # per job, in order: (shot_id, job_id, take_ids)
    total_usd: float
    decision: GateDecision | None  # None: nothing to decide (no limit or budget set)


def create_gated_together(db: Db, news: list[NewJob], since: str, what: str) -> GatedTogether:
    """Store `news` on one cost-gate decision for their total (a campaign's finals): all started,
    or all held for one approval. One transaction under the channel's lock, as `create_gated`;
    `what` names the batch in the held note and the audit. Raises `jobs.DuplicateTrigger` (and
    stores none) when any of them was stored already. All must be in one channel."""
    first = news[0]
    assert all((n.team_id, n.channel_id) == (first.team_id, first.channel_id) for n in news)
    total = round(sum(n.estimate_usd for n in news), 2)
    with db.atomic():
        decision = decide_locked(db, first.team_id, first.channel_id, total, since)
        held = decision is not None and not decision.start
        created = []
        for new in news:
            if held:
                assert decision is not None
                notes = [*new.request.get("notes", []), HELD_NOTE.format(reason=f"{what}: {decision.reason}")]
                new = replace(new, state=JobState.AWAITING_APPROVAL, request={**new.request, "notes": notes})
            created.append(create_job(db, new))
        if decision is not None:
            note = f"{what} held: {decision.reason}" if held else f"{what} started: ${total:,.2f}"
            audit.record(db, first.team_id, first.channel_id, first.user_id, "gate", note, None)
    return GatedTogether(created, total, decision)
