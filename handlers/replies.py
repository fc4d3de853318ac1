"""What a listener says back to the person who acted: `tell` for an answer (a refusal, a mistake of
theirs), and `unexpected`, the app's one error handler, with the one wording for a failure of ours."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncBoltContext

from bot.cards.home import publish
from bot.outcomes import Answer
from bot.slack.inbox import HELD
from storage.db import DatabaseAway

log = logging.getLogger(__name__)
SOMETHING_WRONG = "Something went wrong on our side and nothing changed. Please try again."
DATABASE_AWAY = "Dailies can't reach its database; try again in a minute."


async def tell(context: AsyncBoltContext, body: dict, text: str) -> bool:
    """`text` for the person who acted, alone, where they acted: a Workflow Builder step fails with
    it, App Home shows it as a notice, a command or button answers on its response_url, a message or
    reaction gets an ephemeral (in the message's thread). False where nothing can reach them (a closed
    modal). An answer with buttons (a consent offer: `bot.outcomes.Answer`) carries its blocks."""
    event = body.get("event") or {}
    blocks = text.blocks if isinstance(text, Answer) else None
    extra: dict[str, Any] = {"blocks": blocks} if blocks else {}
    if event.get("type") == "function_executed":
        await context.fail(error=text)
    elif (body.get("view") or {}).get("type") == "home" and context.user_id:
        studio = context["studio"]
        await publish(context.client, studio.store, context.team_id or "", context.user_id, notice=text)
    elif context.response_url and (respond := context.respond) is not None:  # Bolt sets both together
        await respond(text=text, response_type="ephemeral", replace_original=False, **extra)
    elif context.channel_id and context.user_id:
        await context.client.chat_postEphemeral(
            channel=context.channel_id,
            user=context.user_id,
            text=text,
            thread_ts=event.get("thread_ts"),
            **extra,
        )
    else:
        return False
    return True


async def unexpected(error: Exception, body: dict, context: AsyncBoltContext) -> None:
    """Bolt's error handler: a listener or middleware raised. Logged with its traceback (never the
    body, which carries Slack's verification token), and the person hears SOMETHING_WRONG; while the
    database is away (logged once by the store), DATABASE_AWAY instead."""
    away = isinstance(error, DatabaseAway)
    if away and context.get(HELD) is not None:
        # an event from the inbox (its installation looked up while the database went away again):
        # it is handled once the database is back, so no one is told it failed
        log.info("%s waits in the event inbox until the database is back", _what(body))
        return
    if away:
        log.info("%s answered: the database is away", _what(body))
    else:
        log.error("%s failed", _what(body), exc_info=error)
    await _let_the_ack_out(context)
    try:
        told = await tell(context, body, DATABASE_AWAY if away else SOMETHING_WRONG)
    except Exception:
        log.warning("could not tell %s that %s failed", context.user_id, _what(body), exc_info=True)
        return
    if not told:
        log.warning("%s failed with no place to tell %s", _what(body), context.user_id)


async def _let_the_ack_out(context: AsyncBoltContext) -> None:
    """Bolt's runner answers Slack with an ack its 10 ms poll has seen, but forgets one given before
    the listener raised once this handler returns: wait past one poll so the ack goes out."""
    if context.ack.response is not None:
        await asyncio.sleep(0.02)


def _what(body: dict) -> str:
    """The request in a few words: `/video`, `block_actions approve`, `event_callback app_mention`."""
    if body.get("command"):
        return str(body["command"])
    detail = (
        (body.get("event") or {}).get("type")
        or ((body.get("actions") or [{}])[0]).get("action_id")
        or (body.get("view") or {}).get("callback_id")
        or body.get("callback_id")
        or ""
    )
    return f"{body.get('type', 'request')} {detail}".strip()
