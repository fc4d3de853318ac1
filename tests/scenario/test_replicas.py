"""Several `dailies serve` replicas on one PostgreSQL database behave as one bot: commands alternate
between them, a Slack retry landing on the other replica makes no second job, a replica killed -9
mid-render is replaced after its lease (re-polled, never re-submitted), every job is delivered once,
requests landing on both at once never pass one budget together. And two installations on one Kling
key never collide on the ids Dailies chooses."""

from __future__ import annotations

import asyncio

import pytest

from bot.request.catalogue import shipped_catalogue
from bot.request.pricing import estimate_cost
from tests.fakes.kling import FakeKling
from tests.fakes.slack import running
from tests.fakes.slack_requests import FORM, post_signed, slash_command_body
from tests.fakes.slack_tiers import TieredSlack
from tests.faultbot import FaultBot

pytestmark = pytest.mark.faults

CHANNEL = "C0CHANNEL"
LEASE = "1.5"  # seconds; short, so the test waits little for the takeover


def replica(tmp_path, name: str, slack, kling: FakeKling, url: str) -> FaultBot:
    return FaultBot(
        tmp_path / name,
        slack,
        DATABASE_URL=url,
        DAILIES_LEASE_SECONDS=LEASE,
        DAILIES_BACKEND_CONCURRENCY="16",  # each replica may run every take at once
        KLING_API_KEY=kling.api_key,
        KLING_BASE_URL=kling.url,
    )


def cards(slack) -> list[dict]:
    return [m for m in slack.messages.get(CHANNEL, []) if not m.get("thread_ts") or m["ts"] == m["thread_ts"]]


async def test_two_replicas_one_killed_mid_render_every_job_delivered_once(tmp_path, database_url):
    async with running() as slack, FakeKling(polls_to_finish=10**6) as kling:
        a = replica(tmp_path, "a", slack, kling, database_url)
        b = replica(tmp_path, "b", slack, kling, database_url)
        try:
            await a.start()
            await b.start()
            health = await a.health()
            assert health["database"] == "postgresql" and health["replica"] != (await b.health())["replica"]

            jobs = 6
            for i in range(jobs):
                status, _ = await (a if i % 2 == 0 else b).command(
                    f"a lighthouse at dusk, number {i} --model kling-v3"
                )
                assert status == 200
            # Slack retries a command (same trigger id) and the retry lands on the other replica
            retried = slash_command_body(
                "the retried one --model kling-v3",
                response_url=slack.response_url(CHANNEL),
                trigger_id="13345.RETRY",
            )
            assert (await post_signed(a.url, "/slack/events", retried, FORM))[0] == 200
            assert (await post_signed(b.url, "/slack/events", retried, FORM))[0] == 200
            jobs += 1

            await a.wait(
                lambda: len(a.takes()) == jobs and all(t["state"] == "rendering" for t in a.takes()),
                "every take rendering",
            )
            holders = {t["claimed_by"] for t in a.takes()}
            held_by_a = [t["id"] for t in a.takes() if t["claimed_by"] == health["replica"]]
            assert held_by_a, f"replica a holds some takes: {holders}"
            assert (await a.health())["takes_held"] == len(held_by_a)

            a.kill()  # mid-render: its takes are submitted and being polled
            creates = len(kling.creates)
            kling.polls_to_finish = 0
            await b.wait(
                lambda: [j["state"] for j in b.jobs()] == ["delivered"] * jobs,
                "every job delivered",
                timeout=40,
            )
            taken_over = {t["id"]: t["claimed_by"] for t in b.takes() if t["id"] in held_by_a}
            b_id = (await b.health())["replica"]
            assert set(taken_over.values()) == {b_id}, "the survivor took over the dead replica's takes"
            assert len(kling.creates) == creates == jobs, "re-polled after the takeover, never re-submitted"

            await b.wait(lambda: len(slack.uploads) == jobs, "each clip uploaded")
            assert len(cards(slack)) == jobs, "one card per job"
            shared = [f for f in slack.files.values() if f.completed]
            assert len(shared) == jobs, "each clip delivered exactly once"
            for card in cards(slack):
                clips = [m for m in slack.thread(CHANNEL, card["ts"]) if m.get("files")]
                assert len(clips) == 1
        finally:
            a.stop()
            b.stop()


async def test_a_second_installation_on_the_same_kling_key_never_collides(tmp_path, postgres):
    """A reinstall on a fresh database numbers its jobs from 1 again; Kling refuses a repeated
    external_task_id per account, so the ids must differ by installation."""
    async with running() as slack, FakeKling(polls_to_finish=1) as kling:
        for n, url in enumerate((postgres.new_database(), postgres.new_database())):
            bot = FaultBot(tmp_path / f"install{n}", slack, DATABASE_URL=url, KLING_API_KEY=kling.api_key,
                           KLING_BASE_URL=kling.url)  # fmt: skip
            try:
                await bot.start()
                await bot.command("a fox in the snow --model kling-v3 --seconds 5")
                await bot.wait(lambda b=bot: [j["state"] for j in b.jobs()] == ["delivered"], "delivered")
                (install,) = bot.rows("SELECT value FROM meta WHERE key = 'installation_id'")
                assert kling.creates[-1][1]["external_task_id"] == f"dailies-{install['value']}-1-1"
            finally:
                bot.stop()
        first, second = (body["external_task_id"] for _, body in kling.creates)
        assert first != second and len(kling.creates) == 2


