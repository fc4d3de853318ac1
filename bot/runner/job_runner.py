"""The job runner: carries every take from queued to delivered (or failed/cancelled), one
coroutine per take, all state in the database so a restart resumes where it stopped."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.cards.publisher import CardPublisher
from bot.config import Config
from bot.delivery.handover import Handover
from bot.delivery.take_context import TakeContext
from bot.outcomes import TakeEnded, TakeFailed
from bot.providers.base import Provider
from bot.runner.cutting import Cutting
from bot.runner.elements import SubjectElements
from bot.runner.model_watch import ModelWatch
from bot.runner.poller import Poller
from bot.runner.spec import render_spec
from bot.runner.steps import Rendering
from bot.slack.workspace import WorkspaceGone
from storage import installations, leases, meta
from storage import jobs as jobs_db
from storage.db import DatabaseAway, Store
from storage.rows import TakeRow
from storage.states import TakeState

log = logging.getLogger(__name__)
STOPPED = "Dailies was removed from this workspace"

# Submissions (and crash-recovery look-ups) in flight per backend at once; the other takes wait
# their turn, still queued in the DB. Unbounded, 1,000 starting jobs queue in httpx's connection
# pool, whose bookkeeping grows with the queue and stalls the event loop (and Slack acks).
SUBMITS_AT_ONCE = 16
# Take coroutines doing their first database reads at once; the rest start as these reach the
# provider, so 1,000 new jobs do not all wake together and crowd the event loop.
STARTS_AT_ONCE = 32


def _any_workspace(team_id: str) -> AbstractAsyncContextManager:
    return nullcontext()


@dataclass(frozen=True)
class Reporting:
    """How a take's progress reaches Slack: its card, the clip's hand-over into the thread, and the
    workspace each call is for (`serving`)."""

    handover: Handover
    cards: CardPublisher
    serving: Callable[[str], AbstractAsyncContextManager] = _any_workspace


class JobRunner:
    def __init__(
        self,
        config: Config,
        store: Store,
        providers: dict[str, Provider],
        reporting: Reporting,
        models: ModelWatch | None = None,
        cutting: Cutting | None = None,
    ) -> None:
        self.config = config
        self.cutting = cutting  # a campaign's cut: assembled here, no provider
        self.serving = reporting.serving  # Slack calls made inside are for that workspace, with its token
        self.store = store
        self.cards = reporting.cards
        self.media_dir = Path(config.media_dir)
        elements = SubjectElements(store)
        self.renderings = {
            name: Rendering(
                provider,
                Poller(provider),
                elements,
                config,
                submits_at_once=SUBMITS_AT_ONCE,
                gone=models.gone if models is not None else None,
            )  # fmt: skip
            for name, provider in providers.items()
        }
        self.handover = reporting.handover
        self._slots = {name: asyncio.Semaphore(config.backend_concurrency) for name in providers}
        self._tasks: dict[int, asyncio.Task] = {}
        self._starting: set[int] = set()  # takes started but not yet at the provider step
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task | None = None
        # replicas on one database: each take is run by the replica holding its lease
        self.replica = store.replica
        self.installation = ""  # part of every id we choose for a provider (read at start)
        self._lease = config.lease_seconds
        self._side_tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        self.media_dir.mkdir(parents=True, exist_ok=True)
        for rendering in self.renderings.values():
            rendering.poller.start()
        for shot_id in await self.store.run(jobs_db.unposted_gated_shots):
            self.cards.touch(shot_id)  # a crash came between storing the held job and posting its card
        self.installation = await self.store.run(meta.installation_id)
        await self.store.run(leases.release_dead_predecessors, self.replica)
        self._loop_task = asyncio.create_task(self._pickup_loop(), name="runner")
        self._side_tasks = [
            asyncio.create_task(self._renew_loop(), name="leases"),
            asyncio.create_task(self.store.watch(jobs_db.WORK, self.wake), name="listen"),
        ]

    async def stop(self) -> None:
        if self._loop_task:
            self._loop_task.cancel()
        for side in self._side_tasks:
            side.cancel()
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(
            *self._tasks.values(),
            *(t for t in [self._loop_task] if t),
            *self._side_tasks,
            return_exceptions=True,
        )
        for rendering in self.renderings.values():
            await rendering.poller.stop()
        await self.cards.stop()

    def wake(self) -> None:
        """New work was stored: pick it up now."""
        self._wake.set()

    def poke(self, backend: str, task_id: str) -> bool:
        """A callback said the task changed: poll it now. False if no take is waiting on it."""
        rendering = self.renderings.get(backend)
        return bool(rendering and rendering.poller.poke(task_id))

    @property
    def in_flight(self) -> int:
        return sum(1 for t in self._tasks.values() if not t.done())

    async def cancel_job(self, job_id: int) -> None:
        for take_id in await self.store.run(jobs_db.take_ids_of_job, job_id):
            task = self._tasks.get(take_id)
            if task and not task.done():
                task.cancel()

    async def _pickup_loop(self) -> None:
        while True:
            self._wake.clear()
            # the rest stay queued in the DB (or with another replica); a started take wakes this loop
            room = STARTS_AT_ONCE - len(self._starting)
            for take_id in await self.store.run(
                leases.claim_takes, self.replica, time.time(), self._lease, room
            ):
                running = self._tasks.get(take_id)
                if running is not None and not running.done():
                    continue
                self._starting.add(take_id)
                self._tasks[take_id] = asyncio.create_task(self._admitted(take_id), name=f"take-{take_id}")
            try:
                # a short poll finds takes whose holder's lease lapsed (and work a NOTIFY missed)
                await asyncio.wait_for(
                    self._wake.wait(), timeout=min(30.0, self.config.poll_seconds, self._lease / 4)
                )
            except TimeoutError:
                pass

    async def _renew_loop(self) -> None:
        """Renew the lease on every take running here; stop the ones another replica took over."""
        while True:
            await asyncio.sleep(self._lease / 3)
            running = [take_id for take_id, task in self._tasks.items() if not task.done()]
            try:
                lost = await self.store.run(leases.renew, self.replica, time.time(), self._lease, running)
            except Exception as exc:  # the database is unreachable for now: try again next round
                log.warning("could not renew leases (%s)", type(exc).__name__)
                continue
            for take_id in lost:
                log.warning("take %s was taken over by another replica; stopping it here", take_id)
                self._tasks[take_id].cancel()

    async def _admitted(self, take_id: int) -> None:
        try:
            while True:
                try:
                    async with self.serving(await self.store.run(installations.team_of_take, take_id)):
                        await self._run_take(take_id)
                    return
                except DatabaseAway:
                    # a lookup on another path (a workspace's token) found the database away: once
                    # it is back, carry on from the take's last committed state, as after a restart
                    await self.store.back()
                    await asyncio.sleep(0.25)  # and never a tight loop, whatever raised it
        except WorkspaceGone as gone:
            # the workspace removed Dailies: stop here, without a word to Slack (its token is dead)
            log.info("take %s stopped: %s", take_id, gone)
            await self.store.run(jobs_db.update_take, take_id, TakeState.CANCELLED, STOPPED)
        finally:
            self._done_starting(take_id)

    def _done_starting(self, take_id: int) -> None:
        """The take is past its start-up reads (or ended): let the next one start."""
        if take_id in self._starting:
            self._starting.discard(take_id)
            self._wake.set()

    async def _run_take(self, take_id: int) -> None:
        take = await self.store.run(jobs_db.get_take, take_id)
        if take is None:
            raise LookupError(f"no take {take_id}")
        job = await self.store.run(jobs_db.get_job, take["job_id"])
        if job is None:
            raise LookupError(f"no job {take['job_id']}")
        ctx = TakeContext(job, take_id, self.store, self.cards, holder=self.replica)
        try:
            await self.cards.ensure_posted(job["shot_id"])
            await self._carry(ctx, take)
        except asyncio.CancelledError:
            current = await ctx.take()
            if current and current["state"] == TakeState.CANCELLED:
                ctx.touch()
            raise
        except TakeEnded:
            ctx.touch()
        except TakeFailed as exc:
            await self.handover.fail(ctx, str(exc))
        except DatabaseAway:
            raise  # not the take's failure: it resumes when the database is back
        except Exception as exc:
            log.exception("take %s failed unexpectedly", take_id)
            await self.handover.fail(
                ctx, f"Something went wrong on our side ({type(exc).__name__}). Try again."
            )

    async def _carry(self, ctx: TakeContext, take: TakeRow) -> None:
        job = ctx.job
        if job["kind"] == "cut" and self.cutting is not None:
            self._done_starting(take["id"])
            return await self.cutting.carry(ctx, take)
        rendering = self.renderings.get(job["backend"])
        if rendering is None:
            raise TakeFailed(
                f"The {job['backend']} backend is not configured any more; ask again to re-route."
            )
        source = None
        if job.get("parent_take_id"):
            source = await self.store.run(jobs_db.source_take, job["parent_take_id"])
        spec = render_spec(
            job,
            take,
            source=source,
            callback_url=self._callback_url(rendering.provider),
            installation=self.installation,
        )
        deadline = _started(take) + self.config.job_deadline_seconds
        self._done_starting(take["id"])
        if take["state"] in (TakeState.QUEUED, TakeState.SUBMITTING, TakeState.RENDERING):
            async with self._slots[job["backend"]]:
                task_id = take["provider_task_id"] or await rendering.submit(ctx, take, spec, deadline)
                status = await rendering.wait(ctx, task_id, spec, deadline)
            take = await rendering.download(ctx, take, task_id, status)
        elif take["state"] == TakeState.DOWNLOADING:
            submitted = take["provider_task_id"]
            if not submitted:  # set when the take was submitted, before any download
                raise TakeFailed(
                    "The render's task was lost before its clip came back; ask for another take."
                )
            status = await rendering.look(submitted, spec)
            take = await rendering.download(ctx, take, submitted, status)
        await self.handover.deliver(ctx, take)

    def _callback_url(self, provider: Provider) -> str | None:
        base = self.config.public_base_url
        if base and provider.sends_callbacks:
            return f"{base}/webhooks/{provider.backend}"
        return None


def _started(take: TakeRow) -> float:
    """When the take's clock started: its submission (a job that waited for approval did not render)."""
    submitted = take.get("submitted_at")
    if submitted:
        return datetime.fromisoformat(submitted).timestamp()
    return time.time()
