"""Mentions of the bot (same text as /video) and channel messages (acked; thread replies)."""

from __future__ import annotations

import logging
import re

from slack_bolt.async_app import AsyncApp

from bot.catalogue import Refusal
from bot.grammar import VideoRequest, parse_command
from bot.studio import Origin, Studio

log = logging.getLogger(__name__)
MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")


def register(app: AsyncApp, studio: Studio) -> None:
    async def mention(event, body, client, context):
        if not await studio.first_time(f"ev:{body.get('event_id') or event.get('ts')}", "app_mention"):
            return
        if event.get("bot_id"):
            return
        text = MENTION.sub("", event.get("text", ""), count=1).strip()
        channel, user = event["channel"], event.get("user", "")
        origin = Origin(
            channel_id=channel,
            user_id=user,
            team_id=body.get("team_id", ""),
            source_key=f"msg:{channel}:{event['ts']}",
            files=tuple(event.get("files") or ()),
        )
        parsed = parse_command(text)
        try:
            if isinstance(parsed, Refusal):
                reply = parsed.message
            elif isinstance(parsed, VideoRequest):
                reply = await studio.request_video(origin, parsed)
            else:
                reply = await studio.answer(origin, parsed)
        except Exception:
            log.exception("mention failed")
            reply = "Something went wrong on our side and nothing was started. Please try again."
        if reply:
            await client.chat_postEphemeral(
                channel=channel, user=user, text=reply, thread_ts=event.get("thread_ts")
            )

    async def message(event, body):
        # Every message subtype is acked here (Slack counts unacked deliveries as failures);
        # thread replies on job cards are the only ones that do anything.
        return None

    app.event("app_mention")(mention)
    app.event("message")(message)
