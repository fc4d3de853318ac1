"""Outages of what Dailies depends on, against `dailies serve` as a real process: the PostgreSQL server
restarted mid-job, Slack's Web API answering 503 for a while, a provider not answering. Each ends
with every clip delivered exactly once and every card in its final state."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import aiohttp
import psycopg
import pytest
from aiohttp import web

from tests.fakes.kling import FakeKling
from tests.fakes.slack import ScriptedSlack, running
from tests.fakes.slack_requests import (
    FORM,
    JSON,
    app_mention_event,
    event_payload,
    interactive_body,
    post_signed,
    socket_envelope,
    view_submission_payload,
)
from tests.faultbot import FaultBot
from tests.harness import running_bot
from tests.postgres_server import started_or_skipped

pytestmark = pytest.mark.faults

CHANNEL = "C0CHANNEL"
DB_AWAY = "Dailies can't reach its database; try again in a minute"


@pytest.fixture
def restartable_postgres():
    """A PostgreSQL server of this test's own, so it can be stopped and started again under the bot."""
    server = started_or_skipped()
    yield server
    server.stop()


async def healthz(url: str) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as session, session.get(url + "/healthz") as resp:
        return resp.status, await resp.json()


async def until_healthy(url: str, timeout: float = 15) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (await healthz(url))[0] != 200:
        assert loop.time() < deadline, "the health check did not come back to 200"
        await asyncio.sleep(0.1)


def cards(slack: ScriptedSlack) -> list[dict]:
    return [m for m in slack.messages.get(CHANNEL, []) if m.get("thread_ts", m["ts"]) == m["ts"]]


def completes_per_card(slack: ScriptedSlack) -> Counter:
    """How many times each card's thread was given a clip (files.completeUploadExternal that shared)."""
    return Counter(
        c.params.get("thread_ts") for c in slack.calls_to("files.completeUploadExternal") if c.params
    )


async def all_delivered_once(bot: FaultBot, slack: ScriptedSlack, jobs: int, timeout: float = 30) -> None:
    await bot.wait(
        lambda: [j["state"] for j in bot.jobs()] == ["delivered"] * jobs, "every job delivered", timeout
    )
    await bot.wait(
        lambda: (
            len(cards(slack)) == jobs
            and all(c["text"].startswith(":white_check_mark: Delivered") for c in cards(slack))
        ),
        "every card showing Delivered",
    )
    for card in cards(slack):
        clips = [m for m in slack.thread(CHANNEL, card["ts"]) if m.get("files")]
        assert len(clips) == 1, f"card {card['ts']}: its clip is in the thread exactly once"
    assert len([f for f in slack.files.values() if f.completed]) == jobs


def mention(text: str, event_id: str, ts: str) -> dict:
    event = app_mention_event(text, channel=CHANNEL, user="U0ALICE", ts=ts)
    return event_payload(event, event_id=event_id)


