"""The event inbox: each Events API delivery (HTTP or Socket Mode) is stored before Slack is
acknowledged and handled from there, again once the database is back if it went away meanwhile."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Literal

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.listener.async_listener_completion_handler import AsyncListenerCompletionHandler
from slack_bolt.listener.async_listener_error_handler import AsyncListenerErrorHandler
from slack_bolt.listener.async_listener_start_handler import AsyncListenerStartHandler
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from storage import event_inbox
from storage.db import DatabaseAway, Store

log = logging.getLogger(__name__)

# how long a replica holds an event it is handling; past it another replica's sweep takes it over
LEASE_SECONDS = 120.0
SWEEP_SECONDS = 5.0  # how often each replica looks for events whose holder stopped
SWEEP_BATCH = 20
START_WAIT_SECONDS = 1.0  # a listener Bolt started begins at once; none did when this passes
HELD = "inbox_attempt"  # the Bolt context key of a delivery handled from the inbox


def delivery_key(event_id: str) -> str:
    """The listeners' own record of an event in `deliveries` (`studio.first_time("ev:…")`)."""
    return f"ev:{event_id}"


class _Attempt:
    """One run of an inbox event through Bolt: whether a listener started, and how it ended."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.ended = asyncio.Event()
        self.error: BaseException | None = None


class EventInbox:
    """Bolt middleware that stores an event before its ack, and the work that handles stored events:
    at once on the replica that stored it, again after a database outage broke an attempt off, and by
    any replica's sweep when the holder stopped (killed) before it was done."""

    def __init__(self, store: Store, app: AsyncApp) -> None:
        self.store = store  # the ack waits on one insert: while the database is away it fails fast
        self.patient = store.patient()  # the inbox's own bookkeeping waits the outage out
        self.app = app
        self._handling: set[asyncio.Task[None]] = set()
        self._sweeper: asyncio.Task[None] | None = None

    def attach(self) -> None:
        """Take every Events API delivery through the inbox; after the app's error handler is set
        (`app.error`), which the inbox's wraps."""
        self.app.middleware(self.intake)
        runner = self.app.listener_runner
        runner.listener_start_handler = _Started(runner.listener_start_handler)
        runner.listener_error_handler = _HeldErrors(runner.listener_error_handler)
        runner.listener_completion_handler = _Ended(runner.listener_completion_handler)

    async def intake(self, body: dict[str, Any], context: AsyncBoltContext, next) -> BoltResponse | None:
        """Bolt middleware: an Events API delivery is stored, then acknowledged (200, or the Socket
        Mode ack); while the database is away it is not acknowledged (503), so Slack sends it again."""
        event_id = body.get("event_id")
        if context.get(HELD) is not None or body.get("type") != "event_callback" or not event_id:
            return await next()
        try:
            fresh = await self.store.run(
                event_inbox.receive, body.get("team_id") or "", event_id, body, self.store.replica,
                time.time(), LEASE_SECONDS,
            )  # fmt: skip
        except DatabaseAway as away:
            log.info("event %s not acknowledged: %s; Slack will deliver it again", event_id, away)
            return BoltResponse(status=503, body="", headers={"Retry-After": "5"})
        if fresh:  # else Slack's retry of an event in the inbox already: its holder handles it
            self._spawn(self._handle(event_id, body))
        return BoltResponse(status=200, body="")

    def _spawn(self, work) -> None:
        task = asyncio.create_task(work, name="inbox-event")
        self._handling.add(task)
        task.add_done_callback(self._handling.discard)

    async def _handle(self, event_id: str, body: dict[str, Any]) -> None:
        """Run the event's listener; while an attempt breaks off because the database went away,
        wait for it and run it again (the broken attempt's own delivery record dropped first)."""
        while True:
            outcome = await self._attempt(body)
            if outcome == "left":
                return
            if outcome == "done":
                await self.patient.run(event_inbox.handled, event_id)
                return
            await self.store.back()
            held = await self.patient.run(
                event_inbox.reclaim, event_id, self.store.replica, time.time(), LEASE_SECONDS
            )
            if not held:  # another replica took it over while this one waited
                return
            await self.patient.run(event_inbox.retry, delivery_key(event_id))
            log.info("event %s handled again now that the database is back", event_id)

    async def _attempt(self, body: dict[str, Any]) -> Literal["done", "away", "left"]:
        """One run through Bolt's middleware and listener: done (or failed for good), broken off
        because the database went away, or left to the sweep (a listener still running)."""
        attempt = _Attempt()
        request = AsyncBoltRequest(body=body, mode="socket_mode", context={HELD: attempt})
        response = await self.app.async_dispatch(request)
        if request.context.ack.response is None:
            # no listener for this event, or a middleware failed (an installation lookup, say)
            return "away" if response.status >= 500 and self.store.away else "done"
        try:
            await asyncio.wait_for(attempt.started.wait(), START_WAIT_SECONDS)
        except TimeoutError:
            return "done"  # acknowledged without a listener (the bot's own message)
        try:
            await asyncio.wait_for(attempt.ended.wait(), LEASE_SECONDS)
        except TimeoutError:
            log.warning("an event's listener ran past %.0f s; leaving it to the sweep", LEASE_SECONDS)
            return "left"
        return "away" if isinstance(attempt.error, DatabaseAway) else "done"

    def start(self) -> None:
        self._sweeper = asyncio.create_task(self._keep_sweeping(), name="inbox-sweep")

    async def _keep_sweeping(self) -> None:
        while True:
            claimed = await self.patient.run(
                event_inbox.claim_stale, self.store.replica, time.time(), LEASE_SECONDS, SWEEP_BATCH
            )
            for event_id, body in claimed:
                # its holder stopped: its own record, if it made one, stands (better once than twice)
                log.info("event %s taken over from a replica that stopped", event_id)
                self._spawn(self._handle(event_id, body))
            if len(claimed) < SWEEP_BATCH:
                await asyncio.sleep(SWEEP_SECONDS)

    async def close(self, timeout: float = 5.0) -> None:
        """Let events being handled finish for a moment; the rest stay in the inbox for the sweep."""
        if self._sweeper is not None:
            self._sweeper.cancel()
        if self._handling:
            await asyncio.wait(set(self._handling), timeout=timeout)
        for task in (self._sweeper, *self._handling):
            if task is not None:
                task.cancel()
        await asyncio.gather(*(t for t in (self._sweeper, *self._handling) if t), return_exceptions=True)


