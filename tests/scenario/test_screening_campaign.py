"""Issue 24, a campaign's page in the screening room over real HTTP: the board's Screening room
button opens a grid of its shots (rows) and their versions (columns, labelled by aspect), clips and
posters stream, a decision on the page counts under the channel's approval rules and shows on the
board, and a pass that is altered, a shot's, or names another campaign, channel or workspace opens
nothing."""

from __future__ import annotations

import re
import shutil
import time
from html import unescape
from urllib.parse import urlsplit

import aiohttp
import pytest

from bot.screening import tokens
from tests.fakes.slack_requests import TEAM_ID, view_submission_payload
from tests.harness import running_bot
from tests.scenario.test_scenario_campaigns import (
    ALICE,
    CHANNEL,
    board_ts,
    campaign_form,
    delivered,
    eventually,
    interact,
)
from tests.scenario.test_screening_room import chromium, until

PUBLIC = "https://dailies.example.test"
BOB = "U0BOB"


def local(bot, url: str) -> str:
    """Links point at DAILIES_PUBLIC_URL (the load balancer); here that is the bot."""
    assert url.startswith(PUBLIC + "/"), url
    return bot.url + urlsplit(url).path


async def get(bot, url: str) -> tuple[int, str, bytes]:
    async with aiohttp.ClientSession() as http, http.get(bot.url + url if url.startswith("/") else url) as r:
        return r.status, r.headers.get("Content-Type", ""), await r.read()


async def post(bot, form: dict[str, str]) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(bot.url + "/campaign", data=form, headers={"Origin": PUBLIC}) as r,
    ):
        return r.status, await r.text()


def board_buttons(slack, ts: str) -> dict[str, dict]:
    board = slack.message(CHANNEL, ts)
    return {e["action_id"]: e for b in board["blocks"] if b["type"] == "actions" for e in b["elements"]}


async def personal_link(bot, slack, ts: str, campaign_id: int, user: str) -> str:
    """Press the board's Screening room button: the ephemeral answer carries the person's own link."""
    before = slack.count("response_url")
    await bot.action(
        "campaign_screening_room", str(campaign_id), user_id=user, channel_id=CHANNEL, message_ts=ts
    )
    await slack.wait_for(lambda: slack.count("response_url") > before)
    answer = slack.calls_to("response_url")[-1].params
    assert answer["response_type"] == "ephemeral"
    return answer["blocks"][0]["accessory"]["url"]


