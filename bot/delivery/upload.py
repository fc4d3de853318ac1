"""Delivering a clip into the card's thread: Slack's three upload steps, streamed from disk, and
where the clip's message landed (its ts, for reviews by reaction).

Step 2 is by hand because slack_sdk's files_upload_v2 reads the whole file into memory; here the body
is streamed in chunks, so delivering a 300 MB clip costs a buffer, not 300 MB.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import httpx
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.cards.thread_notes import share_ts
from bot.slack.clients import single_attempt, until_slack_answers

log = logging.getLogger(__name__)
CHUNK = 256 * 1024
SEND_ATTEMPTS = 3  # a blink of Slack's file host; a longer outage is waited out by the caller
# what Slack answers when a file was already shared (the stand-in's name; Slack's own is unconfirmed)
ALREADY_COMPLETED = ("upload_already_completed", "file_already_completed", "already_completed")


class UploadFailed(Exception):
    """Slack did not take the file; the message is safe to show. `slack_away`: the file host did not
    answer (5xx, unreachable), so the same upload later may work."""

    def __init__(self, message: str, *, slack_away: bool = False) -> None:
        super().__init__(message)
        self.slack_away = slack_away


async def _chunks(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            yield chunk


async def start_upload(client: AsyncWebClient, path: Path, filename: str) -> tuple[str, str]:
    """Step 1: ask Slack where to send the bytes. Returns (file_id, upload_url)."""
    resp = await client.files_getUploadURLExternal(filename=filename, length=path.stat().st_size)
    return resp["file_id"], resp["upload_url"]


async def send_bytes(http: httpx.AsyncClient, upload_url: str, path: Path) -> None:
    """Step 2: stream the file body to the upload URL (no Authorization header: the URL is the grant),
    again from the start when the connection drops or Slack answers 5xx."""
    size = path.stat().st_size
    for attempt in range(SEND_ATTEMPTS):
        try:
            resp = await http.post(
                upload_url,
                content=_chunks(path),
                headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)},
                timeout=httpx.Timeout(60.0, write=300.0),
            )
        except httpx.TransportError as exc:
            if attempt == SEND_ATTEMPTS - 1:
                raise UploadFailed(
                    f"Slack's file host could not be reached ({type(exc).__name__})", slack_away=True
                ) from exc
        else:
            if resp.status_code == 200:
                return
            if resp.status_code < 500 or attempt == SEND_ATTEMPTS - 1:
                raise UploadFailed(
                    f"Slack refused the upload (HTTP {resp.status_code})", slack_away=resp.status_code >= 500
                )
        delay = min(30.0, 2.0**attempt)
        log.warning("upload of %s failed; sending it again in %.0f s", path.name, delay)
        await asyncio.sleep(delay)


async def complete_upload(
    client: AsyncWebClient,
    file_id: str,
    *,
    title: str,
    channel_id: str,
    thread_ts: str,
    comment: str,
    also: Sequence[dict] = (),
) -> bool:
    """Step 3: share the file (and `also`'s uploaded files, {"id", "title"} each, in the same
    message) into the thread, waiting out Slack being away. True when shared now or
    already earlier (a resumed job that crashed after this call must not post the clip twice). A
    failure that leaves it unknown whether Slack shared the file (a timeout, a dropped connection,
    a 5xx) is followed by `files.info` before asking again: the clip is posted once."""
    once = single_attempt(client)

    async def share() -> bool:
        try:
            await once.files_completeUploadExternal(
                files=[{"id": file_id, "title": title}, *also],
                channel_id=channel_id,
                thread_ts=thread_ts,
                initial_comment=comment,
            )
        except SlackApiError as exc:
            if exc.response.get("error") in ALREADY_COMPLETED:
                return True
            raise
        return True

    async def landed() -> bool:
        resp = await once.files_info(file=file_id)
        return share_ts(resp.get("file") or {}, channel_id) is not None

    await until_slack_answers(share, "files.completeUploadExternal", landed=landed)
    return True


async def shared_message_ts(client: AsyncWebClient, file_id: str, channel_id: str) -> str | None:
    """The ts of the message that shows the file in `channel_id`, from `files.info` shares (Tier 4:
    affordable on the review path, where conversations.replies allows a distributed app one call a
    minute); None while Slack has not recorded the share yet, or when the file is gone."""
    try:
        resp = await client.files_info(file=file_id)
    except SlackApiError as exc:
        log.info("files.info %s failed (%s)", file_id, exc.response.get("error"))
        return None
    return share_ts(resp.get("file") or {}, channel_id)
