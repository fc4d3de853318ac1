"""Slack's rate limits, seen from the listener side: `app_rate_limited` callbacks answered 200 and
logged (Bolt has no listener for them and would answer 404, and Slack disables event subscriptions
that fail too often), and every listener's client drawing from the bot's shared budget."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse

from bot.slack.clients import SlackClients

log = logging.getLogger(__name__)


async def app_rate_limited(body: dict, next, logger=None):
    """Slack dropped events for this workspace in the minute named; answer 200 so it keeps sending."""
    if body.get("type") != "app_rate_limited":
        return await next()
    log.warning(
        "Slack rate-limited event deliveries for team %s in the minute starting %s (app %s)",
        body.get("team_id", "?"),
        body.get("minute_rate_limited", "?"),
        body.get("api_app_id", "?"),
    )
    return BoltResponse(status=200, body="")


def budgeted_client(clients: SlackClients):
    async def middleware(context: AsyncBoltContext, next):
        """The listener's client (and `say`) take their tokens from the shared budget."""
        client = context.get("client")
        if client is not None:
            context["client"] = clients.for_request(client.token, context.team_id)
        return await next()

    return middleware


def register(app: AsyncApp, clients: SlackClients) -> None:
    app.middleware(app_rate_limited)
    app.middleware(budgeted_client(clients))
