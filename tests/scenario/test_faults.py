"""Fault injection: kill -9 at each stage of a job, Slack and provider error bursts, duplicate
deliveries. Every job ends delivered once, failed with a message, or cancelled."""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager

import pytest
from aiohttp import web

from tests.fakes.kling import FakeKling
from tests.fakes.slack import ScriptedSlack
from tests.fakes.slack_requests import (
    FORM,
    JSON,
    app_mention_event,
    block_actions_body,
    event_body,
    post_signed,
    reaction_event,
)
from tests.faultbot import FaultBot
from tests.harness import running_bot

pytestmark = pytest.mark.faults

CHANNEL = "C0CHANNEL"


class GatedKling(FakeKling):
    """FakeKling whose first create and/or first result download can be held open."""

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.hold_create = self.hold_create_answer = self.hold_result = False
        self.held = asyncio.Event()
        self.release = asyncio.Event()

    async def _hold(self) -> None:
        self.held.set()
        await asyncio.wait_for(self.release.wait(), 30)

    async def _create_video(self, request: web.Request) -> web.Response:
        if self.hold_create_answer:  # the task is made, but its id never reaches the bot
            self.hold_create_answer = False
            answer = await super()._create_video(request)
            await self._hold()
            return answer
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


class GatedSlack(ScriptedSlack):
    """The stand-in, able to hold the first byte upload open, or hold the answer of the first
    completeUploadExternal after Slack has already shared the file."""

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.hold_upload = self.hold_complete = self.hold_post = self.hold_post_answer = False
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
        if self.hold_post and request.match_info["method"] == "chat.postMessage":
            self.hold_post = False
            await self._hold()  # the card is never posted by this process
        answer = await super()._handle_api(request)
        if self.hold_complete and request.match_info["method"] == "files.completeUploadExternal":
            self.hold_complete = False
            await self._hold()
        if self.hold_post_answer and request.match_info["method"] == "chat.postMessage":
            self.hold_post_answer = False
            await self._hold()  # the card is in the channel, but its ts never reaches the bot
        return answer


@asynccontextmanager
async def stage(tmp_path, db_env, **kling_options):
    slack, kling = GatedSlack(), GatedKling(**kling_options)
    await slack.start()
    await kling.start()
    bot = FaultBot(tmp_path, slack, KLING_API_KEY=kling.api_key, KLING_BASE_URL=kling.url, **db_env)
    try:
        await bot.start()
        yield bot, slack, kling
    finally:
        bot.stop()
        slack.release.set()
        kling.release.set()
        await kling.close()
        await slack.stop()


async def delivered_once(bot: FaultBot, slack: ScriptedSlack) -> None:
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


async def test_kill_after_create_before_submit_resumes(tmp_path, db_env):
    async with stage(tmp_path, db_env, polls_to_finish=1) as (bot, slack, kling):
        kling.hold_create = True
        await bot.command("a fox in the snow --model kling-v3 --seconds 5")
        await asyncio.wait_for(kling.held.wait(), 20)
        assert [j["state"] for j in bot.jobs()] != []
        assert bot.takes()[0]["provider_task_id"] is None
        bot.kill()
        await bot.start()
        await delivered_once(bot, slack)
        assert len(kling.creates) == 1


async def test_kill_after_kling_made_the_task_but_before_its_id_was_stored(tmp_path, db_env):
    async with stage(tmp_path, db_env, polls_to_finish=1) as (bot, slack, kling):
        kling.hold_create_answer = True
        await bot.command("a fox in the snow --model kling-v3 --seconds 5")
        await asyncio.wait_for(kling.held.wait(), 20)
        assert len(kling.creates) == 1 and bot.takes()[0]["provider_task_id"] is None
        bot.kill()
        await bot.start()
        await delivered_once(bot, slack)
        assert len(kling.creates) == 1, "found by external_task_id, not paid for twice"
        assert bot.takes()[0]["provider_task_id"].endswith(next(iter(kling.tasks)))


async def test_kill_while_polling_repolls_same_task(tmp_path, db_env):
    async with stage(tmp_path, db_env, polls_to_finish=10**6) as (bot, slack, kling):
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


