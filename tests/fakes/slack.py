"""The Slack stand-in for tests: the shipped one plus scripted failures, an offline switch, Socket Mode,
modals, the App Home and workflow steps."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest_asyncio
from aiohttp import web
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.tools.slack_standin.records import Call, StoredFile
from bot.tools.slack_standin.standin import SlackStandIn
from tests.fakes.block_kit import PAYLOADS
from tests.fakes.slack_socket_mode import SocketMode
from tests.fakes.slack_surfaces import Surfaces

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


class ScriptedSlack(SocketMode, Surfaces, SlackStandIn):
    """The stand-in whose next answers a test can script (`fail_next`), that can drop every Web API
    connection (`offline`), serves Socket Mode (`send_socket_envelope`), holds people's messages and
    files (`add_message`, `add_file`), and waits for what the bot does (`wait_for`)."""

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self.offline = False
        self.offline_attempts = 0  # /api/ calls dropped while offline
        self.unavailable = False  # a Slack incident: every Web API call and upload answered 503
        self.unavailable_answers = 0
        self.drop_next_complete_answer = False  # share the file, then drop the connection unanswered
        self.shares_again = False  # a Slack that shares an already shared file again when asked
        self._answers: dict[str, list[_Answer]] = {}
        self._failing_where: list[tuple[str, Callable[[dict], bool], _Answer]] = []
        self._holding: list[tuple[str, Callable[[dict], bool]]] = []
        self.held_calls = 0  # calls left unanswered by `hold_call_where`
        self._init_socket_mode()
        self._init_surfaces()

    # ---- what tests read and arrange --------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def count(self, method: str) -> int:
        return len(self.calls_to(method))

    def summary(self) -> str:
        lines = [f"{c.http_method} {c.method} {json.dumps(c.params, default=str)[:200]}" for c in self.calls]
        return "\n".join(lines[-40:]) or "(no calls)"

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            if loop.time() >= deadline:
                raise AssertionError(f"condition not met within {timeout}s; calls so far:\n{self.summary()}")
            await asyncio.sleep(0.02)

    async def wait_for_count(self, method: str, n: int, timeout: float = 10.0) -> None:
        await self.wait_for(lambda: self.count(method) >= n, timeout)

    @property
    def uploads(self) -> dict[str, StoredFile]:
        return {fid: f for fid, f in self.files.items() if f.user == self.bot_user_id and f.path is not None}

    def upload_path(self, file_id: str) -> Path:
        path = self.files[file_id].path
        if path is None:
            raise KeyError(f"{file_id} was never uploaded")
        return path

    def add_message(
        self, channel: str, text: str, *, user: str, thread_ts: str | None = None, files: list | None = None
    ) -> dict:
        """A message a person posted (so conversations.replies and reactions can see it)."""
        message = {"type": "message", "user": user, "text": text, "team": self.team_id}
        if files:
            message.update(subtype="file_share", files=files, upload=False)
        return self._store(channel, message, thread_ts)

    def add_file(
        self,
        file_id: str,
        content: bytes,
        *,
        name: str = "image.png",
        mimetype: str = "image/png",
        user="U0ALICE",
    ) -> dict:
        """A user's file hosted here; its url_private_download needs the bot token, as on Slack."""
        path = self._dir() / file_id
        path.write_bytes(content)
        stored = StoredFile(file_id, name, name, mimetype, len(content), path, len(content), user=user)
        stored.sha256, stored.completed = hashlib.sha256(content).hexdigest(), True
        self.files[file_id] = stored
        return self.file_object(file_id)

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

    def fail_calls_where(
        self,
        method: str,
        matches: Callable[[dict], bool],
        *,
        status: int = 200,
        body: dict | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls to `method` whose parameters `matches` with this (one upload
        among several: `lambda p: p["filename"].startswith("sheet-")`)."""
        self._failing_where.extend((method, matches, _failure(status, body, None)) for _ in range(times))

    def hold_call_where(self, method: str, matches: Callable[[dict], bool]) -> None:
        """Leave the next call to `method` whose parameters `matches` unanswered (after any
        `fail_calls_where` answer): the caller hangs in it, as when killed mid-call."""
        self._holding.append((method, matches))

    def drop_holds(self) -> None:
        """Answer every call again: the holds not used yet are dropped."""
        self._holding.clear()

    async def _record(self, request: web.Request, method: str, params: dict, body_size: int) -> None:
        await super()._record(request, method, params, body_size)
        PAYLOADS.add(method, params)  # checked against Block Kit's rules when the test ends
        rule = next((r for r in self._failing_where if r[0] == method and r[1](params)), None)
        if rule is not None:  # answered next, ahead of any other scripted answer
            self._failing_where.remove(rule)
            self._answers.setdefault(method, []).insert(0, rule[2])
            return
        hold = next((h for h in self._holding if h[0] == method and h[1](params)), None)
        if hold is not None:
            self._holding.remove(hold)
            self.held_calls += 1
            while request.transport is not None and not request.transport.is_closing():
                await asyncio.sleep(0.05)  # until the caller goes away (killed)
            raise asyncio.CancelledError

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
        if self.unavailable:
            self.unavailable_answers += 1
            return web.Response(
                status=503, text="<html>Slack is having trouble</html>", content_type="text/html"
            )
        answer = await super()._handle_api(request)
        if self.drop_next_complete_answer and request.match_info["method"] == "files.completeUploadExternal":
            self.drop_next_complete_answer = False  # shared, but the bot never hears so
            request.transport.abort()  # type: ignore[union-attr]
            raise asyncio.CancelledError
        return answer

    async def _handle_upload(self, request: web.Request) -> web.StreamResponse:
        if self.unavailable:
            self.unavailable_answers += 1
            await request.read()
            return web.Response(
                status=503, text="<html>Slack is having trouble</html>", content_type="text/html"
            )
        return await super()._handle_upload(request)

    def _complete_upload(self, params: dict) -> dict:
        if self.shares_again:
            for entry in params.get("files") or []:
                stored = self.files.get(entry.get("id", "")) if isinstance(entry, dict) else None
                if stored is not None:
                    stored.completed = False
        return super()._complete_upload(params)


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
