"""The App Home tab."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.studio import Studio


def register(app: AsyncApp, studio: Studio) -> None:
    async def home_opened(event):
        return None

    app.event("app_home_opened")(home_opened)