class _Locking:
    """A transaction of the test's own locking `deliveries`: a listener recording its delivery waits
    on it (after its event was stored in the inbox and acknowledged) until the server stops."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self.conn = psycopg.connect(database_url, autocommit=True)

    def __enter__(self) -> None:
        self.conn.execute("BEGIN")
        self.conn.execute("LOCK TABLE deliveries IN ACCESS EXCLUSIVE MODE")

    def __exit__(self, *exc) -> None:
        self.conn.close()  # the server stopped meanwhile: the session is gone already

    def waiting(self) -> bool:
        # asked on a connection of its own: a transaction sees pg_stat_activity as it first read it
        with psycopg.connect(self.url, autocommit=True) as conn:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query LIKE 'INSERT INTO deliveries%%'"
            ).fetchone()
        return row is not None and row[0] == 1


@pytest.mark.parametrize("replicas", [1, 2])
async def test_postgres_restart_under_replicas_loses_nothing_and_doubles_nothing(
    tmp_path, restartable_postgres, replicas
):
    pg = restartable_postgres
    async with running() as slack, FakeKling() as kling:
        kling.never_finish = True  # rendering until the database has been away and come back
        database_url = pg.new_database()
        env = dict(DATABASE_URL=database_url, KLING_API_KEY=kling.api_key, KLING_BASE_URL=kling.url)
        bots = [FaultBot(tmp_path / name, slack, **env) for name in "ab"[:replicas]]
        a, b = bots[0], bots[-1]
        try:
            for bot in bots:
                await bot.start()
            for i in range(4):
                status, _ = await bots[i % replicas].command(
                    f"shot {i} of a fox in the snow --model kling-v3 --seconds 5"
                )
                assert status == 200
            await a.wait(lambda: len(kling.tasks) == 4 and kling.polls >= 8, "four takes rendering")

            # an event stored and acknowledged in the moment before the database goes away: its
            # listener is still on its way to the database when the server stops
            before = mention("a kite --model kling-v3 --seconds 5", "Ev0BEFORE", "1732500000.000100")
            locking = _Locking(database_url)
            with locking:
                status, _ = await post_signed(b.url, "/slack/events", json.dumps(before), JSON)
                assert status == 200
                await b.wait(locking.waiting, "the listener waiting on the database")
                pg.halt()
            loop = asyncio.get_running_loop()
            away_since = loop.time()
            # at once: whether Dailies has noticed yet (an error behind the ack, told on the
            # response_url) or not (the ack itself says so), the person hears why within 3 s
            status, ack = await a.command("a fox at once --model kling-v3 --seconds 5")
            assert status == 200 and loop.time() - away_since < 3
            if DB_AWAY not in ack:
                await slack.wait_for(
                    lambda: any(DB_AWAY in r["body"].get("text", "") for r in slack.responses),
                    timeout=3 - (loop.time() - away_since),
                )
            for bot in bots:
                status, body = await healthz(bot.url)
                assert status == 503 and "database" in body["reason"], "the health check says why"
            sent = loop.time()
            status, ack = await b.command("one more fox --model kling-v3 --seconds 5")
            assert status == 200 and loop.time() - sent < 3, "the command is acknowledged in Slack's 3 s"
            assert json.loads(ack) == {"response_type": "ephemeral", "text": DB_AWAY + "."}
            during = json.dumps(
                mention("a paper boat --model kling-v3 --seconds 5", "Ev0DURING", "1732500001.000100")
            )
            status, _ = await post_signed(a.url, "/slack/events", during, JSON)
            assert status == 503, "not acknowledged: Slack delivers the event again later"
            await asyncio.sleep(max(0.0, 3 - (loop.time() - away_since)))
            pg.resume()

            for bot in bots:
                await until_healthy(bot.url)
            prompts = [j["request"]["prompt"] for j in a.jobs()]
            assert not {"a fox at once", "one more fox"} & set(prompts), (
                "the commands sent meanwhile made nothing"
            )
            for retry, bot in ((1, b), (2, a)):  # Slack's retries of the event, on either replica: one job
                headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_error"}
                status, _ = await post_signed(bot.url, "/slack/events", during, JSON, extra_headers=headers)
                assert status == 200
            kling.never_finish = False
            await all_delivered_once(a, slack, jobs=6)
            assert len(kling.creates) == 6, "no take was submitted twice"
            assert sorted(j["request"]["prompt"] for j in a.jobs())[:2] == ["a kite", "a paper boat"]
            assert set(completes_per_card(slack).values()) == {1}, completes_per_card(slack)
            assert a.rows("SELECT count(*) AS n FROM event_inbox") == [{"n": 0}], "every event handled"
            for bot in bots:
                log = bot.log()
                assert log.count("database unreachable") == 1, "one line as it went away, not one per try"
                assert log.count("database reachable again") == 1
        finally:
            for bot in bots:
                bot.stop()


async def test_socket_mode_event_sent_while_the_database_is_away_is_handled_once_it_is_back(
    tmp_path, restartable_postgres
):
    pg = restartable_postgres
    async with running() as slack:
        slack.socket_retry_waits = (1.0, 3.0, 6.0)  # Slack's are about 0 s, 1 min and 5 min
        bot = FaultBot(tmp_path, slack, mode="run", DATABASE_URL=pg.new_database())
        await bot.start()
        try:
            pg.halt()
            payload = mention("a paper boat --model preview --seconds 1", "Ev0SOCKET", "1732500002.000100")
            await slack.send_socket_envelope(socket_envelope("events_api", payload))
            await slack.wait_for(lambda: len(slack.socket_sent) >= 2, timeout=10)
            assert slack.socket_acks == [], (
                "not acknowledged while it could not be stored: Slack sends it again"
            )
            pg.resume()

            await bot.wait(
                lambda: [j["state"] for j in bot.jobs()] == ["delivered"], "the event's job delivered"
            )
            assert len(slack.socket_acks) == 1, "acknowledged once, when it was stored"
            (job,) = bot.jobs()
            assert job["request"]["prompt"] == "a paper boat"
            assert len([f for f in slack.files.values() if f.completed]) == 1
        finally:
            bot.stop()


FOUR_SHOTS = "\n".join(
    f"{what} --seconds 5"
    for what in (
        "a red sneaker on wet asphalt",
        "the sneaker spins",
        "a runner laces it up",
        "logo on a wall",
    )
)


def clips_in(slack: ScriptedSlack, thread_ts: str, suffix: str) -> list[dict]:
    """The thread's messages carrying a file named *suffix (`.mp4`: clips, `.png`: contact sheets)."""
    return [
        m
        for m in slack.thread(CHANNEL, thread_ts)
        if any(f["name"].endswith(suffix) for f in m.get("files", []))
    ]


