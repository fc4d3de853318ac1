"""Review rules (pure): who may decide, whether a version or job is approved, and the cost gate."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.request.money import usd

REACTIONS = {"white_check_mark": "approve", "heavy_check_mark": "approve", "x": "reject", "repeat": "again"}
ONLY_APPROVERS = "Only approvers can do that."


def may_review(user: str, approvers: Iterable[str], requester: str) -> bool:
    """Approve, reject, ask again (and pass the cost gate): the channel's approvers when it has
    some; without approvers, anyone in the channel, the requester as much as a colleague.
    `requester` is the job's, kept so every rule is asked the same question."""
    approvers = tuple(approvers)
    return user in approvers if approvers else bool(user)


def may_press(user: str, approvers: Iterable[str], requester: str) -> bool:
    """Another take, Final render, Cancel: the requester or any approver."""
    return user == requester or user in tuple(approvers)


def only_pressers(what: str) -> str:
    """The refusal for someone who fails `may_press`, e.g. only_pressers("cancel J42")."""
    return f"Only the requester or an approver can {what}."


def verdict(decisions: dict[str, str], approvers: Iterable[str], rule: str, requester: str) -> str:
    """ "approved", "rejected" or "pending" from each person's latest decision (user -> decision).
    Decisions of people who may not review are ignored; `all` needs every approver's approval."""
    approvers = tuple(approvers)
    counted = {u: d for u, d in decisions.items() if may_review(u, approvers, requester)}
    approvals = [u for u, d in counted.items() if d == "approve"]
    rejections = [u for u, d in counted.items() if d == "reject"]
    if rule == "all" and approvers:
        if rejections:
            return "rejected"
        return "approved" if set(approvers) <= set(approvals) else "pending"
    if approvals:
        return "approved"
    return "rejected" if rejections else "pending"


def can_approve_text(approvers: Iterable[str], rule: str, requester: str) -> str:
    """Who can start a job that waits for approval, in the card's words."""
    approvers = tuple(approvers)
    if not approvers:
        return "anyone here can approve"
    people = " ".join(f"<@{u}>" for u in approvers)
    return f"{'all of' if rule == 'all' and len(approvers) > 1 else 'approvers:'} {people}"


@dataclass(frozen=True)
class GateDecision:
    start: bool
    reason: str  # why it waits ("" when it starts)


def gate(
    estimate: float,
    *,
    job_limit: float | None,
    budget: float | None,
    spent: float,
    reserved: float,
) -> GateDecision:
    """Start now, or wait for approval: over the per-job limit, or over what remains of the month's
    budget once the estimates of running jobs are reserved."""
    if job_limit is not None and estimate > job_limit + 1e-9:
        return GateDecision(False, f"estimate {usd(estimate)} is over the per-job limit {usd(job_limit)}")
    if budget is not None and spent + reserved + estimate > budget + 1e-9:
        remaining = max(0.0, budget - spent - reserved)
        return GateDecision(
            False, f"estimate {usd(estimate)} is over what remains of the budget ({usd(remaining)})"
        )
    return GateDecision(True, "")
