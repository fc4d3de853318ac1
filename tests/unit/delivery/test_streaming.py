"""Fast and light (issue 8), functionally: streamed uploads arrive intact, polls are batched,
card edits are throttled. Timings live in bench/, not here."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import httpx
import pytest

from bot.cards.publisher import CardPublisher
from bot.delivery import upload
from bot.providers.base import Availability, Mode, Provider, RenderSpec, TaskState, TaskStatus
from bot.runner.poller import Poller
from storage import jobs as jobs_db
from storage.db import Store
from storage.engines import connect
from tests.fakes.slack import web_client

SPEC = RenderSpec(model="kling-v3", mode=Mode.TEXT, prompt="a red fox in the snow")


class BatchingProvider(Provider):
    """A backend whose status query takes up to five tasks at once; it records every query."""

    backend = "kling"
    max_batch = 5

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.singles: list[str] = []

    def availability(self, model: str, mode: Mode = Mode.TEXT) -> Availability:
        return Availability(True)

    async def submit(self, spec: RenderSpec) -> str:
        raise AssertionError("not used")

    async def status(self, task_id: str, spec: RenderSpec) -> TaskStatus:
        self.singles.append(task_id)
        return TaskStatus(TaskState.RUNNING, progress=10)

    async def status_many(self, tasks: Sequence[tuple[str, RenderSpec]]) -> dict[str, TaskStatus]:
        self.batches.append([task_id for task_id, _ in tasks])
        return {task_id: TaskStatus(TaskState.RUNNING, progress=50) for task_id, _ in tasks}

    async def download(self, task_id: str, status: TaskStatus, dest: Path) -> int:
        raise AssertionError("not used")


async def test_streamed_upload_arrives_byte_for_byte(slack, tmp_path):
    size = 20 * 1024 * 1024 + 12345  # far larger than any buffer on either side, and not a round number
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(os.urandom(size))
    assert size > 16 * upload.CHUNK
    client = web_client(slack)
    card = await client.chat_postMessage(channel="C0CHANNEL", text="job card")
    async with httpx.AsyncClient() as http:
        file_id, url = await upload.start_upload(client, clip, "clip.mp4")
        await upload.send_bytes(http, url, clip)
        assert await upload.complete_upload(
            client, file_id, title="v1", channel_id="C0CHANNEL", thread_ts=card["ts"], comment="take 1"
        )
    received = slack.upload_path(file_id)
    assert received.stat().st_size == size
    assert hashlib.sha256(received.read_bytes()).digest() == hashlib.sha256(clip.read_bytes()).digest()
    assert [c.body_size for c in slack.calls_to("upload")] == [size]
    share = slack.calls_to("files.completeUploadExternal")[0].params
    assert share["channel_id"] == "C0CHANNEL" and share["thread_ts"] == card["ts"]
    assert share["initial_comment"] == "take 1"


async def test_due_tasks_are_polled_in_batches():
    provider = BatchingProvider()
    poller = Poller(provider)
    poller.start()
    try:
        ids = [f"task-{n}" for n in range(12)]
        statuses = await asyncio.gather(*(poller.check(task_id, SPEC, 0) for task_id in ids))
    finally:
        await poller.stop()
    assert all(s.progress == 50 for s in statuses)
    assert provider.singles == []
    assert sorted(t for batch in provider.batches for t in batch) == sorted(ids)
    assert all(len(batch) <= provider.max_batch for batch in provider.batches)
    assert len(provider.batches) == 3 == poller.polls


@pytest.fixture
def store(tmp_path):
    store = Store(connect(tmp_path / "dailies.db"))
    yield store
    store.close()


async def test_card_edits_are_throttled_and_the_final_state_lands(slack, store):
    shot_id, job_id, (take_id,) = await store.run(
        jobs_db.create_job,
        jobs_db.NewJob(
            channel_id="C0CHANNEL",
            team_id="T0DAILIES",
            user_id="U0USER",
            kind="generate",
            model="kling-v3",
            backend="kling",
            request={"mode": "text", "prompt": "a red fox", "seconds": 5, "aspect": "16:9"},
            takes=1,
            estimate_usd=0.5,
            source_key="cmd:throttle",
            title="a red fox",
        ),
    )
    interval = 0.4
    cards = CardPublisher(web_client(slack), store, interval=interval)
    await cards.ensure_posted(shot_id)
    await store.run(jobs_db.update_take, take_id, "rendering")
    loop = asyncio.get_running_loop()
    started = loop.time()
    for progress in range(1, 41):  # forty changes, one every 25 ms: about 1 s of progress
        await store.run(jobs_db.update_take, take_id, None, "", progress=progress)
        cards.touch(shot_id)
        await asyncio.sleep(0.025)
    await store.run(jobs_db.update_take, take_id, "failed", error="the provider refused it")
    cards.touch(shot_id)
    await cards.drain(timeout=10)
    elapsed = loop.time() - started
    await cards.stop()
    edits = slack.calls_to("chat.update")
    # at most one edit per interval of the time the changes took, plus the final state
    assert edits, "the final state must land"
    assert len(edits) <= elapsed / interval + 2 < 40
    final = slack.message("C0CHANNEL", edits[-1].params["ts"])
    assert "refused" in str(final["blocks"]) or "failed" in final["text"].lower()
