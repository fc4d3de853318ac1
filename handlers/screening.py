"""The card's "Screening room" link button: the browser opens the watch-only page, and this
listener answers the click with a personal link whose decisions count as the clicker's."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.screening.routes import ScreeningRoom


async def screening_room(ack, body: dict, action: dict, respond, room: ScreeningRoom | None):
    """The card's "Screening room" button: a personal link for the clicker (none without a room)."""
    await ack()
    if room is None or not str(action.get("value", "")).isdigit():
        return
    channel = (body.get("channel") or {}).get("id") or body.get("container", {}).get("channel_id", "")
    user = body["user"]["id"]
    link = await room.personal_link(channel, user, int(action["value"]))
    if link is None:
        return
    text = f"<{link}|Open the screening room as you>: approve, reject or ask for another take there."
    button = {
        "type": "button",
        "text": {"type": "plain_text", "text": "Open as me"},
        "action_id": "screening_room_open",
        "url": link,
        "style": "primary",
    }
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}, "accessory": button},
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": "This link is yours alone and expires in 12 hours."}],
        },
    ]
    await respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)


async def screening_link_opened(ack):
    await ack()  # the "Open as me" link itself: nothing to do but acknowledge


def register(app: AsyncApp) -> None:
    app.action("screening_room")(screening_room)
    app.action("screening_room_open")(screening_link_opened)
