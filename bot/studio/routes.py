"""Which backend serves a model here and whether it can: the routing every feature asks, and the
channel's final model (the first of the preference list a remote backend serves)."""

from __future__ import annotations

from bot.config import Config
from bot.providers.base import Availability, Mode, Provider
from bot.providers.discovery import ModelState
from bot.providers.http import backend_name
from bot.providers.registry import available_here, living_alternative, route
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
        """Whether `model_id` can run on `backend` now: the provider's own rules, then its model
        list (a model it no longer lists, or answered gone, is refused with what runs here)."""
        provider = self.providers[backend]
        availability = provider.availability(model_id, mode)
        if not availability.ok:
            return availability
        state = provider.model_state(model_id, mode)
        if state.usable:
            return availability
        here = [m for m in self.available_here() if m != model_id]
        listing = f"; models available here: {', '.join(here)}" if here else ""
        return Availability(
            False,
            f"{provider.label or backend_name(backend)} no longer serves it ({state.describe()}){listing}",
            suggestion=living_alternative(model_id, self.catalogue, self.config, self.providers),
        )

    def available_here(self) -> list[str]:
        return available_here(self.catalogue, self.config, self.providers)

    def model_states(self) -> dict[str, dict[str, ModelState]]:
        """Every catalogue model's state on each configured remote backend that has an id for it
        (`dailies models`, `dailies doctor`): available, unavailable since when, unknown."""
        states: dict[str, dict[str, ModelState]] = {}
        for model in self.catalogue.values():
            mode = Mode.TEXT if "text" in model.inputs else Mode.AVATAR
            for name, provider in self.providers.items():
                if not provider.local and provider.provider_ids(model.id, mode):
                    states.setdefault(model.id, {})[name] = provider.model_state(model.id, mode)
        return states

    def model_routes(self) -> dict[str, tuple[str, Availability]]:
        """Every catalogue model: (the backend serving it here, whether it can)."""
        routes = {}
        for model in self.catalogue.values():
            backend = self.backend_for(model.id)
            mode = Mode.AVATAR if "text" not in model.inputs else Mode.TEXT
            routes[model.id] = (backend, self.availability(backend, model.id, mode))
        return routes

    def final_model(self, settings: ChannelSettings) -> str:
        return self.final_choice(settings)[0]

    def final_choice(self, settings: ChannelSettings) -> tuple[str, str]:
        """(the channel's final model, why: the preferred models it skipped and for what, "" when
        none): the first of the catalogue's preference a remote backend serves now."""
        if settings.final_model:
            return settings.final_model, ""
        preference = self.catalogue.final_preference
        skipped = []
        for model_id in preference:
            backend = self.backend_for(model_id)
            provider = self.providers[backend]
            if provider.local:
                continue  # no backend here for it: nothing changed, nothing to say
            state = provider.model_state(model_id)
            if not state.usable:  # the news a card should carry: a model that went away
                skipped.append(
                    f"{model_id} is {state.describe()} on {provider.label or backend_name(backend)}"
                )
            elif provider.known_to_serve(model_id):
                return model_id, "; ".join(skipped)
        return preference[-1], "; ".join(skipped)