def hidden(form: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', form)
    return unescape(found.group(1)) if found else ""


def form_of(page: str, shot_id: int, version: int) -> str:
    """The decision form of one version on the campaign's page."""
    forms = re.findall(r'<form class="decide".*?</form>', page)
    return next(
        f for f in forms if f'name="shot" value="{shot_id}"' in f and f'name="version" value="{version}"' in f
    )


async def campaign_shots(bot) -> dict[int, int]:
    """S number -> shot id."""
    rows = await bot.dailies.store.run(
        lambda db: db.query("SELECT id, campaign_shot FROM shots WHERE campaign_shot IS NOT NULL")
    )
    return {r["campaign_shot"]: r["id"] for r in rows}


async def two_shot_campaign(bot, slack, title: str = "Spring drop") -> str:
    """Two shots at 16:9 and 9:16, all four delivered; the board's ts."""
    view = await campaign_form(bot, slack)
    values = {"title": title, "model": "preview", "seconds": "2", "aspects": ["16:9", "9:16"],
              "shots": "a red sneaker on wet asphalt\nthe sneaker spins"}  # fmt: skip
    await interact(bot, view_submission_payload(view, values, user_id=ALICE))
    await eventually(lambda: delivered(bot, 4))
    await bot.settle()
    return await board_ts(bot)


async def test_the_boards_screening_room_is_a_grid_of_shots_and_decisions_there_follow_the_rules(
    tmp_path, slack
):
    async with running_bot(tmp_path, slack, DAILIES_PUBLIC_URL=PUBLIC) as bot:
        await bot.command(f"settings approvers <@{BOB}>")
        ts = await two_shot_campaign(bot, slack)
        shots = await campaign_shots(bot)
        watch = board_buttons(slack, ts)["campaign_screening_room"]
        assert watch["text"]["text"] == "Screening room" and watch["url"].startswith(PUBLIC + "/campaign/")
        board_text = str(slack.message(CHANNEL, ts)["blocks"])
        assert f"{watch['url']}#S1|screening room" in board_text and f"{watch['url']}#S2|" in board_text

        # the watch link: both rows, every version a player labelled with its aspect, no decisions
        status, kind, body = await get(bot, local(bot, watch["url"]))
        page = body.decode()
        assert status == 200 and kind.startswith("text/html")
        assert '<section class="shot-row" id="S1"' in page and '<section class="shot-row" id="S2"' in page
        assert "a red sneaker on wet asphalt" in page and "2 of 2 delivered" in page
        players = re.findall(r'<video id="v(\d+)-(\d+)"', page)
        assert sorted(players) == sorted([(str(shots[n]), str(v)) for n in (1, 2) for v in (1, 2)])
        assert page.count('class="column">16:9<') == 2 and page.count('class="column">9:16<') == 2
        assert page.count("checked> in sync") == 2  # each shot's latest version plays in sync
        assert 'value="approve"' not in page and "Watch-only link" in page
        assert "<b>Screening room</b> on the board in Slack" in page and "on the card in Slack" not in page

        # clips and posters stream through the campaign's pass
        token = urlsplit(watch["url"]).path.rsplit("/", 1)[1]
        status, kind, clip = await get(bot, f"/campaign/{token}/{shots[2]}/v1.mp4")
        assert status == 200 and kind == "video/mp4" and clip[4:8] == b"ftyp"
        status, kind, poster = await get(bot, f"/campaign/{token}/{shots[2]}/v2.jpg")
        assert status == 200 and kind == "image/jpeg" and poster[:2] == b"\xff\xd8"
        assert (await get(bot, f"/campaign/{token}/{shots[2]}/v9.mp4"))[0] == 404

        # Alice is no approver here: her page offers no verdict, and a verdict posted anyway is refused
        alice = await personal_link(bot, slack, ts, 1, ALICE)
        page = (await get(bot, local(bot, alice)))[2].decode()
        assert 'value="approve"' not in page and 'value="another_take"' in page
        alice_token = urlsplit(alice).path.rsplit("/", 1)[1]
        form = {"token": alice_token, "shot": str(shots[2]), "action": "approve", "version": "1"}
        status, answer = await post(bot, form)
        assert status == 200 and "Only" in unescape(answer)
        assert await bot.dailies.store.run(lambda db: db["approvals"].count) == 0

        # Bob approves S2 v1 on the page: the clip's version is approved, the board says so
        bob = await personal_link(bot, slack, ts, 1, BOB)
        page = (await get(bot, local(bot, bob)))[2].decode()
        form = form_of(page, shots[2], 1)
        bob_token = hidden(form, "token")
        decide = {"token": bob_token, "shot": str(shots[2]), "action": "approve", "version": "1",
                  "once": hidden(form, "once")}  # fmt: skip
        status, answer = await post(bot, decide)
        assert status == 200 and "S2 v1: " in answer and 'id="S2"' in answer
        assert (await post(bot, decide))[1].count("Already done.") == 1  # a double click decides once
        approved = await bot.dailies.store.run(
            lambda db: db.query("SELECT shot_id, version FROM takes WHERE approved_at IS NOT NULL")
        )
        assert [(r["shot_id"], r["version"]) for r in approved] == [(shots[2], 1)]
        audit = await bot.dailies.store.run(lambda db: list(db["audit"].rows_where(order_by="id")))
        assert (audit[-1]["user_id"], audit[-1]["action"], audit[-1]["detail"]) == (
            BOB,
            "approve",
            "v1 by screening room",
        )
        await eventually(lambda: _board_says(slack, ts, "*S2*", "approved v1"))


async def _board_says(slack, ts: str, line: str, words: str) -> bool:
    board = slack.message(CHANNEL, ts)
    return any(
        line in b.get("text", {}).get("text", "") and words in b["text"]["text"]
        for b in board["blocks"]
        if b["type"] == "section"
    )


async def test_a_pass_opens_its_own_campaign_and_nothing_else(tmp_path, slack):
    async with running_bot(tmp_path, slack, DAILIES_PUBLIC_URL=PUBLIC) as bot:
        ts = await two_shot_campaign(bot, slack)
        watch = board_buttons(slack, ts)["campaign_screening_room"]["url"]
        token = urlsplit(watch).path.rsplit("/", 1)[1]
        shots = await campaign_shots(bot)
        key = bot.dailies.screening.key
        found = tokens.read_campaign(key, token, time.time())
        assert found is not None and found.campaign_id == 1 and found.team_id == TEAM_ID

        # a single shot outside any campaign
        await bot.command("a lighthouse at dusk --seconds 1 --model preview")
        await eventually(lambda: delivered(bot, 5))
        single = (await bot.jobs())[-1]["shot_id"]

        def campaign_pass(**changed) -> str:
            fields = {**found.__dict__, "expires": int(time.time()) + 600, **changed}
            return tokens.issue_campaign(key, tokens.CampaignPass(**fields))

        refused = {
            "altered": token[:-2] + ("AA" if token[-2:] != "AA" else "BB"),
            "another key": tokens.issue_campaign(b"k" * 32, found),
            "expired": campaign_pass(expires=int(time.time()) - 1),
            "another workspace": campaign_pass(team_id="T0OTHER"),
            "another channel": campaign_pass(channel_id="C0ELSEWHERE"),
            "no such campaign": campaign_pass(campaign_id=99),
            "a shot's pass": tokens.issue(
                key, tokens.Pass(TEAM_ID, CHANNEL, shots[1], int(time.time()) + 600)
            ),
        }
        for why, forged in refused.items():
            status, _, body = await get(bot, f"/campaign/{forged}")
            assert status == 403 and b"This link is not valid" in body, why
            assert (await get(bot, f"/campaign/{forged}/{shots[1]}/v1.mp4"))[0] == 403, why
        # the campaign's pass opens no shot page, and no shot outside the campaign
        assert (await get(bot, f"/review/{token}"))[0] == 403
        assert (await get(bot, f"/campaign/{token}/{single}/v1.mp4"))[0] == 403
        assert (await get(bot, f"/campaign/{token}/{single}/v1.jpg"))[0] == 403
        # a watch-only pass decides nothing, nor a form posted from another site
        form = {"token": token, "shot": str(shots[1]), "action": "approve", "version": "1"}
        assert (await post(bot, form))[0] == 403
        mine = urlsplit(await personal_link(bot, slack, ts, 1, ALICE)).path.rsplit("/", 1)[1]
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                bot.url + "/campaign",
                data={**form, "token": mine},
                headers={"Origin": "https://evil.example"},
            ) as r,
        ):
            assert r.status == 403
        # a personal pass for another workspace decides nothing either
        other = campaign_pass(team_id="T0OTHER", user_id=ALICE)
        form = {"token": other, "shot": str(shots[1]), "action": "approve", "version": "1"}
        assert (await post(bot, form))[0] == 403
        form = {"token": token, "shot": str(single), "action": "approve", "version": "1"}
        assert (await post(bot, form))[0] == 403
        assert await bot.dailies.store.run(lambda db: db["approvals"].count) == 0
        # each row links to its shot's own page, with the campaign pass's grant
        page = (await get(bot, f"/campaign/{token}"))[2].decode()
        own = re.search(r'<a href="(/review/[^"]+)">open S1 alone</a>', page).group(1)
        status, _, body = await get(bot, unescape(own))
        assert status == 200 and b"a red sneaker on wet asphalt" in body


@pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium is not installed")
async def test_in_a_browser_each_shots_latest_version_plays_in_sync(tmp_path, slack):
    """The page in Debian's chromium: a poster and a clip per player, Play in sync starts each shot's
    latest version together, and an approval clicked on S1's v1 lands on its row."""
    async with chromium() as browser, running_bot(tmp_path, slack, DAILIES_PUBLIC_URL=PUBLIC) as bot:
        ts = await two_shot_campaign(bot, slack)
        shots = await campaign_shots(bot)
        link = await personal_link(bot, slack, ts, 1, ALICE)
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        assert (await page.goto(local(bot, link))).status == 200
        assert await page.locator(".shot-row").count() == 2
        await until(
            page, "[...document.querySelectorAll('video')].every(v => v.readyState >= 2 && v.duration > 1)"
        )
        synced = [f"v{shots[1]}-2", f"v{shots[2]}-2"]
        await page.click("#play")
        await until(page, f"document.getElementById('{synced[0]}').currentTime > 0.4")
        times = await page.evaluate(f"{synced!r}.map(id => document.getElementById(id).currentTime)")
        assert abs(times[0] - times[1]) < 0.1, times
        assert await page.evaluate(f"document.getElementById('v{shots[1]}-1').paused")  # not ticked
        await page.click("#play")
        async with page.expect_navigation():
            await page.click(f"#version-{shots[1]}-1 button[value=approve]")
        assert "S1 v1: " in await page.inner_text(".notice")
        assert await page.locator(f"#version-{shots[1]}-1 .badge.approved").count() == 1
        await page.screenshot(path=str(tmp_path / "campaign-page.png"), full_page=True)


