"""Mentions of the bot (same text as /video) and channel messages (acked; thread replies)."""

from __future__ import annotations

import logging
import re

from slack_bolt.async_app import AsyncApp

from bot.request import parse_command
from bot.studio.origin import Origin
from bot.studio.studio import SOMETHING_WRONG, Studio

log = logging.getLogger(__name__)
MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")


def _origin(event: dict, body: dict) -> Origin:
    """Who wrote the message, where; one job per message (channel and ts)."""
    channel = event["channel"]
    return Origin(
        channel_id=channel,
        user_id=event.get("user", ""),
        team_id=body.get("team_id", ""),
        source_key=f"msg:{channel}:{event['ts']}",
        files=tuple(event.get("files") or ()),
    )


async def _thread_reply(studio: Studio, origin: Origin, thread_ts: str, text: str) -> str | None:
    try:
        return await studio.thread_reply(origin, thread_ts, text, origin.files)
    except Exception:
        log.exception("thread reply failed")
        return SOMETHING_WRONG


def register(app: AsyncApp, studio: Studio) -> None:
    async def mention(event, body, client, context):
        if not await studio.first_time(f"ev:{body.get('event_id') or event.get('ts')}", "app_mention"):
            return
        if event.get("bot_id"):
            return
        text = MENTION.sub("", event.get("text", ""), count=1).strip()
        origin = _origin(event, body)
        channel, user = origin.channel_id, origin.user_id
        thread_ts = event.get("thread_ts")
        in_thread = bool(thread_ts and thread_ts != event["ts"])
        if in_thread and await studio.in_job_thread(origin.team_id, channel, thread_ts):
            reply = await _thread_reply(studio, origin, thread_ts, text)
        else:
            images = bool(origin.images)
            audio = bool(origin.audio)
            parsed = parse_command(text, has_attachment=images, has_audio=audio)
            reply = await studio.handle(origin, parsed)
        if reply:
            await client.chat_postEphemeral(
                channel=channel,
                user=user,
                text=reply,
                blocks=getattr(reply, "blocks", None),
                thread_ts=event.get("thread_ts"),
            )

    async def message(event, body, client, context):
        # Every message subtype is acked here (Slack counts unacked deliveries as failures);
        # a person's reply in a job card's thread is the only one that does anything.
        if not is_person_reply(event, context.get("bot_user_id")):
            return
        channel, thread_ts = event["channel"], event["thread_ts"]
        if not await studio.in_job_thread(body.get("team_id", ""), channel, thread_ts):
            return
        if not await studio.first_time(f"ev:{body.get('event_id') or event['ts']}", "thread_reply"):
            return
        origin = _origin(event, body)
        reply = await _thread_reply(studio, origin, thread_ts, event.get("text", ""))
        if reply:
            await client.chat_postEphemeral(
                channel=channel,
                user=origin.user_id,
                text=reply,
                blocks=getattr(reply, "blocks", None),
                thread_ts=thread_ts,
            )

    app.event("app_mention")(mention)
    app.event("message")(message)


def is_person_reply(event: dict, bot_user_id: str | None) -> bool:
    """A person's own reply inside a thread (not a bot's post, an edit or deletion, a broadcast we
    posted, or a mention of the bot, which the app_mention listener handles)."""
    if event.get("subtype") not in (None, "file_share", "thread_broadcast"):
        return False
    if event.get("bot_id") or event.get("bot_profile") or not event.get("user"):
        return False
    if bot_user_id and event.get("user") == bot_user_id:
        return False
    thread_ts = event.get("thread_ts")
    if not thread_ts or thread_ts == event.get("ts") or not event.get("channel"):
        return False
    return not (bot_user_id and f"<@{bot_user_id}" in (event.get("text") or ""))
