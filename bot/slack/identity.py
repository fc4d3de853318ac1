"""Who the bot is in its workspace, as Bolt's public `authorize=` hook: auth.test asked once at
start-up, so a command that arrives while the Web API is unreachable is still stored and answered
later instead of dropped by an authorization that would ask Slack first."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from slack_bolt.authorization import AuthorizeResult
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger("dailies")


class BotIdentity:
    """The bot token's AuthorizeResult, asked of Slack once and kept; pass `hook()` as `AsyncApp(authorize=)`."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._result: AuthorizeResult | None = None
        self._asking = asyncio.Lock()

    async def prime(self) -> None:
        """Ask now; on failure Bolt's next request asks again."""
        try:
            await self.authorize()
        except Exception as exc:
            log.warning("auth.test failed at start-up (%s)", type(exc).__name__)

    async def authorize(self) -> AuthorizeResult:
        async with self._asking:
            if self._result is None:
                response = await self.client.auth_test()
                self._result = AuthorizeResult.from_auth_test_response(
                    auth_test_response=response, bot_token=self.client.token
                )
        return self._result

    def hook(self) -> Callable[[], Awaitable[AuthorizeResult]]:
        """`authorize` as Bolt wants it: Bolt passes arguments by the function's parameter names,
        and would hand a bound method's `self` a None."""

        async def authorize() -> AuthorizeResult:
            return await self.authorize()

        return authorize

    def app_client(self) -> AsyncWebClient:
        """The client Bolt copies for each request, without the token: with a token on it Bolt
        would ignore `authorize=`; each request's copy gets the token from `authorize`."""
        c = self.client
        return AsyncWebClient(
            base_url=c.base_url,
            timeout=c.timeout,
            headers=c.headers,
            logger=c.logger,
            retry_handlers=c.retry_handlers,
        )
