"""The Slack Web API clients: every call waits for its token in the shared `SlackBudget`, and
slack_sdk's retry handlers retry what can be retried, a 429 through the budget so that every caller
of that method pauses, not only the one that got it.

Two flavours over one budget: "durable" (cards, uploads: must land eventually, so long retries at a
capped interval) and "interactive" (answers a person is waiting for: give up quickly).
"""

from __future__ import annotations

import asyncio
import copy
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import httpx
from aiohttp import ClientOSError, ServerConnectionError, ServerDisconnectedError
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.slack import workspace
from bot.slack.budget import Priority, SlackBudget
from bot.slack.workspace import TokenSource, Workspace, WorkspaceGone

log = logging.getLogger(__name__)
# a call that must land (an upload, a card's final state) while Slack is away: tried again after
# a jittered wait growing to this ceiling, for at most SLACK_AWAY_LIMIT seconds in all
SLACK_RETRY_FIRST = 1.0
SLACK_RETRY_CEILING = 8.0
SLACK_AWAY_LIMIT = 30 * 60.0


@dataclass(frozen=True)
class _Call:
    team: str
    method: str
    channel: str
    priority: Priority


_current: ContextVar[_Call | None] = ContextVar("dailies_slack_call", default=None)
_priority: ContextVar[Priority] = ContextVar("dailies_slack_priority", default=Priority.URGENT)
_prepaid: ContextVar[bool] = ContextVar("dailies_slack_prepaid", default=False)


@contextmanager
def prepaid(priority: Priority = Priority.URGENT) -> Iterator[None]:
    """Calls inside already hold their budget token (the card publisher takes it itself, so that
    it can choose which card to send once it has one); a retry after a 429 queues at `priority`."""
    tokens = _prepaid.set(True), _priority.set(priority)
    try:
        yield
    finally:
        _prepaid.reset(tokens[0])
        _priority.reset(tokens[1])


def _retry_after(response: HttpResponse) -> float:
    for name, values in response.headers.items():
        if name.lower() == "retry-after" and values:
            try:
                return max(0.0, float(values[0] if isinstance(values, list) else values))
            except ValueError:
                break
    return 1.0


class BudgetRateLimitRetryHandler(AsyncRateLimitErrorRetryHandler):
    """A 429 pauses the method in the shared budget (every caller waits), then this call queues for
    its next token there instead of sleeping on its own. Its retries are counted apart from the
    request's attempt counter, so that 429s neither use up nor lengthen the other handlers' retries."""

    def __init__(self, budget: SlackBudget, max_retry_count: int) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.budget = budget

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        retried = (state.custom_values or {}).get("rate_limited", 0)
        return response is not None and response.status_code == 429 and retried < self.max_retry_count

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        call = _current.get()
        if response is None or call is None:
            return await super().prepare_for_next_attempt_async(
                state=state, request=request, response=response, error=error
            )
        state.custom_values = {**(state.custom_values or {})}
        state.custom_values["rate_limited"] = state.custom_values.get("rate_limited", 0) + 1
        retry_after = _retry_after(response)
        log.warning("Slack rate-limited %s; pausing it for %.0f s", call.method, retry_after)
        await self.budget.rate_limited(call.team, call.method, retry_after, channel=call.channel)
        await self.budget.acquire(call.team, call.method, channel=call.channel, priority=call.priority)
        state.next_attempt_requested = True


class CappedBackoff(BackoffRetryIntervalCalculator):
    """Exponential backoff with jitter that never waits longer than `cap` seconds."""

    def __init__(self, backoff_factor: float, cap: float) -> None:
        super().__init__(backoff_factor=backoff_factor)
        self.cap = cap

    def calculate_sleep_duration(self, current_attempt: int) -> float:
        return min(self.cap, super().calculate_sleep_duration(current_attempt))


CONNECTION_ERRORS = [ServerConnectionError, ServerDisconnectedError, ClientOSError, asyncio.TimeoutError]


def durable_handlers(budget: SlackBudget) -> list[AsyncRetryHandler]:
    """Cards and uploads: Slack unreachable or failing for a couple of minutes is ridden out."""
    backoff = CappedBackoff(backoff_factor=1.0, cap=30.0)
    return [
        AsyncConnectionErrorRetryHandler(
            max_retry_count=10, interval_calculator=backoff, error_types=CONNECTION_ERRORS
        ),
        BudgetRateLimitRetryHandler(budget, max_retry_count=10),
        AsyncServerErrorRetryHandler(max_retry_count=6, interval_calculator=backoff),
    ]


def interactive_handlers(budget: SlackBudget) -> list[AsyncRetryHandler]:
    """Answers a person waits for: one quick retry each, and a 429 waits its turn in the budget."""
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=1, error_types=CONNECTION_ERRORS),
        BudgetRateLimitRetryHandler(budget, max_retry_count=2),
        AsyncServerErrorRetryHandler(max_retry_count=1),
    ]


def slack_away(exc: BaseException) -> bool:
    """Slack failed to answer (5xx, a dropped connection, a timeout): the same call later may work.
    A refusal (4xx with an error name) is not this."""
    if isinstance(exc, SlackApiError):
        return getattr(exc.response, "status_code", 200) >= 500
    # (an error of ours that says so: an upload whose host did not answer)
    return isinstance(exc, (*CONNECTION_ERRORS, httpx.TransportError)) or getattr(exc, "slack_away", False)


def single_attempt(client: AsyncWebClient) -> AsyncWebClient:
    """The same client (token, budget, session) whose 5xx answers and connection errors come straight
    back to the caller, who decides (a progress edit is dropped, a share is checked before it is
    asked for again); a 429 still waits its turn in the budget."""
    once = copy.copy(client)
    once.retry_handlers = [h for h in client.retry_handlers if isinstance(h, AsyncRateLimitErrorRetryHandler)]
    return once


