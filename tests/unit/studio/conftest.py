"""The studio's collaborators for unit tests: a migrated database on its Store thread, the preview
renderer as the only backend, and the card publisher and thread notes over the Slack stand-in."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from bot.cards.publisher import CardPublisher
from bot.cards.thread_notes import ThreadNotes
from bot.config import Config
from bot.delivery.fetch_back import FetchBack
from bot.providers.base import Provider
from bot.providers.registry import build_providers
from bot.studio.cancel import Cancellation
from bot.studio.clip_subject import ClipSubjects
from bot.studio.consent import Consents
from bot.studio.decisions import Decisions
from bot.studio.inputs import Inputs
from bot.studio.intake import Intake, Telling
from bot.studio.origin import Origin
from bot.studio.routes import Routes
from bot.studio.start import Starter
from bot.studio.subjects import Library
from bot.studio.thread_jobs import ThreadJobs
from bot.tools.slack_standin.standin import SlackStandIn
from storage import jobs as jobs_db
from storage.db import Store
from storage.engines import connect
from tests.fakes.slack import web_client
from tests.harness import bot_config

CHANNEL = "C0CHANNEL"
TEAM = "T0DAILIES"
ALICE, BOB = "U0ALICE", "U0BOB"


@dataclasses.dataclass
class Parts:
    config: Config
    store: Store
    slack: SlackStandIn
    providers: dict[str, Provider]
    routes: Routes
    cards: CardPublisher
    notes: ThreadNotes
    woken: list[int]  # one entry per runner wake-up
    stopped: list[int]  # job ids the runner was told to stop

    def wake(self) -> None:
        self.woken.append(1)

    async def stop_job(self, job_id: int) -> None:
        self.stopped.append(job_id)

    def starter(self) -> Starter:
        return Starter(self.store, self.cards, self.wake)


@pytest.fixture
def store(tmp_path):
    store = Store(connect(tmp_path / "dailies.db"))
    yield store
    store.close()


@pytest_asyncio.fixture
async def parts(tmp_path, slack, store):
    config = bot_config(tmp_path, slack)
    http = httpx.AsyncClient()
    providers = build_providers(config, http)
    client = web_client(slack)
    cards = CardPublisher(client, store, interval=0.05)
    yield Parts(
        config, store, slack, providers, Routes(config, providers), cards, ThreadNotes(client), [], []
    )
    # each step bounded, so a stuck close fails loudly instead of stalling the whole suite
    await asyncio.wait_for(cards.stop(), 10)
    for provider in providers.values():
        await asyncio.wait_for(provider.aclose(), 10)
    await asyncio.wait_for(http.aclose(), 10)


def origin(user: str = ALICE, channel: str = CHANNEL, **extra) -> Origin:
    return Origin(channel_id=channel, user_id=user, team_id=TEAM, **extra)


def new_job(user: str = ALICE, *, channel: str = CHANNEL, estimate: float = 0.5, **extra) -> jobs_db.NewJob:
    fields = dict(
        channel_id=channel,
        team_id=TEAM,
        user_id=user,
        kind="generate",
        model="preview",
        backend="preview",
        request={"mode": "text", "prompt": "a red fox", "seconds": 2, "aspect": "16:9"},
        takes=1,
        estimate_usd=estimate,
        source_key=f"cmd:{time.monotonic_ns()}",
        title="a red fox",
    )
    return jobs_db.NewJob(**{**fields, **extra})


async def posted_job(parts: Parts, user: str = ALICE, **extra) -> tuple[dict, dict]:
    """A job stored and its card posted to the stand-in: (shot, job)."""
    shot_id, job_id, _ = await parts.store.run(jobs_db.create_job, new_job(user, **extra))
    await parts.cards.ensure_posted(shot_id)
    return await parts.store.run(jobs_db.get_shot, shot_id), await parts.store.run(jobs_db.get_job, job_id)


async def deliver(parts: Parts, job_id: int, *, cost: float = 0.5, **fields) -> dict:
    """Every take of the job delivered, as the runner leaves them."""
    takes = await parts.store.run(lambda db: db["takes"].rows_where("job_id = ?", [job_id]))
    for take in takes:
        await parts.store.run(jobs_db.update_take, take["id"], "delivered", "test", cost_usd=cost, **fields)
    return await parts.store.run(jobs_db.get_take, takes[0]["id"])


def library(parts: Parts) -> Library:
    return Library(
        parts.store, parts.config.media_dir, token=parts.config.slack_bot_token, allow_private=True,
        slack_file_hosts=hosts(parts),
    )  # fmt: skip


def hosts(parts: Parts) -> tuple[str, ...]:
    return ("files.slack.com", parts.slack.base_url.split("://", 1)[1])


def inputs(parts: Parts) -> Inputs:
    media = Path(parts.config.media_dir)
    return Inputs(
        media / "inputs",
        token=parts.config.slack_bot_token,
        allow_private=True,
        slack_file_hosts=hosts(parts),
    )


def fetch_back(parts: Parts) -> FetchBack:
    return FetchBack(
        web_client(parts.slack), parts.store, media_dir=parts.config.media_dir,
        token=parts.config.slack_bot_token, slack_file_hosts=hosts(parts),
    )  # fmt: skip


def thread_jobs(parts: Parts) -> ThreadJobs:
    lib, back = library(parts), fetch_back(parts)
    subjects = ClipSubjects(parts.store, lib, parts.notes, back, parts.config.media_dir)
    return ThreadJobs(intake(parts, lib), back, parts.cards, subjects)


def intake(parts: Parts, lib: Library | None = None) -> Intake:
    return Intake(parts.store, parts.routes, lib or library(parts), inputs(parts), parts.starter())


def cancellation(parts: Parts) -> Cancellation:
    return Cancellation(parts.store, parts.cards, parts.notes, parts.stop_job)


def consents(parts: Parts) -> Consents:
    return Consents(parts.store, cancellation(parts))


def decisions(parts: Parts) -> Decisions:
    return Decisions(
        parts.store, Telling(parts.cards, parts.notes), parts.wake, cancellation(parts), thread_jobs(parts)
    )
