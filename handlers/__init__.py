"""Bolt listeners, one module per Slack surface. Every entry point is bound here."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.screening.routes import ScreeningRoom
from bot.studio.studio import Studio
from handlers import actions, commands, functions, home, messages, reactions, screening, shortcuts, views


def register(app: AsyncApp, studio: Studio, room: ScreeningRoom | None = None) -> None:
    commands.register(app, studio)
    messages.register(app, studio)
    reactions.register(app, studio)
    actions.register(app, studio)
    home.register(app, studio)
    screening.register(app, room)
    views.register(app, studio)
    shortcuts.register(app, studio)
    functions.register(app, studio)
