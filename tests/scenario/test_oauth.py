"""Distribution mode end to end: workspaces install Dailies through the browser flow (install link,
Slack's authorize page, the callback with code and state), then each is served with its own token
by a Slack stand-in that knows which token belongs to which workspace; a stranger gets no job, a
removed workspace stops, and rotating tokens are refreshed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import pytest

from storage import installations
from tests.fakes.slack_requests import JSON, event_body, post_signed
from tests.fakes.slack_workspaces import (
    CLIENT_ID,
    CLIENT_SECRET,
    WorkspacesSlack,
    query_of,
    running_workspaces,
)
from tests.harness import Bot, running_bot

SECRET_KEY = "kF8s1bE2v8dJr6jJm0n3c1yq2JwY7o9XyZbq3H5tQ0A="  # a Fernet key for these tests only
CHANNEL = "C0SHARED"  # the same channel id in both workspaces: their data must still stay apart
COOKIE = "slack-app-oauth-state"


@asynccontextmanager
async def distributed(tmp_path, **env) -> AsyncIterator[tuple[Bot, WorkspacesSlack]]:
    slack = WorkspacesSlack()
    await slack.start()
    slack.add_team("T0ACME", "Acme")
    slack.add_team("T0BETA", "Beta")
    try:
        settings = {
            "SLACK_BOT_TOKEN": "",
            "SLACK_CLIENT_ID": CLIENT_ID,
            "SLACK_CLIENT_SECRET": CLIENT_SECRET,
            "DAILIES_SECRET_KEY": SECRET_KEY,
            **env,
        }
        async with running_bot(tmp_path, slack, **settings) as bot:
            slack.redirect_url = f"{bot.url}/slack/oauth_redirect"
            yield bot, slack
    finally:
        await slack.stop()


class Browser:
    """A person's browser: follows redirects by hand and keeps the cookies a site set."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}
        self.session = aiohttp.ClientSession()

    async def get(self, url: str) -> tuple[int, str, str]:
        """(status, body, the Location it redirects to)."""
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        async with self.session.get(url, allow_redirects=False, headers=headers) as resp:
            for raw in resp.headers.getall("Set-Cookie", []):
                name, _, rest = raw.partition("=")
                value = rest.split(";", 1)[0]
                if "Max-Age=0" in raw or not value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = value
            return resp.status, await resp.text(), resp.headers.get("Location", "")

    async def close(self) -> None:
        await self.session.close()


async def install(bot: Bot, slack: WorkspacesSlack, team_id: str, public: str = "") -> tuple[int, str]:
    """An admin of `team_id` installs Dailies from the install link; (status, page) at the end.
    With DAILIES_PUBLIC_URL `public`, Slack sends the browser back there: here that is the bot."""
    browser = Browser()
    try:
        slack.approve(team_id)
        status, _, to_slack = await browser.get(f"{bot.url}/slack/install")
        assert status == 302 and to_slack.startswith(slack.base_url + "/oauth/v2/authorize"), (
            status,
            to_slack,
        )
        assert COOKIE in browser.cookies
        status, _, back = await browser.get(to_slack)
        assert status == 302 and back.startswith(public or slack.redirect_url), back
        status, page, _ = await browser.get(bot.url + back.removeprefix(public) if public else back)
        return status, page
    finally:
        await browser.close()


async def command(bot: Bot, text: str, team_id: str, **fields) -> tuple[int, str]:
    return await bot.command(text, team_id=team_id, channel_id=CHANNEL, **fields)


async def test_install_link_carries_client_id_scopes_and_a_single_use_state(tmp_path):
    async with distributed(tmp_path) as (bot, slack):
        browser = Browser()
        try:
            status, _, location = await browser.get(f"{bot.url}/slack/install")
        finally:
            await browser.close()
        assert status == 302
        query = query_of(location)
        assert query["client_id"] == CLIENT_ID
        assert set(query["scope"].split(",")) >= {"commands", "chat:write", "files:write", "reactions:read"}
        assert query["state"] == browser.cookies[COOKIE]
        stored = await bot.dailies.store.run(lambda db: db.query("SELECT * FROM slack_oauth_states"))
        assert [row["state"] for row in stored] == [query["state"]]


