"""Replies in a job's thread sorted by whom they are for: spoken to Dailies they start a job
(`ThreadJobs`); conversation is kept as a review note on its version, and a note that asks for a
change earns its author alone a priced offer to render it. Notes follow their messages' edits."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from bot.cards.offers import offer_blocks
from bot.cards.publisher import CardPublisher
from bot.cards.thread_notes import ThreadNotes
from bot.outcomes import Refusal
from bot.request import ThreadInstruction, parse_reply
from bot.request.addressee import for_dailies, named_version
from bot.request.campaign import campaign_reply
from bot.request.note_kinds import CHANGE, note_kind, without_people
from bot.request.timecode import find_timecode
from bot.studio import thread_plan
from bot.studio.origin import Origin
from bot.studio.thread_jobs import ThreadJobs
from storage import campaigns as campaigns_db
from storage import channels, review_notes
from storage import jobs as jobs_db
from storage.db import Store
from storage.rows import TakeRow
from storage.states import TakeState

log = logging.getLogger(__name__)
NOTE_CHARS = 4000


class ThreadTalk:
    def __init__(
        self, store: Store, thread_jobs: ThreadJobs, notes: ThreadNotes, cards: CardPublisher
    ) -> None:
        self.store = store
        self.thread_jobs = thread_jobs
        self.notes = notes  # the offer goes out as an ephemeral message
        self.cards = cards  # a version's note count is on the card

    async def message(
        self, origin: Origin, thread_ts: str, ts: str, text: str, bot_user_id: str | None
    ) -> str | None:
        """A person's message in a job's thread: for Dailies it is a reply (a job, or a message for
        them); otherwise a note, and nothing starts. None when there is nothing to tell them."""
        shot = await self.store.run(jobs_db.shot_by_card, origin.team_id, origin.channel_id, thread_ts)
        if shot is None:
            return None
        settings = await self.store.run(channels.get_settings, origin.team_id, origin.channel_id)
        spoken_to = for_dailies(
            text, author=origin.user_id, requester=shot["user_id"], bot_user_id=bot_user_id,
            replies=settings.replies,
        )  # fmt: skip
        if spoken_to:
            return await self.thread_jobs.reply(origin, thread_ts, text, origin.files)
        shot_id = shot["id"]
        if shot.get("campaign_id") and shot.get("campaign_shot") is None:
            # on a campaign's board, `S3: …` is a note on that shot's version
            said = campaign_reply(text)
            if isinstance(said, Refusal) or said[0] is None:
                return None
            found = await self.store.run(campaigns_db.shot_number, shot["campaign_id"], said[0])
            if found is None:
                return None
            shot_id, text = found, said[1]
        await self._keep(origin, shot_id, thread_ts, ts, text, bot_user_id)
        return None

    async def _keep(
        self, origin: Origin, shot_id: int, thread_ts: str, ts: str, text: str, bot_user_id: str | None
    ) -> None:
        _shot, _jobs, takes = await self.store.run(jobs_db.shot_view, shot_id)
        take = note_take(takes, named_version(text))
        note_id = await self.store.run(
            review_notes.add, origin.team_id, origin.channel_id, ts,
            shot_id=shot_id, take_id=take["id"] if take else None, user_id=origin.user_id,
            text=text[:NOTE_CHARS], timecode=find_timecode(text),
        )  # fmt: skip
        if note_id is None:
            return  # Slack sent this message twice
        self.cards.touch(shot_id)
        if note_kind(text, bot_user_id) == CHANGE:
            await self._offer(origin, shot_id, thread_ts, note_id, text, takes)

    async def _offer(
        self, origin: Origin, shot_id: int, thread_ts: str, note_id: int, text: str, takes: Sequence[TakeRow]
    ) -> None:
        """The note's author alone is offered its render, priced; nothing when it can't be rendered."""
        ins = parse_reply(without_people(text))
        if isinstance(ins, Refusal):
            return
        plan = await self.thread_jobs.plan(origin, shot_id, ins)
        if isinstance(plan, str):
            log.info("no offer for note %s: %s", note_id, plan)
            return
        version = max((t["version"] for t in takes), default=0) + 1
        await self.store.run(review_notes.set_offer, note_id, version)
        label, blocks = offer_blocks(note_id, version, plan.estimate_usd, reading(ins, plan), plan.takes)
        await self.notes.offer(origin.channel_id, origin.user_id, thread_ts, label, blocks)

    async def press_offer(self, origin: Origin, value: str) -> str | None:
        """The offer's button: the note's author asking Dailies for it, under the same rules as a
        reply; a stale offer (the thread has moved on) says so and starts nothing."""
        note = await self.store.run(review_notes.get, int(value)) if value.isdigit() else None
        if note is None or (note["team_id"], note["channel_id"]) != (origin.team_id, origin.channel_id):
            return "That note is gone (deleted in Slack?), so there is nothing to render."
        if note["user_id"] != origin.user_id:
            return (
                "Only the note's author can render it; reply with the change and mention me to ask yourself."
            )
        _shot, _jobs, takes = await self.store.run(jobs_db.shot_view, note["shot_id"])
        latest = max((t["version"] for t in takes), default=0)
        if not note["offer_version"] or latest >= note["offer_version"]:
            return (
                f"This offer has expired: the thread has v{latest} now. To render your note on it, reply "
                "with the change and mention me."
            )
        ins = parse_reply(without_people(note["text"]))
        if isinstance(ins, Refusal):
            return ins.message
        # one job per offer, however often it is pressed
        return await self.thread_jobs.start(
            replace(origin, source_key=f"offer:{note['id']}"), note["shot_id"], ins, ins.takes
        )

    async def edited(self, team_id: str, channel_id: str, ts: str, text: str) -> None:
        """A message edited in Slack: its note (if it is one) takes the new text."""
        shot_id = await self.store.run(
            review_notes.edit, team_id, channel_id, ts, text[:NOTE_CHARS], find_timecode(text)
        )
        if shot_id is not None:
            self.cards.touch(shot_id)

    async def deleted(self, team_id: str, channel_id: str, ts: str) -> None:
        """A message deleted in Slack: its note goes too."""
        shot_id = await self.store.run(review_notes.remove, team_id, channel_id, ts)
        if shot_id is not None:
            self.cards.touch(shot_id)


def note_take(takes: Sequence[TakeRow], version: int | None) -> TakeRow | None:
    """The version a note is about: the one it names, else the latest delivered, else the latest."""
    if version is not None:
        named = [t for t in takes if t["version"] == version]
        if named:
            return named[0]
    delivered = [t for t in takes if t["state"] == TakeState.DELIVERED]
    if delivered:
        return delivered[-1]
    return takes[-1] if takes else None


def reading(ins: ThreadInstruction, plan: thread_plan.ThreadJob) -> str:
    """How the offer says it read the note: `edit of v2`, `re-render at 9:16 of v2`."""
    if ins.reading:
        return plan.request.get("read_as") or ins.reading
    if plan.source is not None:
        return f"{plan.kind} of v{plan.source['version']} on `{plan.model}`"
    return f"{plan.kind} on `{plan.model}`"
