"""bot.providers.http over real HTTP against a small aiohttp server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import email.utils
import socket

import httpx
import pytest
from aiohttp import web

from bot.providers import errors
from bot.providers.http import (
    b64_file,
    data_uri,
    error_for_status,
    request_json,
    retry_after_seconds,
    stream_to_file,
)

SECRET = "sk-very-secret-key"


async def _serve(app: web.Application):
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, f"http://127.0.0.1:{port}"


@pytest.fixture
async def server():
    app = web.Application()

    async def ok(request: web.Request) -> web.Response:
        return web.json_response({"hello": request.query.get("q"), "auth": request.headers.get("X-Test")})

    async def html(request: web.Request) -> web.Response:
        return web.Response(status=int(request.match_info["status"]), text="<html>oops</html>")

    async def json_list(request: web.Request) -> web.Response:
        return web.json_response([1, 2])

    async def empty(request: web.Request) -> web.Response:
        return web.Response(status=204)

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(1)
        return web.json_response({})

    async def limited(request: web.Request) -> web.Response:
        return web.json_response({"error": "slow down"}, status=429, headers={"Retry-After": "7"})

    async def blob(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(10):
            await response.write(b"x" * 1000)
        await response.write_eof()
        return response

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound("/blob")

    app.router.add_get("/ok", ok)
    app.router.add_get("/html/{status}", html)
    app.router.add_get("/list", json_list)
    app.router.add_get("/empty", empty)
    app.router.add_get("/slow", slow)
    app.router.add_get("/limited", limited)
    app.router.add_get("/blob", blob)
    app.router.add_get("/redirect", redirect)
    runner, base = await _serve(app)
    yield base
    await runner.cleanup()


@pytest.fixture
async def client():
    async with httpx.AsyncClient() as c:
        yield c


async def test_request_json_returns_status_body_and_headers(server, client):
    status, body, headers = await request_json(
        client, "GET", f"{server}/ok", backend="kling", params={"q": "hi"}, headers={"X-Test": "1"}
    )
    assert status == 200
    assert body == {"hello": "hi", "auth": "1"}
    assert headers["content-type"].startswith("application/json")


async def test_json_error_bodies_are_returned_for_the_backend_to_classify(server, client):
    status, body, headers = await request_json(client, "GET", f"{server}/limited", backend="openai")
    assert (status, body) == (429, {"error": "slow down"})
    assert retry_after_seconds(headers) == 7


async def test_empty_body_reads_as_empty_object(server, client):
    assert (await request_json(client, "GET", f"{server}/empty", backend="kling"))[:2] == (204, {})


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/html/502", errors.Unavailable),
        ("/html/503", errors.Unavailable),
        ("/html/200", errors.BadRequest),
        ("/html/404", errors.BadRequest),
        ("/html/429", errors.RateLimited),
        ("/list", errors.BadRequest),
    ],
)
async def test_non_object_bodies_are_classified(server, client, path, kind):
    with pytest.raises(kind) as info:
        await request_json(client, "GET", f"{server}{path}", backend="aimlapi")
    assert type(info.value) is kind
    assert "AI/ML API" in info.value.message


async def test_refused_connection_is_unavailable_and_never_names_the_key(client):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1/x?key={SECRET}"
    with pytest.raises(errors.Unavailable) as info:
        await request_json(client, "GET", url, backend="kling", headers={"Authorization": f"Bearer {SECRET}"})
    assert info.value.retryable
    assert "Kling" in info.value.message
    assert SECRET not in info.value.message and SECRET not in repr(info.value)


async def test_slow_answer_is_timeout(server, client):
    with pytest.raises(errors.Timeout) as info:
        await request_json(client, "GET", f"{server}/slow", backend="kling", timeout=0.2)
    assert info.value.retryable


def test_retry_after_forms():
    assert retry_after_seconds({"Retry-After": "3"}) == 3.0
    assert retry_after_seconds({"retry-after": "1.5"}) == 1.5
    assert retry_after_seconds({"retry-after-ms": "250"}) == 0.25
    assert retry_after_seconds({"openai-poll-after-ms": "2000"}) == 2.0
    assert retry_after_seconds({"Retry-After": "-4"}) == 0.0
    assert retry_after_seconds({"Retry-After": "soon"}) is None
    assert retry_after_seconds({}) is None
    assert retry_after_seconds(None) is None
    now = 1_800_000_000.0
    date = email.utils.formatdate(now + 42, usegmt=True)
    assert retry_after_seconds(httpx.Headers({"Retry-After": date}), now=now) == 42.0
    past = email.utils.formatdate(now - 42, usegmt=True)
    assert retry_after_seconds({"Retry-After": past}, now=now) == 0.0


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (429, errors.RateLimited),
        (500, errors.Unavailable),
        (503, errors.Unavailable),
        (401, errors.AuthFailed),
        (403, errors.AuthFailed),
        (402, errors.OutOfBalance),
        (408, errors.Timeout),
        (400, errors.BadRequest),
        (404, errors.BadRequest),
    ],
)
def test_error_for_status(status, kind):
    err = error_for_status(status, "nope", backend="openai", request_id="r1", retry_after=2.0)
    assert type(err) is kind
    assert err.message == "OpenAI: nope"
    assert err.request_id == "r1"


async def test_stream_to_file_writes_whole_body_and_no_part_file(server, client, tmp_path):
    dest = tmp_path / "clips" / "take.mp4"
    size = await stream_to_file(client, f"{server}/redirect", dest, backend="kling")
    assert size == 10_000
    assert dest.read_bytes() == b"x" * 10_000
    assert not (dest.parent / "take.mp4.part").exists()


async def test_stream_to_file_over_limit_leaves_nothing(server, client, tmp_path):
    dest = tmp_path / "take.mp4"
    with pytest.raises(errors.ProviderError) as info:
        await stream_to_file(client, f"{server}/blob", dest, backend="kling", max_bytes=5_000)
    assert not info.value.retryable
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("path", "kind"), [("/html/404", errors.BadRequest), ("/html/503", errors.Unavailable)]
)
async def test_stream_to_file_http_errors(server, client, tmp_path, path, kind):
    with pytest.raises(kind):
        await stream_to_file(client, f"{server}{path}", tmp_path / "a.mp4", backend="kling")
    assert list(tmp_path.iterdir()) == []


async def test_stream_to_file_empty_body_is_unavailable(server, client, tmp_path):
    with pytest.raises(errors.Unavailable):
        await stream_to_file(client, f"{server}/empty", tmp_path / "a.mp4", backend="kling")
    assert list(tmp_path.iterdir()) == []


def test_inline_encodings(tmp_path):
    path = tmp_path / "a.png"
    path.write_bytes(b"\x89PNG-bytes")
    assert base64.b64decode(b64_file(path)) == b"\x89PNG-bytes"
    assert data_uri(path, "image/png") == "data:image/png;base64," + b64_file(path)
