"""The App Home tab: published when opened, and again after its Approve / Reject buttons act
(they do what ✅ / ❌ on the clip do, with the same rules). Its New video button is in views.py."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp

from bot.cards.home import DECIDE, publish
from bot.studio.origin import Origin
from bot.studio.studio import SOMETHING_WRONG, Studio
from handlers.context import with_studio

log = logging.getLogger(__name__)


async def home_opened(event, body, client, studio: Studio):
    if event.get("tab", "home") != "home" or not event.get("user"):
        return
    await publish(client, studio.store, body.get("team_id", ""), event["user"])


async def home_decision(ack, body, action, client, studio: Studio):
    """Approve / Reject on a version (or a held job) waiting for this approver."""
    await ack()
    user = body["user"]["id"]
    key = f"act:{action.get('action_ts')}:{user}:{action['action_id']}"
    if not await studio.first_time(key, "action"):
        return
    channel, _, ref = str(action.get("value", "")).partition(":")
    origin = Origin(channel, user, (body.get("team") or {}).get("id", ""), source_key=key)
    try:
        reply = await studio.button(origin, DECIDE[action["action_id"]], ref)
    except Exception:
        log.exception("home %s failed", action["action_id"])
        reply = SOMETHING_WRONG.replace("was started", "changed")
    await publish(client, studio.store, origin.team_id, user, notice=reply or "")


def register(app: AsyncApp, studio: Studio) -> None:
    middleware = with_studio(studio)
    app.event("app_home_opened", middleware=middleware)(home_opened)
    for action_id in DECIDE:
        app.action(action_id, middleware=middleware)(home_decision)
