"""A stand-in of Google's Gemini API for Veo over real HTTP on 127.0.0.1, following
The Gemini API's Veo route: `x-goog-api-key`, `POST /v1beta/models/{model}:predictLongRunning`, the
operation polled at `GET /v1beta/{name}` until `done`, the clip downloaded with the same key, and
Google's error envelope. It rejects what the Gemini Developer API rejects (Vertex-only fields,
durations other than 4/6/8, 1080p or 4k below 8 s, a last frame without a first one)."""

from __future__ import annotations

import base64
import itertools
from dataclasses import dataclass, field

from aiohttp import web

from tests.fakes.base import ScriptedStandIn, record_request, serve
from tests.fakes.mp4 import sample_mp4

MODELS = {"veo-3.1-generate-preview", "veo-3.1-fast-generate-preview"}
PARAMETERS = {"sampleCount", "durationSeconds", "aspectRatio", "resolution", "personGeneration"}
PARAMETERS |= {"negativePrompt", "enhancePrompt"}
VERTEX_ONLY = {"seed", "fps", "generateAudio", "outputGcsUri", "pubsubTopic", "compressionQuality"}
INSTANCE = {"prompt", "image", "lastFrame", "referenceImages", "video"}
IMAGE_MIMES = {"image/png", "image/jpeg", "image/webp"}


@dataclass
class Operation:
    name: str
    model: str
    body: dict
    polls: int = 0
    refusal: str | None = None
    stuck: bool = False


@dataclass
class FakeGemini(ScriptedStandIn):
    """`async with FakeGemini() as fake:` then set GEMINI_BASE_URL to `fake.base_url`."""

    api_key: str = "test-gemini-key"
    polls_to_finish: int = 1
    operations: dict[str, Operation] = field(default_factory=dict)
    downloads: int = 0
    _ids = itertools.count(1)

    def retire_models(self, models: set[str]) -> None:
        self._retired |= models

    async def __aenter__(self) -> FakeGemini:
        app = web.Application()
        app.router.add_post("/v1beta/models/{call}", self._create)
        app.router.add_get("/v1beta/models/{model}/operations/{op}", self._operation)
        app.router.add_get("/v1beta/models", self._models)
        app.router.add_get("/v1beta/files/{name}", self._file)
        self._runner, self.base_url = await serve(app)
        return self

    @staticmethod
    def _error(status: int, word: str, message: str) -> web.Response:
        return web.json_response(
            {"error": {"code": status, "message": message, "status": word}}, status=status
        )

    def _denied(self, request: web.Request) -> web.Response | None:
        if request.headers.get("x-goog-api-key") != self.api_key:
            return self._error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.")
        return None

    async def _create(self, request: web.Request) -> web.Response:
        body = await record_request(request, self.requests)
        denied = self._denied(request)
        if denied:
            return denied
        model, _, method = request.match_info["call"].partition(":")
        if method != "predictLongRunning":
            return self._error(404, "NOT_FOUND", f"Method {method!r} not found.")
        if self._failures:
            status, custom, headers = self._failures.pop(0)
            if custom is not None:
                return web.json_response(custom, status=status, headers=headers)
            return self._error(
                status, {429: "RESOURCE_EXHAUSTED"}.get(status, "INTERNAL"), "scripted failure"
            )
        if model not in MODELS or model in self._retired:
            return self._error(404, "NOT_FOUND", f"models/{model} is not found for API version v1beta.")
        problem = validate(body)
        if problem:
            return self._error(400, "INVALID_ARGUMENT", problem)
        op = Operation(f"models/{model}/operations/op{next(self._ids)}", model, body)
        op.refusal = self._refusals.pop(0) if self._refusals else None
        op.stuck = self._never_finish
        self.operations[op.name] = op
        return web.json_response({"name": op.name})

    async def _operation(self, request: web.Request) -> web.Response:
        await record_request(request, self.requests)
        denied = self._denied(request)
        if denied:
            return denied
        name = f"models/{request.match_info['model']}/operations/{request.match_info['op']}"
        op = self.operations.get(name)
        if op is None:
            return self._error(404, "NOT_FOUND", "Operation not found.")
        op.polls += 1
        if op.stuck or op.polls <= self.polls_to_finish:
            return web.json_response({"name": name, "done": False})
        if op.refusal:
            result = {"raiMediaFilteredCount": 1, "raiMediaFilteredReasons": [op.refusal]}
        else:
            uri = f"{self.base_url}/v1beta/files/{request.match_info['op']}:download?alt=media"
            result = {"generatedSamples": [{"video": {"uri": uri}}]}
        return web.json_response(
            {
                "name": name,
                "done": True,
                "response": {"@type": "type.googleapis.com/…", "generateVideoResponse": result},
            }
        )

    async def _models(self, request: web.Request) -> web.Response:
        await record_request(request, self.requests)
        denied = self._denied(request)
        if denied:
            return denied
        return web.json_response(
            {"models": [{"name": f"models/{m}"} for m in sorted(MODELS - self._retired)]}
        )

    async def _file(self, request: web.Request) -> web.StreamResponse:
        await record_request(request, self.requests)
        denied = self._denied(request)
        if denied:
            return denied
        op = request.match_info["name"].removesuffix(":download")
        if not any(name.endswith(f"/operations/{op}") for name in self.operations):
            return self._error(404, "NOT_FOUND", "File not found.")
        self.downloads += 1
        return web.FileResponse(sample_mp4(), headers={"Content-Type": "video/mp4"})


