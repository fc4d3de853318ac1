"""Message shortcuts on a job card or a clip in its thread: Edit this clip and Save as subject
open their small modals (handlers/views.py takes the submissions)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.studio.forms import NOT_A_CLIP
from bot.studio.studio import Studio
from handlers.context import with_studio

EDIT_CLIP = "edit_clip"
SAVE_SUBJECT = "save_subject"


async def _open(ack, shortcut, client, respond, studio: Studio, build) -> None:
    await ack()
    channel = (shortcut.get("channel") or {}).get("id", "")
    team = (shortcut.get("team") or {}).get("id", "")
    clip = await studio.forms.clip(team, channel, shortcut.get("message") or {})
    if clip is None:
        await respond(text=NOT_A_CLIP, response_type="ephemeral", replace_original=False)
        return
    await client.views_open(trigger_id=shortcut["trigger_id"], view=build(clip))


async def edit_this_clip(ack, shortcut, client, respond, studio: Studio):
    await _open(ack, shortcut, client, respond, studio, studio.forms.edit_view)


async def save_as_subject(ack, shortcut, client, respond, studio: Studio):
    await _open(ack, shortcut, client, respond, studio, studio.forms.subject_view)


def register(app: AsyncApp, studio: Studio) -> None:
    middleware = with_studio(studio)
    app.shortcut({"callback_id": EDIT_CLIP, "type": "message_action"}, middleware=middleware)(edit_this_clip)
    app.shortcut({"callback_id": SAVE_SUBJECT, "type": "message_action"}, middleware=middleware)(
        save_as_subject
    )
