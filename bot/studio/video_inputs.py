"""The videos a request hands in (a motion-control reference, a camera/style reference), fetched
under the same safe-fetch rules as images and checked before any spend."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from bot.media.check import check_video
from bot.media.fetch import fetch_slack_file, fetch_url
from bot.request.checks import MOTION_MAX_SECONDS, MOTION_MIN_SECONDS
from bot.slack.workspace import current_token  # distribution mode: the request's workspace
from bot.studio.origin import videos_in

VIDEO_LIMIT = 100 * 1024 * 1024  # Kling's limit for reference videos
REFERENCE_MAX_SECONDS = 10  # a camera/style reference (Kling omni `feature` video)
NEEDS_LINK = (
    "{backend} fetches the reference video itself, so it needs a public link: put the clip "
    "somewhere public and use `{flag} URL` instead of attaching it."
)


def attached_video_role(model, files: tuple[dict, ...], *, motion_url: str | None, video_url: str | None):
    """("motion" | "reference" | None, the attached Slack video or None): an attached video is a
    reference on models that take one, else the motion to copy on models with motion control."""
    videos = videos_in(files)
    if not videos or motion_url or video_url:
        return None, None
    if "video" in model.inputs:
        return "reference", videos[0]
    if model.motion:
        return "motion", videos[0]
    return "unusable", videos[0]


class VideoInputs:
    """Fetches and checks input videos into `inputs_dir` (one file each, streamed to disk)."""

    def __init__(
        self, inputs_dir: Path, *, token: str, slack_file_hosts: tuple[str, ...], allow_private: bool
    ) -> None:
        self._dir = inputs_dir
        self._token = token
        self._hosts = slack_file_hosts
        self._allow_private = allow_private

    async def fetch(
        self, url: str | None, slack_file: dict | None, *, motion: bool, orient: str = "video"
    ) -> dict:
        """{"url", "path", "mime", "seconds", "width", "height", "name"}; FetchRefused or
        MediaRejected (with a message for the person) when it can't be used."""
        self._dir.mkdir(parents=True, exist_ok=True)
        dest = self._dir / f"vid-{random.getrandbits(64):016x}"
        if slack_file is not None:
            fetched = await fetch_slack_file(
                slack_file, dest, token=self._token or current_token(), kind="video", max_bytes=VIDEO_LIMIT,
                allowed_hosts=self._hosts, extra_allowed_hosts=self._hosts,
            )  # fmt: skip
            name = slack_file.get("name") or "the attached video"
        elif url is None:
            raise ValueError("nothing to fetch: neither a URL nor a Slack file")
        else:
            fetched = await fetch_url(
                url, dest, kind="video", max_bytes=VIDEO_LIMIT, allow_private=self._allow_private
            )
            name = url.rsplit("/", 1)[-1].split("?", 1)[0] or url
        limit = MOTION_MAX_SECONDS[orient] if motion else REFERENCE_MAX_SECONDS
        info = await asyncio.to_thread(
            check_video, fetched.path, max_bytes=VIDEO_LIMIT, min_seconds=MOTION_MIN_SECONDS,
            max_seconds=limit, what="The motion reference" if motion else "The reference video",
        )  # fmt: skip
        return {
            "url": url, "path": str(fetched.path), "mime": info.mime, "seconds": round(info.seconds, 2),
            "width": info.width, "height": info.height, "name": name[:80],
        }  # fmt: skip
