"""Kling's batch status query (`GET /tasks?task_ids=…`) over real HTTP against the stand-in, and
the poller asking about many takes in flight with a bounded number of requests."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from bot.providers import errors
from bot.providers.base import Mode, RenderSpec, TaskState
from bot.providers.kling.provider import KlingProvider
from bot.providers.kling.wire import TASKS_BATCH
from bot.runner.poller import Poller
from tests.fakes.kling import FakeKling

BATCH = 20


def spec(n: int) -> RenderSpec:
    return RenderSpec(model="kling-v3", mode=Mode.TEXT, prompt=f"shot {n}", seconds=5, external_id=f"t-{n}")


@pytest.fixture
async def fake():
    async with FakeKling(polls_to_finish=1) as f:
        yield f


@pytest.fixture
async def client():
    async with httpx.AsyncClient() as c:
        yield c


def batched(client, fake, batch: int = BATCH) -> KlingProvider:
    return KlingProvider(client, base_url=fake.url, api_key=fake.api_key, tasks_batch=batch)


async def submitted(provider: KlingProvider, n: int) -> list[tuple[str, RenderSpec]]:
    specs = [spec(i) for i in range(n)]
    return list(zip([await provider.submit(s) for s in specs], specs, strict=True))


def task_queries(fake: FakeKling) -> list[str]:
    return [r.path for r in fake.requests if r.method == "GET"]


def test_batching_is_off_until_kling_confirms_tasks_reports_legacy_tasks():
    assert TASKS_BATCH == 1


async def test_one_request_reports_every_task_of_a_batch(fake, client, tmp_path):
    provider = batched(client, fake)
    tasks = await submitted(provider, 3)
    first = await provider.status_many(tasks)
    assert task_queries(fake) == ["/tasks"] and fake.batch_polls == [3]
    assert {s.state for s in first.values()} == {TaskState.RUNNING}
    done = await provider.status_many(tasks)
    assert set(done) == {task_id for task_id, _ in tasks}
    assert all(s.state is TaskState.SUCCEEDED for s in done.values())
    task_id, status = next(iter(done.items()))
    assert await provider.download(task_id, status, tmp_path / "clip.mp4") > 0


async def test_a_task_the_batch_leaves_out_is_asked_on_its_own_route(fake, client):
    provider = batched(client, fake)
    tasks = await submitted(provider, 2)
    fake.tasks_reports_legacy = False
    statuses = await provider.status_many(tasks)
    assert task_queries(fake) == ["/tasks", "/v1/videos/text2video/" + tasks[0][0].split(":")[1],
                                  "/v1/videos/text2video/" + tasks[1][0].split(":")[1]]  # fmt: skip
    assert all(s.state is TaskState.RUNNING for s in statuses.values())


async def test_a_task_kling_no_longer_knows_fails_alone_not_its_batch(fake, client):
    provider = batched(client, fake)
    tasks = await submitted(provider, 2)
    del fake.tasks[tasks[0][0].split(":")[1]]  # e.g. past Kling's 30 days
    statuses = await provider.status_many(tasks)
    gone = statuses[tasks[0][0]]
    assert gone.state is TaskState.FAILED and gone.error.code == "1203"
    assert statuses[tasks[1][0]].state is TaskState.RUNNING


async def test_a_failed_task_in_a_batch_reads_as_a_refusal(fake, client):
    provider = batched(client, fake)
    fake.refuse_next_task()
    tasks = await submitted(provider, 2)
    statuses = await provider.status_many(tasks)
    refused = statuses[tasks[0][0]]
    assert refused.state is TaskState.FAILED and isinstance(refused.error, errors.Refused)
    assert statuses[tasks[1][0]].state is TaskState.RUNNING


async def test_an_ak_sk_account_polls_task_by_task(fake, client):
    provider = KlingProvider(
        client, base_url=fake.url, access_key=fake.access_key, secret_key=fake.secret_key, tasks_batch=BATCH
    )
    assert provider.max_batch == 1
    assert batched(client, fake).max_batch == BATCH


async def test_the_stand_in_answers_tasks_as_kling_does(fake, client):
    ok = await client.get(f"{fake.url}/tasks", params={"task_ids": "nope"}, headers=auth(fake))
    assert ok.status_code == 200 and ok.json()["data"] == []
    missing = await client.get(f"{fake.url}/tasks", headers=auth(fake))
    assert missing.status_code == 400 and "is required" in missing.json()["message"]
    both = await client.get(
        f"{fake.url}/tasks", params={"task_ids": "1", "external_task_ids": "x"}, headers=auth(fake)
    )
    assert both.status_code == 400
    provider = KlingProvider(
        client, base_url=fake.url, access_key=fake.access_key, secret_key=fake.secret_key
    )
    jwt = {"Authorization": provider._authorization()}
    assert (await client.get(f"{fake.url}/tasks", params={"task_ids": "1"}, headers=jwt)).status_code == 401


def auth(fake: FakeKling) -> dict[str, str]:
    return {"Authorization": f"Bearer {fake.api_key}"}


async def test_polls_per_interval_stay_about_jobs_over_batch_size(fake, client):
    """50 takes in flight: each round of checks costs ceil(50 / 20) = 3 requests, not 50."""
    provider = batched(client, fake)
    tasks = await submitted(provider, 50)
    poller = Poller(provider)
    poller.start()
    try:
        first = await asyncio.gather(*(poller.check(task_id, s, 0) for task_id, s in tasks))
        assert {s.state for s in first} == {TaskState.RUNNING}
        assert poller.polls == 3 and sorted(fake.batch_polls) == [10, 20, 20]
        second = await asyncio.gather(*(poller.check(task_id, s, 0) for task_id, s in tasks))
        assert {s.state for s in second} == {TaskState.SUCCEEDED}
        assert poller.polls == 6 and fake.polls == 6
    finally:
        await poller.stop()