class SlackAway:
    """Whether Slack answers, as the calls that must land see it: one log line when it stops
    answering and one when it is back, not one per attempt."""

    def __init__(self) -> None:
        self.since: float | None = None

    def failed(self, what: str, exc: BaseException) -> None:
        if self.since is None:
            self.since = time.monotonic()
            log.warning("Slack is not answering (%s, on %s); retrying until it does", _named(exc), what)

    def answered(self) -> None:
        if self.since is not None:
            log.warning("Slack answers again after %.0f s", time.monotonic() - self.since)
            self.since = None


OUTAGE = SlackAway()


async def until_slack_answers(
    call: Callable[[], Awaitable],
    what: str,
    *,
    landed: Callable[[], Awaitable[bool]] | None = None,
):
    """`call()` until Slack answers it, waiting out 5xx answers, dropped connections and timeouts
    with capped, jittered backoff; a refusal is raised at once. After an ambiguous failure (Slack
    may have acted before its answer was lost) `landed()` is asked first: True ends the retries
    (with None as the result). Retries take no token from the budget: the failed call paid."""
    delay, started = SLACK_RETRY_FIRST, time.monotonic()
    attempt = 0
    while True:
        try:
            with prepaid() if attempt else _unchanged():
                result = await call()
        except Exception as exc:
            if not slack_away(exc) or time.monotonic() - started > SLACK_AWAY_LIMIT:
                raise
            OUTAGE.failed(what, exc)
            await asyncio.sleep(delay * (0.5 + random.random() / 2))
            delay = min(delay * 2, SLACK_RETRY_CEILING)
            attempt += 1
            if landed is not None:
                try:
                    if await landed():
                        OUTAGE.answered()
                        return None
                except Exception as check:
                    if not slack_away(check):
                        raise
            continue
        OUTAGE.answered()
        return result


@contextmanager
def _unchanged() -> Iterator[None]:
    yield


def _named(exc: BaseException) -> str:
    if isinstance(exc, SlackApiError):
        return f"HTTP {getattr(exc.response, 'status_code', '?')}"
    return type(exc).__name__


def _channel(kwargs: dict) -> str:
    for part in ("json", "params", "data"):
        body = kwargs.get(part)
        if isinstance(body, dict) and body.get("channel"):
            return str(body["channel"])
    return ""


class BudgetedWebClient(AsyncWebClient):
    """An AsyncWebClient whose every call first takes its token from the shared budget."""

    def __init__(self, *, budget: SlackBudget, budget_team: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.budget = budget
        self.budget_team = budget_team

    async def api_call(self, api_method: str, **kwargs) -> AsyncSlackResponse:
        channel = _channel(kwargs) if api_method in ("chat.postMessage",) else ""
        team = self.budget_team
        if not self.token and not _explicit_token(kwargs):
            # distribution mode: the token of the workspace this call is for
            serving = workspace.current()
            if serving is None or not serving.token:
                raise WorkspaceGone(serving.team_id if serving else "")
            kwargs["headers"] = {**(kwargs.get("headers") or {}), "Authorization": f"Bearer {serving.token}"}
            team = team or serving.team_id
        call = _Call(team, api_method, channel, _priority.get())
        if not _prepaid.get():
            await self.budget.acquire(call.team, api_method, channel=channel, priority=call.priority)
        token = _current.set(call)
        paid = _prepaid.set(False)  # a call made from inside this one pays for itself
        try:
            return await super().api_call(api_method, **kwargs)
        finally:
            _prepaid.reset(paid)
            _current.reset(token)


def _explicit_token(kwargs: dict) -> bool:
    """The caller passed a token for this call (Bolt's OAuth flow checking a new token, say)."""
    if "Authorization" in (kwargs.get("headers") or {}):
        return True
    return any(
        isinstance(kwargs.get(part), dict) and kwargs[part].get("token")
        for part in ("json", "params", "data")
    )


class SlackClients:
    """The bot's clients over one budget: `durable` for cards and uploads, `interactive` for
    answers, and `for_request` for what Bolt hands a listener. Without a token (distribution
    mode) each call uses the token of the workspace it is made for, from `tokens`."""

    def __init__(
        self,
        *,
        token: str,
        base_url: str,
        budget: SlackBudget,
        team: str = "",
        tokens: TokenSource | None = None,
    ) -> None:
        self.budget, self.base_url, self.team, self.tokens = budget, base_url, team, tokens
        self.durable = self._client(token, team, durable_handlers(budget))
        self.interactive = self._client(token, team, interactive_handlers(budget))

    def _client(self, token: str | None, team: str, handlers: list[AsyncRetryHandler]) -> BudgetedWebClient:
        return BudgetedWebClient(
            budget=self.budget, budget_team=team, token=token, base_url=self.base_url, retry_handlers=handlers
        )

    def for_request(self, token: str | None, team_id: str | None) -> BudgetedWebClient:
        """A listener's client: Bolt's token for this request, the interactive retries, the budget of
        this workspace (with one bot token there is one workspace, whatever the request says)."""
        team = self.team if self.durable.token else (team_id or "")
        return self._client(token, team, interactive_handlers(self.budget))

    @asynccontextmanager
    async def serving(self, team_id: str) -> AsyncIterator[None]:
        """Calls made inside are for workspace `team_id`, with its current token (distribution
        mode; with one bot token this changes nothing). Raises WorkspaceGone if it has none."""
        if self.tokens is None:
            yield
            return
        token = await self.tokens(team_id)
        if not token:
            raise WorkspaceGone(team_id)
        reset = workspace.enter(Workspace(team_id, token))
        try:
            yield
        finally:
            workspace.leave(reset)
