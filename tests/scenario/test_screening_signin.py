"""Sign in with Slack for the screening room, over real HTTP with a cookie-keeping browser: deciding
needs a sign-in (Slack's OpenID Connect authorize page on the stand-in, the code exchanged, the
id_token checked), a signed-in member of the shot's workspace approves and the card says so, a
member of another workspace cannot, and a decision without the session's CSRF token, or with a
forged or expired session cookie, decides nothing."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from html import unescape
from urllib.parse import urlsplit

import aiohttp

from bot.screening import sessions
from tests.fakes.slack_requests import TEAM_ID
from tests.fakes.slack_workspaces import (
    CLIENT_ID,
    CLIENT_SECRET,
    WorkspacesSlack,
    query_of,
    running_workspaces,
)
from tests.harness import Bot, running_bot

CHANNEL = "C0CHANNEL"
PUBLIC = "https://dailies.example.test"
REQUESTER = "U0ALICE"  # asked for the clip; with no approvers set, the requester approves


class Browser:
    """A person's browser: keeps cookies, follows no redirect on its own, sends forms like a page would."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.cookies: dict[str, str] = {}
        self.set_cookies: list[str] = []  # every Set-Cookie seen, as sent
        self.session = aiohttp.ClientSession()

    def local(self, url: str) -> str:
        """DAILIES_PUBLIC_URL is the load balancer; here that is the bot."""
        if url.startswith(PUBLIC):
            return self.bot.url + url.removeprefix(PUBLIC)
        return self.bot.url + url if url.startswith("/") else url

    def _keep(self, resp: aiohttp.ClientResponse) -> None:
        for raw in resp.headers.getall("Set-Cookie", []):
            self.set_cookies.append(raw)
            name, _, rest = raw.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in raw or not value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def _headers(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}

    async def get(self, url: str) -> tuple[int, str, str]:
        """(status, body, Location)."""
        async with self.session.get(self.local(url), allow_redirects=False, headers=self._headers()) as resp:
            self._keep(resp)
            return resp.status, await resp.text(), resp.headers.get("Location", "")

    async def post(self, path: str, form: dict[str, str]) -> tuple[int, str, str]:
        headers = {**self._headers(), "Origin": PUBLIC}
        async with self.session.post(
            self.local(path), data=form, allow_redirects=False, headers=headers
        ) as resp:
            self._keep(resp)
            return resp.status, await resp.text(), resp.headers.get("Location", "")

    async def close(self) -> None:
        await self.session.close()


@asynccontextmanager
async def delivered_shot(tmp_path) -> AsyncIterator[tuple[Bot, WorkspacesSlack, str, str]]:
    """A bot with a bot token and Sign in with Slack, one delivered clip; (bot, slack, card ts, room URL)."""
    async with running_workspaces() as slack:
        env = {
            "SLACK_CLIENT_ID": CLIENT_ID,
            "SLACK_CLIENT_SECRET": CLIENT_SECRET,
            "DAILIES_PUBLIC_URL": PUBLIC,
        }
        async with running_bot(tmp_path, slack, **env) as bot:
            await bot.command("a lighthouse at dusk, waves against the rocks --seconds 2 --model preview")
            await bot.wait_job("delivered")
            await bot.settle()
            card_ts = slack.messages[CHANNEL][0]["ts"]
            card = slack.message(CHANNEL, card_ts)
            buttons = [e for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]]
            watch = next(b for b in buttons if b["action_id"] == "screening_room")["url"]
            yield bot, slack, card_ts, watch


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    return unescape(found.group(1)) if found else ""


def decision(page: str, token: str, action: str = "approve") -> dict[str, str]:
    return {
        "token": token,
        "action": action,
        "version": "1",
        "once": hidden(page, "once"),
        "csrf": hidden(page, "csrf"),
    }


