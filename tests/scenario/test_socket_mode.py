"""Socket Mode end to end: a real AsyncSocketModeHandler connected to the Slack stand-in; every
envelope is acked, and a retried envelope has no second effect."""

from __future__ import annotations

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.slack.inbox import delivery_key
from storage import event_inbox
from tests.fakes.slack import APP_TOKEN
from tests.fakes.slack_requests import (
    app_mention_event,
    event_payload,
    slash_command_payload,
    socket_envelope,
)
from tests.harness import running_bot

CHANNEL = "C0CHANNEL"


async def test_socket_mode_command_event_and_retry_make_one_job_each(tmp_path, slack):
    async with running_bot(tmp_path, slack, SLACK_APP_TOKEN=APP_TOKEN) as bot:
        handler = AsyncSocketModeHandler(bot.dailies.app, app_token=APP_TOKEN)
        await handler.connect_async()
        try:
            await slack.wait_for(lambda: slack.socket_connections == 1)
            command = slash_command_payload(
                "a fox in the snow --model preview --seconds 1",
                response_url=slack.response_url(CHANNEL),
                trigger_id="1111.2222.socketmode",
            )
            mention = app_mention_event(
                "a paper boat --model preview --seconds 1",
                channel=CHANNEL,
                user="U0ALICE",
                ts="1732500009.000100",
            )
            event = event_payload(mention, event_id="Ev0SOCKET1")
            envelopes = [
                socket_envelope("slash_commands", command),
                socket_envelope("events_api", event),
                socket_envelope("events_api", event, retry_attempt=1),
                socket_envelope("slash_commands", command),  # the same command delivered twice
            ]
            for envelope in envelopes:
                await slack.send_socket_envelope(envelope)
            await slack.wait_for(lambda: len(slack.socket_acks) == len(envelopes), timeout=20)
            assert {a["envelope_id"] for a in slack.socket_acks} == {e["envelope_id"] for e in envelopes}
            await bot.wait_job("delivered", job_index=0)
            await bot.wait_job("delivered", job_index=1)
            await bot.settle()
        finally:
            await handler.close_async()
        jobs = await bot.jobs()
        assert sorted(j["request"]["prompt"] for j in jobs) == ["a fox in the snow", "a paper boat"]
        assert len([f for f in slack.files.values() if f.completed]) == 2
        # the event went through the inbox and left it; the listener recorded it under the key the
        # inbox drops before running a broken-off attempt again
        assert await bot.dailies.store.run(event_inbox.waiting) == 0
        recorded = await bot.dailies.store.run(
            lambda db: db.one("SELECT kind FROM deliveries WHERE key = ?", [delivery_key("Ev0SOCKET1")])
        )
        assert recorded == {"kind": "app_mention"}


async def test_dailies_run_connects_and_delivers_a_command(tmp_path, slack):
    """`dailies run` as an operator starts it: Socket Mode through apps.connections.open, a slash
    command envelope acked and its clip delivered into the card's thread."""
    import asyncio
    import os
    import shutil
    import sys

    from tests.fakes.slack import BOT_TOKEN

    script = shutil.which("dailies")
    cmd = [script] if script else [sys.executable, "-m", "bot.cli"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KLING_", "OPENAI_", "AIMLAPI_"))}
    env |= {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_API_URL": slack.api_url,
        "DAILIES_DB": str(tmp_path / "dailies.db"),
        "DAILIES_MEDIA_DIR": str(tmp_path / "media"),
        "DAILIES_CARD_INTERVAL_SECONDS": "0.2",
    }
    proc = await asyncio.create_subprocess_exec(
        *cmd, "run", cwd=tmp_path, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    try:
        await slack.wait_for(lambda: slack.socket_connections == 1, timeout=30)
        assert slack.count("apps.connections.open") >= 1
        command = slash_command_payload(
            "a fox in the snow --model preview --seconds 1", response_url=slack.response_url(CHANNEL)
        )
        envelope = socket_envelope("slash_commands", command)
        await slack.send_socket_envelope(envelope)
        await slack.wait_for(
            lambda: any(a["envelope_id"] == envelope["envelope_id"] for a in slack.socket_acks)
        )
        await slack.wait_for(lambda: slack.count("files.completeUploadExternal") == 1, timeout=30)
        complete = slack.calls_to("files.completeUploadExternal")[0]
        assert complete.params["thread_ts"] == slack.messages[CHANNEL][0]["ts"]
    finally:
        proc.terminate()
        _, err = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0, err.decode()  # SIGTERM is a clean shutdown
    assert "Dailies is stopping" in err.decode()
    assert BOT_TOKEN not in err.decode() and APP_TOKEN not in err.decode()
