"""Listener middleware that hands a listener the studio as its `studio` argument (Bolt injects
what the context holds), so listeners stay named module-level functions."""

from __future__ import annotations

from bot.studio.studio import Studio


def with_studio(studio: Studio):
    async def attach(context, next):
        context["studio"] = studio
        return await next()

    return [attach]
