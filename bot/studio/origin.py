"""Who asked, where, and which Slack delivery it came from: what every studio feature is given,
with the attached files sorted by what they look like (their Slack mimetype) and the job it asks for."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from storage.jobs import NewJob

# What Slack calls an audio file; an .m4a often arrives as video/mp4. What the bytes really are is
# decided later, when the file is checked (bot.media.check sniffs them).
_AUDIO_MIMETYPES = ("audio/", "video/mp4")


def _mimetype(file: dict) -> str:
    return file.get("mimetype") or ""


def images_in(files: tuple[dict, ...] | list[dict]) -> tuple[dict, ...]:
    """The Slack files that say they are images, in the order attached."""
    return tuple(f for f in files if _mimetype(f).startswith("image/"))


def audio_in(files: tuple[dict, ...] | list[dict]) -> tuple[dict, ...]:
    """The Slack files that may be audio (a recording, or sound in an MP4), in the order attached."""
    return tuple(f for f in files if _mimetype(f).startswith(_AUDIO_MIMETYPES))


def videos_in(files: tuple[dict, ...] | list[dict]) -> tuple[dict, ...]:
    """The Slack files that say they are videos, in the order attached."""
    return tuple(f for f in files if _mimetype(f).startswith("video/"))


@dataclass(frozen=True)
class Origin:
    channel_id: str
    user_id: str
    team_id: str = ""
    source_key: str = ""  # one job per trigger: "cmd:<trigger_id>", "msg:<channel>:<ts>"
    files: tuple[dict, ...] = field(default_factory=tuple)  # Slack file objects attached to a mention

    @property
    def images(self) -> tuple[dict, ...]:
        """The attached images."""
        return images_in(self.files)

    @property
    def audio(self) -> tuple[dict, ...]:
        """The attached files that may be audio."""
        return audio_in(self.files)

    def new_job(
        self,
        kind: str,
        model: str,
        backend: str,
        request: dict[str, Any],
        *,
        estimate_usd: float,
        title: str,
        takes: int = 1,
        shot_id: int | None = None,
        parent_take_id: int | None = None,
        seeds: tuple[int | None, ...] = (),
    ) -> NewJob:
        """The job this person asks for here: in a new shot, or in `shot_id`'s thread. A reply in a
        thread with no trigger of its own (a button) gets a key of its own, so it is never taken
        for a Slack retry of an earlier one."""
        source_key = self.source_key
        if not source_key and shot_id is not None:
            source_key = f"thread:{shot_id}:{uuid.uuid4().hex}"
        return NewJob(
            channel_id=self.channel_id,
            team_id=self.team_id,
            user_id=self.user_id,
            kind=kind,
            model=model,
            backend=backend,
            request=request,
            takes=takes,
            estimate_usd=round(estimate_usd, 2),
            source_key=source_key,
            title=title,
            shot_id=shot_id,
            parent_take_id=parent_take_id,
            seeds=seeds,
        )
