"""The bot's identity as Bolt's public authorize= hook: auth.test once, asked again only after a failure."""

from __future__ import annotations

import re
from pathlib import Path

from slack_bolt.authorization import AuthorizeResult

from bot.slack.identity import BotIdentity
from tests.fakes.slack import ScriptedSlack, web_client

ROOT = Path(__file__).resolve().parents[3]


async def test_auth_test_is_asked_once_and_kept(slack: ScriptedSlack) -> None:
    identity = BotIdentity(web_client(slack))
    await identity.prime()
    hook = identity.hook()
    first, second = await hook(), await hook()
    assert isinstance(first, AuthorizeResult) and first is second
    assert (first.bot_user_id, first.team_id, first.bot_token) == ("UBOT", "T0DAILIES", "xoxb-test-token")
    assert slack.count("auth.test") == 1


async def test_a_failed_start_up_ask_is_asked_again_on_the_first_request(
    slack: ScriptedSlack, caplog
) -> None:
    slack.fail_next("auth.test", status=500, body={"ok": False, "error": "fatal_error"})
    identity = BotIdentity(web_client(slack))
    await identity.prime()  # logs, does not raise: the bot still starts
    assert "auth.test failed at start-up" in caplog.text
    assert (await identity.hook()()).bot_id == "BBOT"
    assert slack.count("auth.test") == 2


async def test_the_app_client_carries_no_token_so_bolt_uses_the_hook(slack: ScriptedSlack) -> None:
    client = web_client(slack)
    app_client = BotIdentity(client).app_client()
    assert app_client.token is None and app_client.base_url == client.base_url


def test_no_private_bolt_attribute_is_read():
    private = re.compile(r"\bapp\._\w+|getattr\(\s*app\s*,\s*[\"']_")
    sources = [*ROOT.joinpath("bot").rglob("*.py"), *ROOT.joinpath("handlers").rglob("*.py")]
    found = [f"{p.relative_to(ROOT)}: {m.group(0)}" for p in sources for m in private.finditer(p.read_text())]
    assert found == []
