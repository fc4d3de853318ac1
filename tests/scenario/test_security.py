"""Nothing let in, nothing leaked: SSRF attempts through Slack, Slack files only from Slack's hosts,
no secret in logs, cards, threads, the database or /healthz, and clear database start-up errors."""

from __future__ import annotations

import logging
import subprocess
import sys

import aiohttp
import pytest

from storage.engines import connect
from tests.fakes.kling import FakeKling
from tests.fakes.media_server import MediaServer
from tests.fakes.slack import BOT_TOKEN
from tests.fakes.slack_requests import (
    FORM,
    SIGNING_SECRET,
    app_mention_event,
    slash_command_body,
)
from tests.faultbot import ROOT
from tests.harness import running_bot

CHANNEL = "C0CHANNEL"

HOSTILE_IMAGES = [
    "https://127.0.0.1:{port}/img/800x600.png",
    "http://127.0.0.1:{port}/img/800x600.png",
    "https://localhost:{port}/img/800x600.png",
    "https://169.254.169.254/latest/meta-data/iam.png",
    "https://[::1]:{port}/img/800x600.png",
    "https://[::ffff:127.0.0.1]:{port}/img/800x600.png",
    "https://10.0.0.7/img/800x600.png",
    "https://2130706433:{port}/img/800x600.png",
    "<https://127.0.0.1:{port}/img/800x600.png|a picture>",
]


@pytest.mark.parametrize("template", HOSTILE_IMAGES)
async def test_private_image_urls_through_slack_are_refused_and_nothing_is_fetched(tmp_path, slack, template):
    async with MediaServer() as media, running_bot(tmp_path, slack, DAILIES_ALLOW_PRIVATE_URLS="0") as bot:
        url = template.format(port=media.port)
        status, body = await bot.command(f"a cat on a sofa --model preview --seconds 1 --image {url}")
        assert status == 200
        if not body:  # refused after the ack: the answer comes through response_url
            await slack.wait_for(lambda: slack.count("response_url") == 1)
            body = slack.calls_to("response_url")[0].params["text"]
        assert "private address" in body or "isn't https" in body, body
        assert await bot.jobs() == []
        assert slack.count("chat.postMessage") == 0
    assert media.requests == []


async def test_slack_file_on_another_host_is_not_fetched_with_the_token(tmp_path, slack):
    async with MediaServer() as media, running_bot(tmp_path, slack) as bot:
        planted = {
            "id": "F0EVIL", "name": "cat.png", "mimetype": "image/png", "size": 100,
            "url_private_download": media.url("/files-pri/cat.png"),
            "url_private": media.url("/files-pri/cat.png"),
        }  # fmt: skip
        event = app_mention_event(
            "a cat on a sofa --model preview --seconds 1",
            channel=CHANNEL, user="U0ALICE", ts="1732500077.000100", files=[planted],
        )  # fmt: skip
        status, _ = await bot.event(event)
        assert status == 200
        await slack.wait_for(lambda: slack.count("chat.postEphemeral") + slack.count("chat.postMessage") >= 1)
        said = " ".join(str(c.params.get("text", "")) for c in slack.calls)
        assert "isn't hosted by Slack" in said, said
        assert await bot.jobs() == []
    assert media.requests == [], "the bot token never left for a non-Slack host"


async def test_no_secret_in_logs_cards_threads_errors_database_or_healthz(tmp_path, slack, caplog):
    caplog.set_level(logging.DEBUG)
    async with FakeKling(polls_to_finish=1) as kling:
        env = {
            "KLING_API_KEY": kling.api_key,
            "KLING_BASE_URL": kling.url,
            "KLING_WEBHOOK_SECRET": "whsec-kling",
        }
        async with running_bot(tmp_path, slack, **env) as bot:
            await bot.command("a fox in the snow --model kling-v3 --seconds 5")
            await bot.wait_job("delivered")
            kling.refuse_next_task("risk control said no")
            await bot.command("a second fox --model kling-v3 --seconds 5")
            failed = await bot.wait_job("failed")
            await bot.settle()
            async with aiohttp.ClientSession() as s, s.get(bot.url + "/healthz") as resp:
                health = await resp.text() + str(dict(resp.headers))
            assert kling.requests, "the key was really used"
    secrets = (BOT_TOKEN, SIGNING_SECRET, kling.api_key, "whsec-kling")
    db_bytes = b"".join(p.read_bytes() for p in tmp_path.glob("dailies.db*"))
    slack_text = str(slack.messages) + str(slack.responses) + str(slack.ephemerals)
    places = {
        "logs": caplog.text,
        "Slack messages": slack_text,
        "error": str(failed["error"]),
        "/healthz": health,
        "database": db_bytes.decode("latin-1"),
    }
    assert "risk control" in places["error"]
    for where, text in places.items():
        for secret in secrets:
            assert secret not in text, f"a secret leaked into {where}"


async def test_request_without_signature_is_401(bot, slack):
    body = slash_command_body("a fox", response_url=slack.response_url())
    async with aiohttp.ClientSession() as s:
        async with s.post(bot.url + "/slack/events", data=body, headers={"Content-Type": FORM}) as resp:
            assert resp.status == 401
    assert await bot.jobs() == []


def _serve(tmp_path, db: str) -> subprocess.CompletedProcess:
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "DAILIES_DB": db,
        "DAILIES_MEDIA_DIR": str(tmp_path / "media"),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", "0"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize("kind", ["corrupt", "unwritable", "directory", "missing parent"])
def test_unusable_database_gives_a_one_line_startup_error(tmp_path, kind):
    if kind == "corrupt":
        db = tmp_path / "dailies.db"
        db.write_bytes(b"this is not a database\x00\xff" * 500)
    elif kind == "unwritable":
        db = "/proc/dailies-test.db"  # not writable even for root
    elif kind == "directory":
        db = tmp_path / "adir"
        db.mkdir()
    else:
        db = tmp_path / "nope" / "dailies.db"
    result = _serve(tmp_path, str(db))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "DAILIES_DB" in lines[0], result.stderr
    if kind == "corrupt":
        assert (tmp_path / "dailies.db").read_bytes().startswith(b"this is not"), "the file is left alone"


def test_migrations_are_idempotent(tmp_path):
    path = tmp_path / "twice.db"
    first = connect(path)
    applied = first.execute("SELECT count(*) FROM schema_migrations").fetchone()[0]
    tables = set(first.table_names())
    first.close()
    second = connect(path)
    assert second.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == applied
    assert set(second.table_names()) == tables
    assert second.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert second.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    second.close()


@pytest.mark.parametrize("location", ["http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/x.png"])
async def test_redirect_to_a_private_address_through_slack_is_refused(tmp_path, slack, location):
    from urllib.parse import quote

    async with MediaServer() as media, running_bot(tmp_path, slack) as bot:  # test mode: loopback allowed
        url = media.url("/redirect?to=" + quote(location))
        await bot.command(f"a cat on a sofa --model preview --seconds 1 --image {url}")
        await slack.wait_for(lambda: slack.count("response_url") == 1)
        assert "private address" in slack.calls_to("response_url")[0].params["text"]
        assert await bot.jobs() == []
    assert [r.path for r in media.requests] == ["/redirect"], "only the first hop was fetched"
