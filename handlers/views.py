"""Modals: the New video form (from `/video` with no text, or App Home's New video button), the
clip shortcuts' forms, and their submissions. A submission's errors go back onto its fields;
one that passes is acknowledged (the modal closes) and does what the typed text does. A form's own
failures are answered here, not by the app's error handler, which can't reach a modal's author."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp

from bot.cards import forms
from bot.cards.campaign_form import CAMPAIGN_FORM
from bot.studio.studio import Studio
from handlers.replies import SOMETHING_WRONG

log = logging.getLogger(__name__)


async def open_video_form(
    client, trigger_id: str, team_id: str, channel_id: str | None, studio: Studio
) -> None:
    """Open the New video modal on `trigger_id` (already acked: Slack's 3 s run from the trigger)."""
    view = await studio.forms.video_view(team_id, channel_id, pick_channel=channel_id is None)
    await client.views_open(trigger_id=trigger_id, view=view)


async def new_video_button(ack, body, client, studio: Studio):
    """App Home's New video button: the same modal, with a channel select first."""
    await ack()
    await open_video_form(client, body["trigger_id"], (body.get("team") or {}).get("id", ""), None, studio)


async def channel_picked(ack, body, action, client, studio: Studio):
    """A channel picked in the New video modal: the same modal with that channel's subjects."""
    await ack()
    view = body["view"]
    channel = action.get("selected_conversation")
    fresh = await studio.forms.video_view((body.get("team") or {}).get("id", ""), channel, pick_channel=True)
    await client.views_update(view_id=view["id"], hash=view["hash"], view=fresh)


async def _submitted(ack, body, view, studio: Studio, check, run) -> None:
    """Check, answer Slack (errors on the fields, or close), then do the work once per view. An
    unexpected failure is told on the first field before the ack, and where the form was opened
    (forms.tell) after it."""
    user, team = body["user"]["id"], (body.get("team") or {}).get("id", "")
    try:
        checked = await check(view, user, team)
    except Exception:
        log.exception("checking %s failed", view.get("callback_id"))
        first = next((b["block_id"] for b in view["blocks"] if b.get("type") == "input"), "")
        await ack(response_action="errors", errors={first: SOMETHING_WRONG})
        return
    if isinstance(checked, dict):
        await ack(response_action="errors", errors=checked)
        return
    await ack()
    if not await studio.first_time(checked.origin.source_key, "view_submission"):
        return  # the same view submitted again: its job already exists
    try:
        reply = await run(checked)
    except Exception:
        log.exception("%s failed", view.get("callback_id"))
        reply = SOMETHING_WRONG
    if reply:
        await studio.forms.tell(checked, reply)


async def video_submitted(ack, body, view, studio: Studio):
    await _submitted(ack, body, view, studio, studio.forms.check_video, studio.forms.start_video)


async def edit_submitted(ack, body, view, studio: Studio):
    await _submitted(ack, body, view, studio, studio.forms.check_edit, studio.forms.start_edit)


async def subject_submitted(ack, body, view, studio: Studio):
    await _submitted(ack, body, view, studio, studio.forms.check_subject, studio.forms.save_subject)


async def open_campaign_form(
    client, trigger_id: str, team_id: str, channel_id: str | None, studio: Studio
) -> None:
    """Open the campaign form on `trigger_id` (already acked)."""
    if studio.campaigns is not None:
        await client.views_open(trigger_id=trigger_id, view=await studio.campaigns.form(team_id, channel_id))


async def new_campaign_button(ack, body, client, studio: Studio):
    """App Home's New campaign button: the campaign form, with a channel select first."""
    await ack()
    team = (body.get("team") or {}).get("id", "")
    await open_campaign_form(client, body["trigger_id"], team, None, studio)


async def campaign_submitted(ack, body, view, client, studio: Studio):
    """The campaign form: a CSV attached to it is looked up first (the submission carries only
    the file's id and name), then checked and started like the other forms."""
    field = (view.get("state", {}).get("values", {}).get("file") or {}).get("value") or {}
    files = []
    for file in field.get("files") or ():
        try:
            files.append((await client.files_info(file=file["id"]))["file"])
        except Exception:
            log.warning("the campaign form's file %s could not be looked up", file.get("id"))
            files.append(file)
    if files:
        field["files"] = files
    if studio.campaigns is not None:
        await _submitted(ack, body, view, studio, studio.campaigns.check, studio.campaigns.start)


def register(app: AsyncApp) -> None:
    app.view(forms.VIDEO_FORM)(video_submitted)
    app.view(forms.EDIT_FORM)(edit_submitted)
    app.view(forms.SUBJECT_FORM)(subject_submitted)
    app.view(CAMPAIGN_FORM)(campaign_submitted)
    app.action(forms.CHANNEL_PICKED)(channel_picked)
    app.action("home_new_video")(new_video_button)
    app.action("home_new_campaign")(new_campaign_button)
