"""Range requests for the page's players: parsing (pure), and the relay from the Slack stand-in's
copy of a file (first bytes, middle, suffix, whole, 416), over real HTTP on 127.0.0.1."""

from __future__ import annotations

import os

import httpx
import pytest
from aiohttp import web

from bot.delivery.slack_clip import ClipUnavailable, SlackClips
from bot.screening.stream import UNSATISFIABLE, ByteRange, parse_range, serve_clip
from tests.fakes.slack import BOT_TOKEN, web_client

SIZE = 1000


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("bytes=0-99", ByteRange(0, 99)),
        ("bytes=0-", ByteRange(0, SIZE - 1)),
        ("bytes=500-599", ByteRange(500, 599)),
        ("bytes=990-5000", ByteRange(990, SIZE - 1)),
        ("bytes=-100", ByteRange(900, SIZE - 1)),
        ("bytes=-5000", ByteRange(0, SIZE - 1)),
        ("BYTES = 1-1", ByteRange(1, 1)),
        ("items=0-1", None),  # another unit: ignored
        ("bytes=0-1,5-6", None),  # several ranges: the whole file
        ("bytes=1000-", UNSATISFIABLE),
        ("bytes=1000-1001", UNSATISFIABLE),
        ("bytes=-0", UNSATISFIABLE),
        ("bytes=9-3", UNSATISFIABLE),
        ("bytes=-", UNSATISFIABLE),
        ("bytes=abc", UNSATISFIABLE),
        ("bytes=1-x", UNSATISFIABLE),
    ],
)
def test_parse_range(header, expected):
    assert parse_range(header, SIZE) == expected


def test_an_empty_file_has_no_byte_to_send():
    assert parse_range("bytes=0-0", 0) is UNSATISFIABLE
    assert parse_range("bytes=-1", 0) is UNSATISFIABLE


@pytest.fixture
def clip_bytes() -> bytes:
    return os.urandom(3 * 1024 * 1024 + 17)


async def relay(slack, clip_bytes, hosts=None):
    """The stand-in hosts the clip; a small aiohttp app relays it as the screening room does."""
    slack.add_file("F0CLIP0001", clip_bytes, name="clip.mp4", mimetype="video/mp4")
    http = httpx.AsyncClient()
    host = slack.base_url.split("://", 1)[1]
    clips = SlackClips(web_client(slack), http, BOT_TOKEN, file_hosts=hosts or (host,))

    async def handler(request):
        return await serve_clip(request, clips, await clips.locate("F0CLIP0001"))

    app = web.Application()
    app.router.add_get("/clip.mp4", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, http, clips, f"http://127.0.0.1:{port}/clip.mp4"


async def test_ranges_are_relayed_from_slacks_copy(slack, clip_bytes):
    runner, http, clips, url = await relay(slack, clip_bytes)
    size = len(clip_bytes)
    try:
        async with httpx.AsyncClient() as player:
            first = await player.get(url, headers={"Range": "bytes=0-1023"})
            assert first.status_code == 206 and first.content == clip_bytes[:1024]
            assert first.headers["content-range"] == f"bytes 0-1023/{size}"
            assert first.headers["accept-ranges"] == "bytes" and first.headers["content-type"] == "video/mp4"
            middle = await player.get(url, headers={"Range": "bytes=1500000-2600000"})
            assert middle.status_code == 206 and middle.content == clip_bytes[1500000:2600001]
            assert middle.headers["content-length"] == str(2600001 - 1500000)
            suffix = await player.get(url, headers={"Range": "bytes=-500"})
            assert suffix.status_code == 206 and suffix.content == clip_bytes[-500:]
            assert suffix.headers["content-range"] == f"bytes {size - 500}-{size - 1}/{size}"
            whole = await player.get(url)
            assert whole.status_code == 200 and whole.content == clip_bytes
            assert whole.headers["accept-ranges"] == "bytes"
            beyond = await player.get(url, headers={"Range": f"bytes={size}-"})
            assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{size}"
            head = await player.head(url, headers={"Range": "bytes=10-19"})
            assert head.status_code == 206 and head.headers["content-length"] == "10"
        # each range went to Slack's file host with the bot token; files.info was asked once
        downloads = slack.calls_to("files.download")
        assert len(downloads) == 4 and slack.count("files.info") == 1
    finally:
        await runner.cleanup()
        await http.aclose()


async def test_the_stand_in_answers_ranges_as_slacks_file_servers_do(slack, clip_bytes):
    file = slack.add_file("F0CLIP0002", clip_bytes, name="clip.mp4", mimetype="video/mp4")
    auth = {"Authorization": f"Bearer {BOT_TOKEN}"}
    async with httpx.AsyncClient() as http:
        part = await http.get(file["url_private_download"], headers={**auth, "Range": "bytes=100-199"})
        assert part.status_code == 206 and part.content == clip_bytes[100:200]
        assert part.headers["content-range"] == f"bytes 100-199/{len(clip_bytes)}"
        assert part.headers["accept-ranges"] == "bytes"
        bad = await http.get(
            file["url_private_download"], headers={**auth, "Range": f"bytes={len(clip_bytes)}-"}
        )
        assert bad.status_code == 416
        login = await http.get(file["url_private_download"], headers={"Range": "bytes=0-9"})
        assert "html" in login.headers["content-type"]  # no token: Slack's login page, not bytes


async def test_the_token_goes_only_to_slacks_file_hosts(slack, clip_bytes):
    runner, http, clips, url = await relay(slack, clip_bytes, hosts=("files.slack.com",))
    try:
        file = await clips.locate("F0CLIP0001")
        with pytest.raises(ClipUnavailable):
            async with clips.open(file, 0, 9):
                pass
        assert slack.count("files.download") == 0
    finally:
        await runner.cleanup()
        await http.aclose()
