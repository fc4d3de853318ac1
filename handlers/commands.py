"""The /video slash command: ack at once, then hand the parsed request to the studio."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.outcomes import Refusal
from bot.request import Help, parse_command
from bot.request.help import help_for
from bot.studio.origin import Origin
from bot.studio.studio import Studio


def register(app: AsyncApp, studio: Studio) -> None:
    async def video(ack, command, respond):
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
        if reply:
            await respond(text=reply, response_type="ephemeral")

    app.command("/video")(video)
