"""The "Screening room" link button of a card (or of a campaign's board): the browser opens the
watch-only page, and this listener answers the click with a personal link whose decisions count
as the clicker's (with Sign in with Slack, the page asks the person to sign in instead)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.cards.board import CAMPAIGN_ROOM
from bot.screening.routes import ScreeningRoom


async def screening_room(ack, body: dict, action: dict, respond, room: ScreeningRoom | None):
    """The card's "Screening room" button: a personal link for the clicker (none without a room)."""
    await ack()
    if room is None or not str(action.get("value", "")).isdigit():
        return
    channel = (body.get("channel") or {}).get("id") or body.get("container", {}).get("channel_id", "")
    user = body["user"]["id"]
    link = await room.personal_link(channel, user, int(action["value"]))
    if link is not None:
        await _personal(respond, room, link)


async def campaign_screening_room(ack, body: dict, action: dict, respond, room: ScreeningRoom | None):
    """The board's "Screening room" button: the campaign's page, personal to the clicker."""
    await ack()
    if room is None or not str(action.get("value", "")).isdigit():
        return
    channel = (body.get("channel") or {}).get("id") or body.get("container", {}).get("channel_id", "")
    link = await room.personal_campaign_link(channel, body["user"]["id"], int(action["value"]))
    if link is not None:
        await _personal(respond, room, link)


async def _personal(respond, room: ScreeningRoom, link: str) -> None:
    """The ephemeral answer carrying a personal link (or, with Sign in with Slack, the page's)."""
    text = f"<{link}|Open the screening room as you>: approve, reject or ask for another take there."
    fine_print, label = "This link is yours alone and expires in 12 hours.", "Open as me"
    if room.sign_in is not None:  # the page decides as whoever signs in with Slack there
        text = f"<{link}|Open the screening room>: sign in with Slack there to approve, reject or ask for another take."
        fine_print = (
            "Decisions on the page count for the person signed in, and only for members of this workspace."
        )
        label = "Open"
    button = {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "action_id": "screening_room_open",
        "url": link,
        "style": "primary",
    }
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}, "accessory": button},
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": fine_print}],
        },
    ]
    await respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)


async def screening_link_opened(ack):
    await ack()  # the "Open as me" link itself: nothing to do but acknowledge


def register(app: AsyncApp) -> None:
    app.action("screening_room")(screening_room)
    app.action("screening_room_open")(screening_link_opened)
    app.action(CAMPAIGN_ROOM)(campaign_screening_room)
