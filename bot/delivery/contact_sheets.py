"""A campaign's contact sheet in its board's thread: once every shot has a clip (and again after a
round of changes), one PNG of each shot's latest first frame, labelled S1…Sn; posted once, across
failed uploads, restarts and replicas (a claim with a holder and an expiry, and a sweep)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, nullcontext
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
CLAIM_SECONDS = 600.0  # how long a claim keeps other replicas off while its holder posts the sheet
SWEEP_SECONDS = 60.0  # how often each replica looks for a sheet due that nobody live is posting


class ContactSheets:
    def __init__(
        self,
        slack: AsyncWebClient,
        http: httpx.AsyncClient,
        store: Store,
        cards: CardPublisher,
        media: Path,
        serving: Callable[[str], AbstractAsyncContextManager] | None = None,
    ) -> None:
        self.slack = slack
        # a sweep's calls are for the campaign's workspace, with its token (the runner's already are)
        self.serving = serving or (lambda team_id: nullcontext())
        self.http = http
        self.store = store
        self.cards = cards
        self.frames = media / "frames"  # each campaign clip's first frame, kept for its sheets
        self._retries: set[asyncio.Task] = set()  # sheets waiting to be tried again
        self._sweeper: asyncio.Task | None = None

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

    def start(self) -> None:
        """Post the sheets a restart (or a replica gone) left due, now and every SWEEP_SECONDS."""
        self._sweeper = asyncio.create_task(self._keep_sweeping(), name="sheet-sweep")

    async def close(self) -> None:
        """Stop sweeping and drop the retries waiting: the claims they released, and the sweep of
        whichever replica runs next, post those sheets."""
        tasks = [*self._retries, *([self._sweeper] if self._sweeper else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _keep_sweeping(self) -> None:
        while True:
            try:
                await self.sweep()
            except Exception:  # the store waits out a database outage; anything else, next time
                log.exception("looking for contact sheets due failed; trying again in %.0f s", SWEEP_SECONDS)
            await asyncio.sleep(SWEEP_SECONDS)

    async def sweep(self) -> None:
        """Post every sheet due that no live replica holds (each one claimed before it is posted)."""
        due = await self.store.run(campaigns_db.due_sheets, self.store.replica, time.time())
        for campaign_id in due:
            campaign = await self.store.run(campaigns_db.get_campaign, campaign_id)
            board_shot = (
                await self.store.run(jobs_db.get_shot, campaign["board_shot_id"]) if campaign else None
            )
            if board_shot is None:
                continue
            try:
                async with self.serving(board_shot.get("team_id") or ""):
                    await self._post(board_shot, attempt=0)
            except Exception:  # released: the next sweep tries it again
                log.exception("the contact sheet of C%s was not posted", campaign_id)

    async def _post(self, board_shot: ShotRow, attempt: int) -> None:
        """Claim the sheet and post it; one that fails is unclaimed and tried again after a backoff
        (the claim keeps a retry racing another replica, a sweep, or the next delivery to one sheet).
        A claim taken over from a holder that stopped looks in the thread first: it may have posted."""
        campaign_id = board_shot["campaign_id"]
        assert campaign_id is not None  # a board's row always names its campaign
        claim = await self.store.run(
            campaigns_db.claim_sheet, campaign_id, self.store.replica, time.time(), CLAIM_SECONDS
        )
        if claim is None:
            return
        name = sheet_name(campaign_id, claim.key)
        try:
            if claim.since is None or not await self._posted(board_shot, name, claim.since):
                await self._upload(board_shot, claim.latest, name)
        except Exception as exc:
            await self.store.run(campaigns_db.release_sheet, campaign_id, claim.key)
            if attempt + 1 >= RETRY_ATTEMPTS:
                raise  # the next sweep or delivery in the campaign tries it again
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
            return
        await self.store.run(campaigns_db.sheet_posted, campaign_id, claim.key)

    async def _later(self, board_shot: ShotRow, attempt: int, delay: float) -> None:
        await asyncio.sleep(delay)
        try:
            await self._post(board_shot, attempt)
        except Exception:
            log.exception("the contact sheet of C%s was not posted", board_shot["campaign_id"])

    async def _posted(self, board_shot: ShotRow, name: str, since: float) -> bool:
        """Whether the board's thread has the sheet `name` already (posted by a holder that stopped
        before recording it). A failed look-up answers no: a second sheet beats none."""
        thread_ts = board_shot["card_ts"]
        if not thread_ts:
            return False
        try:
            resp = await self.slack.conversations_replies(
                channel=board_shot["channel_id"], ts=thread_ts, oldest=f"{since - 60:.6f}", limit=200
            )
        except Exception as exc:
            log.warning("C%s: looking for a sheet posted before failed (%s)", board_shot["campaign_id"], exc)
            return False
        found = any(f.get("name") == name for m in resp.get("messages") or [] for f in m.get("files") or [])
        if found:
            log.info("C%s: the contact sheet was posted before the restart", board_shot["campaign_id"])
        return found

    async def _upload(self, board_shot: ShotRow, latest: list[tuple[int, dict]], name: str) -> None:
        campaign_id = board_shot["campaign_id"]
        frames: list[tuple[str, Path | None]] = []
        for n, take in latest:
            path = self.frame_path(take["id"])
            frames.append((f"S{n} v{take['version']}", path if path.exists() else None))
        dest = self.frames / name
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


def sheet_name(campaign_id: int, key: str) -> str:
    """The sheet's file name, the same for every attempt at these versions: how a restart finds
    the one its predecessor posted."""
    return f"sheet-{campaign_id}-{hashlib.sha256(key.encode()).hexdigest()[:12]}.png"
