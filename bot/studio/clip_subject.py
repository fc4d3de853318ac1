"""`save as subject NAME` in a job's thread: the latest delivered version's first frame (or an
image attached to the reply) becomes a new subject in the channel's library."""

from __future__ import annotations

import asyncio
import logging
import random
from pathlib import Path
from typing import TYPE_CHECKING

import av

from bot.outcomes import Refusal
from bot.request import ThreadInstruction
from bot.studio import thread_plan as threads
from storage import jobs as jobs_db

if TYPE_CHECKING:
    from bot.studio.studio import Origin, Studio

log = logging.getLogger(__name__)
DESCRIPTION_CHARS = 200


def describe(prompt: str) -> str:
    """A subject description from a version's prompt: one line, at most DESCRIPTION_CHARS. Pure."""
    text = " ".join((prompt or "").split())
    if len(text) <= DESCRIPTION_CHARS:
        return text
    return text[: DESCRIPTION_CHARS - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def first_frame(clip: Path, dest: Path) -> Path | None:
    """Decode the clip's first video frame into a PNG at `dest`; None when it has none."""
    with av.open(str(clip)) as container:
        if not container.streams.video:
            return None
        for frame in container.decode(video=0):
            frame.to_image().save(dest, format="PNG")
            return dest
    return None


async def save(studio: Studio, origin: Origin, shot_id: int, ins: ThreadInstruction) -> str | None:
    """Save the subject and confirm in the thread; returns a message when it can't be done."""
    shot, jobs, versions = await studio.store.run(jobs_db.shot_view, shot_id)
    by_id = {j["id"]: j for j in jobs}
    images = tuple(f for f in origin.files if (f.get("mimetype") or "").startswith("image/"))
    take = threads.pick_take(versions, ins.version, "edit")
    if isinstance(take, Refusal) and not images:
        return take.message.replace("to change", "to save").replace("to work on", "to save")
    prompt = by_id[take["job_id"]]["request"].get("prompt", "") if not isinstance(take, Refusal) else ""
    description = describe(prompt)
    if images:
        answer = await studio.library.add(
            origin.channel_id, origin.user_id, ins.text, (), images[:1], description
        )
    else:
        frame = await _frame(studio, take)
        if isinstance(frame, str):
            return frame
        answer = await studio.library.add_frame(
            origin.channel_id, origin.user_id, ins.text, frame, description, f"v{take['version']}"
        )
    if not answer.startswith(("Added", "Saved")):
        return answer
    try:
        await studio.cards.client.chat_postMessage(
            channel=shot["channel_id"], thread_ts=shot["card_ts"], text=f"<@{origin.user_id}>: {answer}"
        )
    except Exception as exc:  # the subject is saved; say so privately instead
        log.warning("could not confirm the saved subject in shot %s (%s)", shot_id, type(exc).__name__)
        return answer
    return None


async def _frame(studio: Studio, take: dict) -> Path | str:
    """The take's first frame as a PNG in the media dir, or a message for the person."""
    from bot.studio.thread_jobs import _from_slack  # the same re-download an edit's source clip uses

    path = take.get("media_path")
    if not path or not Path(path).is_file():
        problem = await _from_slack(studio, take)
        if problem:
            return problem
        take = await studio.store.run(jobs_db.get_take, take["id"])
        path = take.get("media_path")
    dest_dir = Path(studio.config.media_dir) / "subjects"
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / f".frame-{random.getrandbits(64):016x}.png"
    try:
        frame = await asyncio.to_thread(first_frame, Path(path), dest)
    except (av.error.FFmpegError, OSError, ValueError):
        dest.unlink(missing_ok=True)
        frame = None
    if frame is None:
        return f"I couldn't read a frame from v{take['version']}; attach an image to the reply instead."
    return frame
