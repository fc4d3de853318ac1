"""Buttons on the job card: Approve, Another take, Final render, Cancel."""

from __future__ import annotations

import logging
import re

from slack_bolt.async_app import AsyncApp

from bot.studio import Origin, Studio

log = logging.getLogger(__name__)


def register(app: AsyncApp, studio: Studio) -> None:
    async def cancel(ack, body, action, respond):
        await ack()
        if not await studio.first_time(f"act:{action.get('action_ts')}:{body['user']['id']}", "action"):
            return
        _, _, job_id = action["value"].partition(":job:")
        origin = Origin(channel_id=body["channel"]["id"], user_id=body["user"]["id"])
        reply = await studio.cancel(origin, job_id)
        await respond(text=reply, response_type="ephemeral", replace_original=False)

    app.action("cancel")(cancel)

    async def other(ack):
        await ack()

    app.action(re.compile(r"^(approve|another_take|final_render)$"))(other)
