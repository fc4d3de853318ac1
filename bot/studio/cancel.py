"""Cancelling a job (`/video cancel J42`, the Cancel button, a rejection while it waits): its
takes stop, the decision is recorded, and its card and thread say so."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.cards.publisher import CardPublisher
from bot.cards.thread_notes import ThreadNotes
from bot.request.review import may_press, only_pressers
from bot.studio.origin import Origin
from storage import campaigns as campaigns_db
from storage import channels
from storage import jobs as jobs_db
from storage.db import Store
from storage.rows import JobRow


class Cancellation:
    def __init__(
        self,
        store: Store,
        cards: CardPublisher,
        notes: ThreadNotes,
        stop_job: Callable[[int], Awaitable[None]],
    ) -> None:
        self.store = store
        self.cards = cards
        self.notes = notes
        self.stop_job = stop_job  # the runner's: cancel the job's running takes

    async def cancel(self, origin: Origin, ref: str, reason: str = "cancelled") -> str:
        """Stop job `ref` ("J42"); `reason` is "cancelled" or "rejected". Returns the answer."""
        if ref.strip().lstrip("#").upper().startswith("C"):
            return await self.cancel_campaign(origin, ref.strip().lstrip("#")[1:], reason)
        digits = ref.strip().lstrip("#").upper().removeprefix("J")
        if not digits.isdigit():
            return f"`{ref}` is not a job id; job ids look like J42 (see `/video jobs`)."
        job = await self.store.run(jobs_db.get_job, int(digits))
        if job is None or job["channel_id"] != origin.channel_id:
            return f"There is no job J{digits} in this channel; see `/video jobs`."
        settings = await self.store.run(channels.get_settings, origin.team_id, origin.channel_id)
        if not may_press(origin.user_id, settings.approvers, job["user_id"]):
            return only_pressers(f"cancel J{digits}")
        ended = await self.stop(origin, job, reason)
        return f"J{digits} has already {ended}." if ended else f"Cancelled J{digits}."

    async def cancel_campaign(self, origin: Origin, digits: str, reason: str = "cancelled") -> str:
        """Stop every unfinished job of campaign C`digits` (its requester or an approver)."""
        campaign = await self.store.run(campaigns_db.get_campaign, int(digits)) if digits.isdigit() else None
        if (
            campaign is None
            or campaign["channel_id"] != origin.channel_id
            or (campaign["team_id"] or "") != (origin.team_id or "")
        ):
            return f"There is no campaign C{digits} in this channel; its id is on its board."
        settings = await self.store.run(channels.get_settings, origin.team_id, origin.channel_id)
        if not may_press(origin.user_id, settings.approvers, campaign["user_id"]):
            return only_pressers(f"cancel C{digits}")
        stopped = 0
        for job_id in await self.store.run(campaigns_db.unfinished_jobs, campaign["id"]):
            job = await self.store.run(jobs_db.get_job, job_id)
            if job is not None and await self.stop(origin, job, reason) is None:
                stopped += 1
        self.cards.touch(campaign["board_shot_id"])
        if not stopped:
            return f"C{digits} has nothing left to stop."
        return f"Cancelled C{digits}: {stopped} unfinished job{'s' if stopped != 1 else ''} stopped."

    async def stop(self, origin: Origin, job: JobRow, reason: str) -> str | None:
        """Stop an unfinished job whoever asked for it (the caller decided it must stop: a person
        allowed to cancel it, or a withdrawn consent): one transaction decides, audited, and its card
        and thread say so. The state it had already ended in, or None once stopped."""
        ended = await self.store.run(
            jobs_db.cancel_job, job["id"], origin.team_id, origin.channel_id, origin.user_id, reason
        )
        if ended:
            return ended
        await self.stop_job(job["id"])
        shot = await self.store.run(jobs_db.get_shot, job["shot_id"])
        card_ts = shot.get("card_ts") if shot else None
        if shot and card_ts:  # the card says it too, so a failed note is only logged
            text = f":no_entry_sign: J{job['id']} was {reason} by <@{origin.user_id}>."
            await self.notes.post(shot["channel_id"], card_ts, text)
        self.cards.touch(job["shot_id"])
        return None
