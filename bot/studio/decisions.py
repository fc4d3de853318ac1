"""Reviewing versions: reactions and buttons become recorded decisions, which start, cancel or
approve; plus the spend and audit reports. Called by the studio after a listener acks."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.request.review import ONLY_APPROVERS, REACTIONS, gate, may_press, may_review, verdict
from storage import approvals, audit, channels
from storage import jobs as jobs_db
from storage.clock import month_start_iso, now_iso
from storage.states import ENDED

if TYPE_CHECKING:
    from bot.studio.studio import Origin, Studio

log = logging.getLogger(__name__)


def create_gated(db, new: jobs_db.NewJob, since: str) -> tuple[int, int, list[int]]:
    """Create the job, held for approval when the cost gate says so (one transaction on the
    storage thread: the spend and reservations it reads cannot change before the job is stored)."""
    settings = channels.get_settings(db, new.channel_id)
    gated = new.state == "queued" and (settings.job_limit_usd is not None or settings.budget_usd is not None)
    if gated:
        decision = gate(
            new.estimate_usd,
            job_limit=settings.job_limit_usd,
            budget=settings.budget_usd,
            spent=channels.month_spend(db, new.channel_id, since),
            reserved=approvals.reserved(db, new.channel_id),
        )
        if not decision.start:
            notes = [*new.request.get("notes", []), f":raised_hand: Waiting for approval: {decision.reason}."]
            new = replace(new, state="awaiting_approval", request={**new.request, "notes": notes})
    with db.atomic():
        created = jobs_db.create_job(db, new)
        if gated:
            detail = (
                "held: " + decision.reason if not decision.start else f"started: ${new.estimate_usd:,.2f}"
            )
            audit.record(db, new.channel_id, new.user_id, "gate", detail, created[1])
    return created


async def on_reaction(studio: Studio, origin: Origin, ts: str, name: str, added: bool) -> None:
    """A reaction on a job card or a clip's message; reactions of people who may not review are ignored."""
    kind = REACTIONS.get(name)
    if kind is None:
        return
    target = await _resolve(studio, origin.channel_id, ts)
    if target is None:
        return
    shot_id, take_id = target
    subject = await _subject(studio, shot_id, take_id)
    if subject is None:
        return
    job, take = subject
    settings = await studio.store.run(channels.get_settings, origin.channel_id)
    if not may_review(origin.user_id, settings.approvers, job["user_id"]):
        return
    if kind == "again":
        if not added:
            return
        if take is None:
            state = job["state"].replace("_", " ")
            reply = f"J{job['id']} is still {state}; react :repeat: on a version once it has landed."
        else:
            reply = await studio.another_take(origin, take["id"])
        if reply:
            await _tell_reactor(studio, origin, shot_id, reply)
        return
    decision = kind if added else "withdrawn"
    await _decide(studio, origin, job, take, decision, "reaction")


async def on_button(studio: Studio, origin: Origin, action_id: str, value: str) -> str | None:
    """A button on a card, acting on the version it was rendered for; returns an ephemeral reply."""
    shot_ref, _, rest = value.partition(":")
    what, _, ref = rest.partition(":")
    if not (shot_ref.isdigit() and ref.isdigit() and what in ("take", "job")):
        return "That button is out of date; use the buttons on the latest card."
    job, take = await studio.store.run(_lookup, int(shot_ref), what, int(ref))
    if job is None or job["channel_id"] != origin.channel_id:
        return "That version is not in this channel any more."
    settings = await studio.store.run(channels.get_settings, origin.channel_id)
    if action_id == "approve":
        if not may_review(origin.user_id, settings.approvers, job["user_id"]):
            return ONLY_APPROVERS
        return await _decide(studio, origin, job, take, "approve", "button")
    if not may_press(origin.user_id, settings.approvers, job["user_id"]):
        return ONLY_APPROVERS
    if action_id == "cancel":
        return await studio.cancel(origin, f"J{job['id']}")
    if take is None or take["state"] != "delivered":
        return "That version has not been delivered yet."
    if action_id == "another_take":
        return await studio.another_take(origin, take["id"])
    if action_id == "final_render":
        return await studio.final_render(origin, take["id"])
    return None


