"""Post to #channel: a delivered version drafted in someone's DM with Dailies becomes a normal job card in
a channel, a new shot whose v1 is that clip (uploaded into the card's thread), still asked for by them."""

from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path

from bot.cards.dm_studio import is_dm
from bot.cards.publisher import CardPublisher, permanent_slack_error
from bot.delivery.fetch_back import FetchBack
from bot.request.money import usd
from bot.studio.origin import Origin
from bot.studio.start import CANT_POST
from storage import audit, shares
from storage import jobs as jobs_db
from storage.db import Store
from storage.rows import TakeRow
from storage.states import JobState, TakeState

log = logging.getLogger(__name__)


class Shares:
    def __init__(
        self, store: Store, fetch_back: FetchBack, cards: CardPublisher, wake, media_dir: Path
    ) -> None:
        self.store = store
        self.fetch_back = fetch_back  # the draft's clip, downloaded again from Slack
        self.cards = cards
        self.wake = wake  # the runner's: it uploads the clip into the new card's thread
        self.dir = Path(media_dir) / "shared"

    async def post(self, origin: Origin, value: str, channel_id: str | None) -> str | None:
        """Share the version `value` (a take id) of a DM draft into `channel_id`; a message for the
        person (what happened, or why not)."""
        if not channel_id:
            return "Pick a channel in the menu first, then press *Post to #channel*."
        if is_dm(channel_id) or channel_id.startswith("U"):
            return "Pick a channel to post to: the draft is already here in your DM."
        take = await self.store.run(jobs_db.get_take, int(value)) if value.isdigit() else None
        job = await self.store.run(jobs_db.get_job, take["job_id"]) if take else None
        if (
            take is None
            or job is None
            or (job["team_id"], job["channel_id"]) != (origin.team_id, origin.channel_id)
        ):
            return "That draft is not in this DM any more."
        if job["user_id"] != origin.user_id:
            return "Only the person who drafted it can post it to a channel."
        if take["state"] != TakeState.DELIVERED:
            return f"v{take['version']} has no clip yet; post it once it is delivered."
        clip = await self._copy(take)
        if isinstance(clip, str):
            return clip
        request = dict(job["request"])
        note = (
            f":outbox_tray: Drafted by <@{origin.user_id}> in their DM with Dailies (v{take['version']}, "
            f"{usd(take['cost_usd'] or 0)} on their own line); nothing was charged here."
        )
        request["notes"] = [*request.get("notes", []), note]
        request.pop("read_as", None)
        new = jobs_db.NewJob(
            channel_id=channel_id, team_id=origin.team_id, user_id=origin.user_id, kind=job["kind"],
            model=job["model"], backend=job["backend"], request=request, takes=1, estimate_usd=0.0,
            source_key=f"share:{take['id']}:{channel_id}", title=request.get("prompt") or "",
            parent_take_id=job["parent_take_id"], seeds=(take.get("seed"),),
        )  # fmt: skip
        try:
            shot_id, job_id = await self.store.run(
                shares.create_shared, new, str(clip), clip.stat().st_size, take.get("seconds")
            )
        except jobs_db.DuplicateTrigger:
            clip.unlink(missing_ok=True)
            return f"v{take['version']} is already posted in <#{channel_id}>."
        problem = await self._card(shot_id, job_id, clip)
        if problem:
            return problem
        await self.store.run(
            audit.record, origin.team_id, channel_id, origin.user_id, "shared",
            f"v{take['version']} of a DM draft (J{job['id']}) as J{job_id}", job_id,
        )  # fmt: skip
        self.wake()
        return f"Posted to <#{channel_id}> as J{job_id}: its card is there, and the clip lands in its thread."

    async def _copy(self, take: TakeRow) -> Path | str:
        """A copy of the draft's clip for the share (its upload deletes it): the local one, else
        downloaded again from Slack."""
        media = take.get("media_path")
        path = Path(media) if media else None
        if path is None or not path.is_file():
            fetched = await self.fetch_back.clip(take)
            if isinstance(fetched, str):
                return fetched
            path = fetched
        self.dir.mkdir(parents=True, exist_ok=True)
        dest = self.dir / f"take{take['id']}-{int(asyncio.get_running_loop().time() * 1000)}.mp4"
        await asyncio.to_thread(shutil.copyfile, path, dest)
        return dest

    async def _card(self, shot_id: int, job_id: int, clip: Path) -> str | None:
        """Post the new card; why not, when the channel won't have it (the share is then failed)."""
        try:
            await self.cards.ensure_posted(shot_id)
        except Exception as exc:
            error = permanent_slack_error(exc)
            if error is None:
                log.warning("shared card %s not posted yet (%s); the runner will retry", shot_id, exc)
                return None
            message = CANT_POST.get(error, f"I can't post in that conversation (Slack said `{error}`).")
            await self.store.run(jobs_db.set_job_state, job_id, JobState.FAILED, message, TakeState.FAILED)
            clip.unlink(missing_ok=True)
            return message
        return None
