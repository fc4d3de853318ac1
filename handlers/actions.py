"""Buttons on the job card: Approve, Another take, Final render, Cancel (each acts on its version);
and the consent offer's button, which records consent and starts the request it held."""

from __future__ import annotations

import logging
import re

from slack_bolt.async_app import AsyncApp

from bot.studio.origin import Origin
from bot.studio.studio import Studio

log = logging.getLogger(__name__)


def register(app: AsyncApp, studio: Studio) -> None:
    async def button(ack, body, action, respond):
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
        try:
            reply = await studio.button(origin, action["action_id"], action.get("value", ""))
        except Exception:
            log.exception("button %s failed", action["action_id"])
            reply = "Something went wrong on our side and nothing changed. Please try again."
        if reply:
            blocks = getattr(reply, "blocks", None)  # a replayed request may answer with another offer
            await respond(text=reply, blocks=blocks, response_type="ephemeral", replace_original=False)

    app.action(re.compile(r"^(approve|another_take|final_render|cancel|consent_render)$"))(button)