async def sign_in(
    browser: Browser, slack: WorkspacesSlack, room: str, user: str, team: str, *, shot_team: str = TEAM_ID
) -> str:
    """From the room's "Sign in with Slack to decide" link through Slack's page and back; the room page."""
    status, page, _ = await browser.get(room)
    assert status == 200 and "Sign in with Slack to decide" in page
    assert 'value="approve"' not in page  # no decision buttons before a sign-in
    start = unescape(re.search(r'class="signin" href="([^"]+)"', page).group(1))
    slack.sign_in_as(user, team)
    status, _, to_slack = await browser.get(start)
    assert status == 302 and to_slack.startswith(slack.base_url + "/openid/connect/authorize"), to_slack
    query = query_of(to_slack)
    assert query["client_id"] == CLIENT_ID and {"openid", "profile"} <= set(query["scope"].split(","))
    assert query["redirect_uri"] == PUBLIC + "/review-signin/callback"
    assert query["state"] and query["nonce"] and query["team"] == shot_team
    status, _, back = await browser.get(to_slack)
    assert status == 302 and back.startswith(PUBLIC + "/review-signin/callback?"), back
    status, _, to_room = await browser.get(back)
    assert status == 303 and to_room == urlsplit(room).path, (status, to_room)
    assert sessions.COOKIE in browser.cookies
    # the same callback again, even with the state's cookie put back: the state was used
    assert "dailies_signin" not in browser.cookies
    browser.cookies["dailies_signin"] = query["state"]
    replay = await browser.get(back)
    assert "dailies_signin" not in browser.cookies  # the failure clears it too
    assert replay[0] == 400 and "already used" in replay[1]
    status, page, _ = await browser.get(to_room)
    assert status == 200
    return page


async def approvals(bot: Bot) -> int:
    return await bot.dailies.store.run(lambda db: db["approvals"].count)


async def test_a_signed_in_member_of_the_workspace_approves_and_the_card_shows_it(tmp_path):
    async with delivered_shot(tmp_path) as (bot, slack, card_ts, room):
        browser = Browser(bot)
        try:
            token = urlsplit(room).path.rsplit("/", 1)[1]
            # the card's Screening room button says the page asks for a sign-in
            await bot.action("screening_room", "1", user_id=REQUESTER, channel_id=CHANNEL, message_ts=card_ts)
            await slack.wait_for(lambda: slack.count("response_url") > 0)
            assert "sign in with Slack there" in slack.calls_to("response_url")[-1].params["text"]
            # not signed in: deciding sends the browser to sign in, and nothing is decided
            status, _, location = await browser.post("/review", decision("", token))
            assert status == 303 and location.startswith("/review-signin?to="), (status, location)
            assert await approvals(bot) == 0

            page = await sign_in(browser, slack, room, REQUESTER, TEAM_ID)
            cookie = next(c for c in browser.set_cookies if c.startswith(sessions.COOKIE + "="))
            assert {"HttpOnly", "SameSite=Lax", "Secure"} <= {p.strip() for p in cookie.split(";")}
            assert "Signed in with Slack as" in page and hidden(page, "csrf")

            edits = slack.count("chat.update")
            status, page, _ = await browser.post("/review", decision(page, token))
            assert status == 200 and "Approved v1" in page, page[-600:]
            await slack.wait_for(
                lambda: any(
                    c.params.get("ts") == card_ts
                    and str(c.params.get("text", "")).startswith(":white_check_mark: Approved v1")
                    for c in slack.calls_to("chat.update")[edits:]
                )
            )
            audit = await bot.dailies.store.run(lambda db: list(db["audit"].rows_where(order_by="id")))
            assert (audit[-1]["user_id"], audit[-1]["action"], audit[-1]["detail"]) == (
                REQUESTER,
                "approve",
                "v1 by screening room",
            )
        finally:
            await browser.close()


async def test_a_member_of_another_workspace_cannot_decide(tmp_path):
    async with delivered_shot(tmp_path) as (bot, slack, _, room):
        browser = Browser(bot)
        try:
            token = urlsplit(room).path.rsplit("/", 1)[1]
            # the same user id in another workspace is another person
            page = await sign_in(browser, slack, room, REQUESTER, "T0OTHER")
            assert "signed in with Slack to another workspace" in page and 'value="approve"' not in page
            session = bot.dailies.screening.sign_in.session(browser.cookies[sessions.COOKIE])
            form = {**decision(page, token), "csrf": bot.dailies.screening.sign_in.csrf(session)}
            status, page, _ = await browser.post("/review", form)
            assert status == 403 and "Only members of this shot's workspace can decide" in unescape(page)
            assert await approvals(bot) == 0
        finally:
            await browser.close()


