"""Reactions on job cards and delivered clips: ✅ approves, ❌ rejects, 🔁 asks for another take."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.request.review import REACTIONS
from bot.studio.origin import Origin
from bot.studio.studio import Studio


async def handle_reaction(event: dict, body: dict, studio: Studio):
    """A review reaction added or removed on a message (Bolt acks events)."""
    item = event.get("item") or {}
    if event.get("reaction") not in REACTIONS or item.get("type") != "message":
        return
    added = event.get("type") == "reaction_added"
    key = (
        body.get("event_id")
        or f"{event.get('type')}:{item.get('ts')}:{event.get('user')}:{event.get('event_ts')}"
    )
    if not await studio.first_time(f"ev:{key}", event.get("type", "reaction")):
        return
    origin = Origin(
        channel_id=item.get("channel", ""),
        user_id=event.get("user", ""),
        team_id=body.get("team_id", ""),
        source_key=f"react:{key}",
    )
    await studio.reaction(origin, item.get("ts", ""), event["reaction"], added)


def register(app: AsyncApp) -> None:
    app.event("reaction_added")(handle_reaction)
    app.event("reaction_removed")(handle_reaction)