async def test_two_replicas_draw_from_one_slack_budget_and_stay_within_slacks_tiers(tmp_path, database_url):
    """Slack counts chat.update per workspace whichever replica calls: each replica planning with
    the whole tier on its own would together go over it; sharing the buckets keeps them under."""
    slack = TieredSlack(workspace={"chat.update": (120, 4)})  # Slack allows 120 a minute, burst 4
    await slack.start()
    env = {"DATABASE_URL": database_url, "DAILIES_SLACK_RATES": "chat.update=120/3"}  # planned: 120, burst 3
    a, b = FaultBot(tmp_path / "a", slack, **env), FaultBot(tmp_path / "b", slack, **env)
    try:
        await a.start()
        await b.start()
        jobs = 12
        for n in range(jobs):
            status, _ = await (a, b)[n % 2].command(
                f"shot {n} --model preview --seconds 1", channel_id=f"C0CAMP{n % 2}"
            )
            assert status == 200
        await a.wait(
            lambda: [j["state"] for j in a.jobs()] == ["delivered"] * jobs, "every job delivered", 60
        )

        def finals() -> list[dict]:
            cards = [
                m for ms in slack.messages.values() for m in ms if m.get("thread_ts", m["ts"]) == m["ts"]
            ]
            return [m for m in cards if m["text"].startswith(":white_check_mark: Delivered")]

        await a.wait(lambda: len(finals()) == jobs, "every card final", 30)
        edits = len([c for c in slack.calls if c.method == "chat.update"])
        buckets = a.rows("SELECT * FROM slack_buckets WHERE method = 'chat.update'")
    finally:
        a.stop()
        b.stop()
        await slack.stop()
    assert edits > jobs, "the cards were edited along the way, not only at the end"
    assert slack.limited == [], "no call went beyond Slack's tiers"
    assert len(buckets) == 1, "one chat.update bucket for the workspace, whichever replica called"


async def test_requests_at_once_on_two_replicas_never_pass_one_budget(tmp_path, database_url):
    """A $1.00 monthly budget and a $0.42 model: of ten signed /video commands landing on two replicas
    at once, in each of six channels in turn, two start and eight wait for approval, whichever replica
    each landed on (the gate is one transaction holding the channel's lock)."""
    price = estimate_cost(shipped_catalogue()["kling-v3"], seconds=5, resolution="720p", audio=False)
    fit = 2
    assert fit * price <= 1.00 < (fit + 1) * price
    channels, burst = tuple(f"C0BURST{n}" for n in range(6)), 10
    async with running() as slack, FakeKling(polls_to_finish=10**6) as kling:
        a = replica(tmp_path, "a", slack, kling, database_url)
        b = replica(tmp_path, "b", slack, kling, database_url)
        try:
            await a.start()
            await b.start()
            for channel in channels:
                assert (await a.command("settings budget 1", channel_id=channel))[0] == 200
            await a.wait(
                lambda: len(a.rows("SELECT * FROM channels WHERE budget_usd = 1")) == len(channels),
                "budgets set",
            )
            for stored, channel in enumerate(channels, 1):  # one burst per channel, as Slack would
                answers = await asyncio.gather(
                    *(
                        (a, b)[n % 2].command(
                            f"a lighthouse, take {n} --model kling-v3 --seconds 5", channel_id=channel
                        )
                        for n in range(burst)
                    )
                )
                assert [status for status, _ in answers] == [200] * burst
                await a.wait(lambda n=stored: len(a.jobs()) == burst * n, "the burst stored")
            await a.wait(
                lambda: {t["state"] for t in a.takes()} == {"held", "rendering"}, "the started ones rendering"
            )
            jobs = a.jobs()
            gate = a.rows("SELECT channel_id, detail FROM audit WHERE action = 'gate'")
        finally:
            a.stop()
            b.stop()
    for channel in channels:
        mine = [j for j in jobs if j["channel_id"] == channel]
        started = [j for j in mine if j["state"] != "awaiting_approval"]
        reserved = sum(j["estimate_usd"] for j in started)
        assert reserved <= 1.00 + 1e-9, f"{channel}: {len(started)} started, ${reserved:.2f} of $1.00"
        assert len(started) == fit
        remains = f"${1.00 - fit * price:,.2f}"
        held = [j["request"]["notes"][-1] for j in mine if j["state"] == "awaiting_approval"]
        assert held == [
            f":raised_hand: Waiting for approval: estimate ${price:,.2f} is over what remains of the budget ({remains})."
        ] * (burst - fit)
        notes = sorted(g["detail"] for g in gate if g["channel_id"] == channel)
        assert (
            notes
            == [f"held: estimate ${price:,.2f} is over what remains of the budget ({remains})"]
            * (burst - fit)
            + [f"started: ${price:,.2f}"] * fit
        )
    assert len(kling.creates) == fit * len(channels), "only the started jobs reached Kling"
