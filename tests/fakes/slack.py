"""The Slack stand-in for tests: the shipped one plus scripted failures, an offline switch and Socket Mode."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest_asyncio
from aiohttp import web
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.tools.slack_standin.records import Call, StoredFile
from bot.tools.slack_standin.standin import SlackStandIn
from tests.fakes.block_kit import PAYLOADS
from tests.fakes.slack_socket_mode import SocketMode

BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-1-A0DAILIES-1-test"

__all__ = ["APP_TOKEN", "BOT_TOKEN", "Call", "ScriptedSlack", "StoredFile", "running", "slack", "web_client"]


@dataclass
class _Answer:
    status: int
    body: dict | str
    headers: dict[str, str]


def _failure(status: int, body: dict | None, headers: dict | None) -> _Answer:
    headers = dict(headers or {})
    if status == 429:
        headers.setdefault("Retry-After", "1")
        return _Answer(status, body or {"ok": False, "error": "ratelimited"}, headers)
    if status >= 500 and body is None:
        return _Answer(status, "<html><body>Slack is having trouble</body></html>", headers)
    return _Answer(status, body or {"ok": False, "error": "fatal_error"}, headers)


class ScriptedSlack(SocketMode, SlackStandIn):
    """The stand-in whose next answers a test can script (`fail_next`), that can drop every Web API
    connection (`offline`), and that serves Socket Mode (`send_socket_envelope`)."""

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self.offline = False
        self.offline_attempts = 0  # /api/ calls dropped while offline
        self._answers: dict[str, list[_Answer]] = {}
        self._init_socket_mode()

    def fail_next(
        self,
        method: str,
        *,
        status: int = 200,
        body: dict | None = None,
        headers: dict | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls to `method` with this instead of the real behaviour."""
        self._answers.setdefault(method, []).extend(_failure(status, body, headers) for _ in range(times))

    async def _record(self, request: web.Request, method: str, params: dict, body_size: int) -> None:
        await super()._record(request, method, params, body_size)
        PAYLOADS.add(method, params)  # checked against Block Kit's rules when the test ends

    def _scripted(self, method: str) -> web.Response | None:
        queue = self._answers.get(method)
        if not queue:
            return None
        answer = queue.pop(0)
        if isinstance(answer.body, str):
            return web.Response(
                status=answer.status, text=answer.body, content_type="text/html", headers=answer.headers
            )
        return self._json(answer.body, answer.headers, status=answer.status)

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        if self.offline:
            # Slack unreachable: the connection drops without an answer, as with a reset.
            self.offline_attempts += 1
            request.transport.abort()  # type: ignore[union-attr]
            raise asyncio.CancelledError
        return await super()._handle_api(request)


@asynccontextmanager
async def running(**options) -> AsyncIterator[ScriptedSlack]:
    """A started stand-in, stopped (and its temp files removed) on exit."""
    standin = ScriptedSlack(**options)
    await standin.start()
    try:
        yield standin
    finally:
        await standin.stop()


@pytest_asyncio.fixture
async def slack() -> AsyncIterator[ScriptedSlack]:
    """A running stand-in per test; enable with `pytest_plugins = ["tests.fakes.slack"]` in tests/conftest.py."""
    async with running() as standin:
        yield standin


def web_client(standin: SlackStandIn, *, token: str = BOT_TOKEN, retry_429: bool = False) -> AsyncWebClient:
    """An AsyncWebClient pointed at the stand-in; `retry_429` adds the SDK's Retry-After handler."""
    client = AsyncWebClient(token=token, base_url=standin.api_url)
    if retry_429:
        client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
    return client
