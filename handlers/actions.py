"""Buttons on the job card: Approve, Another take, Final render, Cancel (each acts on its version),
the render offer on a review note, the consent offer's button, which records consent and starts
the request it held, and a DM draft's Post to #channel (with its channel menu)."""

from __future__ import annotations

import re

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.cards.dm_studio import SHARE_BUTTON, SHARE_SELECT
from bot.studio.origin import Origin
from bot.studio.studio import Studio
from handlers.replies import tell

CARD_BUTTONS = re.compile(
    r"^(approve|another_take|final_render|cancel|render_offer|consent_render|campaign_cancel|campaign_every_aspect|campaign_cut)$"
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


async def share_button(ack, body: dict, action: dict, context: AsyncBoltContext, studio: Studio):
    """Post to #channel: the channel picked in the menu beside the button (the message's state)."""
    await ack()
    user = body["user"]["id"]
    key = f"act:{action.get('action_ts')}:{user}:{action['action_id']}"
    if studio.shares is None or not await studio.first_time(key, "action"):
        return
    picked = ((body.get("state") or {}).get("values") or {}).get(action.get("block_id", ""), {})
    channel = (picked.get(SHARE_SELECT) or {}).get("selected_conversation")
    origin = Origin(
        channel_id=(body.get("channel") or {}).get("id") or body["container"].get("channel_id", ""),
        user_id=user,
        team_id=(body.get("team") or {}).get("id", ""),
        source_key=key,
    )
    reply = await studio.shares.post(origin, action.get("value", ""), channel)
    if reply:
        await tell(context, body, reply)


async def menu_choice(ack):
    """Picking a channel in the menu only remembers it (in the message's state) until the button."""
    await ack()


def register(app: AsyncApp) -> None:
    app.action(CARD_BUTTONS)(card_button)
    app.action(SHARE_BUTTON)(share_button)
    app.action(SHARE_SELECT)(menu_choice)
