"""The Slack stand-in for tests: re-exported from bot.tools.slack_standin, plus a fixture and a client factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest_asyncio
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.tools.slack_standin.records import Call, StoredFile
from bot.tools.slack_standin.standin import SlackStandIn

BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-1-A0DAILIES-1-test"

__all__ = ["APP_TOKEN", "BOT_TOKEN", "Call", "SlackStandIn", "StoredFile", "running", "slack", "web_client"]


@asynccontextmanager
async def running(**options) -> AsyncIterator[SlackStandIn]:
    """A started stand-in, stopped (and its temp files removed) on exit."""
    standin = SlackStandIn(**options)
    await standin.start()
    try:
        yield standin
    finally:
        await standin.stop()


@pytest_asyncio.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    """A running stand-in per test; enable with `pytest_plugins = ["tests.fakes.slack"]` in tests/conftest.py."""
    async with running() as standin:
        yield standin


def web_client(standin: SlackStandIn, *, token: str = BOT_TOKEN, retry_429: bool = False) -> AsyncWebClient:
    """An AsyncWebClient pointed at the stand-in; `retry_429` adds the SDK's Retry-After handler."""
    client = AsyncWebClient(token=token, base_url=standin.api_url)
    if retry_429:
        client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
    return client
