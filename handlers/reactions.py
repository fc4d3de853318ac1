"""Reactions on job cards and delivered clips."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.studio import Studio


def register(app: AsyncApp, studio: Studio) -> None:
    async def reaction(event, body):
        return None

    app.event("reaction_added")(reaction)
    app.event("reaction_removed")(reaction)
