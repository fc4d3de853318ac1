"""Fault injection: kill -9 at each stage of a job, Slack and provider error bursts, duplicate
deliveries. Every job ends delivered once, failed with a message, or cancelled."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

import pytest
from aiohttp import web

from bot.slack_standin import SlackStandIn
from tests.fakes.kling import FakeKling
from tests.faultbot import FaultBot

pytestmark = pytest.mark.faults

CHANNEL = "C0CHANNEL"


class GatedKling(FakeKling):
    """FakeKling whose first create and/or first result download can be held open."""

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.hold_create = self.hold_result = False
        self.held = asyncio.Event()
        self.release = asyncio.Event()

    async def _hold(self) -> None:
        self.held.set()
        await asyncio.wait_for(self.release.wait(), 30)

    async def _create_video(self, request: web.Request) -> web.Response:
        if self.hold_create:
            self.hold_create = False
            await self._hold()
            return self.envelope(code=5000, message="the caller went away", http=500)
        return await super()._create_video(request)

    async def _result(self, request: web.Request) -> web.StreamResponse:
        if self.hold_result:
            self.hold_result = False
            await self._hold()
        return await super()._result(request)


class GatedSlack(SlackStandIn):
    """The stand-in, able to hold the first byte upload open, or hold the answer of the first
    completeUploadExternal after Slack has already shared the file."""

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.hold_upload = self.hold_complete = False
        self.held = asyncio.Event()
        self.release = asyncio.Event()

    async def _hold(self) -> None:
        self.held.set()
        await asyncio.wait_for(self.release.wait(), 30)

    async def _handle_upload(self, request: web.Request) -> web.StreamResponse:
        if self.hold_upload:
            self.hold_upload = False
            await self._hold()
        return await super()._handle_upload(request)

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        answer = await super()._handle_api(request)
        if self.hold_complete and request.match_info["method"] == "files.completeUploadExternal":
            self.hold_complete = False
            await self._hold()
        return answer


@asynccontextmanager
async def stage(tmp_path, **kling_options):
    slack, kling = GatedSlack(), GatedKling(**kling_options)
    await slack.start()
    await kling.start()
    bot = FaultBot(tmp_path, slack, KLING_API_KEY=kling.api_key, KLING_BASE_URL=kling.url)
    try:
        await bot.start()
        yield bot, slack, kling
    finally:
        bot.stop()
        slack.release.set()
        kling.release.set()
        await kling.close()
        await slack.stop()


async def delivered_once(bot: FaultBot, slack: SlackStandIn) -> None:
    """The one job is delivered, its clip is in the card's thread exactly once, the card says so."""
    await bot.wait(lambda: [j["state"] for j in bot.jobs()] == ["delivered"], "the job delivered")
    card_ts = slack.messages[CHANNEL][0]["ts"]

    def card_final() -> bool:
        card = slack.message(CHANNEL, card_ts)
        return bool(card and card["text"].startswith(":white_check_mark: Delivered"))

    await bot.wait(card_final, "the card showing Delivered")
    cards = [m for m in slack.messages[CHANNEL] if not m.get("thread_ts") or m["ts"] == m.get("thread_ts")]
    assert len(cards) == 1, "one card per job, even across restarts"
    clips = [m for m in slack.thread(CHANNEL, card_ts) if m.get("files")]
    assert len(clips) == 1, "the clip is in the thread exactly once"
    shared = [f for f in slack.files.values() if f.completed]
    assert len(shared) == 1


async def test_kill_after_create_before_submit_resumes(tmp_path):
    async with stage(tmp_path, polls_to_finish=1) as (bot, slack, kling):
        kling.hold_create = True
        await bot.command("a fox in the snow --model kling-v3 --seconds 5")
        await asyncio.wait_for(kling.held.wait(), 20)
        assert [j["state"] for j in bot.jobs()] != []
        assert bot.takes()[0]["provider_task_id"] is None
        bot.kill()
        await bot.start()
        await delivered_once(bot, slack)
        assert len(kling.creates) == 1


async def test_kill_while_polling_repolls_same_task(tmp_path):
    async with stage(tmp_path, polls_to_finish=10**6) as (bot, slack, kling):
        await bot.command("a fox in the snow --model kling-v3 --seconds 5")
        await bot.wait(lambda: kling.polls >= 2, "Kling being polled")
        task_id = bot.takes()[0]["provider_task_id"]
        assert task_id
        bot.kill()
        kling.polls_to_finish = 0
        polls = kling.polls
        await bot.start()
        await delivered_once(bot, slack)
        assert len(kling.creates) == 1, "a restart re-polls, it never resubmits"
        assert kling.polls > polls
        assert bot.takes()[0]["provider_task_id"] == task_id


async def test_kill_mid_download_downloads_again(tmp_path):
    async with stage(tmp_path, polls_to_finish=1) as (bot, slack, kling):
        kling.hold_result = True
        await bot.command("a fox in the snow --model kling-v3 --seconds 5")
        await asyncio.wait_for(kling.held.wait(), 20)
        assert bot.takes()[0]["state"] == "downloading"
        bot.kill()
        await bot.start()
        await delivered_once(bot, slack)
        assert len(kling.creates) == 1


async def test_kill_mid_upload_uploads_again(tmp_path):
    async with stage(tmp_path, polls_to_finish=1) as (bot, slack, kling):
        slack.hold_upload = True
        await bot.command("a fox in the snow --model kling-v3 --seconds 5")
        await asyncio.wait_for(slack.held.wait(), 20)
        assert bot.takes()[0]["state"] == "uploading"
        bot.kill()
        await bot.start()
        await delivered_once(bot, slack)
        assert len(kling.creates) == 1


async def test_kill_after_upload_before_card_update_delivers_once(tmp_path):
    async with stage(tmp_path, polls_to_finish=1) as (bot, slack, kling):
        slack.hold_complete = True
        await bot.command("a fox in the snow --model kling-v3 --seconds 5")
        await asyncio.wait_for(slack.held.wait(), 20)
        assert bot.takes()[0]["state"] == "uploading"
        bot.kill()
        await bot.start()
        await delivered_once(bot, slack)
        completes = slack.calls_to("files.completeUploadExternal")
        assert len(completes) >= 2, "the restart asked Slack again"
        assert slack.count("files.getUploadURLExternal") == 1, "and did not upload the clip again"
