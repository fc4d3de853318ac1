"""Starting a stored job: the cost gate decided and the job stored in one transaction
(`storage.gate`), its card posted, the runner woken. Every feature that makes a job (new video, avatar, thread reply) ends here."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.cards.publisher import CardPublisher, permanent_slack_error
from storage import consent as consent_db
from storage import jobs as jobs_db
from storage.clock import month_start_iso
from storage.db import Store
from storage.gate import GatedTogether, create_gated, create_gated_together
from storage.states import JobState, TakeState

log = logging.getLogger(__name__)
LIKENESS_MODES = ("avatar", "lipsync")  # jobs that make a person's face speak
CANT_POST = {
    "not_in_channel": "I'm not in this channel yet: invite me with `/invite @Dailies`, then ask again.",
    "channel_not_found": "I can't post here: this is a private conversation I'm not part of. "
    "Invite me with `/invite @Dailies`, or use a channel I'm in.",
    "is_archived": "This channel is archived, so I can't post the job card here.",
}


class Starter:
    def __init__(
        self,
        store: Store,
        cards: CardPublisher,
        wake: Callable[[], None],
        refusal: Callable[[jobs_db.NewJob], str | None] = lambda new: None,
    ) -> None:
        self.store = store
        self.cards = cards
        self.wake = wake  # the runner's: new work was stored
        self.refusal = refusal  # what the job's backend refuses from the request alone

    async def start(self, new: jobs_db.NewJob) -> str | None:
        """Store `new` (held for approval when the gate says so), post its card and wake the
        runner; a message for the requester when the card can't be posted, None otherwise
        (and for a Slack retry of a trigger already stored). A request its backend refuses as
        asked is answered with why, and no job is made."""
        refused = await self.refused(new)
        if refused:
            return refused
        try:
            gated = await self.store.run(create_gated, new, month_start_iso())
        except jobs_db.DuplicateTrigger:
            return None
        shot_id, job_id = gated.shot_id, gated.job_id
        try:
            await self.cards.ensure_posted(shot_id)
        except Exception as exc:
            error = permanent_slack_error(exc)
            if error is None:
                log.warning("card for shot %s not posted yet (%s); the runner will retry", shot_id, exc)
            else:
                message = CANT_POST.get(error, f"I can't post in this conversation (Slack said `{error}`).")
                await self.store.run(
                    jobs_db.set_job_state, job_id, JobState.FAILED, message, TakeState.FAILED
                )
                return message + " Nothing was rendered or charged."
        self.wake()
        return None

    async def refused(self, new: jobs_db.NewJob) -> str | None:
        """Why `new` can't start as asked (its backend refuses it, a likeness lacks consent), or None."""
        return self.refusal(new) or await self._without_consent(new)

    async def start_together(self, news: list[jobs_db.NewJob], what: str) -> GatedTogether | None:
        """Store `news` (checked with `refused` first) on one gate decision for their total, all
        started or all held for one approval, and wake the runner; None for a Slack retry of a
        trigger already stored. Their cards are the caller's (a campaign's board is posted)."""
        try:
            gated = await self.store.run(create_gated_together, news, month_start_iso(), what)
        except jobs_db.DuplicateTrigger:
            return None
        self.wake()
        return gated

    async def _without_consent(self, new: jobs_db.NewJob) -> str | None:
        """A talking avatar or lip-sync (another take, a final) of a subject whose consent was
        withdrawn since: why it can't start. The features offer the consent button before this."""
        if new.request.get("mode") not in LIKENESS_MODES:
            return None
        subjects = {s["id"]: s["name"] for s in new.request.get("subjects") or () if s.get("id")}
        ids = [*subjects, *(i for i in new.request.get("likeness") or () if i not in subjects)]
        given = await self.store.run(consent_db.consents_of, ids)
        lacking = [i for i in ids if i not in given]
        if not lacking:
            return None
        name = subjects.get(lacking[0])
        if name is None:
            found = await self.store.run(
                consent_db.subject_in_channel, lacking[0], new.team_id, new.channel_id
            )
            name = found["name"] if found else "subject"
        return (
            f"`{{{name}}}` has no consent on record any more, so nothing was started. If you have the "
            f"person's permission, record it with `/video subject consent {name} [note]`, then ask again."
        )
