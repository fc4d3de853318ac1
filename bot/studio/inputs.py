"""The media a request hands us (a video's starting image, an avatar's audio), fetched safely into
the inputs folder and checked before any job is stored."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from bot.media.check import MediaRejected, check_audio, check_image
from bot.media.fetch import Fetched, fetch_slack_file, fetch_url
from bot.media.netpolicy import FetchRefused
from bot.slack.workspace import current_token  # distribution mode: the request's workspace

IMAGE_LIMIT = 10 * 1024 * 1024
TABLE_LIMIT = 1024 * 1024  # a campaign's CSV of up to 50 shots is a few KB
AUDIO_LIMIT = 5 * 1024 * 1024


class Inputs:
    def __init__(
        self,
        inputs_dir: str | Path,
        *,
        token: str,
        allow_private: bool,
        slack_file_hosts: tuple[str, ...] = ("files.slack.com",),
    ) -> None:
        self.dir = Path(inputs_dir)
        self.token = token
        self.allow_private = allow_private
        self.slack_file_hosts = slack_file_hosts  # "host:port" entries too (the tests' stand-in)

    async def image(self, url: str | None, slack_file: dict | None) -> dict:
        """The image a video starts from (a URL, or a file attached in Slack), as the stored
        request carries it. Raises FetchRefused or MediaRejected with a message for the person."""
        fetched = await self._fetch(url, slack_file, "img", kind="image", max_bytes=IMAGE_LIMIT)
        await asyncio.to_thread(check_image, fetched.path)
        return {"url": None if slack_file else url, "path": str(fetched.path), "mime": fetched.mime}

    async def audio(
        self, url: str | None, slack_file: dict | None, *, min_seconds: float = 2, max_seconds: float = 300
    ) -> dict:
        """Speech (an avatar's, a lip-sync's) or a voice sample, with its seconds, checked against
        the seconds the use takes; a rejected file is not kept."""
        fetched = await self._fetch(url, slack_file, "audio", kind="audio", max_bytes=AUDIO_LIMIT)
        try:
            info = await asyncio.to_thread(
                check_audio,
                fetched.path,
                max_bytes=AUDIO_LIMIT,
                min_seconds=min_seconds,
                max_seconds=max_seconds,
            )
        except MediaRejected:
            fetched.path.unlink(missing_ok=True)
            raise
        url = None if slack_file else url
        return {"url": url, "path": str(fetched.path), "mime": info.mime, "seconds": info.seconds}

    async def table(self, slack_file: dict) -> str:
        """A CSV/TSV file attached in Slack, as text (UTF-8, or Latin-1 when it is not). Raises
        FetchRefused with a message for the person."""
        fetched = await self._fetch(None, slack_file, "table", kind="text", max_bytes=TABLE_LIMIT)
        try:
            raw = fetched.path.read_bytes()
        finally:
            fetched.path.unlink(missing_ok=True)
        if b"\x00" in raw:
            raise FetchRefused(f"{slack_file.get('name') or 'That file'} is not a CSV or TSV text file.")
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return raw.decode("latin-1")

    async def _fetch(
        self, url: str | None, slack_file: dict | None, prefix: str, *, kind: str, max_bytes: int
    ) -> Fetched:
        # Slack's URLs need our token, so a Slack file's URL is never stored: backends get the bytes
        self.dir.mkdir(parents=True, exist_ok=True)
        dest = self.dir / f"{prefix}-{random.getrandbits(64):016x}"
        if slack_file is not None:
            return await fetch_slack_file(
                slack_file, dest, token=self.token or current_token(), kind=kind, max_bytes=max_bytes,
                allowed_hosts=self.slack_file_hosts, extra_allowed_hosts=self.slack_file_hosts,
            )  # fmt: skip
        if url is None:
            raise ValueError("nothing to fetch: neither a URL nor a Slack file")
        return await fetch_url(url, dest, kind=kind, max_bytes=max_bytes, allow_private=self.allow_private)