async def test_kill_mid_download_downloads_again(tmp_path, db_env):
    async with stage(tmp_path, db_env, polls_to_finish=1) as (bot, slack, kling):
        kling.hold_result = True
        await bot.command("a fox in the snow --model kling-v3 --seconds 5")
        await asyncio.wait_for(kling.held.wait(), 20)
        assert bot.takes()[0]["state"] == "downloading"
        bot.kill()
        await bot.start()
        await delivered_once(bot, slack)
        assert len(kling.creates) == 1


async def test_kill_mid_upload_uploads_again(tmp_path, db_env):
    async with stage(tmp_path, db_env, polls_to_finish=1) as (bot, slack, kling):
        slack.hold_upload = True
        await bot.command("a fox in the snow --model kling-v3 --seconds 5")
        await asyncio.wait_for(slack.held.wait(), 20)
        assert bot.takes()[0]["state"] == "uploading"
        bot.kill()
        await bot.start()
        await delivered_once(bot, slack)
        assert len(kling.creates) == 1


async def test_kill_after_upload_before_card_update_delivers_once(tmp_path, db_env):
    async with stage(tmp_path, db_env, polls_to_finish=1) as (bot, slack, kling):
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


async def test_kill_after_the_card_was_posted_before_its_ts_was_stored_adopts_it(tmp_path, db_env):
    async with stage(tmp_path, db_env, polls_to_finish=1) as (bot, slack, kling):
        slack.ts_base = int(time.time())  # Slack's clock near ours: the lookup asks for recent messages
        slack.hold_post_answer = True
        await bot.command("a fox in the snow --model kling-v3 --seconds 5")
        await asyncio.wait_for(slack.held.wait(), 20)
        assert len(slack.messages[CHANNEL]) == 1
        assert bot.rows("SELECT card_ts, card_nonce FROM shots")[0]["card_ts"] is None
        bot.kill()
        await bot.start()
        await delivered_once(bot, slack)
        top_level = [c for c in slack.calls_to("chat.postMessage") if not c.params.get("thread_ts")]
        assert len(top_level) == 1, "the restart found the card instead of posting another"
        assert slack.count("conversations.history") == 1
        assert bot.rows("SELECT card_ts FROM shots")[0]["card_ts"] == slack.messages[CHANNEL][0]["ts"]
        assert len(kling.creates) == 1


# ---- in-process bot: Slack and provider error bursts, duplicates --------------------------------


@asynccontextmanager
async def kling_bot(tmp_path, slack, kling: FakeKling, **env):
    async with running_bot(
        tmp_path, slack, KLING_API_KEY=kling.api_key, KLING_BASE_URL=kling.url, **env
    ) as bot:
        yield bot


def card_texts(slack: ScriptedSlack) -> list[str]:
    return [m["text"] for m in slack.messages.get(CHANNEL, []) if m.get("thread_ts", m["ts"]) == m["ts"]]


async def test_slack_429_and_500_bursts_final_card_still_lands(bot, slack):
    slack.fail_next(
        "chat.postMessage", status=429, body={"ok": False, "error": "ratelimited"},
        headers={"Retry-After": "0"}, times=3,
    )  # fmt: skip
    slack.fail_next("chat.update", status=429, body={"ok": False, "error": "ratelimited"},
                    headers={"Retry-After": "0"}, times=4)  # fmt: skip
    slack.fail_next("chat.update", status=500, body={"ok": False, "error": "fatal_error"}, times=3)
    slack.fail_next("files.completeUploadExternal", status=503, body={"ok": False, "error": "fatal_error"})
    await bot.command("a fox in the snow --model preview --seconds 1")
    await bot.wait_job("delivered")
    await bot.settle()
    assert card_texts(slack) and card_texts(slack)[0].startswith(":white_check_mark: Delivered")
    assert len(card_texts(slack)) == 1
    assert slack.count("chat.update") >= 8, "the bursts were really hit"
    assert len([f for f in slack.files.values() if f.completed]) == 1


