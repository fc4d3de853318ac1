"""Fixtures the runner's and the hand-over's unit tests share: a database, the card publisher on
the Slack stand-in, a stored take and the TakeContext that carries it."""

from __future__ import annotations

import dataclasses
import itertools

import httpx
import pytest

from bot.cards.publisher import CardPublisher
from bot.config import Config, load_config
from bot.delivery.take_context import TakeContext
from storage import jobs as jobs_db
from storage.db import Store
from storage.engines import connect
from tests.fakes.slack import web_client

CHANNEL = "C0RUNNER"
_keys = itertools.count(1)


@pytest.fixture
def store(tmp_path):
    store = Store(connect(path=tmp_path / "dailies.db"))
    yield store
    store.close()


@pytest.fixture
async def cards(slack, store):
    publisher = CardPublisher(web_client(slack), store, interval=0.01)
    yield publisher
    await publisher.stop()


@pytest.fixture
async def http():
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def config(tmp_path) -> Config:
    return dataclasses.replace(
        load_config({}, dotenv=None),
        media_dir=str(tmp_path / "media"),
        poll_seconds=0.01,
        poll_ceiling_seconds=0.05,
    )


async def new_take(
    store: Store, cards: CardPublisher, *, model: str = "kling-v3", backend: str = "kling", **request
) -> tuple[TakeContext, dict]:
    """A stored one-take job, its card posted, and the context that carries its take."""
    _, job_id, (take_id,) = await store.run(
        jobs_db.create_job,
        jobs_db.NewJob(
            channel_id=CHANNEL,
            team_id="T0DAILIES",
            user_id="U0USER",
            kind="generate",
            model=model,
            backend=backend,
            request={"mode": "text", "prompt": "a red fox", "seconds": 5, "aspect": "16:9", **request},
            takes=1,
            estimate_usd=0.5,
            source_key=f"cmd:runner-{next(_keys)}",
            title="a red fox",
        ),
    )
    job = await store.run(jobs_db.get_job, job_id)
    await cards.ensure_posted(job["shot_id"])
    ctx = TakeContext(job, take_id, store, cards)
    return ctx, await ctx.take()