def _image_problem(value: object, what: str) -> str | None:
    if not isinstance(value, dict) or set(value) != {"bytesBase64Encoded", "mimeType"}:
        return f"{what} must be {{bytesBase64Encoded, mimeType}}."
    if value["mimeType"] not in IMAGE_MIMES:
        return f"{what}.mimeType {value['mimeType']!r} is not supported."
    try:
        base64.b64decode(value["bytesBase64Encoded"], validate=True)
    except ValueError:
        return f"{what}.bytesBase64Encoded is not base64."
    return None


def validate(body: object) -> str | None:
    """The first thing the Gemini API would reject in a Veo request body."""
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("instances"), list)
        or len(body["instances"]) != 1
    ):
        return "instances must hold exactly one instance."
    instance, parameters = body["instances"][0], body.get("parameters") or {}
    if (
        not isinstance(instance, dict)
        or not isinstance(instance.get("prompt"), str)
        or not instance["prompt"]
    ):
        return "instances[0].prompt is required."
    if set(instance) - INSTANCE:
        return f"Invalid JSON payload received. Unknown name {sorted(set(instance) - INSTANCE)[0]!r}."
    vertex = set(parameters) & VERTEX_ONLY
    if vertex:
        return f"{sorted(vertex)[0]} parameter is not supported in Gemini API."
    if set(parameters) - PARAMETERS:
        return f"Invalid JSON payload received. Unknown name {sorted(set(parameters) - PARAMETERS)[0]!r}."
    seconds = parameters.get("durationSeconds", 8)
    if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds not in (4, 6, 8):
        return f"durationSeconds must be 4, 6 or 8; got {seconds!r}."
    if parameters.get("aspectRatio", "16:9") not in ("16:9", "9:16"):
        return f"aspectRatio {parameters['aspectRatio']!r} is not supported."
    resolution = parameters.get("resolution", "720p")
    if resolution not in ("720p", "1080p", "4k"):
        return f"resolution {resolution!r} is not supported."
    if resolution != "720p" and seconds != 8:
        return f"{resolution} is only supported with durationSeconds 8."
    for key in ("image", "lastFrame"):
        if key in instance:
            problem = _image_problem(instance[key], f"instances[0].{key}")
            if problem:
                return problem
    if "lastFrame" in instance and "image" not in instance:
        return "lastFrame requires image."
    return None
