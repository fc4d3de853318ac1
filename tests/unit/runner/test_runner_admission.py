"""Bounded admission under many new jobs: takes start a few at a time, submissions and status
polls keep a bounded number of provider requests in flight, and every job still gets delivered."""

from __future__ import annotations

import asyncio

from aiohttp import web

import bot.runner.job_runner
import bot.runner.poller
from tests.fakes.kling import FakeKling
from tests.harness import running_bot

JOBS = 6


class CountingKling(FakeKling):
    """Kling stand-in that holds each create and poll open briefly and notes the most at once."""

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.creating = self.polling = self.max_creating = self.max_polling = 0

    async def _create_video(self, request: web.Request) -> web.Response:
        self.creating += 1
        self.max_creating = max(self.max_creating, self.creating)
        try:
            await asyncio.sleep(0.05)  # long enough for unbounded submits to overlap
            return await super()._create_video(request)
        finally:
            self.creating -= 1

    async def _poll_video(self, request: web.Request) -> web.Response:
        self.polling += 1
        self.max_polling = max(self.max_polling, self.polling)
        try:
            await asyncio.sleep(0.05)
            return await super()._poll_video(request)
        finally:
            self.polling -= 1


async def _all_ended(bot) -> list[dict]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 40
    while loop.time() < deadline:
        jobs = await bot.jobs()
        if len(jobs) == JOBS and all(j["state"] in ("delivered", "failed") for j in jobs):
            break
        await asyncio.sleep(0.1)
    return await bot.jobs()


async def _settled(runner) -> int:
    """Takes still in flight once every coroutine had the chance to finish (at most 10 s)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while runner.in_flight and loop.time() < deadline:
        await asyncio.sleep(0.05)
    return runner.in_flight


async def test_many_new_jobs_start_a_few_at_a_time_and_all_deliver(tmp_path, slack, monkeypatch):
    monkeypatch.setattr(bot.runner.job_runner, "STARTS_AT_ONCE", 1)
    monkeypatch.setattr(bot.runner.job_runner, "SUBMITS_AT_ONCE", 2)
    monkeypatch.setattr(bot.runner.poller, "POLLS_AT_ONCE", 2)
    async with (
        CountingKling(polls_to_finish=3) as kling,
        running_bot(
            tmp_path, slack, KLING_API_KEY=kling.api_key, KLING_BASE_URL=kling.url,
            DAILIES_BACKEND_CONCURRENCY="50",
        ) as dailies,
    ):  # fmt: skip
        for i in range(JOBS):
            # one channel each, so card posting (paced per channel) does not serialise the jobs
            status, _ = await dailies.command(
                f"shot {i} of a fox --model kling-v3 --seconds 5", channel_id=f"C0ADM{i}"
            )
            assert status == 200
        jobs = await _all_ended(dailies)
        assert [j["state"] for j in jobs] == ["delivered"] * JOBS, [j.get("error") for j in jobs]
        assert len(kling.creates) == JOBS, "each job submitted once"
        assert kling.max_creating in (1, 2)
        assert kling.max_polling in (1, 2)
        # a take's coroutine ends a little after its delivery is stored (the hand-over's last steps)
        assert await _settled(dailies.dailies.runner) == 0