def _lookup(db, shot_id: int, what: str, ref: int) -> tuple[dict | None, dict | None]:
    take = jobs_db.get_take(db, ref) if what == "take" else None
    job = jobs_db.get_job(db, take["job_id"] if take else ref) if (take or what == "job") else None
    if job is None or job["shot_id"] != shot_id:
        return None, None
    return job, take


async def _decide(studio: Studio, origin: Origin, job: dict, take: dict | None, decision: str, via: str):
    """Record one decision, then act on the subject's verdict (start, cancel, or mark approved)."""
    settings = await studio.store.run(channels.get_settings, origin.channel_id)
    take_id = take["id"] if take else None

    def write(db) -> str:
        before = _verdict(db, job, take_id, settings)
        approvals.record(
            db,
            channel_id=job["channel_id"],
            shot_id=job["shot_id"],
            job_id=job["id"],
            take_id=take_id,
            user_id=origin.user_id,
            decision=decision,
            via=via,
        )
        label = f"v{take['version']}" if take else f"J{job['id']}"
        audit.record(db, job["channel_id"], origin.user_id, decision, f"{label} by {via}", job["id"], take_id)
        after = _verdict(db, job, take_id, settings)
        if take_id is not None and after != before:
            approved_at = now_iso() if after == "approved" else None
            db.execute("UPDATE takes SET approved_at = ? WHERE id = ?", [approved_at, take_id])
        return after if after != before else ""

    changed = await studio.store.run(write)
    studio.cards.touch(job["shot_id"])
    current = await studio.store.run(jobs_db.get_job, job["id"])
    if take is None and current["state"] == "awaiting_approval":
        if changed == "approved":
            await studio.store.run(jobs_db.set_job_state, job["id"], "queued", "approved", "queued")
            await studio.store.run(
                audit.record, job["channel_id"], origin.user_id, "start", "approved past the gate", job["id"]
            )
            studio.runner.wake()
            return f"Approved: J{job['id']} is starting."
        if changed == "rejected":
            return await studio.cancel(origin, f"J{job['id']}", reason="rejected")
    elif take is None and decision == "reject" and current["state"] not in ENDED:
        return await studio.cancel(origin, f"J{job['id']}", reason="rejected")
    elif take is not None and changed == "approved":
        await _mark_card(studio, job["shot_id"])
        return f"Approved v{take['version']}."
    if decision == "approve" and take is None and current["state"] == "awaiting_approval":
        return f"Noted. J{job['id']} still needs every approver's approval."
    return "Noted." if via == "button" else None


def _verdict(db, job: dict, take_id: int | None, settings) -> str:
    rows = approvals.latest_for_shot(db, job["shot_id"])
    mine = {r["user_id"]: r["decision"] for r in rows if r["job_id"] == job["id"] and r["take_id"] == take_id}
    return verdict(mine, settings.approvers, settings.approval_rule, job["user_id"])


async def _tell_reactor(studio: Studio, origin: Origin, shot_id: int, text: str) -> None:
    """An ephemeral note in the card's thread for whoever reacted (a refused another take)."""
    shot = await studio.store.run(jobs_db.get_shot, shot_id)
    try:
        await studio.cards.client.chat_postEphemeral(
            channel=origin.channel_id, user=origin.user_id, text=text, thread_ts=(shot or {}).get("card_ts")
        )
    except Exception as exc:  # the reactor left, or Slack is unreachable: nothing else to lose
        log.info("could not tell %s about shot %s (%s)", origin.user_id, shot_id, type(exc).__name__)


async def _mark_card(studio: Studio, shot_id: int) -> None:
    """The bot's own ✅ on the card: an approved shot is visible at a glance in the channel."""
    shot = await studio.store.run(jobs_db.get_shot, shot_id)
    if not shot or not shot.get("card_ts"):
        return
    try:
        await studio.cards.client.reactions_add(
            channel=shot["channel_id"], timestamp=shot["card_ts"], name="white_check_mark"
        )
    except Exception as exc:  # already_reacted, or Slack unreachable: the card's headline says it too
        log.info("could not add the approval reaction on shot %s (%s)", shot_id, type(exc).__name__)


