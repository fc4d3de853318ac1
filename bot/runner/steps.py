"""The provider steps of a take: submit (with retries), wait for the render, download the clip;
provider errors become messages for the person who asked."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.media.probe import probe_mp4
from bot.outcomes import TakeFailed
from bot.providers.base import Provider, RenderSpec, TaskState
from bot.providers.errors import ModelUnavailable, ProviderError, Refused, Retryable
from bot.studio.subjects import with_elements
from storage import jobs as jobs_db

if TYPE_CHECKING:
    from bot.runner.job_runner import JobRunner

log = logging.getLogger("bot.runner.job_runner")  # the runner's log, as before the split


def backoff(attempt: int, first: float, ceiling: float, retry_after: float | None = None) -> float:
    """Jittered exponential backoff that never waits less than the backend asked for."""
    delay = min(ceiling, first * (2**attempt)) * (0.75 + random.random() / 2)
    return max(delay, retry_after or 0.0)


async def submit(
    runner: JobRunner, job: dict, take: dict, provider: Provider, spec: RenderSpec, deadline: float
) -> str:
    """Hand the take to its backend (once, even across a crash mid-submit); returns the task id."""
    config = runner.config
    if take["state"] == "submitting":  # resumed after a crash mid-submit: did the backend get it?
        try:
            async with runner.submits[provider.backend]:
                found = await provider.find(spec)
        except ProviderError as exc:
            log.warning("take %s: could not look for an earlier task (%s)", take["id"], exc.message)
            found = None
        if found:
            await runner.update(job, take["id"], "rendering", provider_task_id=found, status_note=None)
            return found
    await runner.update(job, take["id"], "submitting")
    attempt = 0
    while True:
        try:
            async with runner.submits[provider.backend]:
                spec = await with_elements(runner.store, provider, spec)  # subjects' elements, cached
                task_id = await provider.submit(spec)
            break
        except Retryable as exc:
            wait = backoff(attempt, config.poll_seconds, config.poll_ceiling_seconds, exc.retry_after)
            if time.time() + wait > deadline or attempt >= 8:
                raise TakeFailed(f"{provider.backend} stayed busy: {exc.message}") from None
            await runner.update(job, take["id"], status_note="waiting for the provider", attempts=attempt + 1)
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
            raise TakeFailed(user_message(provider.backend, exc)) from None
    now = datetime.now(UTC).isoformat(timespec="milliseconds")
    await runner.update(
        job, take["id"], "rendering", provider_task_id=task_id, submitted_at=now, status_note=None
    )
    return task_id


async def wait(
    runner: JobRunner,
    job: dict,
    take: dict,
    provider: Provider,
    task_id: str,
    spec: RenderSpec,
    deadline: float,
):
    """Poll (or wait for a webhook) until the render succeeds; raises TakeFailed otherwise."""
    config = runner.config
    base = provider.poll_seconds or config.poll_seconds
    delay = 0.0 if provider.poll_seconds else config.poll_seconds
    attempt, last_progress = 0, None
    poller = runner.pollers[provider.backend]
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
            status = await poller.check(task_id, spec, min(delay, max(0.0, deadline - time.time())))
        except Retryable as exc:
            attempt += 1
            delay = backoff(attempt, config.poll_seconds, config.poll_ceiling_seconds, exc.retry_after)
            await runner.update(job, take["id"], status_note="waiting for the provider")
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
            await runner.update(job, take["id"], progress=status.progress or 0, status_note=None)
        delay = min(max(delay, base) * 1.5, config.poll_ceiling_seconds)


async def download(
    runner: JobRunner, job: dict, take: dict, provider: Provider, task_id: str, status
) -> dict:
    """Fetch the finished clip into the media folder; returns the take, now uploading."""
    await runner.update(job, take["id"], "downloading", result_url=status.result_url, progress=100)
    dest = runner.media_dir / f"J{job['id']}-v{take['version']}-take{take['id']}.mp4"
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
    await runner.update(
        job,
        take["id"],
        "uploading",
        media_path=str(dest),
        bytes=size,
        cost_usd=round(cost, 4),
        seconds=seconds,
    )
    return await runner.store.run(jobs_db.get_take, take["id"])


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