async def test_with_sign_in_the_signed_in_member_decides_on_the_campaign_page(tmp_path):
    """Sign in with Slack from the campaign's page comes back to it; the signed-in member of the
    workspace approves with the session's CSRF token, a form without it decides nothing, and a
    member of another workspace is refused."""
    from tests.fakes.slack_workspaces import CLIENT_ID, CLIENT_SECRET, running_workspaces
    from tests.scenario.test_screening_signin import Browser, sign_in

    env = {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET, "DAILIES_PUBLIC_URL": PUBLIC}
    async with running_workspaces() as slack, running_bot(tmp_path, slack, **env) as bot:
        ts = await two_shot_campaign(bot, slack)
        shots = await campaign_shots(bot)
        room = board_buttons(slack, ts)["campaign_screening_room"]["url"]
        token = urlsplit(room).path.rsplit("/", 1)[1]
        member, stranger = Browser(bot), Browser(bot)
        try:
            # not signed in: deciding sends the browser to sign in, back to this campaign's page
            form = {"token": token, "shot": str(shots[1]), "action": "approve", "version": "2"}
            status, _, location = await member.post("/campaign", form)
            assert status == 303 and location.startswith("/review-signin?to="), location
            page = await sign_in(member, slack, room, ALICE, TEAM_ID)
            assert "Signed in with Slack as" in page and 'id="S2"' in page
            decide = {**form, "once": hidden(page, "once"), "csrf": hidden(page, "csrf")}
            status, body, _ = await member.post("/campaign", {**decide, "csrf": ""})
            assert status == 403 and "Nothing was decided" in body
            status, page, _ = await member.post("/campaign", decide)
            assert status == 200 and "S1 v2: Approved v2" in unescape(page), page[-800:]

            page = await sign_in(stranger, slack, room, "U0BOB", "T0OTHER")
            assert "another workspace" in page and 'value="approve"' not in page
            session = bot.dailies.screening.sign_in.session(stranger.cookies["dailies_room"])
            csrf = bot.dailies.screening.sign_in.csrf(session)
            status, body, _ = await stranger.post("/campaign", {**decide, "version": "1", "csrf": csrf})
            assert status == 403 and "Only members of this shot's workspace can decide" in unescape(body)
            assert await bot.dailies.store.run(lambda db: db["approvals"].count) == 1
        finally:
            await member.close()
            await stranger.close()
