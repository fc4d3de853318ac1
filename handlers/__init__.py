"""Bolt listeners, one module per Slack surface. Every entry point is bound here, with the
collaborators listeners name as arguments and the app's one error handler."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.screening.routes import ScreeningRoom
from bot.studio.studio import Studio
from handlers import actions, commands, functions, home, messages, reactions, screening, shortcuts, views
from handlers.context import provide
from handlers.replies import unexpected


def register(app: AsyncApp, studio: Studio, room: ScreeningRoom | None = None) -> None:
    app.middleware(provide(studio=studio, room=room))
    app.error(unexpected)
    for surface in (commands, messages, reactions, actions, home, screening, views, shortcuts, functions):
        surface.register(app)
