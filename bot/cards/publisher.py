"""Posting job cards and editing them in place: at most one edit per card every few seconds, a
shared pace for all edits (Slack's chat.update tier), and the final state always lands."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime

from slack_sdk.web.async_client import AsyncWebClient

from bot.cards.blocks import CardView, render_card
from storage import approvals, channels
from storage import jobs as jobs_db
from storage.db import Store

log = logging.getLogger(__name__)
CARD_EVENT = "dailies_card"  # message metadata event_type of a job card


class Pace:
    """Spaces calls at least `interval` seconds apart (per key), across all tasks."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._next: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def wait(self, key: str = "") -> None:
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            now = time.monotonic()
            at = self._next.get(key, now)
            if at > now:
                await asyncio.sleep(at - now)
            self._next[key] = max(at, now) + self.interval


class CardPublisher:
    def __init__(
        self,
        client: AsyncWebClient,
        store: Store,
        *,
        interval: float = 3.0,
        update_pace: float = 1.2,
        typical_seconds: Callable[[str], int] = lambda model: 0,
    ) -> None:
        self.client = client
        self.store = store
        self.interval = interval
        self.typical_seconds = typical_seconds
        self._post_pace = Pace(1.0)  # chat.postMessage: about one per second per channel
        self._update_pace = Pace(update_pace)  # chat.update: a shared budget for the workspace
        self._dirty: set[int] = set()
        self._flushers: dict[int, asyncio.Task] = {}
        self._last_sent: dict[int, float] = {}
        self._post_locks: dict[int, asyncio.Lock] = {}
        self.edits = 0

    async def view(self, shot_id: int) -> CardView:
        shot, jobs, takes = await self.store.run(jobs_db.shot_view, shot_id)
        decisions = await self.store.run(approvals.latest_for_shot, shot_id)
        settings = await self.store.run(channels.get_settings, shot["channel_id"])
        return CardView(
            shot,
            jobs,
            takes,
            datetime.now(UTC),
            self.typical_seconds(jobs[-1]["model"]),
            decisions=tuple(decisions),
            approvers=settings.approvers,
            rule=settings.approval_rule,
        )

    async def ensure_posted(self, shot_id: int) -> str:
        """The card's ts, posting the card first if it has not been posted yet (also after a restart)."""
        lock = self._post_locks.setdefault(shot_id, asyncio.Lock())
        async with lock:
            shot = await self.store.run(jobs_db.get_shot, shot_id)
            if shot["card_ts"]:
                return shot["card_ts"]
            if shot.get("card_nonce"):
                # an earlier process started posting this card and died before storing its ts
                found = await self._find_posted(shot)
                if found:
                    await self.store.run(jobs_db.set_card_ts, shot_id, found)
                    return found
            await self.store.run(jobs_db.mark_card_posting, shot_id, secrets.token_hex(8), time.time())
            shot = await self.store.run(jobs_db.get_shot, shot_id)
            view = await self.view(shot_id)
            text, blocks = render_card(view)
            metadata = {
                "event_type": CARD_EVENT,
                "event_payload": {"shot": shot_id, "nonce": shot["card_nonce"]},
            }
            await self._post_pace.wait(shot["channel_id"])
            resp = await with_retries(
                lambda: self.client.chat_postMessage(
                    channel=shot["channel_id"], text=text, blocks=blocks, metadata=metadata
                )
            )
            await self.store.run(jobs_db.set_card_ts, shot_id, resp["ts"])
            await self.store.run(jobs_db.set_card_state, shot_id, text)
            self._last_sent[shot_id] = time.monotonic()
            return resp["ts"]

    async def _find_posted(self, shot: dict) -> str | None:
        """The ts of this shot's card if an earlier attempt did post it (matched by nonce), else None."""
        # Only on this rare recovery path: conversations.history is Tier 3, and for non-Marketplace
        # apps limited to 1 request a minute and 15 messages. A failed lookup means posting again:
        # a duplicate card is better than no card.
        try:
            resp = await self.client.conversations_history(
                channel=shot["channel_id"],
                oldest=f"{(shot['card_posting_at'] or 0) - 60:.6f}",
                limit=15,
                include_all_metadata=True,
            )
        except Exception as exc:
            log.warning(
                "card %s: looking for an earlier post failed (%s); posting it", shot["id"], _describe(exc)
            )
            return None
        for message in resp.get("messages") or []:
            meta = message.get("metadata") or {}
            payload = meta.get("event_payload") or {}
            if (
                meta.get("event_type") == CARD_EVENT
                and payload.get("shot") == shot["id"]
                and payload.get("nonce") == shot["card_nonce"]
            ):
                log.info("card %s: adopted the card posted before the restart", shot["id"])
                return str(message["ts"])
        return None

    def touch(self, shot_id: int) -> None:
        """The shot changed: re-render its card soon (coalesced, throttled)."""
        self._dirty.add(shot_id)
        task = self._flushers.get(shot_id)
        if task is None or task.done():
            self._flushers[shot_id] = asyncio.create_task(self._flush(shot_id), name=f"card-{shot_id}")

    async def _flush(self, shot_id: int) -> None:
        failures = 0
        while shot_id in self._dirty:
            wait = self._last_sent.get(shot_id, 0.0) + self.interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._dirty.discard(shot_id)
            try:
                await self._send(shot_id)
                failures = 0
            except Exception as exc:
                failures += 1
                if not _transient(exc) or failures >= 30:
                    # e.g. the card was deleted or the bot left the channel: nothing to edit any more
                    log.warning("card %s cannot be updated (%s); giving up", shot_id, _describe(exc))
                    return
                log.warning("card %s could not be updated (%s); trying again", shot_id, _describe(exc))
                self._dirty.add(shot_id)
                await asyncio.sleep(self.interval)

    async def _send(self, shot_id: int) -> None:
        ts = await self.ensure_posted(shot_id)
        view = await self.view(shot_id)
        text, blocks = render_card(view)
        signature = text + repr(blocks)
        if view.shot.get("card_state") == signature:
            return
        await self._update_pace.wait()
        await with_retries(
            lambda: self.client.chat_update(channel=view.shot["channel_id"], ts=ts, text=text, blocks=blocks)
        )
        self.edits += 1
        self._last_sent[shot_id] = time.monotonic()
        await self.store.run(jobs_db.set_card_state, shot_id, signature)

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait until every pending card edit has landed (used at shutdown and by `dailies try`)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pending = [t for t in self._flushers.values() if not t.done()]
            posting = any(lock.locked() for lock in self._post_locks.values())
            if not pending and not self._dirty and not posting:
                return
            await asyncio.wait(pending or [asyncio.create_task(asyncio.sleep(0.05))], timeout=0.5)

    async def stop(self) -> None:
        for task in self._flushers.values():
            task.cancel()
        await asyncio.gather(*self._flushers.values(), return_exceptions=True)


