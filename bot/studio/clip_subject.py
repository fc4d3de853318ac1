"""`save as subject NAME` in a job's thread: the latest delivered version's first frame (or an
image attached to the reply) becomes a new subject in the channel's library."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from bot.cards.thread_notes import ThreadNotes
from bot.delivery.fetch_back import FetchBack
from bot.media.probe import first_frame_png
from bot.outcomes import Refusal
from bot.request import ThreadInstruction
from bot.studio import thread_plan
from bot.studio.origin import Origin
from bot.studio.subjects import Library
from storage import jobs as jobs_db
from storage.db import Store
from storage.rows import TakeRow

DESCRIPTION_CHARS = 200


def describe(prompt: str) -> str:
    """A subject description from a version's prompt: one line, at most DESCRIPTION_CHARS. Pure."""
    text = " ".join((prompt or "").split())
    if len(text) <= DESCRIPTION_CHARS:
        return text
    return text[: DESCRIPTION_CHARS - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


class ClipSubjects:
    def __init__(
        self, store: Store, library: Library, notes: ThreadNotes, fetch_back: FetchBack, media_dir: str | Path
    ) -> None:
        self.store = store
        self.library = library
        self.notes = notes
        self.fetch_back = fetch_back
        self.frames_dir = Path(media_dir) / "subjects"

    async def save(
        self, origin: Origin, shot_id: int, ins: ThreadInstruction, *, description: str | None = None
    ) -> str | None:
        """Save the subject and confirm in the thread; returns a message when it can't be done
        (or, when the thread can't be told, the confirmation for the person alone). Without a
        `description` (a form gives one), the version's prompt describes it."""
        shot, jobs, versions = await self.store.run(jobs_db.shot_view, shot_id)
        if shot is None:
            raise LookupError(f"no shot {shot_id}")
        by_id = {j["id"]: j for j in jobs}
        images = origin.images
        take = thread_plan.pick_take(versions, ins.version, "edit")
        prompt = by_id[take["job_id"]]["request"].get("prompt", "") if not isinstance(take, Refusal) else ""
        description = describe(prompt) if description is None else description
        if images:
            answer = await self.library.add(
                origin.team_id, origin.channel_id, origin.user_id, ins.text, (), images[:1], description
            )
        elif isinstance(take, Refusal):
            return take.message.replace("to change", "to save").replace("to work on", "to save")
        else:
            frame = await self._frame(take)
            if isinstance(frame, str):
                return frame
            answer = await self.library.add_frame(
                origin.team_id,
                origin.channel_id,
                origin.user_id,
                ins.text,
                frame,
                description,
                f"v{take['version']}",
            )
        if not answer.startswith(("Added", "Saved")):
            return answer
        told = await self.notes.post(shot["channel_id"], shot["card_ts"], f"<@{origin.user_id}>: {answer}")
        return None if told else answer

    async def _frame(self, take: TakeRow) -> Path | str:
        """The take's first frame as a PNG in the media dir, or a message for the person."""
        path: str | Path | None = take.get("media_path")
        if not path or not Path(path).is_file():
            fetched = await self.fetch_back.clip(take)
            if isinstance(fetched, str):
                return fetched
            path = fetched
        self.frames_dir.mkdir(parents=True, exist_ok=True)
        dest = self.frames_dir / f".frame-{random.getrandbits(64):016x}.png"
        frame = await asyncio.to_thread(first_frame_png, Path(path), dest)
        if frame is None:
            return f"I couldn't read a frame from v{take['version']}; attach an image to the reply instead."
        return frame