async def test_two_workspaces_install_and_each_is_served_with_its_own_token(tmp_path):
    async with distributed(tmp_path) as (bot, slack):
        for team_id, name in (("T0ACME", "Acme"), ("T0BETA", "Beta")):
            status, page = await install(bot, slack, team_id)
            assert status == 200 and f"Dailies was added to {name}" in page
        rows = await bot.dailies.store.run(lambda db: db.query("SELECT * FROM slack_installations"))
        assert {r["team_id"]: r["bot_user_id"] for r in rows} == {
            "T0ACME": "UBOT0ACME",
            "T0BETA": "UBOT0BETA",
        }
        auth_tests = slack.count("auth.test")  # Bolt's flow asks who the bot is once per install

        for team_id in ("T0ACME", "T0BETA"):
            status, _ = await command(bot, f"a lighthouse for {team_id} --model preview --seconds 2", team_id)
            assert status == 200
        await bot.wait_job("delivered", job_index=0)
        await bot.wait_job("delivered", job_index=1)
        await bot.settle()

        for team_id in ("T0ACME", "T0BETA"):
            posts = slack.calls_for(team_id, "chat.postMessage")
            assert any(team_id in (c.params.get("text") or "") for c in posts), slack.summary()
            assert not any(t in str(c.params) for c in posts for t in ("T0ACME", "T0BETA") if t != team_id)
            assert len(slack.calls_for(team_id, "files.completeUploadExternal")) == 1
            assert slack.calls_for(team_id, "chat.update")
        # every Web API call went out with a token Slack knows, none with a dead one
        web_calls = [c for c in slack.calls if c.method not in ("oauth.v2.access", "response_url", "upload")]
        assert all(slack.team_of(c) for c in web_calls), [c.method for c in web_calls if not slack.team_of(c)]
        assert not slack.refused_calls()
        assert slack.count("auth.test") == auth_tests  # authorization comes from the database, cached


async def test_a_replayed_or_forged_callback_gets_a_failure_page(tmp_path):
    async with distributed(tmp_path) as (bot, slack):
        browser = Browser()
        try:
            slack.approve("T0ACME")
            _, _, to_slack = await browser.get(f"{bot.url}/slack/install")
            _, _, back = await browser.get(to_slack)
            cookie = dict(browser.cookies)
            status, page, _ = await browser.get(back)
            assert status == 200
            browser.cookies = cookie  # the same callback again, as a replay would send it
            status, page, _ = await browser.get(back)
            assert status == 401 and "expired or was already used" in page
            forged = back.replace(query_of(back)["state"], "made-up-state")
            browser.cookies = {COOKIE: "made-up-state"}
            status, page, _ = await browser.get(forged)
            assert status == 401 and "Dailies was not installed" in page
            browser.cookies = {}
            status, page, _ = await browser.get(back)
            assert status == 400 and "different browser" in page
            status, page, _ = await browser.get(f"{bot.url}/slack/oauth_redirect?error=access_denied")
            assert "cancelled" in page
        finally:
            await browser.close()
        assert slack.count("oauth.v2.access") == 1  # only the genuine callback exchanged its code


async def test_an_org_wide_install_is_refused_with_a_clear_page(tmp_path):
    async with distributed(tmp_path) as (bot, slack):
        slack.add_team("T0GRID", "Grid", enterprise_id="E0GRID", org_wide=True)
        status, page = await install(bot, slack, "T0GRID")
        assert status == 500 and "workspace by workspace" in page
        assert await bot.dailies.store.run(lambda db: db.query("SELECT * FROM slack_installations")) == []


async def test_a_stranger_workspace_gets_no_job_and_is_told_why(tmp_path):
    async with distributed(tmp_path) as (bot, slack):
        await install(bot, slack, "T0ACME")
        status, _ = await command(bot, "a quiet harbour --model preview", "T0STRANGER")
        assert status == 200
        await slack.wait_for(lambda: slack.count("response_url") >= 1)
        said = slack.calls_to("response_url")[-1].params
        assert "isn't installed in this workspace" in said["text"]
        assert await bot.jobs() == []
        assert slack.count("chat.postMessage") == 0