def _attempt_of(request: AsyncBoltRequest) -> _Attempt | None:
    attempt = request.context.get(HELD)
    return attempt if isinstance(attempt, _Attempt) else None


class _Started(AsyncListenerStartHandler):
    def __init__(self, inner: AsyncListenerStartHandler) -> None:
        self.inner = inner

    async def handle(self, request: AsyncBoltRequest, response: BoltResponse | None) -> None:
        if (attempt := _attempt_of(request)) is not None:
            attempt.started.set()
        await self.inner.handle(request=request, response=response)


class _HeldErrors(AsyncListenerErrorHandler):
    """The app's error handler, except for an inbox event whose listener broke off because the
    database went away: the event is handled again once it is back, so no one is told it failed."""

    def __init__(self, inner: AsyncListenerErrorHandler) -> None:
        self.inner = inner

    async def handle(
        self, error: Exception, request: AsyncBoltRequest, response: BoltResponse | None
    ) -> None:
        attempt = _attempt_of(request)
        if attempt is not None:
            attempt.error = error
            if isinstance(error, DatabaseAway):
                log.info("an event waits in the inbox until the database is back")
                return
        await self.inner.handle(error=error, request=request, response=response)


class _Ended(AsyncListenerCompletionHandler):
    def __init__(self, inner: AsyncListenerCompletionHandler) -> None:
        self.inner = inner

    async def handle(self, request: AsyncBoltRequest, response: BoltResponse | None) -> None:
        try:
            await self.inner.handle(request=request, response=response)
        finally:
            if (attempt := _attempt_of(request)) is not None:
                attempt.ended.set()
