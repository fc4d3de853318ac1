"""The Gemini API's model list (`GET /v1beta/models`, every page): the ids this key is served,
so a retired Veo id is never sent (providers reference §c.1)."""

from __future__ import annotations

import httpx

from bot.providers import errors
from bot.providers.gemini.wire import BACKEND, MODELS_PATH, error_for
from bot.providers.http import request_json

PAGE_SIZE = 1000
MAX_PAGES = 20  # a list this long is a loop at the other end, not a catalogue


async def list_model_ids(client: httpx.AsyncClient, base_url: str, headers: dict[str, str]) -> frozenset[str]:
    """Every model id the key lists (`models/veo-3.1-generate-001` -> `veo-3.1-generate-001`, and
    its `baseModelId`). Raises ProviderError when a page cannot be read."""
    ids: set[str] = set()
    token = ""
    for _ in range(MAX_PAGES):
        params: dict[str, str | int] = {"pageSize": PAGE_SIZE}
        if token:
            params["pageToken"] = token
        status, body, _ = await request_json(
            client, "GET", base_url.rstrip("/") + MODELS_PATH, backend=BACKEND, headers=headers, params=params
        )
        if status >= 300:
            raise error_for(status, body, httpx.Headers())
        ids |= page_ids(body)
        token = str(body.get("nextPageToken") or "")
        if not token:
            return frozenset(ids)
    raise errors.Unavailable(f"The Gemini API's model list did not end after {MAX_PAGES} pages.")


def page_ids(body: dict) -> set[str]:
    """The ids on one page of `{"models": [{"name": "models/…", "baseModelId": …}], …}`."""
    ids = set()
    for model in body.get("models") or []:
        if not isinstance(model, dict):
            continue
        name = str(model.get("name") or "")
        if name:
            ids.add(name.removeprefix("models/"))
        if model.get("baseModelId"):
            ids.add(str(model["baseModelId"]))
    return ids