async def test_burst_of_50_jobs_every_card_reaches_final_state(bot, slack):
    for i in range(50):
        status, _ = await bot.command(f"shot {i} of a lighthouse --model preview --seconds 1")
        assert status == 200
    # no wall-clock budget for the whole burst (renders share the machine's cores with the rest of
    # the suite): the test fails when the jobs stop moving for 30 s
    loop = asyncio.get_running_loop()
    last, moved = None, loop.time()
    while loop.time() - moved < 30:
        states = [j["state"] for j in await bot.jobs()]
        if states == ["delivered"] * 50:
            break
        if states != last:
            last, moved = states, loop.time()
        await asyncio.sleep(0.2)
    jobs = await bot.jobs()
    assert [j["state"] for j in jobs] == ["delivered"] * 50
    await bot.settle()
    texts = card_texts(slack)
    assert len(texts) == 50
    assert all(t.startswith(":white_check_mark: Delivered") for t in texts), texts
    assert len([f for f in slack.files.values() if f.completed]) == 50


async def test_slack_offline_for_a_while_delays_but_loses_nothing(bot, slack):
    slack.offline = True
    await bot.command("a paper boat --model preview --seconds 1")
    await slack.wait_for(lambda: slack.offline_attempts >= 1, timeout=20)
    await asyncio.sleep(2.5)  # Slack stays unreachable across several retries
    slack.offline = False
    await bot.wait_job("delivered", timeout=60)
    await bot.settle()
    assert slack.offline_attempts >= 2
    texts = card_texts(slack)
    assert len(texts) == 1 and texts[0].startswith(":white_check_mark: Delivered")
    assert len([f for f in slack.files.values() if f.completed]) == 1


class TimedKling(FakeKling):
    """Records when creates arrive and the most tasks ever running at once."""

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.create_times: list[float] = []
        self.max_running = 0

    async def _create_video(self, request: web.Request) -> web.Response:
        self.create_times.append(asyncio.get_running_loop().time())
        answer = await super()._create_video(request)
        running = sum(1 for t in self.tasks.values() if t.status not in ("succeed", "failed"))
        self.max_running = max(self.max_running, running)
        return answer


async def test_kling_429_1303_and_5xx_bursts_are_retried_honouring_retry_after(tmp_path, slack):
    async with TimedKling(polls_to_finish=1) as kling, kling_bot(tmp_path, slack, kling) as bot:
        kling.fail_next_create(code=1303, http=429, headers={"Retry-After": "1"})
        kling.fail_next_create(code=1302, http=429, message="rate limit", headers={"Retry-After": "1"})
        kling.fail_next_create(code=5000, http=500, message="internal error")
        for _ in range(3):
            kling.fail_next_poll(http=503, code=5001, message="service unavailable")
        await bot.command("a fox in the snow --model kling-v3 --seconds 5")
        job = await bot.wait_job(("delivered", "failed"), timeout=40)
        assert job["state"] == "delivered", job["error"]
        assert len(kling.creates) == 1
        gaps = [b - a for a, b in zip(kling.create_times, kling.create_times[1:], strict=False)]
        assert len(gaps) == 3 and gaps[0] >= 0.95 and gaps[1] >= 0.95, gaps


async def test_per_backend_concurrency_limit_is_respected(tmp_path, slack):
    async with (
        TimedKling(polls_to_finish=6) as kling,
        kling_bot(tmp_path, slack, kling, DAILIES_BACKEND_CONCURRENCY="2") as bot,
    ):
        for i in range(6):
            # one channel each, so card posting (paced per channel) does not serialise the jobs
            await bot.command(f"shot {i} of a fox --model kling-v3 --seconds 5", channel_id=f"C0CH{i}")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 40
        while loop.time() < deadline:
            jobs = await bot.jobs()
            if len(jobs) == 6 and all(j["state"] in ("delivered", "failed") for j in jobs):
                break
            await asyncio.sleep(0.1)
        assert [j["state"] for j in await bot.jobs()] == ["delivered"] * 6
        assert len(kling.creates) == 6
        assert kling.max_running == 2, "two at a time: never more, and not one by one"