async def test_uninstall_forgets_the_workspace_and_stops_its_jobs_without_calling_slack(tmp_path):
    from tests.fakes.openai_videos import FakeOpenAIVideos

    async with FakeOpenAIVideos() as sora:
        sora.polls_to_finish = 10**6  # renders for as long as the test needs
        env = {"OPENAI_API_KEY": sora.api_key, "OPENAI_BASE_URL": sora.base_url}
        async with distributed(tmp_path, **env) as (bot, slack):
            await install(bot, slack, "T0ACME")
            await install(bot, slack, "T0BETA")
            await command(bot, "a slow dolly shot --model sora-2 --seconds 4", "T0ACME")
            job = await bot.wait_job("rendering")
            await bot.settle()
            before = len(slack.calls_for("T0ACME"))

            slack.uninstall("T0ACME")  # Slack revokes the tokens, then tells the app
            status, _ = await bot.event({"type": "app_uninstalled"}, team_id="T0ACME")
            assert status == 200
            stopped = await bot.wait_job("cancelled")
            assert stopped["id"] == job["id"] and stopped["cost_usd"] == 0
            await asyncio.sleep(0.5)  # give a wrongly running take time to call Slack
            assert await bot.dailies.store.run(installations.find_installation, "T0ACME") is None
            assert not slack.refused_calls(), [c.method for c in slack.refused_calls()]
            assert len(slack.calls_for("T0ACME")) == before

            status, _ = await command(bot, "one more --model preview", "T0ACME")
            await slack.wait_for(lambda: slack.count("response_url") >= 1)
            assert len(await bot.jobs()) == 1  # no job for a workspace that removed Dailies

            await command(bot, "beta keeps working --model preview --seconds 2", "T0BETA")
            await bot.wait_job("delivered", job_index=-1)
            await bot.settle()
            assert len(slack.calls_for("T0BETA", "files.completeUploadExternal")) == 1

            status, page = await install(bot, slack, "T0ACME")  # reinstalling brings it back
            assert status == 200
            await command(bot, "welcome back --model preview --seconds 2", "T0ACME")
            await bot.wait_job("delivered", job_index=-1)


async def test_tokens_revoked_for_the_bot_removes_the_workspace(tmp_path):
    async with distributed(tmp_path) as (bot, slack):
        await install(bot, slack, "T0ACME")
        slack.uninstall("T0ACME")
        body = event_body({"type": "tokens_revoked", "tokens": {"bot": ["UBOT0ACME"]}}, team_id="T0ACME")
        status, _ = await post_signed(bot.url, "/slack/events", body, JSON)
        assert status == 200
        for _ in range(100):
            if await bot.dailies.store.run(installations.find_installation, "T0ACME") is None:
                break
            await asyncio.sleep(0.05)
        assert await bot.dailies.store.run(installations.find_installation, "T0ACME") is None


async def stored(bot: Bot, team_id: str) -> dict | None:
    """The workspace's installation row with its tokens opened (they are stored sealed)."""
    row = await bot.dailies.store.run(installations.find_installation, team_id)
    return bot.dailies.tokens.sealer.open_row(row) if row else None


async def test_an_expiring_token_is_refreshed_once_and_the_old_refresh_token_is_spent(tmp_path):
    async with distributed(tmp_path) as (bot, slack):
        slack.rotation_seconds = 12 * 3600
        slack.first_token_seconds = 60  # inside the two hours before expiry Dailies refreshes in
        await install(bot, slack, "T0ACME")
        first = slack.tokens_of("T0ACME")
        assert len(first) == 1
        row = await stored(bot, "T0ACME")
        assert row["bot_refresh_token"].startswith("xoxe-1-")

        # two requests at once: one refresh (a refresh token works once), both served
        results = await asyncio.gather(
            *(command(bot, f"shot {i} --model preview --seconds 2", "T0ACME") for i in range(2))
        )
        assert all(status == 200 for status, _ in results)
        await bot.wait_job("delivered", job_index=0)
        await bot.wait_job("delivered", job_index=1)
        await bot.settle()
        refreshes = [
            c for c in slack.calls_to("oauth.v2.access") if c.params.get("grant_type") == "refresh_token"
        ]
        assert len(refreshes) == 1
        fresh = await stored(bot, "T0ACME")
        assert fresh["bot_token"] != first[0] and fresh["bot_refresh_token"] != row["bot_refresh_token"]
        assert fresh["bot_token_expires_at"] > row["bot_token_expires_at"] + 3600
        assert {slack.team_of(c) for c in slack.calls_to("files.completeUploadExternal")} == {"T0ACME"}
        assert all(c.auth == f"Bearer {fresh['bot_token']}" for c in slack.calls_to("chat.update"))
        assert not slack.refused_calls()


async def test_the_background_refreshes_a_token_no_request_touched(tmp_path):
    async with distributed(tmp_path) as (bot, slack):
        slack.rotation_seconds = 12 * 3600
        slack.first_token_seconds = 60
        await install(bot, slack, "T0ACME")
        tokens = bot.dailies.tokens
        assert await tokens.refresh_due() == 1
        assert await tokens.refresh_due() == 0  # refreshed: nothing is due any more
        refreshed = await stored(bot, "T0ACME")
        assert refreshed["bot_token"] in slack.tokens_of("T0ACME")
        assert refreshed["refresher"] is None


@pytest.mark.parametrize("missing", ["SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"])
def test_half_the_oauth_credentials_is_a_one_line_error(missing):
    from bot.config import ConfigError, load_config

    env = {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET}
    env.pop(missing)
    with pytest.raises(ConfigError, match=missing):
        load_config(env, dotenv=None)


