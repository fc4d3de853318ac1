"""Reviewing versions: reactions, card buttons and the screening room's verdicts become recorded
decisions, which start a job waiting for approval, cancel it, or mark a version approved."""

from __future__ import annotations

from collections.abc import Callable

from bot.request.review import ONLY_APPROVERS, REACTIONS, may_press, may_review
from bot.studio.cancel import Cancellation
from bot.studio.intake import Telling
from bot.studio.origin import Origin
from bot.studio.thread_jobs import ThreadJobs
from storage import approvals, channels
from storage import campaigns as campaigns_db
from storage import jobs as jobs_db
from storage.db import Store
from storage.rows import JobRow, TakeRow
from storage.states import ENDED, JobState, TakeState

# A reaction on a message that is neither a card nor an indexed clip looks at this many of the
# channel's unindexed clips (one files.info each, Tier 4): a reaction on any other message costs
# at most this many calls.
UNINDEXED_LOOKUPS = 5


class Decisions:
    def __init__(
        self,
        store: Store,
        telling: Telling,
        wake: Callable[[], None],
        cancellation: Cancellation,
        thread_jobs: ThreadJobs,
    ) -> None:
        self.store = store
        self.cards = telling.cards
        self.notes = telling.notes
        self.wake = wake  # the runner's: a job approved past the gate can start
        self.cancellation = cancellation
        self.thread_jobs = thread_jobs

    async def reaction(self, origin: Origin, ts: str, name: str, added: bool) -> None:
        """A reaction on a job card or a clip's message; reactions of people who may not review
        are ignored."""
        kind = REACTIONS.get(name)
        if kind is None:
            return
        target = await self._resolve(origin.team_id, origin.channel_id, ts)
        if target is None:
            return
        shot_id, take_id = target
        if take_id is None and kind != "again" and added:
            campaign_id = await self.store.run(campaigns_db.campaign_of_board, shot_id)
            if campaign_id is not None:
                await self._decide_campaign(origin, campaign_id, shot_id, kind)
                return
        subject = await self._subject(shot_id, take_id)
        if subject is None:
            return
        job, take = subject
        settings = await self.store.run(channels.get_settings, origin.team_id, origin.channel_id)
        if not may_review(origin.user_id, settings.approvers, job["user_id"]):
            return
        if kind == "again":
            if not added:
                return
            reply: str | None
            if take is None:
                state = job["state"].replace("_", " ")
                reply = f"J{job['id']} is still {state}; react :repeat: on a version once it has landed."
            else:
                reply = await self.thread_jobs.another_take(origin, take["id"])
            if reply:
                shot = await self.store.run(jobs_db.get_shot, shot_id)
                await self.notes.tell(
                    origin.channel_id, origin.user_id, reply, shot.get("card_ts") if shot else None
                )
            return
        await self._decide(origin, job, take, kind if added else "withdrawn", "reaction")

    async def _decide_campaign(self, origin: Origin, campaign_id: int, board: int, kind: str) -> None:
        """✅ or ❌ on a campaign's board: the decision on every job it holds for approval (each
        under the channel's rules, so of two approvers at once one starts each job)."""
        campaign = await self.store.run(campaigns_db.get_campaign, campaign_id)
        settings = await self.store.run(channels.get_settings, origin.team_id, origin.channel_id)
        if campaign is None or not may_review(origin.user_id, settings.approvers, campaign["user_id"]):
            return
        started = False
        for job_id in await self.store.run(campaigns_db.held_jobs, campaign_id):
            if kind == "reject":
                await self.cancellation.cancel(origin, f"J{job_id}", reason="rejected")
                continue
            decided = await self.store.run(
                approvals.decide, team_id=origin.team_id, channel_id=origin.channel_id, job_id=job_id,
                take_id=None, user_id=origin.user_id, decision="approve", via="reaction", label=f"J{job_id}",
            )  # fmt: skip
            started = started or decided.started
        self.cards.touch(board)
        if started:
            self.wake()

    async def button(self, origin: Origin, action_id: str, value: str) -> str | None:
        """A button on a card (or the screening room), acting on the version it was rendered
        for (`value` is "<shot>:take:<id>" or "<shot>:job:<id>"); returns an ephemeral reply."""
        shot_ref, _, rest = value.partition(":")
        what, _, ref = rest.partition(":")
        if not (shot_ref.isdigit() and ref.isdigit() and what in ("take", "job")):
            return "That button is out of date; use the buttons on the latest card."
        by = {"take_id": int(ref)} if what == "take" else {"job_id": int(ref)}
        job, take = await self.store.run(jobs_db.find_version, int(shot_ref), **by)
        if job is None or job["channel_id"] != origin.channel_id:
            return "That version is not in this channel any more."
        settings = await self.store.run(channels.get_settings, origin.team_id, origin.channel_id)
        if action_id in ("approve", "reject"):  # reject: the screening room's button (❌ in Slack)
            if not may_review(origin.user_id, settings.approvers, job["user_id"]):
                return ONLY_APPROVERS
            return await self._decide(origin, job, take, action_id, "button")
        # Another take is the button form of 🔁, so it follows the review rule; Final render and
        # Cancel stay with the requester and the approvers
        allowed = may_review if action_id == "another_take" else may_press
        if not allowed(origin.user_id, settings.approvers, job["user_id"]):
            return ONLY_APPROVERS
        if action_id == "cancel":
            return await self.cancellation.cancel(origin, f"J{job['id']}")
        if take is None or take["state"] != TakeState.DELIVERED:
            return "That version has not been delivered yet."
        if action_id == "another_take":
            return await self.thread_jobs.another_take(origin, take["id"])
        if action_id == "final_render":
            return await self.thread_jobs.final_render(origin, take["id"])
        return None

    async def decide(self, origin: Origin, take_id: int, decision: str, via: str = "button") -> str | None:
        """Record `decision` ("approve", "reject" or "withdrawn") by `origin.user_id` on version
        `take_id`, with the rules a reaction on its clip follows; returns the answer for them."""
        if decision not in approvals.DECISIONS:
            raise ValueError(f"unknown decision {decision!r}")
        take = await self.store.run(jobs_db.get_take, take_id)
        job = await self.store.run(jobs_db.get_job, take["job_id"]) if take else None
        if job is None or job["channel_id"] != origin.channel_id:
            return "That version is not in this channel any more."
        settings = await self.store.run(channels.get_settings, origin.team_id, origin.channel_id)
        if not may_review(origin.user_id, settings.approvers, job["user_id"]):
            return ONLY_APPROVERS
        return await self._decide(origin, job, take, decision, via)

    async def _decide(self, origin: Origin, job: JobRow, take: TakeRow | None, decision: str, via: str):
        """Record one decision, then act on the subject's verdict (start, cancel, or mark approved)."""
        label = f"v{take['version']}" if take else f"J{job['id']}"
        decided = await self.store.run(
            approvals.decide, team_id=origin.team_id, channel_id=origin.channel_id, job_id=job["id"],
            take_id=take["id"] if take else None, user_id=origin.user_id, decision=decision, via=via, label=label,
        )  # fmt: skip
        self.cards.touch(job["shot_id"])
        changed, state = decided.changed, decided.state
        if take is None and state == JobState.AWAITING_APPROVAL:
            if decided.started:
                self.wake()
                return f"Approved: J{job['id']} is starting."
            if changed == "rejected":
                return await self.cancellation.cancel(origin, f"J{job['id']}", reason="rejected")
        elif take is None and decision == "reject" and state not in ENDED:
            return await self.cancellation.cancel(origin, f"J{job['id']}", reason="rejected")
        elif take is not None and changed == "approved":
            shot = await self.store.run(jobs_db.get_shot, job["shot_id"])
            card_ts = shot.get("card_ts") if shot else None
            if shot and card_ts:
                await self.notes.mark_approved(shot["channel_id"], card_ts)
            return f"Approved v{take['version']}."
        if decision == "approve" and take is None and state == JobState.AWAITING_APPROVAL:
            return f"Noted. J{job['id']} still needs every approver's approval."
        return "Noted." if via == "button" else None

    async def _resolve(self, team: str, channel: str, ts: str) -> tuple[int, int | None] | None:
        """(shot_id, take_id or None for the card itself) for a message ts. A clip's message is
        indexed at delivery; one Slack had not recorded then is learnt from files.info shares of
        the channel's latest unindexed clips (Tier 4, never conversations.replies)."""
        shot = await self.store.run(jobs_db.shot_by_card, team, channel, ts)
        if shot is not None:
            return shot["id"], None
        known = await self.store.run(approvals.message_target, team, channel, ts)
        if known is not None:
            return known["shot_id"], known["take_id"]
        for take in await self.store.run(approvals.unindexed_clips, team, channel, UNINDEXED_LOOKUPS):
            found = await self.notes.clip_message_ts(channel, take["slack_file_id"])
            if found is None:
                continue
            await self.store.run(approvals.index_message, team, channel, found, take["shot_id"], take["id"])
            if found == ts:
                return take["shot_id"], take["id"]
        return None

    async def _subject(self, shot_id: int, take_id: int | None) -> tuple[JobRow, TakeRow | None] | None:
        """What a reaction decides on: a clip's own version, or for the card, the latest job while
        it is waiting or running, else the latest delivered version."""
        _shot, jobs, takes = await self.store.run(jobs_db.shot_view, shot_id)
        by_id = {j["id"]: j for j in jobs}
        if take_id is not None:
            take = next((t for t in takes if t["id"] == take_id), None)
            return (by_id[take["job_id"]], take) if take else None
        if not jobs:
            return None
        latest = jobs[-1]
        if latest["state"] not in ENDED:
            return latest, None
        delivered = [t for t in takes if t["state"] == TakeState.DELIVERED]
        return (by_id[delivered[-1]["job_id"]], delivered[-1]) if delivered else None