async def test_retried_event_creates_one_job(bot, slack):
    event = app_mention_event("a paper boat --model preview --seconds 1", channel=CHANNEL,
                              user="U0ALICE", ts="1732500001.000100")  # fmt: skip
    body = event_body(event, event_id="Ev0RETRY1")
    status, _ = await post_signed(bot.url, "/slack/events", body, JSON)
    assert status == 200
    for n in (1, 2):
        headers = {"X-Slack-Retry-Num": str(n), "X-Slack-Retry-Reason": "http_timeout"}
        status, _ = await post_signed(bot.url, "/slack/events", body, JSON, extra_headers=headers)
        assert status == 200
    await bot.wait_job("delivered")
    await bot.settle()
    assert len(await bot.jobs()) == 1
    assert len([f for f in slack.files.values() if f.completed]) == 1


async def test_repeated_button_press_has_one_effect(tmp_path, slack):
    async with TimedKling(polls_to_finish=10**6) as kling, kling_bot(tmp_path, slack, kling) as bot:
        await bot.command("a fox in the snow --model kling-v3 --seconds 5")
        job = await bot.wait_job("rendering")
        card_ts = slack.messages[CHANNEL][0]["ts"]
        body = block_actions_body(
            "cancel", f"{job['shot_id']}:job:{job['id']}", user_id="U0ALICE", channel_id=CHANNEL,
            message_ts=card_ts, response_url=slack.response_url(CHANNEL),
        )  # fmt: skip
        for _ in range(3):
            status, _ = await post_signed(bot.url, "/slack/events", body, FORM)
            assert status == 200
        await bot.wait_job("cancelled")
        await bot.settle()
        await asyncio.sleep(0.3)
        assert slack.count("response_url") == 1, "one answer for one press"


async def test_kill_while_awaiting_approval_stays_awaiting_then_approval_delivers_once(tmp_path, db_env):
    async with stage(tmp_path, db_env, polls_to_finish=1) as (bot, slack, kling):
        await bot.command("settings job-limit 0.10")
        await slack.wait_for(lambda: slack.count("response_url") == 1)
        slack.hold_post = True
        await bot.command("a fox in the snow --model kling-v3 --seconds 5")
        await bot.wait(lambda: [j["state"] for j in bot.jobs()] == ["awaiting_approval"], "the gate")
        await asyncio.wait_for(slack.held.wait(), 20)
        bot.kill()  # after the job was stored, before its card reached Slack
        await bot.start()
        await bot.wait(lambda: slack.count("auth.test") >= 2, "the restarted bot up")  # primed at start
        await bot.wait(lambda: CHANNEL in slack.messages, "the held job's card posted after the restart")
        await asyncio.sleep(0.5)  # the runner's pickup after a restart has run by now
        assert [j["state"] for j in bot.jobs()] == ["awaiting_approval"]
        assert [t["state"] for t in bot.takes()] == ["held"]
        assert kling.creates == []
        card_ts = slack.messages[CHANNEL][0]["ts"]
        approve = event_body(
            reaction_event("white_check_mark", user="U0ALICE", channel=CHANNEL, ts=card_ts),
            event_id="Ev0APPROVE",
        )
        for n in range(3):  # Slack retrying the same reaction delivery
            headers = {"X-Slack-Retry-Num": str(n)} if n else {}
            status, _ = await post_signed(bot.url, "/slack/events", approve, JSON, extra_headers=headers)
            assert status == 200
        await delivered_once(bot, slack)
        assert len(kling.creates) == 1


async def test_a_job_past_its_deadline_fails_with_a_message(tmp_path, slack):
    async with (
        FakeKling() as kling,
        kling_bot(tmp_path, slack, kling, DAILIES_JOB_DEADLINE_SECONDS="1") as bot,
    ):
        kling.never_finish = True
        await bot.command("a fox in the snow --model kling-v3 --seconds 5")
        job = await bot.wait_job(("failed", "delivered"))
        await bot.settle()
        assert job["state"] == "failed" and "did not finish" in job["error"]
        card_ts = slack.messages[CHANNEL][0]["ts"]
        assert any("did not finish" in m["text"] for m in slack.thread(CHANNEL, card_ts))
        assert len(kling.creates) == 1