async def test_no_csrf_token_or_a_forged_or_expired_cookie_decides_nothing(tmp_path):
    async with delivered_shot(tmp_path) as (bot, slack, _, room):
        browser = Browser(bot)
        try:
            token = urlsplit(room).path.rsplit("/", 1)[1]
            page = await sign_in(browser, slack, room, REQUESTER, TEAM_ID)
            good = decision(page, token)
            for csrf in ("", "0" * 32, good["csrf"][:-1] + ("0" if good["csrf"][-1] != "0" else "1")):
                status, body, _ = await browser.post("/review", {**good, "csrf": csrf})
                assert status == 403 and "Nothing was decided" in body, csrf

            signed_in = browser.cookies[sessions.COOKIE]
            key = bot.dailies.screening.sign_in.key
            body, _, mac = signed_in.partition(".")
            other = sessions.Session(TEAM_ID, "U0MALLORY", 2**40, "f" * 32)
            forged = [
                f"{body}.{mac[:-2]}{'AA' if mac[-2:] != 'AA' else 'BB'}",  # altered signature
                sessions.issue(b"another key" * 3, other),  # signed with a key Dailies does not hold
                sessions.issue(key, sessions.Session(TEAM_ID, REQUESTER, 1_000_000, "e" * 32)),  # expired
            ]
            for cookie in forged:
                browser.cookies[sessions.COOKIE] = cookie
                status, _, location = await browser.post("/review", good)
                assert status == 303 and location.startswith("/review-signin?"), cookie
            assert await approvals(bot) == 0

            browser.cookies[sessions.COOKIE] = signed_in  # the real session still decides
            status, page, _ = await browser.post("/review", good)
            assert status == 200 and "Approved v1" in page
            assert await approvals(bot) == 1
        finally:
            await browser.close()


async def test_in_distribution_mode_only_the_shots_workspace_decides(tmp_path):
    """Two workspaces installed; Acme's shot: a Beta member signed in is refused, Acme's requester
    approves, and the card is updated with Acme's token."""
    from tests.scenario.test_oauth import distributed, install

    async with distributed(tmp_path, DAILIES_PUBLIC_URL=PUBLIC) as (bot, slack):
        slack.redirect_url = f"{PUBLIC}/slack/oauth_redirect"
        for team_id in ("T0ACME", "T0BETA"):
            await install(bot, slack, team_id, PUBLIC)
        await bot.command("a lighthouse --model preview --seconds 2", team_id="T0ACME", channel_id="C0SHARED")
        await bot.wait_job("delivered")
        await bot.settle()
        card = next(m for m in slack.messages["C0SHARED"] if m.get("blocks") and "ts" in m)
        buttons = [e for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]]
        room = next(b["url"] for b in buttons if b["action_id"] == "screening_room")
        token = urlsplit(room).path.rsplit("/", 1)[1]

        stranger = Browser(bot)
        try:
            page = await sign_in(stranger, slack, room, "U0BOB", "T0BETA", shot_team="T0ACME")
            assert 'value="approve"' not in page
            csrf = bot.dailies.screening.sign_in.csrf(
                bot.dailies.screening.sign_in.session(stranger.cookies[sessions.COOKIE])
            )
            status, _, _ = await stranger.post("/review", {**decision(page, token), "csrf": csrf})
            assert status == 403 and await approvals(bot) == 0
        finally:
            await stranger.close()

        member = Browser(bot)
        try:
            page = await sign_in(member, slack, room, REQUESTER, "T0ACME", shot_team="T0ACME")
            edits = len(slack.calls_for("T0ACME", "chat.update"))
            status, page, _ = await member.post("/review", decision(page, token))
            assert status == 200 and "Approved v1" in page
            await slack.wait_for(
                lambda: any(
                    str(c.params.get("text", "")).startswith(":white_check_mark: Approved v1")
                    for c in slack.calls_for("T0ACME", "chat.update")[edits:]
                )
            )
            assert not slack.calls_for("T0BETA", "chat.update") and not slack.refused_calls()
        finally:
            await member.close()


async def test_doctor_checks_the_sign_in_credentials_beside_a_bot_token(tmp_path, capsys):
    from bot.tools.doctor import doctor
    from tests.harness import bot_config

    async with running_workspaces() as slack:
        env = {
            "SLACK_CLIENT_ID": CLIENT_ID,
            "SLACK_CLIENT_SECRET": CLIENT_SECRET,
            "DAILIES_PUBLIC_URL": PUBLIC,
        }
        await doctor(bot_config(tmp_path, slack, **env))
        out = capsys.readouterr().out
        assert (
            f"ok: Sign in with Slack decides in the screening room; the app must list the redirect URL {PUBLIC}/review-signin/callback"
            in out
        )
        assert "ok: Slack: connected as" in out  # still the one workspace of the bot token

        await doctor(bot_config(tmp_path, slack, **{**env, "SLACK_CLIENT_SECRET": "nope"}))
        assert "problem: Slack refused SLACK_CLIENT_SECRET for Sign in with Slack" in capsys.readouterr().out
