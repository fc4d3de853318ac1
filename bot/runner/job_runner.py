"""The job runner: carries every take from queued to delivered (or failed/cancelled), one
coroutine per take, all state in the database so a restart resumes where it stopped."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime
from pathlib import Path

import httpx
from slack_sdk.web.async_client import AsyncWebClient

from bot.cards.publisher import CardPublisher
from bot.config import Config
from bot.delivery import handover
from bot.outcomes import TakeEnded, TakeFailed
from bot.providers.base import Provider
from bot.runner import steps as rendering
from bot.runner.poller import Poller
from bot.runner.spec import render_spec
from storage import jobs as jobs_db
from storage.db import Store
from storage.states import TakeState

log = logging.getLogger(__name__)

# Submissions (and crash-recovery look-ups) in flight per backend at once; the other takes wait
# their turn, still queued in the DB. Unbounded, 1,000 starting jobs queue in httpx's connection
# pool, whose bookkeeping grows with the queue and stalls the event loop (and Slack acks).
SUBMITS_AT_ONCE = 16
# Take coroutines doing their first database reads at once; the rest start as these reach the
# provider, so 1,000 new jobs do not all wake together and crowd the event loop.
STARTS_AT_ONCE = 32


class JobRunner:
    def __init__(
        self,
        config: Config,
        store: Store,
        providers: dict[str, Provider],
        slack: AsyncWebClient,
        cards: CardPublisher,
        http: httpx.AsyncClient,
    ) -> None:
        self.config = config
        self.store = store
        self.providers = providers
        self.slack = slack
        self.cards = cards
        self.http = http
        self.pollers = {name: Poller(p) for name, p in providers.items()}
        self._slots = {name: asyncio.Semaphore(config.backend_concurrency) for name in providers}
        self.submits = {name: asyncio.Semaphore(SUBMITS_AT_ONCE) for name in providers}
        self._tasks: dict[int, asyncio.Task] = {}
        self._starting: set[int] = set()  # takes started but not yet at the provider step
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task | None = None
        self.media_dir = Path(config.media_dir)
        self.on_take_done: list = []  # callbacks(take_id, state) for `dailies try` and tests

    async def start(self) -> None:
        self.media_dir.mkdir(parents=True, exist_ok=True)
        for poller in self.pollers.values():
            poller.start()
        for shot_id in await self.store.run(_unposted_gated_shots):
            self.cards.touch(shot_id)  # a crash came between storing the held job and posting its card
        self._loop_task = asyncio.create_task(self._pickup_loop(), name="runner")

    async def stop(self) -> None:
        if self._loop_task:
            self._loop_task.cancel()
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(
            *self._tasks.values(), *(t for t in [self._loop_task] if t), return_exceptions=True
        )
        for poller in self.pollers.values():
            await poller.stop()
        await self.cards.stop()

    def wake(self) -> None:
        """New work was stored: pick it up now."""
        self._wake.set()

    def poke(self, backend: str, task_id: str) -> bool:
        poller = self.pollers.get(backend)
        return bool(poller and poller.poke(task_id))

    @property
    def in_flight(self) -> int:
        return sum(1 for t in self._tasks.values() if not t.done())

    async def cancel_job(self, job_id: int) -> None:
        takes = await self.store.run(
            lambda db: [r[0] for r in db.execute("SELECT id FROM takes WHERE job_id = ?", [job_id])]
        )
        for take_id in takes:
            task = self._tasks.get(take_id)
            if task and not task.done():
                task.cancel()

    async def _pickup_loop(self) -> None:
        while True:
            self._wake.clear()
            for take_id in await self.store.run(jobs_db.active_take_ids):
                running = self._tasks.get(take_id)
                if running is not None and not running.done():
                    continue
                if len(self._starting) >= STARTS_AT_ONCE:
                    break  # the rest stay queued in the DB; a started take wakes this loop
                self._starting.add(take_id)
                self._tasks[take_id] = asyncio.create_task(self._admitted(take_id), name=f"take-{take_id}")
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=30.0)
            except TimeoutError:
                pass

    async def _admitted(self, take_id: int) -> None:
        try:
            await self._run_take(take_id)
        finally:
            self._done_starting(take_id)

    def _done_starting(self, take_id: int) -> None:
        """The take is past its start-up reads (or ended): let the next one start."""
        if take_id in self._starting:
            self._starting.discard(take_id)
            self._wake.set()

    async def _run_take(self, take_id: int) -> None:
        take = await self.store.run(jobs_db.get_take, take_id)
        job = await self.store.run(jobs_db.get_job, take["job_id"])
        try:
            await self.cards.ensure_posted(job["shot_id"])
            await self._carry(job, take)
        except asyncio.CancelledError:
            current = await self.store.run(jobs_db.get_take, take_id)
            if current and current["state"] == TakeState.CANCELLED:
                await self.finish(job, take_id)
            raise
        except TakeEnded:
            await self.finish(job, take_id)
        except TakeFailed as exc:
            await handover.fail(self, job, take_id, str(exc))
        except Exception as exc:
            log.exception("take %s failed unexpectedly", take_id)
            await handover.fail(
                self, job, take_id, f"Something went wrong on our side ({type(exc).__name__}). Try again."
            )

    async def _carry(self, job: dict, take: dict) -> None:
        provider = self.providers.get(job["backend"])
        if provider is None:
            raise TakeFailed(
                f"The {job['backend']} backend is not configured any more; ask again to re-route."
            )
        source = None
        if job.get("parent_take_id"):
            source = await self.store.run(_source_take, job["parent_take_id"])
        spec = render_spec(job, take, source=source, callback_url=self._callback_url(job["backend"]))
        deadline = _started(take) + self.config.job_deadline_seconds
        self._done_starting(take["id"])
        if take["state"] in (TakeState.QUEUED, TakeState.SUBMITTING, TakeState.RENDERING):
            async with self._slots[job["backend"]]:
                task_id = take["provider_task_id"] or await rendering.submit(
                    self, job, take, provider, spec, deadline
                )
                status = await rendering.wait(self, job, take, provider, task_id, spec, deadline)
            take = await rendering.download(self, job, take, provider, task_id, status)
        elif take["state"] == "downloading":
            status = await self.pollers[job["backend"]].check(take["provider_task_id"], spec, 0)
            take = await rendering.download(self, job, take, provider, take["provider_task_id"], status)
        await handover.deliver(self, job, take)

    async def update(
        self, job: dict, take_id: int, state: str | None = None, note: str = "", **fields
    ) -> None:
        """Store a change; raises TakeEnded when the take already ended (e.g. cancelled meanwhile)."""
        applied = await self.store.run(jobs_db.update_take, take_id, state, note, **fields)
        self.cards.touch(job["shot_id"])
        if not applied:
            raise TakeEnded(take_id)

    async def finish(self, job: dict, take_id: int) -> None:
        self.cards.touch(job["shot_id"])
        take = await self.store.run(jobs_db.get_take, take_id)
        for callback in self.on_take_done:
            callback(take_id, take["state"])

    def _callback_url(self, backend: str) -> str | None:
        base = self.config.public_base_url
        if base and backend in ("kling", "openai"):
            return f"{base}/webhooks/{backend}"
        return None


def _unposted_gated_shots(db) -> list[int]:
    """Shots holding a job for approval whose card was never posted (nobody could approve it)."""
    rows = db.execute(
        "SELECT DISTINCT shots.id FROM shots JOIN jobs ON jobs.shot_id = shots.id "
        "WHERE shots.card_ts IS NULL AND jobs.state = 'awaiting_approval'"
    )
    return [r[0] for r in rows]


def _source_take(db, take_id: int) -> dict | None:
    row = db.execute(
        "SELECT takes.*, jobs.model AS model, jobs.backend AS backend FROM takes JOIN jobs ON takes.job_id = jobs.id "
        "WHERE takes.id = ?",
        [take_id],
    ).fetchone()
    if row is None:
        return None
    cols = [
        d[0]
        for d in db.execute(
            "SELECT takes.*, jobs.model AS model, jobs.backend AS backend FROM takes JOIN jobs ON takes.job_id = jobs.id LIMIT 0"
        ).description
    ]
    return dict(zip(cols, row, strict=True))


def _started(take: dict) -> float:
    """When the take's clock started: its submission (a job that waited for approval did not render)."""
    if take.get("submitted_at"):
        return datetime.fromisoformat(take["submitted_at"]).timestamp()
    return time.time()
