"""The AI/ML API gateway (aimlapi.com): Kling, Veo, Gemini Omni and Sora through `/v2/video/generations`.

Wire facts live in `bot.providers.aimlapi.wire`; this module is the Provider that sends them.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from bot.providers import errors
from bot.providers.aimlapi.wire import (
    AUTH_MESSAGE,
    BACKEND,
    CREATE_PATH,
    FROM_CLIP_NOTE,
    MODELS_PATH,
    MOTION_IDS,
    RETIRED_SUGGESTION,
    STATUS_PATH,
    WIRE_MODELS,
    availability_for,
    build_request,
    client_request_id,
    error_for,
    listed_ids,
    parse_status,
    shape_refusal,
)
from bot.providers.base import Availability, Mode, Provider, RenderSpec, SourceInput, TaskStatus
from bot.providers.http import request_json, stream_to_file


class AimlApiProvider(Provider):
    backend = BACKEND
    publishes_models = True
    result_url_seconds = 20 * 3600.0  # the gateway keeps a finished clip for about a day
    source_input = SourceInput.URL_OR_FILE  # a result URL while it lasts, else our file inline

    def __init__(self, client: httpx.AsyncClient, *, base_url: str, api_key: str) -> None:
        self._client = client
        self._base = base_url.rstrip("/")
        self._api_key = api_key
        self._offered: frozenset[str] | None = None  # its model list, once read (check())

    def _headers(self, external_id: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self._api_key}"}
        request_id = client_request_id(external_id)
        if request_id:
            headers["X-Client-Request-Id"] = request_id
        return headers

    def availability(self, model: str, mode: Mode = Mode.TEXT) -> Availability:
        # a model the gateway answered "gone" is marked by the model watch (Provider.models)
        return availability_for(model, mode, offered=self._offered)

    def refusal(self, spec: RenderSpec) -> str | None:
        return shape_refusal(spec)

    def card_note(self, model: str) -> str:
        # Omni's conversational edits need Google's interaction id, which the gateway does not return
        return FROM_CLIP_NOTE if model == "gemini-omni" else ""

    def known_to_serve(self, model: str) -> bool:
        """Sora is upstream-dependent: known only once the model list has shown it."""
        if self._offered is None and model in RETIRED_SUGGESTION:
            return False
        return self.availability(model).ok

    def provider_ids(self, model: str, mode: Mode = Mode.TEXT) -> tuple[str, ...]:
        if mode is Mode.MOTION and model in MOTION_IDS:  # two documented ids: the list says which
            return MOTION_IDS[model]
        wire = WIRE_MODELS.get((model, mode))
        if wire is None:
            return ()
        # an id with the resolution in it is one id per resolution: listed at any, the model is here
        return tuple(wire.id.format(res=r) for r in wire.resolutions) if wire.resolutions else (wire.id,)

    async def list_models(self) -> frozenset[str]:
        status, answer, headers = await request_json(
            self._client, "GET", self._base + MODELS_PATH, backend=BACKEND, headers=self._headers()
        )
        if status >= 300:
            raise error_for(status, answer, headers)
        self._offered = listed_ids(answer)
        return self._offered

    async def submit(self, spec: RenderSpec) -> str:
        # motion control has two documented ids for one model: the model list says which is live
        offered = await self._model_list() if spec.mode is Mode.MOTION else self._offered
        body = build_request(spec, offered)
        status, answer, headers = await request_json(
            self._client,
            "POST",
            self._base + CREATE_PATH,
            backend=BACKEND,
            headers=self._headers(spec.external_id),
            json=body,
        )
        if status >= 300:
            raise error_for(status, answer, headers, model=spec.model)
        task_id = answer.get("id") or headers.get("x-inference-id")
        if not task_id:
            raise errors.Unavailable("AI/ML API accepted the request but returned no generation id.")
        return str(task_id)

    async def status(self, task_id: str, spec: RenderSpec) -> TaskStatus:
        status, answer, headers = await request_json(
            self._client,
            "GET",
            self._base + STATUS_PATH,
            backend=BACKEND,
            headers=self._headers(),
            params={"generation_id": task_id},
        )
        if status == 404:  # here it is the generation, not the model, that is unknown
            raise errors.ProviderError(
                f"AI/ML API has no generation {task_id}.", request_id=answer.get("requestId"), code="404"
            )
        if status >= 300:
            raise error_for(status, answer, headers)
        return parse_status(answer, headers)

    async def download(self, task_id: str, status: TaskStatus, dest: Path) -> int:
        if not status.result_url:
            status = await self.status(task_id, RenderSpec(model="", mode=Mode.TEXT, prompt=""))
        if not status.result_url:
            raise errors.ProviderError("AI/ML API has no finished clip for this generation yet.")
        # The CDN URL is public: the key is not sent along with it.
        return await stream_to_file(self._client, status.result_url, dest, backend=BACKEND)

    async def _model_list(self) -> frozenset[str] | None:
        """The gateway's model ids, read once (None when it could not be read: defaults apply)."""
        if self._offered is None:
            try:
                status, answer, _ = await request_json(
                    self._client, "GET", self._base + MODELS_PATH, backend=BACKEND, headers=self._headers()
                )
            except errors.ProviderError:
                return None
            if status < 300:
                self._offered = listed_ids(answer)
        return self._offered

    async def check(self) -> list[str]:
        try:
            status, answer, headers = await request_json(
                self._client, "GET", self._base + MODELS_PATH, backend=BACKEND, headers=self._headers()
            )
        except errors.ProviderError as exc:
            return [f"AIMLAPI_BASE_URL: {exc.message}"]
        if status < 300:
            self._offered = listed_ids(answer)
            return []
        error = error_for(status, answer, headers)
        if isinstance(error, errors.AuthFailed):
            return [f"{AUTH_MESSAGE} Set AIMLAPI_API_KEY to a key from aimlapi.com."]
        return [f"AIMLAPI_API_KEY: {error.message}"]
