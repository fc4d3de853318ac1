"""Issue 18, the screening room in a real browser (Debian's chromium, driven by Playwright): the
link from a card after two versions were delivered by the stand-ins, both players, played in sync,
v2 approved on the page with the card updated in Slack and the audit row written; and the page's
refusals (an altered pass, a watch-only pass posting, a form from another site)."""

from __future__ import annotations

import asyncio
import shutil
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import aiohttp
import pytest
import pytest_asyncio

from tests.harness import running_bot

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium is not installed")
CHANNEL = "C0CHANNEL"
PUBLIC = "https://dailies.example.test"
# each player's poster, loaded as an image (the page's CSP allows images from Dailies, not fetch)
POSTER_SIZES = """Promise.all([...document.querySelectorAll('video')].map(v => new Promise(done => {
  const img = new Image();
  img.onload = () => done([img.naturalWidth, img.naturalHeight]);
  img.onerror = () => done(null);
  img.src = v.poster;
})))"""


@asynccontextmanager
async def chromium():
    """Debian's chromium, driven by Playwright, playing video without a gesture."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        launched = await pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required", "--mute-audio"],
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest_asyncio.fixture
async def browser():
    async with chromium() as launched:
        yield launched


async def until(page, condition: str, timeout: float = 15.0) -> None:
    """Poll a condition in the page (wait_for_function would need eval, which the page's CSP forbids)."""
    for _ in range(int(timeout / 0.05)):
        if await page.evaluate(condition):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never true in the page: {condition}")


def local(bot, url: str) -> str:
    """The card's link points at DAILIES_PUBLIC_URL (the load balancer); here that is the bot."""
    assert url.startswith(PUBLIC + "/review/")
    return bot.url + urlsplit(url).path


def card_button(card: dict, action_id: str) -> dict:
    buttons = [e for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]]
    return next(b for b in buttons if b["action_id"] == action_id)


async def two_versions(bot, slack) -> tuple[str, dict]:
    """v1 from /video, v2 from the card's Another take, both delivered; returns (card ts, card)."""
    await bot.command("a lighthouse at dusk, waves against the rocks --seconds 3 --model preview")
    await bot.wait_job("delivered")
    await bot.settle()
    card_ts = slack.messages[CHANNEL][0]["ts"]
    v1 = (await bot.takes(1))[0]
    await bot.action(
        "another_take", f"1:take:{v1['id']}", user_id="U0ALICE", channel_id=CHANNEL, message_ts=card_ts
    )
    await bot.wait_job("delivered", job_index=1)
    await bot.settle()
    return card_ts, slack.message(CHANNEL, card_ts)


async def personal_link(bot, slack, card_ts: str, user: str = "U0ALICE") -> str:
    """Press the card's Screening room button: the ephemeral answer carries the "Open as me" link."""
    before = slack.count("response_url")
    await bot.action("screening_room", "1", user_id=user, channel_id=CHANNEL, message_ts=card_ts)
    await slack.wait_for(lambda: slack.count("response_url") > before)
    answer = slack.calls_to("response_url")[-1].params
    assert answer["response_type"] == "ephemeral"
    return answer["blocks"][0]["accessory"]["url"]


async def test_two_versions_play_in_sync_and_v2_is_approved_on_the_page(tmp_path, slack, browser):
    async with running_bot(tmp_path, slack, DAILIES_PUBLIC_URL=PUBLIC) as bot:
        card_ts, card = await two_versions(bot, slack)
        watch = card_button(card, "screening_room")
        assert watch["text"]["text"] == "Screening room" and watch["url"].startswith(PUBLIC)
        link = await personal_link(bot, slack, card_ts)
        assert link != watch["url"]

        page = await browser.new_page(viewport={"width": 1280, "height": 860})
        response = await page.goto(local(bot, link))
        assert response.status == 200
        videos = page.locator("video[data-version]")
        assert await videos.count() == 2
        assert await page.locator("#version-2 .badge.current").count() == 1
        # both players have their clip (relayed from Slack's copy) and their poster frame
        await until(
            page, "[...document.querySelectorAll('video')].every(v => v.readyState >= 2 && v.duration > 2)"
        )
        posters = await page.evaluate(POSTER_SIZES)
        assert len(posters) == 2 and all(p and p[0] == 480 for p in posters), posters

        await page.click("#play")
        await until(page, "document.querySelector('#v1').currentTime > 0.4")
        drift = []
        for _ in range(8):
            times = await page.evaluate("[...document.querySelectorAll('video')].map(v => v.currentTime)")
            drift.append(max(times) - min(times))
            await asyncio.sleep(0.15)
        assert max(drift) < 0.1, drift
        await page.click("#play")  # pause
        assert await page.evaluate("[...document.querySelectorAll('video')].every(v => v.paused)")
        # one scrub moves both
        await page.locator("#scrub").fill("500")
        times = await page.evaluate("[...document.querySelectorAll('video')].map(v => v.currentTime)")
        assert abs(times[0] - times[1]) < 0.1 and times[0] > 1.0

        edits = slack.count("chat.update")
        async with page.expect_navigation():
            await page.click("#version-2 button[value=approve]")
        await page.wait_for_selector(".notice", timeout=5000)
        assert "Approved v2" in await page.inner_text(".notice")
        assert await page.locator("#version-2 .badge.approved").count() == 1
        await bot.settle()
        assert slack.count("chat.update") > edits
        assert slack.message(CHANNEL, card_ts)["text"].startswith(":white_check_mark: Approved v2")
        audit = await bot.dailies.store.run(lambda db: list(db["audit"].rows_where(order_by="id")))
        assert [(a["user_id"], a["action"], a["detail"]) for a in audit][-1] == (
            "U0ALICE",
            "approve",
            "v2 by screening room",
        )


async def test_the_page_refuses_what_it_must(tmp_path, slack):
    async with running_bot(tmp_path, slack, DAILIES_PUBLIC_URL=PUBLIC) as bot:
        card_ts, card = await two_versions(bot, slack)
        watch = local(bot, card_button(card, "screening_room")["url"])
        personal = local(bot, await personal_link(bot, slack, card_ts))
        token = urlsplit(watch).path.rsplit("/", 1)[1]
        mine = urlsplit(personal).path.rsplit("/", 1)[1]
        body, _, mac = token.partition(".")
        altered = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1] + "." + mac
        async with aiohttp.ClientSession() as http:
            async with http.get(watch) as resp:
                assert resp.status == 200
                html = await resp.text()
                assert "Watch-only link" in html and 'value="approve"' not in html
            async with http.get(f"{bot.url}/review/{altered}") as resp:
                assert resp.status == 403
                refused = await resp.text()
                assert "lighthouse" not in refused and "v1" not in refused
            async with http.get(f"{bot.url}/review/{altered}/v1.mp4") as resp:
                assert resp.status == 403
            # a watch-only pass cannot decide, and a form posted from another site is refused
            async with http.post(
                f"{bot.url}/review", data={"token": token, "action": "approve", "version": "2"}
            ) as resp:
                assert resp.status == 403
            evil = {"Origin": "https://evil.example"}
            form = {"token": mine, "action": "approve", "version": "2"}
            async with http.post(f"{bot.url}/review", data=form, headers=evil) as resp:
                assert resp.status == 403
            async with http.get(f"{bot.url}/review", allow_redirects=False) as resp:
                assert resp.status in (404, 405)
        assert await bot.dailies.store.run(lambda db: db["approvals"].count) == 0
