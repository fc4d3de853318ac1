"""A delivered clip back out of Slack (`files.info`, then the SSRF-safe fetch with the bot token)
when an edit or a saved subject needs its bytes and neither our copy nor the backend's link is left."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.media.fetch import fetch_slack_file
from bot.media.netpolicy import FetchRefused
from bot.slack.workspace import current_token  # distribution mode: the request's workspace
from storage import jobs as jobs_db
from storage.db import Store

VIDEO_LIMIT = 500 * 1024 * 1024


def result_url_valid(take: Mapping[str, Any], lifetime_seconds: float | None, now: datetime) -> bool:
    """Whether the backend's own URL of a clip can still be fetched: `lifetime_seconds` is how long
    the backend that made it keeps it there (its `result_url_seconds`; None: no usable URL)."""
    if not take.get("result_url"):
        return False
    finished = take.get("finished_at") or take.get("updated_at")
    if lifetime_seconds is None or not finished:
        return False
    at = datetime.fromisoformat(finished)
    return now - (at if at.tzinfo else at.replace(tzinfo=UTC)) < timedelta(seconds=lifetime_seconds)


class FetchBack:
    def __init__(
        self,
        client: AsyncWebClient,
        store: Store,
        *,
        media_dir: str | Path,
        token: str,
        slack_file_hosts: tuple[str, ...] = ("files.slack.com",),
    ) -> None:
        self.client = client
        self.store = store
        self.dir = Path(media_dir) / "sources"
        self.token = token
        self.slack_file_hosts = slack_file_hosts  # "host:port" entries too (the tests' stand-in)

    async def clip(self, take: Mapping[str, Any]) -> Path | str:
        """Download the take's delivered clip again and remember where it is (the take's
        `media_path`); a message for the person when Slack does not give it back."""
        version = f"v{take['version']}"
        file_id = take.get("slack_file_id")
        if not file_id:
            return f"{version} was never delivered to Slack, so there is no clip to work on."
        try:
            info = await self.client.files_info(file=file_id)
        except SlackApiError as exc:
            error = exc.response.get("error", "unknown error")
            return f"I couldn't get {version} back from Slack ({error}); was the file deleted?"
        self.dir.mkdir(parents=True, exist_ok=True)
        try:
            fetched = await fetch_slack_file(
                info["file"],
                self.dir / f"take{take['id']}.mp4",
                token=self.token or current_token(),
                kind="video",
                max_bytes=VIDEO_LIMIT,
                allowed_hosts=self.slack_file_hosts,
                extra_allowed_hosts=self.slack_file_hosts,
            )
        except FetchRefused as exc:
            return f"I couldn't get {version} back from Slack: {exc.message}"
        await self.store.run(jobs_db.set_source_media, take["id"], media_path=str(fetched.path))
        return fetched.path
