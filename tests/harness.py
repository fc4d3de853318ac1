"""The bot in HTTP mode on 127.0.0.1, wired to the Slack stand-in (and any provider stand-ins),
driven by signed Slack requests: the shape of every scenario test."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from aiohttp import web

from bot.app import Dailies, build
from bot.config import load_config
from bot.server import web_app
from storage import jobs as jobs_db
from tests.fakes.slack import BOT_TOKEN, ScriptedSlack
from tests.fakes.slack_requests import (
    FORM,
    JSON,
    SIGNING_SECRET,
    block_actions_body,
    event_body,
    post_signed,
    slash_command_body,
)

GENEROUS_RATES = ",".join(
    f"{method}=6000/100" for method in ("chat.update", "chat.postMessage", "chat.postMessage:channel")
)


@dataclasses.dataclass
class Bot:
    dailies: Dailies
    slack: ScriptedSlack
    url: str
    site: web.AppRunner
    tmp: Path

    async def command(self, text: str, **fields) -> tuple[int, str]:
        fields.setdefault("response_url", self.slack.response_url(fields.get("channel_id", "C0CHANNEL")))
        fields.setdefault("trigger_id", self.slack.issue_trigger())  # one views.open may use it
        body = slash_command_body(text, **fields)
        return await post_signed(self.url, "/slack/events", body, FORM)

    async def new_job(self, text: str, state: str | tuple[str, ...] = "delivered", **fields) -> dict:
        """`/video text`, then the job it made once it reaches `state` (not an earlier job: the
        command's job is stored after the ack, so "the latest job" may still be the previous one)."""
        before = len(await self.jobs())
        await self.command(text, **fields)
        return await self.wait_job(state, job_index=before)

    async def event(self, event: dict, **envelope) -> tuple[int, str]:
        return await post_signed(self.url, "/slack/events", event_body(event, **envelope), JSON)

    async def action(self, action_id: str, value: str, **fields) -> tuple[int, str]:
        fields.setdefault("response_url", self.slack.response_url(fields.get("channel_id", "C0CHANNEL")))
        return await post_signed(
            self.url, "/slack/events", block_actions_body(action_id, value, **fields), FORM
        )

    async def jobs(self) -> list[dict]:
        return await self.dailies.store.run(
            lambda db: [jobs_db.get_job(db, r[0]) for r in db.execute("SELECT id FROM jobs ORDER BY id")]
        )

    async def takes(self, job_id: int | None = None) -> list[dict]:
        where = ("job_id = ?", [job_id]) if job_id else (None, ())
        return await self.dailies.store.run(lambda db: list(db["takes"].rows_where(*where, order_by="id")))

    async def wait_job(
        self, state: str | tuple[str, ...], job_index: int = -1, timeout: float = 20.0
    ) -> dict:
        states = (state,) if isinstance(state, str) else state
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            jobs = await self.jobs()
            if (
                jobs
                and len(jobs) > (job_index if job_index >= 0 else -job_index - 1)
                and jobs[job_index]["state"] in states
            ):
                return jobs[job_index]
            await asyncio.sleep(0.05)
        raise AssertionError(
            f"no job reached {states}: {[(j['id'], j['state'], j['error']) for j in await self.jobs()]}"
        )

    async def settle(self) -> None:
        """Every stored job's card is posted and every pending card edit has landed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20
        unposted = "SELECT count(*) FROM shots WHERE card_ts IS NULL AND id IN (SELECT shot_id FROM jobs WHERE state != 'failed')"
        while loop.time() < deadline:
            if not (await self.dailies.store.run(lambda db: db.execute(unposted).fetchone()[0])):
                break
            await asyncio.sleep(0.05)
        await self.dailies.cards.drain(timeout=20)


def bot_config(tmp: Path, slack: ScriptedSlack, **env: str):
    values = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "DAILIES_DB": str(tmp / "dailies.db"),
        "DAILIES_MEDIA_DIR": str(tmp / "media"),
        "DAILIES_POLL_SECONDS": "0.05",
        "DAILIES_POLL_CEILING_SECONDS": "0.2",
        "DAILIES_CARD_INTERVAL_SECONDS": "0.2",
        "DAILIES_ALLOW_PRIVATE_URLS": "1",
        "DAILIES_PREVIEW_SCALE": "0.5",  # 640x360 drafts: these tests are about the flow, not pixels
        # scenario tests are not about Slack's tiers (tests/unit/cards and the campaign bench are)
        "DAILIES_SLACK_RATES": GENEROUS_RATES,
    }
    values.update(env)
    return load_config(values, dotenv=None)


@asynccontextmanager
async def running_bot(tmp: Path, slack: ScriptedSlack, **env: str) -> AsyncIterator[Bot]:
    config = bot_config(tmp, slack, **env)
    # the stand-in serves Slack files from 127.0.0.1: allow it as a Slack file host in tests
    host = slack.base_url.split("://", 1)[1]
    dailies = build(config, slack_file_hosts=("files.slack.com", host))
    await dailies.start()
    runner = web.AppRunner(web_app(dailies))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    bot = Bot(dailies, slack, f"http://127.0.0.1:{port}", runner, tmp)
    try:
        yield bot
    finally:
        await dailies.cards.drain(timeout=5)
        await runner.cleanup()
        await dailies.close()
