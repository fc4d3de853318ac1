"""Issue 15, isolation: two installed workspaces that each have a channel `C0SAME` and a subject
`{hero}` never see each other's subjects, settings, jobs, spend or audit, and a video made with
`{hero}` reaches the provider with that workspace's own image."""

from __future__ import annotations

import base64
import struct

from tests.fakes.aimlapi import FakeAimlApi
from tests.fakes.media_server import MediaServer
from tests.scenario.test_oauth import distributed, install

CHANNEL = "C0SAME"
TEAMS = {  # team -> (requester, approver, hero's image size, budget, job limit)
    "T0ACME": ("U0ACMEREQ", "U0ACMEBOSS", (800, 1000), 120, 40),
    "T0BETA": ("U0BETAREQ", "U0BETABOSS", (600, 600), 70, 30),
}


async def ask(bot, slack, team: str, text: str) -> str:
    """`/video text` in the team's C0SAME; the ephemeral answer (in the ack, or via response_url)."""
    before = slack.count("response_url")
    status, body = await bot.command(text, team_id=team, channel_id=CHANNEL, user_id=TEAMS[team][0])
    assert status == 200
    if body and body.strip() not in ("", "{}"):
        return body
    await slack.wait_for(lambda: slack.count("response_url") > before, timeout=20)
    return slack.calls_to("response_url")[-1].params["text"]


def png_size(data_url: str) -> tuple[int, int]:
    """A PNG data URL's width and height (from its IHDR chunk)."""
    raw = base64.b64decode(data_url.split(",", 1)[1])
    return struct.unpack(">II", raw[16:24])


async def test_two_workspaces_with_the_same_channel_and_subject_see_only_their_own(tmp_path):
    async with FakeAimlApi() as aiml, MediaServer() as media:
        env = {"AIMLAPI_API_KEY": aiml.api_key, "AIMLAPI_BASE_URL": aiml.base_url}
        async with distributed(tmp_path, **env) as (bot, slack):
            for team in TEAMS:
                assert (await install(bot, slack, team))[0] == 200
            for team, (_, boss, (w, h), budget, limit) in TEAMS.items():
                name = team[2:].lower()
                added = await ask(
                    bot, slack, team, f"subject add hero {media.url(f'/img/{w}x{h}.png')} -- {name} hero"
                )
                assert "Added `{hero}`" in added, added
                assert "Saved" in await ask(bot, slack, team, f"settings budget {budget}")
                assert "Saved" in await ask(bot, slack, team, f"settings job-limit {limit}")
                assert "Saved" in await ask(bot, slack, team, f"settings approvers <@{boss}>")

            for n, team in enumerate(TEAMS):
                name = team[2:].lower()
                prompt = f"{{hero}} waves at the {name} office --model kling-o1 --seconds 5"
                await bot.command(prompt, team_id=team, channel_id=CHANNEL, user_id=TEAMS[team][0])
                job = await bot.wait_job(("delivered", "failed"), job_index=n)
                assert job["state"] == "delivered", job["error"]
                sent = aiml.created()[-1]["elements"]
                assert len(sent) == 1 and png_size(sent[0]["frontal_image_url"]) == TEAMS[team][2]
            await bot.settle()

            for team, (requester, boss, (w, h), budget, limit) in TEAMS.items():
                name, other = team[2:].lower(), next(t for t in TEAMS if t != team)
                other_name = other[2:].lower()
                listing = await ask(bot, slack, team, "subject list")
                assert f"{name} hero" in listing and f"{other_name} hero" not in listing
                assert f"{w}×{h}" in await ask(bot, slack, team, "subject show hero")
                settings = await ask(bot, slack, team, "settings")
                assert f"${budget:,.2f}" in settings and f"${limit:,.2f}" in settings, settings
                assert boss in settings and TEAMS[other][1] not in settings
                jobs = await ask(bot, slack, team, "jobs")
                assert f"{name} office" in jobs and f"{other_name} office" not in jobs, jobs
                spend = await ask(bot, slack, team, "spend")
                assert f"<@{requester}>" in spend and TEAMS[other][0] not in spend, spend
                assert f"of ${budget:,.2f}" in spend
                audit = await ask(bot, slack, team, "audit")
                assert f"budget = {float(budget)}" in audit, audit
                assert f"budget = {float(TEAMS[other][3])}" not in audit and TEAMS[other][1] not in audit

            rows = await bot.dailies.store.run(
                lambda db: db.query("SELECT team_id, channel_id FROM jobs ORDER BY id")
            )
            assert rows == [{"team_id": t, "channel_id": CHANNEL} for t in TEAMS]
