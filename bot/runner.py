"""The job runner: carries every take from queued to delivered (or failed/cancelled), one
coroutine per take, all state in the database so a restart resumes where it stopped."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from slack_sdk.web.async_client import AsyncWebClient

from bot import delivery
from bot.cardpub import CardPublisher, _with_retries
from bot.cards import caption
from bot.config import Config
from bot.library import with_elements
from bot.poller import Poller
from bot.providers.base import Provider, RenderSpec, TaskState
from bot.providers.errors import ModelUnavailable, ProviderError, Refused, Retryable
from bot.specs import render_spec
from storage import jobs as jobs_db
from storage.db import Store

log = logging.getLogger(__name__)

# Submissions (and crash-recovery look-ups) in flight per backend at once; the other takes wait
# their turn, still queued in the DB. Unbounded, 1,000 starting jobs queue in httpx's connection
# pool, whose bookkeeping grows with the queue and stalls the event loop (and Slack acks).
SUBMITS_AT_ONCE = 16
# Take coroutines doing their first database reads at once; the rest start as these reach the
# provider, so 1,000 new jobs do not all wake together and crowd the event loop.
STARTS_AT_ONCE = 32


class TakeEnded(Exception):
    """The take was cancelled (or otherwise ended) while it was being worked on: stop quietly."""


class TakeFailed(Exception):
    """Ends a take as failed; the message is shown on the card and in the thread."""


def backoff(attempt: int, first: float, ceiling: float, retry_after: float | None = None) -> float:
    """Jittered exponential backoff that never waits less than the backend asked for."""
    delay = min(ceiling, first * (2**attempt)) * (0.75 + random.random() / 2)
    return max(delay, retry_after or 0.0)


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
        self._submits = {name: asyncio.Semaphore(SUBMITS_AT_ONCE) for name in providers}
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
            for take_id in await self.store.run(_active_take_ids):
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
            if current and current["state"] == "cancelled":
                await self._finish(job, take_id)
            raise
        except TakeEnded:
            await self._finish(job, take_id)
        except TakeFailed as exc:
            await self._fail(job, take_id, str(exc))
        except Exception as exc:
            log.exception("take %s failed unexpectedly", take_id)
            await self._fail(
                job, take_id, f"Something went wrong on our side ({type(exc).__name__}). Try again."
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
        if take["state"] in ("queued", "submitting", "rendering"):
            async with self._slots[job["backend"]]:
                task_id = take["provider_task_id"] or await self._submit(job, take, provider, spec, deadline)
                status = await self._wait(job, take, provider, task_id, spec, deadline)
            take = await self._download(job, take, provider, task_id, status)
        elif take["state"] == "downloading":
            status = await self.pollers[job["backend"]].check(take["provider_task_id"], spec, 0)
            take = await self._download(job, take, provider, take["provider_task_id"], status)
        await self._deliver(job, take)

    async def _update(
        self, job: dict, take_id: int, state: str | None = None, note: str = "", **fields
    ) -> None:
        """Store a change; raises TakeEnded when the take already ended (e.g. cancelled meanwhile)."""
        applied = await self.store.run(jobs_db.update_take, take_id, state, note, **fields)
        self.cards.touch(job["shot_id"])
        if not applied:
            raise TakeEnded(take_id)

    async def _submit(self, job, take, provider: Provider, spec: RenderSpec, deadline: float) -> str:
        if take["state"] == "submitting":  # resumed after a crash mid-submit: did the backend get it?
            try:
                async with self._submits[provider.backend]:
                    found = await provider.find(spec)
            except ProviderError as exc:
                log.warning("take %s: could not look for an earlier task (%s)", take["id"], exc.message)
                found = None
            if found:
                await self._update(job, take["id"], "rendering", provider_task_id=found, status_note=None)
                return found
        await self._update(job, take["id"], "submitting")
        attempt = 0
        while True:
            try:
                async with self._submits[provider.backend]:
                    spec = await with_elements(self.store, provider, spec)  # subjects' elements, cached
                    task_id = await provider.submit(spec)
                break
            except Retryable as exc:
                wait = backoff(
                    attempt, self.config.poll_seconds, self.config.poll_ceiling_seconds, exc.retry_after
                )
                if time.time() + wait > deadline or attempt >= 8:
                    raise TakeFailed(f"{provider.backend} stayed busy: {exc.message}") from None
                await self._update(
                    job, take["id"], status_note="waiting for the provider", attempts=attempt + 1
                )
                await asyncio.sleep(wait)
                attempt += 1
            except ModelUnavailable as exc:
                hint = (
                    f" Try `--model {exc.suggestion}`."
                    if exc.suggestion and exc.suggestion not in exc.message
                    else ""
                )
                raise TakeFailed(exc.message + hint) from None
            except ProviderError as exc:
                raise TakeFailed(_user_message(provider.backend, exc)) from None
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        await self._update(
            job, take["id"], "rendering", provider_task_id=task_id, submitted_at=now, status_note=None
        )
        return task_id

    async def _wait(self, job, take, provider: Provider, task_id: str, spec: RenderSpec, deadline: float):
        delay, attempt, last_progress = (
            0.0 if provider.backend == "preview" else self.config.poll_seconds,
            0,
            None,
        )
        poller = self.pollers[provider.backend]
        polled = False
        while True:
            # a job never hangs; but after a restart it gets one look at the provider before this
            if polled and time.time() > deadline:
                raise TakeFailed(
                    f"{provider.backend} did not finish within {_duration(self.config.job_deadline_seconds)}; "
                    "the job was stopped. Try again, or pick another model."
                )
            polled = True
            try:
                status = await poller.check(task_id, spec, min(delay, max(0.0, deadline - time.time())))
            except Retryable as exc:
                attempt += 1
                delay = backoff(
                    attempt, self.config.poll_seconds, self.config.poll_ceiling_seconds, exc.retry_after
                )
                await self._update(job, take["id"], status_note="waiting for the provider")
                continue
            except ProviderError as exc:
                raise TakeFailed(_user_message(provider.backend, exc)) from None
            attempt = 0
            if status.state == TaskState.SUCCEEDED:
                return status
            if status.state == TaskState.FAILED:
                raise TakeFailed(_user_message(provider.backend, status.error))
            if status.progress != last_progress or provider.backend != "preview":
                last_progress = status.progress
                await self._update(job, take["id"], progress=status.progress or 0, status_note=None)
            base = 0.5 if provider.backend == "preview" else self.config.poll_seconds
            delay = min(max(delay, base) * 1.5, self.config.poll_ceiling_seconds)

    async def _download(self, job, take, provider: Provider, task_id: str, status) -> dict:
        await self._update(job, take["id"], "downloading", result_url=status.result_url, progress=100)
        dest = self.media_dir / f"J{job['id']}-v{take['version']}-take{take['id']}.mp4"
        for attempt in range(4):
            try:
                size = await provider.download(task_id, status, dest)
                break
            except Retryable as exc:
                if attempt == 3:
                    raise TakeFailed(
                        f"The clip could not be fetched from {provider.backend}: {exc.message}"
                    ) from None
                await asyncio.sleep(backoff(attempt, 1.0, 30.0, exc.retry_after))
            except ProviderError as exc:
                raise TakeFailed(_user_message(provider.backend, exc)) from None
        seconds = _probe_seconds(dest) or job["request"].get("seconds")
        cost = status.cost_usd if status.cost_usd is not None else job["estimate_usd"] / max(1, job["takes"])
        await self._update(
            job,
            take["id"],
            "uploading",
            media_path=str(dest),
            bytes=size,
            cost_usd=round(cost, 4),
            seconds=seconds,
        )
        return await self.store.run(jobs_db.get_take, take["id"])

    async def _deliver(self, job: dict, take: dict) -> None:
        shot = await self.store.run(jobs_db.get_shot, job["shot_id"])
        thread_ts = await self.cards.ensure_posted(job["shot_id"])
        path = Path(take["media_path"])
        comment = caption(
            model=job["model"],
            seconds=take["seconds"],
            cost=take["cost_usd"],
            job_id=job["id"],
            take=take,
            extra=_reproduce_line(job),
        )
        title = f"{job['model']} v{take['version']}"
        if take.get("upload_file_id"):
            # resumed after a crash between the upload and its completion: finish that upload
            try:
                await delivery.complete_upload(
                    self.slack,
                    take["upload_file_id"],
                    title=title,
                    channel_id=shot["channel_id"],
                    thread_ts=thread_ts,
                    comment=comment,
                )
                return await self._delivered(job, take, take["upload_file_id"], path)
            except Exception:
                log.info("resuming take %s: the earlier upload is gone; uploading again", take["id"])
        if not path.exists():
            raise TakeFailed("The rendered clip was lost before it could be uploaded; ask for another take.")
        file_id, url = await _with_retries(
            lambda: delivery.start_upload(self.slack, path, f"{title}.mp4".replace(" ", "-"))
        )
        await _with_retries(lambda: delivery.send_bytes(self.http, url, path))
        await self.store.run(jobs_db.update_take, take["id"], None, "", upload_file_id=file_id)
        await _with_retries(
            lambda: delivery.complete_upload(
                self.slack,
                file_id,
                title=title,
                channel_id=shot["channel_id"],
                thread_ts=thread_ts,
                comment=comment,
            )
        )
        await self._delivered(job, take, file_id, path)

    async def _delivered(self, job: dict, take: dict, file_id: str, path: Path) -> None:
        await self._update(job, take["id"], "delivered", slack_file_id=file_id, status_note=None)
        if not self.config.keep_media:
            path.unlink(missing_ok=True)
        await self._finish(job, take["id"])

    async def _fail(self, job: dict, take_id: int, message: str) -> None:
        try:
            await self._update(job, take_id, "failed", error=message[:500], cost_usd=0.0)
        except TakeEnded:
            return await self._finish(job, take_id)
        shot = await self.store.run(jobs_db.get_shot, job["shot_id"])
        take = await self.store.run(jobs_db.get_take, take_id)
        if shot.get("card_ts"):
            try:
                await _with_retries(
                    lambda: self.slack.chat_postMessage(
                        channel=shot["channel_id"],
                        thread_ts=shot["card_ts"],
                        text=f":x: v{take['version']} failed: {message}",
                    )
                )
            except Exception:
                log.exception("could not tell the thread that take %s failed", take_id)
        await self._finish(job, take_id)

    async def _finish(self, job: dict, take_id: int) -> None:
        self.cards.touch(job["shot_id"])
        take = await self.store.run(jobs_db.get_take, take_id)
        for callback in self.on_take_done:
            callback(take_id, take["state"])

    def _callback_url(self, backend: str) -> str | None:
        base = self.config.public_base_url
        if base and backend in ("kling", "openai"):
            return f"{base}/webhooks/{backend}"
        return None


def _active_take_ids(db) -> list[int]:
    """Ids of the takes the runner must carry on with, oldest first (ids only: cheap to ask often)."""
    marks = ",".join("?" * len(jobs_db.TAKE_ACTIVE))
    sql = f"SELECT id FROM takes WHERE state IN ({marks}) ORDER BY id"
    return [r[0] for r in db.execute(sql, list(jobs_db.TAKE_ACTIVE))]


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


def _duration(seconds: float) -> str:
    return f"{round(seconds / 60)} minutes" if seconds >= 120 else f"{seconds:g} seconds"


def _probe_seconds(path: Path) -> float | None:
    try:
        import av

        with av.open(str(path)) as container:
            return round(container.duration / 1_000_000, 2) if container.duration else None
    except Exception:
        return None


def _reproduce_line(job: dict) -> str:
    req = job["request"]
    what = req.get("instruction") or req.get("prompt") or req.get("script") or ""
    what = what.replace("\n", " ")
    kind = job["kind"]
    if req.get("parent_version"):  # an edit or extension names the version it worked on
        kind += f" of v{req['parent_version']}"
    return f"_{kind}:_ {what[:300]}" if what else ""


def _user_message(backend: str, exc: ProviderError | None) -> str:
    if exc is None:
        return f"{backend} reported a failure without a reason."
    if isinstance(exc, Refused):
        return f"{backend} refused this request: {exc.message}"
    ref = f" (request {exc.request_id})" if exc.request_id else ""
    return f"{exc.message}{ref}"
