"""The provider steps on one backend (Rendering) over real HTTP against the Kling stand-in:
submit once (also across a crash mid-submit), wait with retries, download, and the messages a
failure leaves for the person who asked."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.outcomes import TakeEnded, TakeFailed
from bot.providers.base import TaskState
from bot.providers.errors import ProviderError, Refused
from bot.providers.kling.provider import KlingProvider
from bot.runner import steps
from bot.runner.elements import SubjectElements
from bot.runner.poller import Poller
from bot.runner.spec import render_spec
from bot.runner.steps import Rendering, user_message
from storage import jobs as jobs_db
from tests.fakes.kling import FakeKling
from tests.unit.take_fixtures import new_take

FAR = 10**12  # a deadline that never comes


@pytest.fixture
async def kling():
    async with FakeKling(polls_to_finish=2) as fake:
        yield fake


@pytest.fixture
async def rendering(kling, http, store, config):
    provider = KlingProvider(http, base_url=kling.url, api_key=kling.api_key, element_poll_seconds=0)
    poller = Poller(provider)
    poller.start()
    media = Path(config.media_dir)
    media.mkdir(parents=True, exist_ok=True)
    yield Rendering(provider, poller, SubjectElements(store), config, submits_at_once=2)
    await poller.stop()


async def test_submit_wait_download_carries_the_take_to_uploading(rendering, kling, store, cards):
    ctx, take = await new_take(store, cards)
    spec = render_spec(ctx.job, take)
    task_id = await rendering.submit(ctx, take, spec, FAR)
    stored = await ctx.take()
    assert stored["state"] == "rendering" and stored["provider_task_id"] == task_id
    assert stored["submitted_at"] and len(kling.creates) == 1
    status = await rendering.wait(ctx, task_id, spec, FAR)
    assert status.state is TaskState.SUCCEEDED and status.result_url
    take = await rendering.download(ctx, await ctx.take(), task_id, status)
    assert take["state"] == "uploading" and take["bytes"] > 0
    assert take["cost_usd"] == 0.5, "no figure from the backend: the job's estimate per take"
    assert (rendering.media_dir / f"J{ctx.job['id']}-v1-take{take['id']}.mp4").stat().st_size == take["bytes"]
    states = [t["to_state"] for t in await store.run(jobs_db.transitions, ctx.job["id"]) if t["take_id"]]
    assert states == ["submitting", "rendering", "downloading", "uploading"]


async def test_a_busy_backend_is_retried_and_the_card_says_so(rendering, kling, store, cards):
    kling.fail_next_create()  # 429 / 1303: parallel tasks over the pack's limit
    ctx, take = await new_take(store, cards)
    task_id = await rendering.submit(ctx, take, render_spec(ctx.job, take), FAR)
    stored = await ctx.take()
    assert stored["provider_task_id"] == task_id and stored["attempts"] == 1
    assert stored["status_note"] is None, "the note is cleared once the backend took it"
    assert len(kling.creates) == 1


async def test_busy_past_the_deadline_fails_with_the_backends_reason(rendering, kling, store, cards):
    kling.fail_next_create()
    ctx, take = await new_take(store, cards)
    with pytest.raises(TakeFailed, match="Kling stayed busy for .*parallel task over resource pack limit"):
        await rendering.submit(ctx, take, render_spec(ctx.job, take), deadline=0)
    assert kling.creates == []


async def test_a_resumed_submit_picks_up_the_task_the_backend_already_has(rendering, kling, store, cards):
    ctx, take = await new_take(store, cards)
    spec = render_spec(ctx.job, take)
    first = await rendering.submit(ctx, take, spec, FAR)
    # a crash after the create reached Kling but before its id was stored
    await store.run(jobs_db.update_take, ctx.take_id, "submitting", "", provider_task_id=None)
    again = await rendering.submit(ctx, await ctx.take(), spec, FAR)
    assert again == first and len(kling.creates) == 1, "found by external_task_id, not paid twice"


async def test_a_refused_render_says_why(rendering, kling, store, cards):
    kling.refuse_next_task("Failure to pass the risk control system")
    ctx, take = await new_take(store, cards)
    spec = render_spec(ctx.job, take)
    task_id = await rendering.submit(ctx, take, spec, FAR)
    with pytest.raises(TakeFailed, match="kling refused this request: .*risk control"):
        await rendering.wait(ctx, task_id, spec, FAR)


async def test_a_take_cancelled_meanwhile_ends_the_step(rendering, kling, store, cards):
    ctx, take = await new_take(store, cards)
    await store.run(jobs_db.set_job_state, ctx.job["id"], "cancelled", "by U0USER", "cancelled")
    with pytest.raises(TakeEnded):
        await rendering.submit(ctx, take, render_spec(ctx.job, take), FAR)
    assert kling.creates == []


def test_user_message_names_the_backend_and_the_request():
    assert user_message("kling", None) == "kling reported a failure without a reason."
    assert user_message("kling", Refused("nudity")) == "kling refused this request: nudity"
    assert user_message("openai", ProviderError("boom", request_id="req_1")) == "boom (request req_1)"


async def test_a_take_whose_backend_calls_back_is_polled_only_as_a_safety_net(
    rendering, kling, store, cards, config
):
    """With a callback URL the second check waits the ceiling (the callback pokes it sooner)."""
    rendering.config = dataclasses.replace(config, poll_seconds=0.01, poll_ceiling_seconds=3600.0)
    ctx, take = await new_take(store, cards)
    spec = dataclasses.replace(
        render_spec(ctx.job, take), callback_url="https://dailies.example/webhooks/kling"
    )
    task_id = await rendering.submit(ctx, take, spec, FAR)
    waiting = asyncio.create_task(rendering.wait(ctx, task_id, spec, FAR))
    for _ in range(500):
        if kling.polls == 1 and (rendering.poller.next_check(task_id) or 0) > 0:
            break
        await asyncio.sleep(0.01)
    assert kling.polls == 1 and rendering.poller.next_check(task_id) > 3000
    kling.polls_to_finish = 0
    assert rendering.poller.poke(task_id)  # what the callback does
    status = await asyncio.wait_for(waiting, 10)
    assert status.state is TaskState.SUCCEEDED and kling.polls == 2


def test_the_card_says_a_backend_is_busy_or_not_answering():
    from bot.providers.errors import RateLimited, Timeout, Unavailable
    from bot.runner.steps import gave_up, waiting_note

    assert waiting_note("kling", RateLimited("too many")) == "waiting for the provider"
    assert waiting_note("kling", Unavailable("down")) == "Kling is not answering; retrying"
    assert waiting_note("kling", Timeout("slow")) == "Kling is not answering; retrying"
    reason = gave_up("kling", Unavailable("Kling could not be reached (api, ConnectError)."), 1800)
    assert reason.startswith("Kling was not answering for 30 minutes") and "nothing was charged" in reason


async def test_a_poll_due_while_its_answer_was_being_stored_is_not_waited_for_again(
    rendering, kling, store, cards, config, monkeypatch
):
    """The wait between polls runs from the last answer: storing it took a minute (the database was
    restarting), so the next poll is due at once, not a whole interval after the database is back."""
    rendering.config = dataclasses.replace(config, poll_seconds=30.0, poll_ceiling_seconds=30.0)
    clock = [1000.0]
    monkeypatch.setattr(steps, "time", SimpleNamespace(time=time.time, monotonic=lambda: clock[0]))
    asked: list[float] = []
    answer = rendering.poller.check

    async def check(task_id, spec, after):
        asked.append(after)
        return await answer(task_id, spec, 0)  # the clock is ours: answer now

    monkeypatch.setattr(rendering.poller, "check", check)
    ctx, take = await new_take(store, cards)
    spec = render_spec(ctx.job, take)
    task_id = await rendering.submit(ctx, take, spec, FAR)
    run = store.run

    async def stored_a_minute_later(fn, *args, **kwargs):
        if fn is jobs_db.update_take and "progress" in kwargs:
            clock[0] += 60  # the database away meanwhile: the store waited for it
        return await run(fn, *args, **kwargs)

    monkeypatch.setattr(store, "run", stored_a_minute_later)
    status = await rendering.wait(ctx, task_id, spec, FAR)
    assert status.state is TaskState.SUCCEEDED and kling.polls == 3
    assert asked == [30.0, 0.0, 0.0], "each poll due while its predecessor's answer was stored"
