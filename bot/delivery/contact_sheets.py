"""A campaign's contact sheet in its board's thread: once every shot has a clip (and again after a
round of changes), one PNG of each shot's latest first frame, labelled S1…Sn."""

from __future__ import annotations

import asyncio
import logging
import random
from pathlib import Path

import httpx
from slack_sdk.web.async_client import AsyncWebClient

from bot.cards.publisher import CardPublisher
from bot.delivery import upload
from bot.media.contact_sheet import contact_sheet
from bot.media.probe import first_frame_png
from storage import campaigns as campaigns_db
from storage import jobs as jobs_db
from storage.db import Store
from storage.rows import ShotRow

log = logging.getLogger(__name__)
# a sheet Slack did not take is tried again after a jittered wait doubling from RETRY_FIRST to
# RETRY_CEILING seconds, RETRY_ATTEMPTS times in all (a quarter of an hour or so); then at the next delivery
RETRY_FIRST = 1.0
RETRY_CEILING = 300.0
RETRY_ATTEMPTS = 12


class ContactSheets:
    def __init__(
        self, slack: AsyncWebClient, http: httpx.AsyncClient, store: Store, cards: CardPublisher, media: Path
    ) -> None:
        self.slack = slack
        self.http = http
        self.store = store
        self.cards = cards
        self.frames = media / "frames"  # each campaign clip's first frame, kept for its sheets
        self._retries: set[asyncio.Task] = set()  # sheets waiting to be tried again

    def frame_path(self, take_id: int) -> Path:
        return self.frames / f"take-{take_id}.png"

    async def keep_frame(self, take_id: int, clip: Path) -> None:
        """Keep a campaign clip's first frame before the clip leaves the disk."""
        self.frames.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(first_frame_png, clip, self.frame_path(take_id))

    async def after(self, shot_id: int) -> None:
        """A take of `shot_id` ended: post the sheet when it completes the campaign's set."""
        board = await self.store.run(campaigns_db.board_of, shot_id)
        if board is None:
            return
        board_shot = await self.store.run(jobs_db.get_shot, board)
        if board_shot is None or board_shot.get("campaign_id") is None:
            return
        await self._post(board_shot, attempt=0)

    async def _post(self, board_shot: ShotRow, attempt: int) -> None:
        """Claim the sheet and post it; one that fails is unclaimed and tried again after a backoff
        (the claim keeps a retry racing another replica, or the next delivery, to one sheet)."""
        campaign_id = board_shot["campaign_id"]
        latest = await self.store.run(campaigns_db.claim_sheet, campaign_id)
        if latest is None:
            return
        try:
            await self._upload(board_shot, latest)
        except Exception as exc:
            await self.store.run(campaigns_db.release_sheet, campaign_id, campaigns_db.sheet_key(latest))
            if attempt + 1 >= RETRY_ATTEMPTS:
                raise  # the next delivery in the campaign tries it again
            delay = min(RETRY_CEILING, RETRY_FIRST * 2**attempt) * (0.5 + random.random() / 2)
            log.warning(
                "contact sheet of C%s not posted (%s); trying again in %.0f s",
                campaign_id, type(exc).__name__, delay,
            )  # fmt: skip
            task = asyncio.create_task(
                self._later(board_shot, attempt + 1, delay), name=f"sheet-{campaign_id}"
            )
            self._retries.add(task)
            task.add_done_callback(self._retries.discard)

    async def _later(self, board_shot: ShotRow, attempt: int, delay: float) -> None:
        await asyncio.sleep(delay)
        try:
            await self._post(board_shot, attempt)
        except Exception:
            log.exception("the contact sheet of C%s was not posted", board_shot["campaign_id"])

    async def _upload(self, board_shot: ShotRow, latest: list[tuple[int, dict]]) -> None:
        campaign_id = board_shot["campaign_id"]
        frames: list[tuple[str, Path | None]] = []
        for n, take in latest:
            path = self.frame_path(take["id"])
            frames.append((f"S{n} v{take['version']}", path if path.exists() else None))
        dest = self.frames / f"sheet-{campaign_id}-{latest[-1][1]['id']}.png"
        await asyncio.to_thread(contact_sheet, frames, dest)
        try:
            thread_ts = await self.cards.ensure_posted(board_shot["id"])
            file_id, url = await upload.start_upload(self.slack, dest, dest.name)
            await upload.send_bytes(self.http, url, dest)
            await upload.complete_upload(
                self.slack,
                file_id,
                title=f"Contact sheet C{campaign_id}",
                channel_id=board_shot["channel_id"],
                thread_ts=thread_ts,
                comment=f":frame_with_picture: Contact sheet: {len(latest)} shots, each one's latest version.",
            )
        finally:
            dest.unlink(missing_ok=True)
