"""Slack's rate limits end to end: `app_rate_limited` callbacks answered 200 (a signed request with
Slack's payload), and a small campaign against a stand-in that enforces the tiers receives no 429."""

from __future__ import annotations

import json
import logging

from tests.fakes.slack_requests import JSON, TEAM_ID, post_signed
from tests.fakes.slack_tiers import TieredSlack
from tests.harness import running_bot

# Slack's payload (docs.slack.dev/reference/events/app_rate_limited), with our test team
APP_RATE_LIMITED = {
    "token": "Jhj5dZrVaK7ZwHHjRyZWjbDl",
    "type": "app_rate_limited",
    "team_id": TEAM_ID,
    "minute_rate_limited": 1518467820,
    "api_app_id": "A0DAILIES",
}


async def test_app_rate_limited_is_answered_200_and_logged(bot, slack, caplog):
    calls = len(slack.calls)
    with caplog.at_level(logging.WARNING, logger="handlers.rate_limits"):
        status, _ = await post_signed(bot.url, "/slack/events", json.dumps(APP_RATE_LIMITED), JSON)
    assert status == 200, "Bolt alone answers 404, which Slack counts as a failed delivery"
    assert any("1518467820" in r.getMessage() and TEAM_ID in r.getMessage() for r in caplog.records)
    assert not [c for c in slack.calls[calls:] if c.method != "auth.test"], "no Slack call for it"
    assert await bot.jobs() == []


async def test_app_rate_limited_still_needs_a_valid_signature(bot):
    body = json.dumps(APP_RATE_LIMITED)
    status, _ = await post_signed(bot.url, "/slack/events", body, JSON, secret="wrong")
    assert status == 401


async def test_a_small_campaign_stays_within_slacks_tiers(tmp_path):
    # Slack allows chat.update 120 a minute here (burst 4); the bot plans with 120 (burst 3)
    slack = TieredSlack(workspace={"chat.update": (120, 4)})
    await slack.start()
    try:
        async with running_bot(tmp_path, slack, DAILIES_SLACK_RATES="chat.update=120/3") as bot:
            for n in range(6):
                channel = f"C0CAMP{n % 2}"
                status, _ = await bot.command(f"shot {n} --model preview --seconds 1", channel_id=channel)
                assert status == 200
            for index in range(6):
                await bot.wait_job(("delivered", "failed"), job_index=index, timeout=60)
            await bot.settle()
            jobs = await bot.jobs()
    finally:
        await slack.stop()
    assert [j["state"] for j in jobs] == ["delivered"] * 6
    assert slack.limited == [], "no call went beyond Slack's tiers"
    cards = [m for ms in slack.messages.values() for m in ms if m.get("thread_ts", m["ts"]) == m["ts"]]
    assert len(cards) == 6 and all(m["text"].startswith(":white_check_mark: Delivered") for m in cards)
