"""Mentions of the bot (same text as /video), channel messages (acked; thread replies) and the DM
with Dailies (a private studio: requests, and replies in its jobs' threads)."""

from __future__ import annotations

import re

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.request import parse_command
from bot.studio.origin import Origin
from bot.studio.studio import Studio
from handlers.replies import tell

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


async def handle_mention(event: dict, body: dict, context: AsyncBoltContext, studio: Studio):
    """`@Dailies …`: the same text as /video, or a reply when it is written in a job's thread."""
    if not await studio.first_time(f"ev:{body.get('event_id') or event.get('ts')}", "app_mention"):
        return
    if event.get("bot_id"):
        return
    text = MENTION.sub("", event.get("text", ""), count=1).strip()
    origin = _origin(event, body)
    thread_ts: str = event.get("thread_ts") or ""
    in_thread = bool(thread_ts and thread_ts != event["ts"])
    if in_thread and await studio.in_job_thread(origin.team_id, origin.channel_id, thread_ts):
        reply = await studio.thread_reply(origin, thread_ts, text, origin.files)
    else:
        parsed = parse_command(
            text, has_attachment=bool(origin.images), has_audio=bool(origin.audio), catalogue=studio.catalogue
        )
        reply = await studio.handle(origin, parsed)
    if reply:
        await tell(context, body, reply)


async def _edited_or_deleted(studio: Studio, event: dict, team_id: str) -> bool:
    """A message edited or deleted in Slack: its review note follows. False for any other message."""
    channel = event.get("channel", "")
    if event.get("subtype") == "message_changed":
        changed = event.get("message") or {}
        if not changed.get("bot_id"):
            await studio.message_edited(team_id, channel, changed.get("ts", ""), changed.get("text", ""))
        return True
    if event.get("subtype") == "message_deleted":
        ts = event.get("deleted_ts") or (event.get("previous_message") or {}).get("ts", "")
        await studio.message_deleted(team_id, channel, ts)
        return True
    return False


async def handle_message(event: dict, body: dict, context: AsyncBoltContext, studio: Studio):
    """Every message subtype is acked (Bolt acks events; Slack counts unacked deliveries as
    failures); a person's reply in a job card's thread does something, and an edit or deletion of one."""
    if await _edited_or_deleted(studio, event, body.get("team_id", "")):
        return
    bot_user_id = context.get("bot_user_id")
    in_dm = event.get("channel_type") == "im" and is_persons(event, bot_user_id)
    if not in_dm and not is_person_reply(event, bot_user_id):
        return
    channel, thread_ts = event["channel"], event.get("thread_ts") or event["ts"]
    if not await studio.in_job_thread(body.get("team_id", ""), channel, thread_ts):
        if in_dm:
            await dm_request(event, body, context, studio)
        return
    if not await studio.first_time(f"ev:{body.get('event_id') or event['ts']}", "thread_reply"):
        return
    origin = _origin(event, body)
    text, bot_user_id = event.get("text", ""), context.get("bot_user_id")
    # a person's reply may be for Dailies, or conversation kept as a review note
    reply = await studio.thread_message(origin, thread_ts, event["ts"], text, bot_user_id)
    if reply:
        await tell(context, body, reply)


async def dm_request(event: dict, body: dict, context: AsyncBoltContext, studio: Studio) -> None:
    """The DM with Dailies is a private studio: a message there outside a job's thread is a request
    as after /video (same grammar); its card and thread stay in the DM."""
    if not await studio.first_time(f"ev:{body.get('event_id') or event['ts']}", "dm_request"):
        return
    origin = _origin(event, body)
    text = MENTION.sub("", event.get("text", ""), count=1).strip()
    parsed = parse_command(
        text, has_attachment=bool(origin.images), has_audio=bool(origin.audio), catalogue=studio.catalogue
    )
    reply = await studio.handle(origin, parsed)
    if reply:
        await tell(context, body, reply)


def register(app: AsyncApp) -> None:
    app.event("app_mention")(handle_mention)
    app.event("message")(handle_message)


def is_persons(event: dict, bot_user_id: str | None) -> bool:
    """A person's own message (not a bot's post, an edit or deletion)."""
    if event.get("subtype") not in (None, "file_share", "thread_broadcast"):
        return False
    if event.get("bot_id") or event.get("bot_profile") or not event.get("user"):
        return False
    return not (bot_user_id and event.get("user") == bot_user_id)


def is_person_reply(event: dict, bot_user_id: str | None) -> bool:
    """A person's own reply inside a thread (not a bot's post, an edit or deletion, a broadcast we
    posted, or a mention of the bot, which the app_mention listener handles)."""
    if not is_persons(event, bot_user_id):
        return False
    thread_ts = event.get("thread_ts")
    if not thread_ts or thread_ts == event.get("ts") or not event.get("channel"):
        return False
    return not (bot_user_id and f"<@{bot_user_id}" in (event.get("text") or ""))