async def _resolve(studio: Studio, channel: str, ts: str) -> tuple[int, int | None] | None:
    """(shot_id, take_id or None for the card itself) for a message ts, learning clip messages as
    reactions arrive: Slack's upload does not return the clip message's ts, so ask Slack once."""
    shot = await studio.store.run(jobs_db.shot_by_card, channel, ts)
    if shot is not None:
        return shot["id"], None
    known = await studio.store.run(approvals.message_target, channel, ts)
    if known is not None:
        return known["shot_id"], known["take_id"]
    try:
        resp = await studio.cards.client.conversations_replies(channel=channel, ts=ts, limit=20)
    except Exception as exc:
        log.info("could not look up message %s (%s)", ts, type(exc).__name__)
        return None
    message = next((m for m in resp.get("messages", []) if m.get("ts") == ts), None)
    for file in (message or {}).get("files") or ():
        take = await studio.store.run(approvals.take_by_file, channel, file.get("id", ""))
        if take is not None:
            await studio.store.run(approvals.index_message, channel, ts, take["shot_id"], take["id"])
            return take["shot_id"], take["id"]
    return None


async def _subject(studio: Studio, shot_id: int, take_id: int | None) -> tuple[dict, dict | None] | None:
    """What a reaction decides on: a clip's own version, or for the card, the latest job while it
    is waiting or running, else the latest delivered version."""

    def load(db):
        shot, jobs, takes = jobs_db.shot_view(db, shot_id)
        return jobs, takes

    jobs, takes = await studio.store.run(load)
    by_id = {j["id"]: j for j in jobs}
    if take_id is not None:
        take = next((t for t in takes if t["id"] == take_id), None)
        return (by_id[take["job_id"]], take) if take else None
    if not jobs:
        return None
    latest = jobs[-1]
    if latest["state"] not in ENDED:
        return latest, None
    delivered = [t for t in takes if t["state"] == "delivered"]
    return (by_id[delivered[-1]["job_id"]], delivered[-1]) if delivered else None


async def spend_text(studio: Studio, origin: Origin) -> str:
    """This month's spend in the channel, by model and by person."""
    since = month_start_iso()

    def load(db):
        return (
            channels.get_settings(db, origin.channel_id),
            channels.month_spend(db, origin.channel_id, since),
            approvals.reserved(db, origin.channel_id),
            approvals.spend_by(db, origin.channel_id, since, "model"),
            approvals.spend_by(db, origin.channel_id, since, "user_id"),
        )

    settings, spent, reserved, by_model, by_user = await studio.store.run(load)
    lines = [f"*Spend this month:* ${spent:,.2f}"]
    if settings.budget_usd is not None:
        left = max(0.0, settings.budget_usd - spent - reserved)
        lines[0] += f" of ${settings.budget_usd:,.2f} · remaining ${left:,.2f}"
    if reserved:
        lines.append(f"Reserved by running jobs: ${reserved:,.2f}")
    if not by_model:
        lines.append("Nothing delivered this month yet.")
        return "\n".join(lines)
    lines.append("*By model*")
    lines += [f"• `{m}`: ${usd:,.2f} ({n} clip{'s' * (n != 1)})" for m, usd, n in by_model]
    lines.append("*By person*")
    lines += [f"• <@{u}>: ${usd:,.2f} ({n} clip{'s' * (n != 1)})" for u, usd, n in by_user]
    return "\n".join(lines)


async def audit_text(studio: Studio, origin: Origin) -> str:
    """The channel's latest decisions, newest first."""
    rows = await studio.store.run(audit.latest, origin.channel_id, 20)
    if not rows:
        return "No decisions recorded in this channel yet."
    lines = ["*Latest decisions in this channel*"]
    for r in rows:
        job = f" J{r['job_id']}" if r["job_id"] else ""
        detail = f": {r['detail']}" if r["detail"] else ""
        lines.append(f"• {r['at'][:16].replace('T', ' ')} <@{r['user_id']}> {r['action']}{job}{detail}")
    return "\n".join(lines)


async def tell_thread(studio: Studio, job: dict, text: str) -> None:
    """A line in the job's thread (cancellations); the card shows it too, so a failure is only logged."""
    shot = await studio.store.run(jobs_db.get_shot, job["shot_id"])
    if not shot or not shot.get("card_ts"):
        return
    try:
        await studio.cards.client.chat_postMessage(
            channel=shot["channel_id"], thread_ts=shot["card_ts"], text=text
        )
    except Exception as exc:
        log.warning("could not tell the thread of shot %s (%s)", shot["id"], type(exc).__name__)
