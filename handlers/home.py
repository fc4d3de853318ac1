"""The App Home tab: published when opened (the Messages tab, the DM studio, gets suggested prompts), and again after its Approve / Reject buttons act
(they do what ✅ / ❌ on the clip do, with the same rules). Its New video button is in views.py."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.cards.dm_studio import PROMPTS_TITLE, SUGGESTED_PROMPTS
from bot.cards.home import DECIDE, publish
from bot.studio.origin import Origin
from bot.studio.studio import Studio


async def home_opened(event: dict, body: dict, client, studio: Studio):
    if event.get("tab") == "messages" and event.get("channel"):
        # the DM studio opened (agent messaging): a few requests to start from, pinned on top
        await client.api_call(
            "assistant.threads.setSuggestedPrompts",
            json={"channel_id": event["channel"], "title": PROMPTS_TITLE, "prompts": list(SUGGESTED_PROMPTS)},
        )
        return
    if event.get("tab", "home") != "home" or not event.get("user"):
        return
    await publish(client, studio.store, body.get("team_id", ""), event["user"])


async def home_decision(ack, body: dict, action: dict, client, studio: Studio):
    """Approve / Reject on a version (or a held job) waiting for this approver; the tab is published
    again with the answer as its notice."""
    await ack()
    user = body["user"]["id"]
    key = f"act:{action.get('action_ts')}:{user}:{action['action_id']}"
    if not await studio.first_time(key, "action"):
        return
    channel, _, ref = str(action.get("value", "")).partition(":")
    origin = Origin(channel, user, (body.get("team") or {}).get("id", ""), source_key=key)
    reply = await studio.button(origin, DECIDE[action["action_id"]], ref)
    await publish(client, studio.store, origin.team_id, user, notice=reply or "")


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(home_opened)
    for action_id in DECIDE:
        app.action(action_id)(home_decision)
