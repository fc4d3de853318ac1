"""`dailies run` with DAILIES_PUBLIC_URL: Socket Mode needs no HTTP server, but the screening room
does, so a small one runs beside it (`--port`), signed with DAILIES_REVIEW_SECRET."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import sys
from urllib.parse import urlsplit

import aiohttp

from tests.fakes.slack import APP_TOKEN, BOT_TOKEN
from tests.fakes.slack_requests import slash_command_payload, socket_envelope

CHANNEL = "C0CHANNEL"
SECRET = "a-long-random-review-secret-for-tests"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def room_link(slack) -> str | None:
    for message in slack.messages.get(CHANNEL, []):
        for block in message.get("blocks") or ():
            for element in block.get("elements") or ():
                if element.get("action_id") == "screening_room":
                    return element["url"]
    return None


async def test_dailies_run_serves_the_screening_room_beside_socket_mode(tmp_path, slack):
    port = free_port()
    script = shutil.which("dailies")
    cmd = [script] if script else [sys.executable, "-m", "bot.cli"]
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("KLING_", "OPENAI_", "AIMLAPI_", "SLACK_"))
    }
    env |= {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_API_URL": slack.api_url,
        "DAILIES_DB": str(tmp_path / "dailies.db"),
        "DAILIES_MEDIA_DIR": str(tmp_path / "media"),
        "DAILIES_CARD_INTERVAL_SECONDS": "0.2",
        "DAILIES_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "DAILIES_REVIEW_SECRET": SECRET,
    }
    proc = await asyncio.create_subprocess_exec(
        *cmd, "run", "--host", "127.0.0.1", "--port", str(port), cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await slack.wait_for(lambda: slack.socket_connections == 1, timeout=30)
        command = slash_command_payload(
            "a paper boat on a pond --model preview --seconds 1", response_url=slack.response_url(CHANNEL)
        )
        await slack.send_socket_envelope(socket_envelope("slash_commands", command))
        await slack.wait_for(lambda: room_link(slack) is not None, timeout=30)
        link = room_link(slack)
        assert link.startswith(f"http://127.0.0.1:{port}/review/")
        token = urlsplit(link).path.rsplit("/", 1)[1]
        async with aiohttp.ClientSession() as http:
            async with http.get(link) as resp:
                assert resp.status == 200
                assert "a paper boat on a pond" in await resp.text()
            async with http.get(f"{link}/v1.mp4", headers={"Range": "bytes=0-99"}) as resp:
                assert resp.status == 206 and len(await resp.read()) == 100
                assert resp.headers["Content-Range"].startswith("bytes 0-99/")
            altered = token[:-1] + ("A" if token[-1] != "A" else "B")
            async with http.get(f"http://127.0.0.1:{port}/review/{altered}") as resp:
                assert resp.status == 403
    finally:
        proc.terminate()
        _, err = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0, err.decode()
    assert "Screening room on http://127.0.0.1" in err.decode()
    assert SECRET not in err.decode() and BOT_TOKEN not in err.decode()
    assert "GET /review/[pass]" in err.decode() and token not in err.decode()  # the access log masks passes
