"""Google's Gemini API (`GEMINI_API_KEY`): Veo 3.1 as a long-running operation, Gemini Omni as an
interaction; create, poll, download the clip. Wire facts live in `wire` and `interactions`."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path

import httpx

from bot.providers import errors
from bot.providers.base import Availability, Mode, Provider, RenderSpec, SourceInput, TaskStatus
from bot.providers.gemini import interactions as omni
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
    source_input = SourceInput.OWN_TASK  # Veo extends only clips it made, by their file URI
    edits_take_images = False  # an extension takes no image; an Omni edit iterates on its clip alone
    continuation_seconds = omni.RETENTION_SECONDS  # Omni's stored interactions

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

    def _is_omni(self, model: str) -> bool:
        return any(omni.is_omni(i) for i in self._candidates.get(model, ()))

    def _omni(self, model: str) -> str | None:
        """The Omni id a submit of `model` sends now, or None when it is not an Omni model (or the
        key's list serves none of its ids)."""
        return self.sent_id(model) if self._is_omni(model) else None

    def availability(self, model: str, mode: Mode = Mode.TEXT) -> Availability:
        if model not in self._candidates:
            return Availability(
                False, f"the Gemini API serves only Veo and Gemini Omni, not {model}", suggestion="veo-3.1"
            )
        if self._is_omni(model):
            if mode in omni.MODES:
                return Availability(True)
            return Availability(False, f"{model} does text, image, edit and extend, not {mode.value}")
        if mode not in MODES:
            return Availability(
                False, f"{model} on the Gemini API does text, image and extend, not {mode.value}"
            )
        return Availability(True)

    def source_input_for(self, model: str) -> SourceInput:
        return SourceInput.CONVERSATION if self._is_omni(model) else self.source_input

    def refusal(self, spec: RenderSpec) -> str | None:
        provider_id = self._omni(spec.model)
        return omni.refusal(spec, provider_id) if provider_id else None

    def _omni_headers(self) -> dict[str, str]:
        return {**self._headers(), omni.REVISION_HEADER: omni.REVISION}

    async def submit(self, spec: RenderSpec) -> str:
        state = self.model_state(spec.model, spec.mode)
        if state.provider_id is None:  # never send an id the key's list has dropped
            raise errors.ModelUnavailable(
                f"The Gemini API no longer serves {spec.model}: {state.describe()}."
            )
        if omni.is_omni(state.provider_id):
            return await self._interact(spec, state.provider_id)
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

    async def _interact(self, spec: RenderSpec, provider_id: str) -> str:
        """Create an Omni interaction in the background; its id is the task id (and what a later
        edit of the clip continues)."""
        problem = omni.refusal(spec, provider_id)  # also what intake could not see (the clip's length)
        if problem:
            raise errors.BadRequest(problem)
        body = omni.build_interaction(spec, provider_id)
        status, answer, headers = await request_json(
            self._client, "POST", self._base + omni.INTERACTIONS_PATH,
            backend=BACKEND, headers=self._omni_headers(), json=body, timeout=120.0,
        )  # fmt: skip
        if status >= 300:
            raise omni.interaction_error(
                status, answer, headers, model=spec.model, previous=body.get("previous_interaction_id")
            )
        interaction = answer.get("id")
        if not interaction:
            raise errors.Unavailable("The Gemini API accepted the request but named no interaction.")
        return str(interaction)

    async def _interaction(self, interaction: str) -> dict:
        status, answer, headers = await request_json(
            self._client, "GET", self._base + omni.INTERACTION_PATH.format(id=interaction),
            backend=BACKEND, headers=self._omni_headers(),
        )  # fmt: skip
        if status >= 300:
            error = omni.interaction_error(status, answer, headers)
            # one live 400 on a running, billed interaction was an auth-layer glitch: ask again
            if status == 400 and not isinstance(error, errors.AuthFailed):
                raise errors.Unavailable(f"The Gemini API could not read the interaction: {error.message}")
            raise error
        return answer

    async def status(self, task_id: str, spec: RenderSpec) -> TaskStatus:
        if self._is_omni(spec.model):
            return omni.interaction_status(await self._interaction(task_id))
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
        if not url and not task_id.startswith("models/"):  # an Omni clip that came back inline
            return _write(omni.inline_video(await self._interaction(task_id)), Path(dest))
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


def _write(data: str | None, dest: Path) -> int:
    """An inline base64 clip to `dest` (through `dest.part`)."""
    if not data:
        raise errors.ProviderError("Gemini Omni reported no video for this clip.")
    part = dest.with_name(dest.name + ".part")
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        part.write_bytes(base64.b64decode(data))
    except BaseException:
        part.unlink(missing_ok=True)  # a full disk keeps no partial clip taking its room
        raise
    part.replace(dest)
    return dest.stat().st_size


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
