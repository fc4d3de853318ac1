"""A stand-in of OpenAI's Videos API (Sora 2) over real HTTP on 127.0.0.1.

It follows OpenAI's video API reference: Bearer auth, the `{"error": {message, type, param, code}}` envelope,
string `seconds`, sizes per model, queued → in_progress (progress %) → completed | failed,
`/content` serving a real MP4, edits/remix/extensions, and a switch to answer like the shut-down API.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import ClassVar

from aiohttp import web

from tests.contracts import openai_validator, problems
from tests.fakes.base import ScriptedStandIn, record_request, serve
from tests.fakes.mp4 import sample_mp4

SIZES = {
    "sora-2": ("1280x720", "720x1280"),
    "sora-2-pro": ("1280x720", "720x1280", "1024x1792", "1792x1024"),  # the VideoSize enum
}
SECONDS = ("4", "8", "12")
LISTED = {*SIZES, "gpt-5.5", "gpt-image-1"}  # `GET /v1/models` has every kind of model, videos too


@dataclass
class Video:
    id: str
    model: str
    prompt: str
    size: str
    seconds: str
    remixed_from_video_id: str | None = None
    polls: int = 0
    refusal: str | None = None
    stuck: bool = False
    created_at: int = field(default_factory=lambda: int(time.time()))

    def resource(self, status: str, progress: int, error: dict | None = None) -> dict:
        done = status in ("completed", "failed")
        return {
            "id": self.id,
            "object": "video",
            "model": self.model,
            "status": status,
            "progress": progress,
            "created_at": self.created_at,
            "completed_at": int(time.time()) if done else None,
            "expires_at": self.created_at + 3600 if status == "completed" else None,
            "prompt": self.prompt,
            "size": self.size,
            "seconds": self.seconds,
            "remixed_from_video_id": self.remixed_from_video_id,
            "error": error,
        }


def error_body(message: str, *, type_: str = "invalid_request_error", param=None, code=None) -> dict:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


@dataclass
class FakeOpenAIVideos(ScriptedStandIn):
    """`async with FakeOpenAIVideos() as fake:` then point the provider at `fake.base_url` (…/v1).
    `fail_next_create` applies to create/edit/remix/extend alike."""

    api_key: str = "test-openai-key"
    polls_to_finish: int = 3  # status answers before "completed"
    edits_route: bool = True  # False: /videos/edits answers 404 like an endpoint that only has remix
    videos: dict[str, Video] = field(default_factory=dict)
    _ids = itertools.count(1)
    default_refusal: ClassVar[str] = "Your request was blocked by our moderation system."
    listed: set[str] | None = None  # what the model list shows; None: the served, unretired models

    # --- scripting hooks (the shared ones are in ScriptedStandIn) -------------------------------
    def retire_models(self, models: set[str]) -> None:
        """Answer like the shut-down API for these models: 404 `model_not_found`."""
        self._retired |= set(models)

    def set_listed(self, models: set[str] | None) -> None:
        """What `GET /v1/models` lists from now on (None: every served model that is not retired)."""
        self.listed = None if models is None else set(models)

    # --- server ----------------------------------------------------------------------------------
    async def __aenter__(self) -> FakeOpenAIVideos:
        app = web.Application()
        app.router.add_post("/v1/videos", self._create)
        app.router.add_get("/v1/videos", self._list)
        app.router.add_post("/v1/videos/edits", self._edit)
        app.router.add_post("/v1/videos/extensions", self._extend)
        app.router.add_get("/v1/videos/{id}", self._retrieve)
        app.router.add_get("/v1/videos/{id}/content", self._content)
        app.router.add_post("/v1/videos/{id}/remix", self._remix)
        app.router.add_get("/v1/models/{model}", self._model)
        app.router.add_get("/v1/models", self._models)
        self._runner, root = await serve(app)
        self.base_url = f"{root}/v1"
        return self

    # --- helpers ---------------------------------------------------------------------------------
    async def _begin(self, request: web.Request) -> tuple[dict | None, web.Response | None]:
        """Record the request; answer auth failures and scripted failures before any route logic."""
        body = await record_request(request, self.requests)
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            message = "Incorrect API key provided. You can find your API key at platform.openai.com."
            return body, web.json_response(error_body(message, code="invalid_api_key"), status=401)
        if request.method == "POST" and self._failures:
            status, custom, extra = self._failures.pop(0)
            payload = custom if custom is not None else error_body(f"HTTP {status}", type_="server_error")
            return body, web.json_response(payload, status=status, headers=extra)
        return body, None

    async def _models(self, request: web.Request) -> web.Response:
        """`GET /v1/models`: the whole list, no cursor, behind the same Bearer key."""
        _, answer = await self._begin(request)
        if answer is not None:
            return answer
        ids = self.listed if self.listed is not None else LISTED - self._retired
        data = [
            {"id": m, "object": "model", "created": 1727136000, "owned_by": "openai"} for m in sorted(ids)
        ]
        return web.json_response({"object": "list", "data": data})

    def _retired_answer(self, model: str) -> web.Response:
        message = f"The model `{model}` does not exist or you do not have access to it."
        return web.json_response(error_body(message, code="model_not_found"), status=404)

    def _new_video(self, model: str, prompt: str, size: str, seconds: str, **kw) -> web.Response:
        video = Video(
            id=f"video_{next(self._ids):04d}{int(time.time())}",
            model=model,
            prompt=prompt,
            size=size,
            seconds=seconds,
            refusal=self._refusals.pop(0) if self._refusals else None,
            stuck=self._never_finish,
            **kw,
        )
        self.videos[video.id] = video
        return web.json_response(video.resource("queued", 0))

    def _source(self, body: dict | None) -> Video | web.Response:
        ref = body.get("video") if isinstance(body, dict) else None
        video = self.videos.get(ref.get("id")) if isinstance(ref, dict) else None
        if video is None:
            return web.json_response(error_body("Video not found.", param="video"), status=404)
        if video.model in self._retired:
            return self._retired_answer(video.model)
        return video

    # --- routes ----------------------------------------------------------------------------------
    async def _create(self, request: web.Request) -> web.Response:
        body, early = await self._begin(request)
        if early is not None:
            return early
        if not isinstance(body, dict):
            return web.json_response(error_body("Expected a JSON object body."), status=400)
        model = body.get("model", "sora-2")
        if model in self._retired:
            return self._retired_answer(model)
        if model not in SIZES:
            return self._retired_answer(model)
        problem = validate_create(body, model)
        if problem:
            return web.json_response(problem, status=400)
        return self._new_video(model, body["prompt"], body.get("size", "720x1280"), body.get("seconds", "4"))

    async def _edit(self, request: web.Request) -> web.Response:
        body, early = await self._begin(request)
        if early is not None:
            return early
        if not self.edits_route:
            return web.json_response(error_body("Invalid URL (POST /v1/videos/edits)"), status=404)
        source = self._source(body)
        if isinstance(source, web.Response):
            return source
        if not isinstance(body.get("prompt"), str):
            return web.json_response(error_body("Missing required parameter: 'prompt'.", param="prompt"), 400)
        return self._new_video(source.model, body["prompt"], source.size, source.seconds)

    async def _remix(self, request: web.Request) -> web.Response:
        body, early = await self._begin(request)
        if early is not None:
            return early
        source = self._source({"video": {"id": request.match_info["id"]}})
        if isinstance(source, web.Response):
            return source
        if not isinstance(body, dict) or not isinstance(body.get("prompt"), str):
            return web.json_response(error_body("Missing required parameter: 'prompt'.", param="prompt"), 400)
        return self._new_video(
            source.model, body["prompt"], source.size, source.seconds, remixed_from_video_id=source.id
        )

    async def _extend(self, request: web.Request) -> web.Response:
        body, early = await self._begin(request)
        if early is not None:
            return early
        source = self._source(body)
        if isinstance(source, web.Response):
            return source
        seconds = body.get("seconds", "4")
        if seconds not in (*SECONDS, "16", "20"):
            return web.json_response(seconds_error(seconds), status=400)
        total = str(int(source.seconds) + int(seconds))  # an extension reports the stitched total
        return self._new_video(source.model, body.get("prompt", ""), source.size, total)

    async def _retrieve(self, request: web.Request) -> web.Response:
        _, early = await self._begin(request)
        if early is not None:
            return early
        video = self.videos.get(request.match_info["id"])
        if video is None:
            return web.json_response(
                error_body(f"No video found with id '{request.match_info['id']}'.", param="video_id"), 404
            )
        video.polls += 1
        if video.polls >= self.polls_to_finish and not video.stuck:
            if video.refusal:
                error = {"code": "moderation_blocked", "message": video.refusal}
                return web.json_response(video.resource("failed", 0, error))
            return web.json_response(video.resource("completed", 100))
        if video.polls == 1:
            return web.json_response(video.resource("queued", 0), headers={"openai-poll-after-ms": "1000"})
        progress = min(99, round(100 * (video.polls - 1) / max(1, self.polls_to_finish - 1)))
        return web.json_response(video.resource("in_progress", progress))

    async def _content(self, request: web.Request) -> web.StreamResponse:
        _, early = await self._begin(request)
        if early is not None:
            return early
        video = self.videos.get(request.match_info["id"])
        if video is None or video.polls < self.polls_to_finish or video.stuck or video.refusal:
            return web.json_response(error_body("Video is not ready for download."), status=404)
        return web.FileResponse(sample_mp4(), headers={"Content-Type": "video/mp4"})

    async def _list(self, request: web.Request) -> web.Response:
        _, early = await self._begin(request)
        if early is not None:
            return early
        data = [v.resource("completed", 100) for v in self.videos.values()][
            : int(request.query.get("limit", 20))
        ]
        return web.json_response({"object": "list", "data": data, "has_more": False})

    async def _model(self, request: web.Request) -> web.Response:
        _, early = await self._begin(request)
        if early is not None:
            return early
        model = request.match_info["model"]
        if model in self._retired or model not in SIZES:
            return self._retired_answer(model)
        return web.json_response(
            {"id": model, "object": "model", "created": 1759708800, "owned_by": "system"}
        )


def seconds_error(value: object) -> dict:
    message = f"Invalid value: '{value}'. Supported values are: '4', '8', and '12'."
    return error_body(message, param="seconds", code="invalid_value")


def validate_create(body: dict, model: str) -> dict | None:
    """An OpenAI 400 body for the first invalid field of `POST /videos`, or None."""
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not 1 <= len(prompt) <= 32000:
        return error_body("Invalid 'prompt': expected a string of 1 to 32000 characters.", param="prompt")
    seconds = body.get("seconds", "4")
    if not isinstance(seconds, str) or seconds not in SECONDS:
        return seconds_error(seconds)
    size = body.get("size", "720x1280")
    if size not in SIZES[model]:
        supported = ", ".join(f"'{s}'" for s in SIZES[model])
        return error_body(f"Invalid value: '{size}'. Supported values are: {supported}.", param="size")
    reference = body.get("input_reference")
    if reference is not None:
        keys = set(reference) if isinstance(reference, dict) else set()
        if len(keys & {"image_url", "file_id"}) != 1 or keys - {"image_url", "file_id"}:
            message = "Invalid 'input_reference': provide exactly one of 'image_url' or 'file_id'."
            return error_body(message, param="input_reference")
        url = reference.get("image_url", "")
        if "image_url" in reference and not url.startswith(("https://", "http://", "data:image/")):
            return error_body("Invalid 'input_reference.image_url': expected a URL.", param="input_reference")
    found = problems(openai_validator("CreateVideoJsonBody"), body)
    if found:
        return error_body(f"Invalid request: {found[0]}", param=found[0].split(":")[0])
    return None
