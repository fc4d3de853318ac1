"""The provider steps of a take on one backend: submit (with retries), wait for the render,
download the clip; provider errors become messages for the person who asked."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Config
from bot.delivery.take_context import TakeContext
from bot.media.probe import probe_mp4
from bot.outcomes import TakeFailed
from bot.providers.base import Provider, RenderSpec, TaskState, TaskStatus
from bot.providers.errors import ModelGone, ModelUnavailable, ProviderError, Refused, Retryable
from bot.runner.backoff import backoff
from bot.runner.elements import SubjectElements
from bot.runner.poller import Poller
from bot.runner.voices import SubjectVoices
from storage.rows import TakeRow
from storage.states import TakeState

log = logging.getLogger(__name__)


class Rendering:
    """Submit, wait and download on one backend. `submits` bounds the submissions (and crash-recovery
    look-ups) in flight at once; `poller` batches the status checks of every waiting take."""

    def __init__(
        self,
        provider: Provider,
        poller: Poller,
        elements: SubjectElements,
        config: Config,
        *,
        submits_at_once: int,
        gone: Callable[[Provider, RenderSpec], Awaitable[str]] | None = None,
    ) -> None:
        self.provider = provider
        self.poller = poller
        self.elements = elements
        self.voices = SubjectVoices(elements.store)
        self.config = config
        self.media_dir = Path(config.media_dir)  # where downloads land
        self.submits = asyncio.Semaphore(submits_at_once)
        # the backend said a model is gone: mark it (the model watch) and say what to use instead
        self.gone = gone

    async def submit(self, ctx: TakeContext, take: TakeRow, spec: RenderSpec, deadline: float) -> str:
        """Hand the take to its backend (once, even across a crash mid-submit); returns the task id."""
        provider, config = self.provider, self.config
        if take["state"] == TakeState.SUBMITTING:  # resumed after a crash mid-submit: did the backend get it?
            try:
                async with self.submits:
                    found = await provider.find(spec)
            except ProviderError as exc:
                log.warning("take %s: could not look for an earlier task (%s)", take["id"], exc.message)
                found = None
            if found:
                await ctx.update(TakeState.RENDERING, provider_task_id=found, status_note=None)
                return found
        await ctx.update(TakeState.SUBMITTING)
        attempt = 0
        while True:
            try:
                async with self.submits:
                    spec = await self.elements.attach(provider, spec)
                    spec = await self.voices.attach(provider, spec)
                    task_id = await provider.submit(spec)
                break
            except Retryable as exc:
                wait = backoff(attempt, config.poll_seconds, config.poll_ceiling_seconds, exc.retry_after)
                if time.time() + wait > deadline or attempt >= 8:
                    raise TakeFailed(f"{provider.backend} stayed busy: {exc.message}") from None
                await ctx.update(status_note="waiting for the provider", attempts=attempt + 1)
                await asyncio.sleep(wait)
                attempt += 1
            except ModelGone as exc:
                instead = await self.gone(provider, spec) if self.gone else ""
                if not instead and exc.suggestion and exc.suggestion not in exc.message:
                    instead = f" Try `--model {exc.suggestion}`."
                raise TakeFailed(f"{exc.message} Nothing was charged.{instead}") from None
            except ModelUnavailable as exc:
                hint = (
                    f" Try `--model {exc.suggestion}`."
                    if exc.suggestion and exc.suggestion not in exc.message
                    else ""
                )
                raise TakeFailed(exc.message + hint) from None
            except ProviderError as exc:
                raise TakeFailed(user_message(provider.backend, exc)) from None
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        await ctx.update(TakeState.RENDERING, provider_task_id=task_id, submitted_at=now, status_note=None)
        return task_id

    async def wait(self, ctx: TakeContext, task_id: str, spec: RenderSpec, deadline: float) -> TaskStatus:
        """Poll (or wait for a webhook) until the render succeeds; raises TakeFailed otherwise."""
        provider, config = self.provider, self.config
        base = provider.poll_seconds or config.poll_seconds
        delay = 0.0 if provider.poll_seconds else config.poll_seconds
        attempt, last_progress = 0, None
        polled = False
        while True:
            # a job never hangs; but after a restart it gets one look at the provider before this
            if polled and time.time() > deadline:
                raise TakeFailed(
                    f"{provider.backend} did not finish within {_duration(config.job_deadline_seconds)}; "
                    "the job was stopped. Try again, or pick another model."
                )
            polled = True
            try:
                status = await self.poller.check(task_id, spec, min(delay, max(0.0, deadline - time.time())))
            except Retryable as exc:
                attempt += 1
                delay = backoff(attempt, config.poll_seconds, config.poll_ceiling_seconds, exc.retry_after)
                await ctx.update(status_note="waiting for the provider")
                continue
            except ProviderError as exc:
                raise TakeFailed(user_message(provider.backend, exc)) from None
            attempt = 0
            if status.state == TaskState.SUCCEEDED:
                return status
            if status.state == TaskState.FAILED:
                raise TakeFailed(user_message(provider.backend, status.error))
            # without a percentage the card shows elapsed time, so every poll refreshes it
            if status.progress != last_progress or not provider.has_progress:
                last_progress = status.progress
                await ctx.update(progress=status.progress or 0, status_note=None)
            if spec.callback_url:  # the backend will call back: a poll is only the safety net
                delay = config.poll_ceiling_seconds
            else:
                delay = min(max(delay, base) * 1.5, config.poll_ceiling_seconds)

    async def look(self, task_id: str, spec: RenderSpec) -> TaskStatus:
        """The task's status now (a take resumed mid-download needs its result URL again)."""
        return await self.poller.check(task_id, spec, 0)

    async def download(self, ctx: TakeContext, take: TakeRow, task_id: str, status: TaskStatus) -> dict:
        """Fetch the finished clip into the media folder; returns the take, now uploading."""
        provider, job = self.provider, ctx.job
        await ctx.update(TakeState.DOWNLOADING, result_url=status.result_url, progress=100)
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
                raise TakeFailed(user_message(provider.backend, exc)) from None
        seconds = _probe_seconds(dest) or job["request"].get("seconds")
        cost = status.cost_usd if status.cost_usd is not None else job["estimate_usd"] / max(1, job["takes"])
        await ctx.update(
            TakeState.UPLOADING, media_path=str(dest), bytes=size, cost_usd=round(cost, 4), seconds=seconds
        )
        return await ctx.take()


def user_message(backend: str, exc: ProviderError | None) -> str:
    """What to tell the person when a backend failed their take."""
    if exc is None:
        return f"{backend} reported a failure without a reason."
    if isinstance(exc, Refused):
        return f"{backend} refused this request: {exc.message}"
    ref = f" (request {exc.request_id})" if exc.request_id else ""
    return f"{exc.message}{ref}"


def _duration(seconds: float) -> str:
    return f"{round(seconds / 60)} minutes" if seconds >= 120 else f"{seconds:g} seconds"


def _probe_seconds(path: Path) -> float | None:
    """The clip's duration, or None when it can't be read (the caption then uses the request's)."""
    try:
        return round(probe_mp4(path)["seconds"], 2) or None
    except Exception:
        return None
