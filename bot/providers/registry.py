"""Which backend serves a model here, and building the configured providers."""

from __future__ import annotations

from pathlib import Path

import httpx

from bot.config import Config
from bot.providers.base import Mode, Provider
from bot.request.catalogue import Catalogue, shipped_catalogue

# a model's direct backend, when its keys are set
DIRECT = {"kling": "kling", "sora": "openai", "veo": "gemini", "gemini": "gemini"}


def family(model: str) -> str:
    if model.startswith("kling-"):
        return "kling"
    if model.startswith("sora-"):
        return "sora"
    if model.startswith("veo-"):
        return "veo"
    if model.startswith("gemini-"):
        return "gemini"
    return "preview"


def configured(config: Config) -> tuple[str, ...]:
    """The backends whose keys are set, in routing order; the local preview renderer always."""
    names = []
    if config.kling_configured:
        names.append("kling")
    if config.openai_api_key:
        names.append("openai")
    if config.gemini_api_key:
        names.append("gemini")
    if config.aimlapi_api_key:
        names.append("aimlapi")
    names.append("preview")
    return tuple(names)


def route(model: str, config: Config, fam: str | None = None) -> str:
    """Direct backend when its keys are set, else the AI/ML API when its key is set, else preview.
    `fam`: the model's family from the catalogue (else read from its id)."""
    fam = fam or family(model)
    if fam == "preview":
        return "preview"
    direct = DIRECT[fam]
    backends = configured(config)
    if direct in backends:
        return direct
    if "aimlapi" in backends:
        return "aimlapi"
    return "preview"


def build_providers(
    config: Config, http: httpx.AsyncClient, catalogue: Catalogue | None = None
) -> dict[str, Provider]:
    """The configured backends, each told the catalogue's provider ids for it."""
    from bot.providers.preview.provider import PreviewProvider

    catalogue = shipped_catalogue() if catalogue is None else catalogue

    providers: dict[str, Provider] = {
        "preview": PreviewProvider(Path(config.media_dir) / "preview", scale=config.preview_scale)
    }
    if config.kling_configured:
        from bot.providers.kling.provider import KlingProvider

        providers["kling"] = KlingProvider(
            http,
            base_url=config.kling_base_url,
            api_key=config.kling_api_key,
            access_key=config.kling_access_key,
            secret_key=config.kling_secret_key,
            webhook_secret=config.kling_webhook_secret,
            catalogue=catalogue,
        )
    if config.openai_api_key:
        from bot.providers.openai.provider import OpenAIVideosProvider

        providers["openai"] = OpenAIVideosProvider(
            http,
            base_url=config.openai_base_url,
            api_key=config.openai_api_key,
            webhook_secret=config.openai_webhook_secret,
        )
    if config.gemini_api_key:
        from bot.providers.gemini.provider import GeminiProvider

        providers["gemini"] = GeminiProvider(
            http,
            base_url=config.gemini_base_url,
            api_key=config.gemini_api_key,
            model_ids=catalogue.provider_ids("gemini"),
        )
    if config.aimlapi_api_key:
        from bot.providers.aimlapi.provider import AimlApiProvider

        providers["aimlapi"] = AimlApiProvider(
            http, base_url=config.aimlapi_base_url, api_key=config.aimlapi_api_key
        )
    return providers


def serves_now(provider: Provider, model: str, mode: Mode = Mode.TEXT) -> bool:
    """Can `provider` render `model` now: by its own rules and by its model list ("unknown" counts)."""
    return provider.availability(model, mode).ok and provider.model_state(model, mode).usable


def available_here(catalogue: Catalogue, config: Config, providers: dict[str, Provider]) -> list[str]:
    """The catalogue's models that the backend each is routed to serves now, in catalogue order."""
    found = []
    for model in catalogue.values():
        provider = providers.get(route(model.id, config, model.family))
        mode = Mode.TEXT if "text" in model.inputs else Mode.AVATAR
        if provider is not None and serves_now(provider, model.id, mode):
            found.append(model.id)
    return found


def living_alternative(
    model_id: str, catalogue: Catalogue, config: Config, providers: dict[str, Provider]
) -> str | None:
    """The first of `model_id`'s catalogue alternatives that runs here now, else None."""
    model = catalogue.get(model_id)
    here = set(available_here(catalogue, config, providers))
    return next((m for m in (model.alternatives if model else ()) if m in here), None)