async def with_retries(call, attempts: int = 8, first_delay: float = 1.0):
    """Slack calls that must land eventually (cards, uploads): the SDK's retry handlers cover 429
    and one 5xx; this covers Slack being unreachable for a while."""
    delay = first_delay
    for attempt in range(attempts):
        try:
            return await call()
        except Exception as exc:
            if attempt == attempts - 1 or not _transient(exc):
                raise
            log.warning("Slack call failed (%s); retrying in %.0fs", type(exc).__name__, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)


def _describe(exc: Exception) -> str:
    from slack_sdk.errors import SlackApiError

    if isinstance(exc, SlackApiError):
        return f"Slack said {exc.response.get('error')}"
    return type(exc).__name__


def permanent_slack_error(exc: Exception) -> str | None:
    """Slack's error code when retrying cannot help (the bot is not in the channel, …), else None."""
    from slack_sdk.errors import SlackApiError

    if isinstance(exc, SlackApiError) and not _transient(exc):
        return str(exc.response.get("error") or "error")
    return None


def _transient(exc: Exception) -> bool:
    from aiohttp import ClientError
    from slack_sdk.errors import SlackApiError

    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", 200)
        return status == 429 or status >= 500
    return isinstance(exc, ClientError | asyncio.TimeoutError | OSError)
