"""Veo 3.1 on Google's Gemini API (`GEMINI_API_KEY`): create a long-running operation, poll it,
download the clip. Wire facts live in `bot.providers.gemini.wire`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import httpx

from bot.providers import errors
from bot.providers.base import Availability, Mode, Provider, RenderSpec, SourceInput, TaskStatus
from bot.providers.gemini.models import list_model_ids
from bot.providers.gemini.wire import (
    BACKEND,
    CHECK_KEY,
    CREATE_PATH,
    KEY_HEADER,
    MODELS_PATH,
    MODES,
    OPERATION_PATH,
    build_request,
    error_for,
    operation_status,
)
from bot.providers.http import request_json, stream_to_file

_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class GeminiProvider(Provider):
    backend = BACKEND
    publishes_models = True
    source_input = SourceInput.OWN_TASK  # extends only clips it made, by their file URI
    edits_take_images = False  # an extension takes no image

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        base_url: str,
        api_key: str,
        model_ids: Mapping[str, tuple[str, ...]],
    ) -> None:
        # our model id -> the Gemini API's ids, most preferred first; the first listed is sent
        self._candidates = dict(model_ids)
        self._client = client
        self._base = base_url.rstrip("/")
        self._api_key = api_key

    def _headers(self) -> dict[str, str]:
        return {KEY_HEADER: self._api_key}

    def availability(self, model: str, mode: Mode = Mode.TEXT) -> Availability:
        if model not in self._candidates:
            return Availability(False, f"the Gemini API serves only Veo, not {model}", suggestion="veo-3.1")
        if mode not in MODES:
            return Availability(
                False, f"{model} on the Gemini API does text, image and extend, not {mode.value}"
            )
        return Availability(True)

    async def submit(self, spec: RenderSpec) -> str:
        state = self.model_state(spec.model, spec.mode)
        if state.provider_id is None:  # never send an id the key's list has dropped
            raise errors.ModelUnavailable(
                f"The Gemini API no longer serves {spec.model}: {state.describe()}."
            )
        model, body = build_request(spec, {spec.model: state.provider_id})
        status, answer, headers = await request_json(
            self._client, "POST", self._base + CREATE_PATH.format(model=model),
            backend=BACKEND, headers=self._headers(), json=body,
        )  # fmt: skip
        if status >= 300:
            raise error_for(status, answer, headers, model=spec.model)
        name = answer.get("name")
        if not name:
            raise errors.Unavailable("The Gemini API accepted the request but named no operation.")
        return str(name)

    async def status(self, task_id: str, spec: RenderSpec) -> TaskStatus:
        status, answer, headers = await request_json(
            self._client, "GET", self._base + OPERATION_PATH.format(name=task_id),
            backend=BACKEND, headers=self._headers(),
        )  # fmt: skip
        if status >= 300:
            raise error_for(status, answer, headers)
        return operation_status(answer)

    def provider_ids(self, model: str, mode: Mode = Mode.TEXT) -> tuple[str, ...]:
        return self._candidates.get(model, ())

    async def list_models(self) -> frozenset[str]:
        return await list_model_ids(self._client, self._base, self._headers())

    async def download(self, task_id: str, status: TaskStatus, dest: Path) -> int:
        """The file URI needs the key, but a redirect off the API's host must not get it: the first
        hop is taken by hand, and a redirect target is fetched without the key."""
        url = status.result_url
        if not url:
            raise errors.ProviderError("Veo reported no video for this clip.")
        if httpx.URL(url).netloc != httpx.URL(self._base).netloc:
            return await stream_to_file(self._client, url, dest, backend=BACKEND)
        try:
            async with self._client.stream(
                "GET", url, headers=self._headers(), follow_redirects=False
            ) as first:
                if first.status_code in _REDIRECTS and first.headers.get("location"):
                    target = str(httpx.URL(url).join(first.headers["location"]))
                elif first.status_code >= 400:
                    raise errors.ProviderError(
                        f"Downloading the clip from the Gemini API failed (HTTP {first.status_code})."
                    )
                else:
                    return await _save(first, Path(dest))
        except httpx.HTTPError:
            raise errors.Unavailable("The Gemini API could not be reached to download the clip.") from None
        return await stream_to_file(self._client, target, dest, backend=BACKEND)

    async def check(self) -> list[str]:
        try:
            status, answer, headers = await request_json(
                self._client, "GET", self._base + MODELS_PATH, backend=BACKEND, headers=self._headers()
            )
        except errors.ProviderError as exc:
            return [f"GEMINI_BASE_URL: {exc.message}"]
        if status < 300:
            return []
        error = error_for(status, answer, headers)
        if isinstance(error, errors.AuthFailed):
            return [f"The Gemini API rejected GEMINI_API_KEY: {CHECK_KEY}."]
        return [f"GEMINI_API_KEY: {error.message}"]


async def _save(response: httpx.Response, dest: Path) -> int:
    """Stream a response body to `dest` through `dest.part` (never whole in memory)."""
    part = dest.with_name(dest.name + ".part")
    dest.parent.mkdir(parents=True, exist_ok=True)
    size = 0
    try:
        with part.open("wb") as out:
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                out.write(chunk)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    if size == 0:
        part.unlink(missing_ok=True)
        raise errors.Unavailable("The Gemini API served an empty file for the clip.")
    part.replace(dest)
    return size
