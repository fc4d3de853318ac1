"""Which backend serves a model here and whether it can: the routing every feature asks, and the
channel's final model (the first of the preference list a remote backend serves)."""

from __future__ import annotations

from bot.config import Config
from bot.providers.base import Availability, Mode, Provider
from bot.providers.registry import route
from bot.request.catalogue import Catalogue, shipped_catalogue
from storage.channels import ChannelSettings


class Routes:
    def __init__(
        self, config: Config, providers: dict[str, Provider], catalogue: Catalogue | None = None
    ) -> None:
        self.config = config
        self.providers = providers
        self.catalogue = shipped_catalogue() if catalogue is None else catalogue

    def backend_for(self, model_id: str) -> str:
        model = self.catalogue.get(model_id)
        return route(model_id, self.config, model.family if model else None)

    def provider(self, backend: str) -> Provider:
        return self.providers[backend]

    def availability(self, backend: str, model_id: str, mode: Mode = Mode.TEXT) -> Availability:
        return self.providers[backend].availability(model_id, mode)

    def model_routes(self) -> dict[str, tuple[str, Availability]]:
        """Every catalogue model: (the backend serving it here, whether it can)."""
        routes = {}
        for model in self.catalogue.values():
            backend = self.backend_for(model.id)
            mode = Mode.AVATAR if "text" not in model.inputs else Mode.TEXT
            routes[model.id] = (backend, self.availability(backend, model.id, mode))
        return routes

    def final_model(self, settings: ChannelSettings) -> str:
        if settings.final_model:
            return settings.final_model
        preference = self.catalogue.final_preference
        for model_id in preference:
            provider = self.providers[self.backend_for(model_id)]
            if not provider.local and provider.known_to_serve(model_id):
                return model_id
        return preference[-1]