async def test_doctor_checks_the_oauth_settings(tmp_path, capsys):
    from bot.tools.doctor import doctor
    from tests.harness import bot_config

    async with distributed(tmp_path) as (bot, slack):
        await install(bot, slack, "T0ACME")
        settings = {
            "SLACK_BOT_TOKEN": "",
            "SLACK_CLIENT_ID": CLIENT_ID,
            "SLACK_CLIENT_SECRET": CLIENT_SECRET,
            "DAILIES_SECRET_KEY": SECRET_KEY,
        }
        config = bot_config(tmp_path / "doctor", slack, **settings, DAILIES_DB=str(tmp_path / "dailies.db"))
        await doctor(config)
        out = capsys.readouterr().out
        assert "ok: Slack accepts SLACK_CLIENT_ID and SLACK_CLIENT_SECRET" in out
        assert "installed in 1 workspace(s): Acme" in out
        assert "SLACK_BOT_TOKEN is not set" not in out

        wrong = bot_config(tmp_path / "doctor", slack, **{**settings, "SLACK_CLIENT_SECRET": "nope"})
        await doctor(wrong)
        assert "problem: Slack refused SLACK_CLIENT_SECRET" in capsys.readouterr().out


async def test_the_screening_room_streams_each_workspaces_clip_with_that_workspaces_token(tmp_path):
    public = "https://dailies.example.test"
    async with distributed(tmp_path, DAILIES_PUBLIC_URL=public) as (bot, slack):
        teams = ("T0ACME", "T0BETA")
        for i, team_id in enumerate(teams):
            slack.redirect_url = f"{public}/slack/oauth_redirect"
            await install(bot, slack, team_id, public)
            await command(bot, f"a lighthouse for {team_id} --model preview --seconds 2", team_id)
            await bot.wait_job("delivered", job_index=i)
        await bot.settle()
        async with aiohttp.ClientSession() as http:
            for team_id in teams:
                card = next(
                    m
                    for m in slack.messages[CHANNEL]
                    if team_id in m["text"] and m.get("blocks") and "ts" in m
                )
                buttons = [e for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]]
                link = next(b["url"] for b in buttons if b["action_id"] == "screening_room")
                page = bot.url + link.removeprefix(public)
                async with http.get(page) as resp:
                    assert resp.status == 200 and team_id in await resp.text()
                (upload,) = slack.calls_for(team_id, "files.completeUploadExternal")
                file_id = upload.params["files"][0]["id"]
                first = slack.upload_path(file_id).read_bytes()[:64]
                async with http.get(page + "/v1.mp4", headers={"Range": "bytes=0-63"}) as resp:
                    assert resp.status == 206 and await resp.read() == first
                # Slack was asked for the file with the token of the workspace it belongs to
                assert {c.params["file"] for c in slack.calls_for(team_id, "files.info")} == {file_id}
        downloads = slack.calls_to("files.download")
        assert downloads and not any("refused" in c.params for c in downloads)
        assert not slack.refused_calls()


async def test_dailies_serve_in_distribution_mode_installs_a_workspace_and_delivers_its_video(tmp_path):
    """`dailies serve` started as README's "Host Dailies for many workspaces" says: client id and
    secret, the signing secret and no bot token; a workspace installs it, then its /video delivers."""
    from tests.faultbot import FaultBot

    async with running_workspaces() as slack:
        slack.add_team("T0ACME", "Acme")
        bot = FaultBot(
            tmp_path,
            slack,
            SLACK_BOT_TOKEN="",
            SLACK_CLIENT_ID=CLIENT_ID,
            SLACK_CLIENT_SECRET=CLIENT_SECRET,
            DAILIES_SECRET_KEY=SECRET_KEY,
        )
        try:
            await bot.start()
            slack.redirect_url = f"{bot.url}/slack/oauth_redirect"
            status, page = await install(bot, slack, "T0ACME")
            assert status == 200 and "Dailies was added to Acme" in page, page
            assert [r["team_id"] for r in bot.rows("SELECT team_id FROM slack_installations")] == ["T0ACME"]

            status, _ = await bot.command(
                "a lighthouse at dusk --model preview --seconds 2", team_id="T0ACME", channel_id=CHANNEL
            )
            assert status == 200
            await bot.wait(lambda: [j["state"] for j in bot.jobs()] == ["delivered"], "the job delivered")
            await slack.wait_for(lambda: len(slack.calls_for("T0ACME", "files.completeUploadExternal")) == 1)
            assert bot.jobs()[0]["team_id"] == "T0ACME"
            assert slack.calls_for("T0ACME", "chat.postMessage")
            assert not slack.refused_calls(), [c.method for c in slack.refused_calls()]
        finally:
            bot.stop()
