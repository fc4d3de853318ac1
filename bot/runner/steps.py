"""The provider steps of a take on one backend: submit (with retries), wait for the render,
download the clip; provider errors become messages for the person who asked."""

from __future__ import annotations

import asyncio
import errno
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.config import Config
from bot.delivery.take_context import TakeContext
from bot.media.probe import probe_mp4
from bot.outcomes import TakeFailed
from bot.providers.base import Provider, RenderSpec, TaskState, TaskStatus
from bot.providers.errors import (
    ContinuationExpired,
    ModelGone,
    ModelUnavailable,
    ProviderError,
    RateLimited,
    Refused,
    Retryable,
)
from bot.providers.http import backend_name
from bot.runner.backoff import backoff
from bot.runner.elements import SubjectElements
from bot.runner.poller import Poller
from bot.runner.voices import SubjectVoices
from storage import jobs as jobs_db
from storage.rows import TakeRow
from storage.states import TakeState

log = logging.getLogger(__name__)

# No space left on the media disk (or the user's quota there): waited out, never the take's failure.
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
DISK_FULL = "the media disk is full; the clip will be saved as soon as there is space"

FROM_CLIP = (
    ":hourglass: v{version} can no longer be continued on {backend} (its conversation there has "
    "expired), so this {kind} started from the clip itself: details the instruction does not name may change."
)


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
                # busy or away: asked again, at most every poll ceiling, until the job's deadline
                wait = backoff(attempt, config.poll_seconds, config.poll_ceiling_seconds, exc.retry_after)
                if time.time() >= deadline:
                    raise TakeFailed(gave_up(provider.backend, exc, config.job_deadline_seconds)) from None
                await ctx.update(status_note=waiting_note(provider.backend, exc), attempts=attempt + 1)
                await asyncio.sleep(min(wait, max(0.0, deadline - time.time())))
                attempt += 1
            except ContinuationExpired:
                if spec.source is None or spec.source.continuation is None:
                    raise TakeFailed(f"{provider.backend} lost the clip this edit works on.") from None
                # the backend forgot the clip's conversation: work from the clip, and say so
                log.info("take %s: the source's conversation expired; editing from the clip", take["id"])
                spec = replace(spec, source=replace(spec.source, continuation=None))
                await ctx.store.run(jobs_db.add_job_note, ctx.job["id"], _from_clip(ctx.job, provider))
                ctx.touch()
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
        polled, failing = False, None  # failing: the error of the polls since the last answer
        answered = time.monotonic()  # the delay runs from the last answer, not from our bookkeeping:
        # a take that waited for the database (restarted meanwhile) polls at once when it is back
        while True:
            # a job never hangs; but after a restart it gets one look at the provider before this
            if polled and time.time() > deadline:
                if failing is not None:
                    raise TakeFailed(gave_up(provider.backend, failing, config.job_deadline_seconds))
                raise TakeFailed(
                    f"{provider.backend} did not finish within {_duration(config.job_deadline_seconds)}; "
                    "the job was stopped. Try again, or pick another model."
                )
            polled = True
            due = max(0.0, delay - (time.monotonic() - answered))
            try:
                status = await self.poller.check(task_id, spec, min(due, max(0.0, deadline - time.time())))
            except Retryable as exc:
                answered = time.monotonic()
                attempt += 1
                delay = backoff(attempt, config.poll_seconds, config.poll_ceiling_seconds, exc.retry_after)
                note = waiting_note(provider.backend, exc)
                if failing is None or waiting_note(provider.backend, failing) != note:
                    await ctx.update(status_note=note)  # once per change, not once per poll
                failing = exc
                continue
            except ProviderError as exc:
                raise TakeFailed(user_message(provider.backend, exc)) from None
            answered = time.monotonic()
            if failing is not None:
                failing = None
                await ctx.update(status_note=None)
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

    async def download(self, ctx: TakeContext, take: TakeRow, task_id: str, status: TaskStatus) -> TakeRow:
        """Fetch the finished clip into the media folder; returns the take, now uploading. A full
        media disk is waited out (the render is paid for): the card says so until there is room."""
        provider, job = self.provider, ctx.job
        await ctx.update(TakeState.DOWNLOADING, result_url=status.result_url, progress=100)
        dest = self.media_dir / f"J{job['id']}-v{take['version']}-take{take['id']}.mp4"
        attempt, full = 0, 0  # full: tries since the disk was found full (0: it was not)
        while True:
            try:
                size = await provider.download(task_id, status, dest)
                break
            except Retryable as exc:
                if attempt == 3:
                    raise TakeFailed(
                        f"The clip could not be fetched from {provider.backend}: {exc.message}"
                    ) from None
                await asyncio.sleep(backoff(attempt, 1.0, 30.0, exc.retry_after))
                attempt += 1
            except ProviderError as exc:
                raise TakeFailed(user_message(provider.backend, exc)) from None
            except OSError as exc:
                if exc.errno not in DISK_FULL_ERRNOS:
                    raise
                if not full:  # one line and one card change as it fills, not one per try
                    log.warning("take %s: the media disk is full (%s); waiting for space", take["id"], exc)
                    await ctx.update(status_note=DISK_FULL)
                # the partial file is gone; ask again as the poller would, up to its ceiling
                config = self.config
                await asyncio.sleep(
                    backoff(min(full, 16), config.poll_seconds, config.poll_ceiling_seconds, None)
                )
                full += 1
        if full:
            log.warning("take %s: the media disk has space again; clip saved", take["id"])
        seconds = _probe_seconds(dest) or job["request"].get("seconds")
        cost = status.cost_usd if status.cost_usd is not None else job["estimate_usd"] / max(1, job["takes"])
        kept = {"interaction_id": status.continuation} if status.continuation else {}
        await ctx.update(
            TakeState.UPLOADING, media_path=str(dest), bytes=size, cost_usd=round(cost, 4), seconds=seconds,
            status_note=None, **kept,
        )  # fmt: skip
        return await ctx.take_now()


def _from_clip(job: Mapping[str, Any], provider: Provider) -> str:
    version = job["request"].get("parent_version", "?")
    return FROM_CLIP.format(version=version, backend=provider.label or provider.backend, kind=job["kind"])


def waiting_note(backend: str, exc: Retryable) -> str:
    """What the card says while a backend is asked again: busy (429), or not answering at all."""
    if isinstance(exc, RateLimited):
        return "waiting for the provider"
    return f"{backend_name(backend)} is not answering; retrying"


def gave_up(backend: str, exc: Retryable, deadline_seconds: float) -> str:
    """Why a take that could not reach its backend by its deadline was stopped (at no cost)."""
    name = backend_name(backend)
    if isinstance(exc, RateLimited):
        return f"{name} stayed busy for {_duration(deadline_seconds)}: {exc.message} Nothing was charged."
    return (
        f"{name} was not answering for {_duration(deadline_seconds)} ({exc.message}); the job was "
        "stopped and nothing was charged. Try again later, or pick another model."
    )


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
