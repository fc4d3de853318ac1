"""The App Home tab."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.cards.home import home_view, load_home, thread_links
from bot.studio.studio import Studio


def register(app: AsyncApp, studio: Studio) -> None:
    async def home_opened(event, client):
        if event.get("tab", "home") != "home" or not event.get("user"):
            return
        data = await studio.store.run(load_home, event["user"])
        data["links"] = await thread_links(client, data["jobs"])
        await client.views_publish(user_id=event["user"], view=home_view(data))

    app.event("app_home_opened")(home_opened)
