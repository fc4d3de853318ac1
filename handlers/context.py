"""App middleware that puts the bot's collaborators (the studio, the screening room, uninstalls) in
each request's Bolt context: Bolt hands a listener every context key it names as an argument."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from slack_bolt.async_app import AsyncBoltContext
from slack_bolt.response import BoltResponse


def provide(**collaborators: object) -> Callable[..., Awaitable[BoltResponse | None]]:
    async def into_context(context: AsyncBoltContext, next) -> BoltResponse | None:
        context.update(collaborators)
        return await next()

    return into_context
