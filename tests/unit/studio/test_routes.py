"""Routes: with no provider keys every model is served by the local preview renderer, and the
final model falls back to the last of the preference list (a channel's own choice wins)."""

from __future__ import annotations

from bot.request.catalogue import shipped_catalogue
from storage.channels import ChannelSettings

CATALOGUE = shipped_catalogue()
FINAL_MODEL_PREFERENCE = CATALOGUE.final_preference


async def test_without_keys_every_model_is_the_preview_renderers(parts):
    routes = parts.routes.model_routes()
    assert set(routes) == set(CATALOGUE)
    assert {backend for backend, _ in routes.values()} == {"preview"}


async def test_the_final_model_is_the_channels_else_the_last_preference(parts):
    assert parts.routes.final_model(ChannelSettings("C1")) == FINAL_MODEL_PREFERENCE[-1]
    assert parts.routes.final_model(ChannelSettings("C1", final_model="veo-3.1")) == "veo-3.1"
