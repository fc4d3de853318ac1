"""Buttons on the job card: Approve, Another take, Final render, Cancel (each acts on its version),
the render offer on a review note, and the consent offer's button, which records consent and starts
the request it held."""

from __future__ import annotations

import re

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.studio.origin import Origin
from bot.studio.studio import Studio
from handlers.replies import tell

CARD_BUTTONS = re.compile(
    r"^(approve|another_take|final_render|cancel|render_offer|consent_render|campaign_cancel|campaign_every_aspect)$"
)


async def card_button(ack, body: dict, action: dict, context: AsyncBoltContext, studio: Studio):
    await ack()
    user = body["user"]["id"]
    key = f"act:{action.get('action_ts')}:{user}:{action['action_id']}"
    if not await studio.first_time(key, "action"):
        return
    origin = Origin(
        channel_id=(body.get("channel") or {}).get("id") or body["container"].get("channel_id", ""),
        user_id=user,
        team_id=(body.get("team") or {}).get("id", ""),
        source_key=key,
    )
    reply = await studio.button(origin, action["action_id"], action.get("value", ""))
    if reply:
        await tell(context, body, reply)


def register(app: AsyncApp) -> None:
    app.action(CARD_BUTTONS)(card_button)