# The stand-in drops connections mid-request while Slack is "offline" (an abort, as with a reset);
# asyncio may then report the aborted server transport as unclosed when it is collected. That is
# the stand-in's socket in this test process: Dailies runs in a process of its own.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_slack_away_for_20_seconds_mid_campaign_delivers_each_clip_once(tmp_path):
    async with running() as slack, FakeKling() as kling:
        kling.never_finish = True
        bot = FaultBot(tmp_path, slack, KLING_API_KEY=kling.api_key, KLING_BASE_URL=kling.url)
        await bot.start()
        try:
            status, _ = await bot.command("campaign", trigger_id=slack.issue_trigger())
            assert status == 200
            await slack.wait_for_count("views.open", 1)
            form = next(v for v in slack.modals.values() if v["callback_id"] == "campaign_form")
            values = {"title": "Spring drop", "model": "kling-v3", "aspects": ["16:9"], "shots": FOUR_SHOTS}
            submitted = interactive_body(view_submission_payload(form, values, user_id="U0ALICE"))
            assert await post_signed(bot.url, "/slack/events", submitted, FORM) == (200, "")
            await bot.wait(lambda: len(kling.tasks) == 4 and len(cards(slack)) == 1, "four shots rendering")
            (board,) = cards(slack)

            slack.unavailable = True  # a Slack incident: 503 for every call and upload
            kling.never_finish = False  # the clips are ready while Slack is away
            await bot.wait(
                lambda: [t["state"] for t in bot.takes()] == ["uploading"] * 4, "every shot waiting on Slack"
            )
            await asyncio.sleep(10)
            slack.offline = True  # and then calls that get no answer at all
            slack.unavailable = False
            await asyncio.sleep(10)
            assert [j["state"] for j in bot.jobs()] == ["uploading"] * 4, "no shot failed meanwhile"
            assert slack.unavailable_answers >= 6 and slack.offline_attempts >= 2, "Slack was really asked"
            # the first share after Slack is back is made, but its answer is lost on the way
            slack.shares_again = slack.drop_next_complete_answer = True
            slack.offline = False

            await bot.wait(
                lambda: [j["state"] for j in bot.jobs()] == ["delivered"] * 4, "every shot delivered", 30
            )
            await slack.wait_for(lambda: len(clips_in(slack, board["ts"], ".png")) == 1, timeout=20)
            await slack.wait_for(lambda: "4 of 4 delivered" in slack.message(CHANNEL, board["ts"])["text"])
            clips = clips_in(slack, board["ts"], ".mp4")
            assert sorted(m["text"].split(" · ")[0] for m in clips) == ["S1 v1", "S2 v1", "S3 v1", "S4 v1"]
            await asyncio.sleep(1)  # nothing more follows: no second clip, no second contact sheet
            assert (
                len(clips_in(slack, board["ts"], ".mp4")) == 4
                and len(clips_in(slack, board["ts"], ".png")) == 1
            )
            assert len([f for f in slack.files.values() if f.completed]) == 5, (
                "files.info, not a second share"
            )
            assert len(cards(slack)) == 1
            log = bot.log()
            # one line as the outage began and one as it ended; the same for the lost answer
            assert log.count("Slack is not answering") == 2 and log.count("Slack answers again") == 2
        finally:
            bot.stop()


