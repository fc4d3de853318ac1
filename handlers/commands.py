"""The /video slash command: ack at once, then hand the parsed request to the studio."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError

from bot.outcomes import Refusal
from bot.request import Help, parse_command
from bot.request.commands import CampaignForm
from bot.request.help import help_for, usage_hint
from bot.studio.origin import Origin
from bot.studio.studio import Studio
from handlers.replies import tell
from handlers.views import open_campaign_form, open_video_form

log = logging.getLogger(__name__)


async def handle_video(ack, body: dict, command: dict, client, context: AsyncBoltContext, studio: Studio):
    """`/video …`: a refusal or help goes back in the ack; a request goes to the studio after it."""
    if not command.get("text", "").strip() and command.get("trigger_id"):
        await ack()  # the form opens on the command's trigger, inside Slack's 3 s
        await _open(open_video_form, usage_hint(), command, body, client, context, studio)
        return
    parsed = parse_command(command.get("text", ""), catalogue=studio.catalogue)
    if isinstance(parsed, Refusal):
        await ack(text=parsed.message)
        return
    if isinstance(parsed, Help):
        await ack(text=help_for(parsed.topic))
        return
    if isinstance(parsed, CampaignForm) and command.get("trigger_id"):
        await ack()  # the form opens on the command's trigger, inside Slack's 3 s
        await _open(
            open_campaign_form,
            "The campaign form didn't open; try `/video campaign` again.",
            command, body, client, context, studio,
        )  # fmt: skip
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
        await tell(context, body, reply)


async def _open(
    opener: Callable[..., Awaitable[None]],
    failed: str,
    command: dict,
    body: dict,
    client,
    context: AsyncBoltContext,
    studio: Studio,
) -> None:
    """`/video` alone or `/video campaign`: its modal on the command's trigger for this channel; if
    Slack won't open it, `failed` to the person (once per trigger: a retry opens nothing more)."""
    if not await studio.first_time(f"cmd:{command['trigger_id']}", "command"):
        return
    try:
        await opener(client, command["trigger_id"], command.get("team_id", ""), command["channel_id"], studio)
    except SlackApiError as exc:
        log.warning("a form did not open (%s)", exc.response.get("error"))
        await tell(context, body, failed)


def register(app: AsyncApp) -> None:
    app.command("/video")(handle_video)
