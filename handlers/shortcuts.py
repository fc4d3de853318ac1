"""Message shortcuts on a job card or a clip in its thread: Edit this clip and Save as subject
open their small modals (handlers/views.py takes the submissions)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.studio.forms import NOT_A_CLIP
from bot.studio.studio import Studio
from handlers.replies import tell

EDIT_CLIP = "edit_clip"
SAVE_SUBJECT = "save_subject"


async def _open(ack, shortcut: dict, client, context: AsyncBoltContext, studio: Studio, build) -> None:
    await ack()
    channel = (shortcut.get("channel") or {}).get("id", "")
    team = (shortcut.get("team") or {}).get("id", "")
    clip = await studio.forms.clip(team, channel, shortcut.get("message") or {})
    if clip is None:
        await tell(context, shortcut, NOT_A_CLIP)
        return
    await client.views_open(trigger_id=shortcut["trigger_id"], view=build(clip))


async def edit_this_clip(ack, shortcut: dict, client, context: AsyncBoltContext, studio: Studio):
    await _open(ack, shortcut, client, context, studio, studio.forms.edit_view)


async def save_as_subject(ack, shortcut: dict, client, context: AsyncBoltContext, studio: Studio):
    await _open(ack, shortcut, client, context, studio, studio.forms.subject_view)


def register(app: AsyncApp) -> None:
    app.shortcut({"callback_id": EDIT_CLIP, "type": "message_action"})(edit_this_clip)
    app.shortcut({"callback_id": SAVE_SUBJECT, "type": "message_action"})(save_as_subject)
