"""The /video slash command: ack at once, then hand the parsed request to the studio."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from bot.outcomes import Refusal
from bot.request import Help, parse_command
from bot.request.help import help_for, usage_hint
from bot.studio.origin import Origin
from bot.studio.studio import Studio
from handlers.views import open_video_form

log = logging.getLogger(__name__)


def register(app: AsyncApp, studio: Studio) -> None:
    async def video(ack, command, respond, client):
        if not command.get("text", "").strip() and command.get("trigger_id"):
            await ack()  # the form opens on the command's trigger, inside Slack's 3 s
            await _open_form(command, respond, client, studio)
            return
        parsed = parse_command(command.get("text", ""))
        if isinstance(parsed, Refusal):
            await ack(text=parsed.message)
            return
        if isinstance(parsed, Help):
            await ack(text=help_for(parsed.topic))
            return
        await ack()
        origin = Origin(
            channel_id=command["channel_id"],
            user_id=command["user_id"],
            team_id=command.get("team_id", ""),
            source_key=f"cmd:{command.get('trigger_id') or command.get('channel_id')}",
        )
        if not await studio.first_time(origin.source_key, "command"):
            return
        reply = await studio.handle(origin, parsed)
        if reply:  # an answer with buttons (a consent offer) carries its blocks
            await respond(text=reply, blocks=getattr(reply, "blocks", None), response_type="ephemeral")

    app.command("/video")(video)


async def _open_form(command: dict, respond, client, studio: Studio) -> None:
    """`/video` alone: the New video modal for this channel (the usage line if it can't open)."""
    if not await studio.first_time(f"cmd:{command['trigger_id']}", "command"):
        return
    try:
        await open_video_form(
            client, command["trigger_id"], command.get("team_id", ""), command["channel_id"], studio
        )
    except SlackApiError as exc:
        log.warning("the New video form did not open (%s)", exc.response.get("error"))
        await respond(text=usage_hint(), response_type="ephemeral")