class AwayKling(FakeKling):
    """FakeKling that can be away: while `away`, every connection is dropped unanswered."""

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.away = False
        self.dropped = 0

    @web.middleware
    async def _middleware(self, request: web.Request, handler):
        if self.away:
            self.dropped += 1
            request.transport.abort()  # type: ignore[union-attr]
            raise asyncio.CancelledError
        return await super()._middleware(request, handler)


async def test_kling_away_at_submit_and_while_polling_waits_then_delivers(tmp_path, slack):
    async with (
        AwayKling(polls_to_finish=3) as kling,
        running_bot(tmp_path, slack, KLING_API_KEY=kling.api_key, KLING_BASE_URL=kling.url) as bot,
    ):
        kling.away = True
        await bot.command("a fox in the snow --model kling-v3 --seconds 5")
        await slack.wait_for(
            lambda: any("Kling is not answering; retrying" in c["text"] for c in cards(slack)), timeout=10
        )
        await slack.wait_for(lambda: kling.dropped >= 4, timeout=10)  # several creates, none made
        (take,) = await bot.takes()
        assert take["state"] == "submitting" and take["provider_task_id"] is None
        kling.away = False
        await bot.wait_job("rendering")
        await slack.wait_for(lambda: kling.polls >= 1, timeout=10)
        kling.away = True  # and away again while the take is rendering, for several polls
        dropped = kling.dropped
        await slack.wait_for(lambda: kling.dropped >= dropped + 4, timeout=10)
        kling.away = False
        job = await bot.wait_job(("delivered", "failed"))
        assert job["state"] == "delivered", job["error"]
        await bot.settle()
        assert len(kling.creates) == 1
        assert cards(slack)[0]["text"].startswith(":white_check_mark: Delivered")


async def test_kling_away_past_the_deadline_fails_the_job_with_the_reason_at_no_cost(tmp_path, slack):
    async with AwayKling(polls_to_finish=10**6) as kling, running_bot(
        tmp_path, slack, KLING_API_KEY=kling.api_key, KLING_BASE_URL=kling.url,
        DAILIES_JOB_DEADLINE_SECONDS="2",
    ) as bot:  # fmt: skip
        await bot.command("a fox in the snow --model kling-v3 --seconds 5")
        await bot.wait_job("rendering")
        kling.away = True
        job = await bot.wait_job(("failed", "delivered"))
        await bot.settle()
        assert job["state"] == "failed" and "Kling was not answering" in job["error"], job["error"]
        (take,) = await bot.takes()
        assert take["cost_usd"] == 0 and job["cost_usd"] == 0
        thread = slack.thread(CHANNEL, cards(slack)[0]["ts"])
        assert any("Kling was not answering" in m["text"] for m in thread)
        assert kling.dropped >= 3, "asked several times before giving up"
