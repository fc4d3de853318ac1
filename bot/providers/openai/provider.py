"""OpenAI's Videos API (Sora 2) on any endpoint that speaks it: create, poll, download, edit, extend.

OpenAI shut its own Sora 2 API down on 2026-09-24; an endpoint that answers like that is reported
as a retired model with a model to use instead. Every wire fact sits in the tables below.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import httpx

from bot.providers import errors
from bot.providers.base import (
    Availability,
    Mode,
    Provider,
    RenderSpec,
    SourceInput,
    TaskState,
    TaskStatus,
)
from bot.providers.http import data_uri, request_json, retry_after_seconds, stream_to_file
from bot.providers.webhooks import signed_json

BACKEND = "openai"
MODES = (Mode.TEXT, Mode.IMAGE, Mode.EDIT, Mode.EXTEND)
# (model, resolution, aspect) -> `size`: OpenAI's `VideoSize` enum (openai-openapi, openai-python) has
# 720x1280, 1280x720, 1024x1792, 1792x1024 only, so sora-2-pro's "1080p" is its 1792x1024 pair
SIZES = {
    ("sora-2", "720p", "16:9"): "1280x720",
    ("sora-2", "720p", "9:16"): "720x1280",
    ("sora-2-pro", "720p", "16:9"): "1280x720",
    ("sora-2-pro", "720p", "9:16"): "720x1280",
    ("sora-2-pro", "1080p", "16:9"): "1792x1024",
    ("sora-2-pro", "1080p", "9:16"): "1024x1792",
}
SECONDS = ("4", "8", "12")  # strings on the wire
PATHS = {
    "create": "/videos",
    "video": "/videos/{id}",
    "content": "/videos/{id}/content",
    "edit": "/videos/edits",
    "remix": "/videos/{id}/remix",
    "extend": "/videos/extensions",
    "model": "/models/{model}",
    "models": "/models",  # the OpenAI-compatible model list: {"data": [{"id": …}, …]}
}
STATES = {
    "queued": TaskState.PENDING,
    "in_progress": TaskState.RUNNING,
    "completed": TaskState.SUCCEEDED,
    "failed": TaskState.FAILED,
    # not in the enum, but OpenAI's own CLI treats them as terminal
    "canceled": TaskState.FAILED,
    "expired": TaskState.FAILED,
}
SUGGESTION = "kling-v3-pro"
RETIRED_CODES = {"model_not_found"}
RETIRED_WORDS = re.compile(r"deprecat|shut ?down|no longer (available|supported|served)|retired", re.I)
REFUSAL_WORDS = re.compile(r"moderat|content.?polic|safety|guardrail|violat", re.I)
AUTH_MESSAGE = "the endpoint rejected OPENAI_API_KEY: check the key (and that its organization may use Sora)."


def is_retired_answer(status: int, body: dict) -> bool:
    """Does this answer mean the endpoint no longer serves Sora 2 (rather than a one-off error)?

    A 404 for a route we call is the endpoint or model gone, unless it names a missing video;
    `model_not_found` or shutdown wording means the same at any status."""
    error = body.get("error")
    if not isinstance(error, dict):
        error = {}
    code = str(error.get("code") or "")
    message = str(error.get("message") or body.get("message") or "")
    if code in RETIRED_CODES or RETIRED_WORDS.search(message):
        return True
    if status != 404:
        return False
    names_a_video = "video_" in message or error.get("param") in ("video", "video_id")
    return not names_a_video


def retired_message(base_url: str) -> str:
    host = httpx.URL(base_url).host or base_url
    return (
        f"Sora 2 is no longer served by {host}: OpenAI shut down its Sora 2 API on 2026-09-24. "
        f"Use --model {SUGGESTION} instead."
    )


def error_for(status: int, body: dict, headers: httpx.Headers, *, base_url: str) -> errors.ProviderError:
    """The ProviderError for an OpenAI error envelope {"error": {message, type, param, code}}."""
    error = body.get("error")
    if not isinstance(error, dict):
        error = {}
    message = str(error.get("message") or "").strip()
    code = error.get("code") or error.get("type")
    kw: errors.ErrorContext = {
        "request_id": headers.get("x-request-id"),
        "code": str(code) if code else str(status),
    }
    if is_retired_answer(status, body):
        return errors.ModelGone(retired_message(base_url), suggestion=SUGGESTION, **kw)
    if status == 400 and (REFUSAL_WORDS.search(str(code or "")) or REFUSAL_WORDS.search(message)):
        return errors.Refused(f"OpenAI refused the prompt: {message or code}", **kw)
    if status == 401:
        return errors.AuthFailed(f"OpenAI: {AUTH_MESSAGE}", **kw)
    if status == 403:
        return errors.AuthFailed(
            f"OpenAI refused access ({message or 'HTTP 403'}); check OPENAI_API_KEY.", **kw
        )
    if status == 429 and code == "insufficient_quota":
        return errors.OutOfBalance(
            "OpenAI says the account is out of quota: add credit or raise the limit.", **kw
        )
    if status == 429:
        return errors.RateLimited(
            "OpenAI is busy (rate limited).", retry_after=retry_after_seconds(headers), **kw
        )
    if status >= 500:
        return errors.Unavailable(
            f"OpenAI is having trouble (HTTP {status}).", retry_after=retry_after_seconds(headers), **kw
        )
    return errors.BadRequest(f"OpenAI rejected the request: {message or f'HTTP {status}'}", **kw)


def size_for(spec: RenderSpec) -> str:
    size = SIZES.get((spec.model, spec.resolution, spec.aspect))
    if size is None:
        allowed = ", ".join(f"{r} {a}" for (m, r, a) in SIZES if m == spec.model)
        raise errors.BadRequest(f"{spec.model} renders {allowed}, not {spec.resolution} {spec.aspect}.")
    return size


def seconds_for(spec: RenderSpec) -> str | None:
    if spec.seconds is None:
        return None
    seconds = str(int(spec.seconds))
    if seconds not in SECONDS:
        raise errors.BadRequest(f"{spec.model} renders {', '.join(SECONDS)} seconds, not {seconds}.")
    return seconds


def prompt_for(spec: RenderSpec) -> str:
    """Sora takes no subject images (faces in input images are rejected), so a subject reaches it
    only as words: `{name}` becomes the name and its description."""
    prompt = spec.prompt
    for subject in spec.subjects:
        text = f"{subject.name} ({subject.description})" if subject.description else subject.name
        prompt = prompt.replace("{" + subject.name + "}", text)
    return prompt


def create_body(spec: RenderSpec) -> dict:
    """The JSON body of `POST /videos` (text or first-frame image). Reads a local image if needed."""
    body: dict = {"model": spec.model, "prompt": prompt_for(spec), "size": size_for(spec)}
    seconds = seconds_for(spec)
    if seconds:
        body["seconds"] = seconds
    if spec.mode is Mode.IMAGE:
        image = spec.image
        # exactly one of image_url / file_id; the image must match `size` (the catalogue checks it)
        if image is not None and image.url:
            url = image.url
        elif image is not None and image.path:
            url = data_uri(Path(image.path), image.mime)
        else:
            raise errors.BadRequest(f"{spec.model} image-to-video needs an image (--image URL).")
        body["input_reference"] = {"image_url": url}
    return body


def source_id(spec: RenderSpec) -> str:
    source = spec.source
    if source is None or source.backend != BACKEND or not source.task_id:
        raise errors.BadRequest("Sora can only edit or extend clips it rendered itself on this endpoint.")
    return source.task_id


def parse_video(body: dict) -> TaskStatus:
    """A video object as a TaskStatus (no result URL: the content route needs our key)."""
    word = body.get("status")
    state = STATES.get(word) if isinstance(word, str) else None
    if state is None:
        raise errors.Unavailable(f"OpenAI answered an unknown video status {word!r}.")
    progress = body.get("progress")
    progress = int(progress) if isinstance(progress, int | float) else None
    if state is TaskState.SUCCEEDED:
        return TaskStatus(state, progress=100)
    if state is TaskState.FAILED:
        return TaskStatus(state, progress=progress, error=video_error(body))
    return TaskStatus(state, progress=progress)


def video_error(body: dict) -> errors.ProviderError:
    error = body.get("error") or {}
    code = str(error.get("code") or body.get("status") or "failed")
    message = str(error.get("message") or f"the video {body.get('status', 'failed')}").strip()
    if REFUSAL_WORDS.search(code) or REFUSAL_WORDS.search(message):
        return errors.Refused(f"Sora refused the content: {message}", request_id=body.get("id"), code=code)
    return errors.ProviderError(
        f"Sora could not render the clip: {message}", request_id=body.get("id"), code=code
    )


def callback_video_id(body: object) -> str | None:
    """The video id of a `video.completed` / `video.failed` webhook event, else None."""
    if not isinstance(body, dict) or body.get("type") not in ("video.completed", "video.failed"):
        return None
    data = body.get("data")
    video_id = data.get("id") if isinstance(data, dict) else None
    return video_id if isinstance(video_id, str) and video_id else None


class OpenAIVideosProvider(Provider):
    backend = BACKEND
    publishes_models = True
    has_progress = True
    sends_callbacks = True
    source_input = SourceInput.OWN_TASK  # edits and remixes work on its own video ids
    edits_take_images = False

    def __init__(
        self, client: httpx.AsyncClient, *, base_url: str, api_key: str, webhook_secret: str = ""
    ) -> None:
        self._client = client
        self._webhook_secret = webhook_secret
        self._base = base_url.rstrip("/")
        self._api_key = api_key
        self._retired = False  # set once the endpoint answers like a shut-down Sora API

    @property
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key}"}

    def parse_callback(self, headers: Mapping[str, str], raw: bytes) -> str | None:
        return callback_video_id(signed_json(raw, headers, self._webhook_secret))

    def availability(self, model: str, mode: Mode = Mode.TEXT) -> Availability:
        if model not in {m for (m, _, _) in SIZES}:
            return Availability(False, f"The OpenAI Videos API does not serve {model}.")
        if self._retired:
            return Availability(False, retired_message(self._base), SUGGESTION)
        if mode not in MODES:
            return Availability(False, f"{model} does text, image, edit and extend, not {mode.value}.")
        return Availability(True)

    def provider_ids(self, model: str, mode: Mode = Mode.TEXT) -> tuple[str, ...]:
        return (model,) if model in {m for (m, _, _) in SIZES} else ()  # Sora's ids are ours

    async def list_models(self) -> frozenset[str]:
        status, body, headers = await self._call("GET", PATHS["models"])
        if status >= 300:
            raise error_for(status, body, headers, base_url=self._base)
        found = body.get("data")
        data: list[object] = found if isinstance(found, list) else []
        return frozenset(str(m["id"]) for m in data if isinstance(m, dict) and m.get("id"))

    async def _call(
        self, method: str, path: str, json: dict | None = None, params: dict | None = None
    ) -> tuple[int, dict, httpx.Headers]:
        return await request_json(
            self._client,
            method,
            self._base + path,
            backend=BACKEND,
            headers=self._headers,
            json=json,
            params=params,
        )

    def _raise(self, status: int, body: dict, headers: httpx.Headers) -> None:
        error = error_for(status, body, headers, base_url=self._base)
        if isinstance(error, errors.ModelUnavailable):
            self._retired = True
        raise error

    async def submit(self, spec: RenderSpec) -> str:
        if spec.mode is Mode.EDIT:
            answer = await self._edit(spec)
        elif spec.mode is Mode.EXTEND:
            body = {"video": {"id": source_id(spec)}, "prompt": prompt_for(spec)}
            seconds = seconds_for(spec)
            if seconds:
                body["seconds"] = seconds
            answer = await self._call("POST", PATHS["extend"], body)
        elif spec.mode in (Mode.TEXT, Mode.IMAGE):
            answer = await self._call("POST", PATHS["create"], create_body(spec))
        else:
            raise errors.BadRequest(self.availability(spec.model, spec.mode).reason)
        status, body, headers = answer
        if status >= 300:
            self._raise(status, body, headers)
        if not body.get("id"):
            raise errors.Unavailable("OpenAI accepted the request but returned no video id.")
        return str(body["id"])

    async def _edit(self, spec: RenderSpec) -> tuple[int, dict, httpx.Headers]:
        """`POST /videos/edits`; endpoints without that route still have the older remix."""
        video_id = source_id(spec)
        prompt = prompt_for(spec)
        answer = await self._call("POST", PATHS["edit"], {"prompt": prompt, "video": {"id": video_id}})
        status, body, _ = answer
        error = body.get("error")
        if not isinstance(error, dict):
            error = {}
        route_missing = status in (404, 405) and error.get("code") not in RETIRED_CODES
        if route_missing and not RETIRED_WORDS.search(str(error.get("message") or "")):
            answer = await self._call("POST", PATHS["remix"].format(id=video_id), {"prompt": prompt})
        return answer

    async def status(self, task_id: str, spec: RenderSpec) -> TaskStatus:
        status, body, headers = await self._call("GET", PATHS["video"].format(id=task_id))
        if status >= 300:
            if status == 404 and not is_retired_answer(status, body):
                raise errors.ProviderError(f"OpenAI has no video {task_id}.", code="404")
            self._raise(status, body, headers)
        return parse_video(body)

    async def download(self, task_id: str, status: TaskStatus, dest: Path) -> int:
        url = self._base + PATHS["content"].format(id=task_id)
        headers = {**self._headers, "Accept": "application/binary"}
        return await stream_to_file(self._client, url, dest, headers=headers, backend=BACKEND)

    async def check(self) -> list[str]:
        """`GET /models/sora-2` (then `GET /videos?limit=1` where that route is missing): a key
        problem, or Sora 2 retired at this endpoint, is reported; a retired model also turns
        `availability` off so `dailies models` shows it."""
        try:
            status, body, headers = await self._call("GET", PATHS["model"].format(model="sora-2"))
            if status == 404 and not is_retired_answer(0, body):  # no explicit word: ask the videos route
                status, body, headers = await self._call("GET", PATHS["create"], params={"limit": 1})
        except errors.ProviderError as exc:
            return [f"OPENAI_BASE_URL: {exc.message}"]
        if status < 300:
            return []
        error = error_for(status, body, headers, base_url=self._base)
        if isinstance(error, errors.ModelUnavailable):
            self._retired = True
            return [error.message]
        if isinstance(error, errors.AuthFailed):
            return [f"OPENAI_API_KEY: {AUTH_MESSAGE}"]
        return [f"OPENAI_BASE_URL: {error.message}"]
