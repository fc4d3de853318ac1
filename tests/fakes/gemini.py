"""A stand-in of Google's Gemini API over real HTTP on 127.0.0.1, following
The Gemini API's Veo route: `x-goog-api-key`, `POST /v1beta/models/{model}:predictLongRunning`, the
operation polled at `GET /v1beta/{name}` until `done`, the clip downloaded with the same key, and
Google's error envelope. It rejects what the Gemini Developer API rejects (Vertex-only fields,
durations other than 4/6/8, 1080p or 4k below 8 s, a last frame without a first one).
Gemini Omni's Interactions API too: `POST /v1beta/interactions` (the body checked against
tests/contracts/gemini/, Omni ids only, each id's length range), `GET /v1beta/interactions/{id}`,
and `previous_interaction_id` only for a finished interaction of the same key that has not expired
(else 400 "Invalid interaction name", as the real one answers)."""

from __future__ import annotations

import base64
import itertools
from dataclasses import dataclass, field

from aiohttp import web

from tests.contracts import gemini_validator, problems
from tests.fakes.base import ScriptedStandIn, record_request, serve
from tests.fakes.mp4 import sample_mp4

# the ids Dailies sends first (the catalogue's -001 ids), and the preview ids retired on 2026-10-22
MODELS = {
    "veo-3.1-generate-001",
    "veo-3.1-fast-generate-001",
    "veo-3.1-generate-preview",
    "veo-3.1-fast-generate-preview",
}
# Gemini Omni on the Interactions API, and the longest clip each id renders
OMNI_MODELS = {"gemini-omni-1.2-flash": 15, "gemini-omni-1.1-flash": 10}
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
class Interaction:
    id: str
    model: str
    body: dict
    key: str  # the API key that made it: another key cannot continue it
    polls: int = 0
    refusal: str | None = None
    stuck: bool = False
    expired: bool = False


@dataclass
class FakeGemini(ScriptedStandIn):
    """`async with FakeGemini() as fake:` then set GEMINI_BASE_URL to `fake.base_url`."""

    api_key: str = "test-gemini-key"
    polls_to_finish: int = 1
    operations: dict[str, Operation] = field(default_factory=dict)
    interactions: dict[str, Interaction] = field(default_factory=dict)
    other_keys: set[str] = field(default_factory=set)  # other accounts' keys, also accepted
    downloads: int = 0
    _ids = itertools.count(1)

    listed: set[str] | None = None  # what the model list shows; None: the served, unretired models
    page_size_cap: int = 1000  # the most models one page of the list holds (smaller: more pages)

    def expire_interaction(self, interaction_id: str) -> None:
        """The API forgets the interaction (retention passed): it can no longer be continued."""
        self.interactions[interaction_id].expired = True

    def interaction_bodies(self) -> list[dict]:
        """The body of every interaction created, in order."""
        return [i.body for i in self.interactions.values()]

    def retire_models(self, models: set[str]) -> None:
        """These ids answer 404 NOT_FOUND "is no longer available" and leave the model list."""
        self._retired |= models

    def set_listed(self, models: set[str] | None) -> None:
        """What `GET /v1beta/models` lists from now on (None: every served id not retired); an id
        not listed is still answered, so a test shows it is never sent."""
        self.listed = None if models is None else set(models)

    async def __aenter__(self) -> FakeGemini:
        app = web.Application()
        app.router.add_post("/v1beta/models/{call}", self._create)
        app.router.add_get("/v1beta/models/{model}/operations/{op}", self._operation)
        app.router.add_get("/v1beta/models", self._models)
        app.router.add_get("/v1beta/files/{name}", self._file)
        app.router.add_post("/v1beta/interactions", self._create_interaction)
        app.router.add_get("/v1beta/interactions/{id}", self._interaction)
        self._runner, self.base_url = await serve(app)
        return self

    @staticmethod
    def _error(status: int, word: str, message: str) -> web.Response:
        return web.json_response(
            {"error": {"code": status, "message": message, "status": word}}, status=status
        )

    def _denied(self, request: web.Request) -> web.Response | None:
        if request.headers.get("x-goog-api-key") not in {self.api_key, *self.other_keys}:
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
        if model in self._retired:  # the shape of a shut-down id (reference §a.2)
            return self._error(
                404, "NOT_FOUND", f"models/{model} is no longer available. Please update your code to "
                "use models/gemini-omni-1.1-flash.",
            )  # fmt: skip
        if model not in MODELS:
            return self._error(404, "NOT_FOUND", f"models/{model} is not found for API version v1beta.")
        problem = validate(body)
        video = (body["instances"][0].get("video") or {}).get("uri") if not problem else None
        if video is not None and not self._made_here(video):
            problem = "instances[0].video.uri is not a video generated by Veo for this key."
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

    def _made_here(self, uri: str) -> bool:
        """Whether `uri` is the file of an operation this stand-in finished (what extension takes)."""
        prefix = f"{self.base_url}/v1beta/files/"
        op = uri.removeprefix(prefix).removesuffix(":download?alt=media")
        return uri.startswith(prefix) and any(name.endswith(f"/operations/{op}") for name in self.operations)

    async def _models(self, request: web.Request) -> web.Response:
        await record_request(request, self.requests)
        denied = self._denied(request)
        if denied:
            return denied
        ids = sorted(self.listed if self.listed is not None else (MODELS | set(OMNI_MODELS)) - self._retired)
        ids += ["gemini-3.5-flash-lite"]  # a text model: the list is not only video
        try:
            size = min(int(request.query.get("pageSize", "50")), self.page_size_cap, 1000)
            start = int(request.query.get("pageToken") or 0)
        except ValueError:
            return self._error(400, "INVALID_ARGUMENT", "Invalid page token or size.")
        page = ids[start : start + max(size, 1)]
        body: dict = {"models": [_listed_model(m) for m in page]}
        if start + len(page) < len(ids):
            body["nextPageToken"] = str(start + len(page))
        return web.json_response(body)

    async def _file(self, request: web.Request) -> web.StreamResponse:
        await record_request(request, self.requests)
        denied = self._denied(request)
        if denied:
            return denied
        op = request.match_info["name"].removesuffix(":download")
        omni = self.interactions.get(op.removeprefix("omni-"))
        if op.startswith("omni-") and omni is not None and omni.key == request.headers.get("x-goog-api-key"):
            self.downloads += 1
            return web.FileResponse(sample_mp4(), headers={"Content-Type": "video/mp4"})
        if not any(name.endswith(f"/operations/{op}") for name in self.operations):
            return self._error(404, "NOT_FOUND", "File not found.")
        self.downloads += 1
        return web.FileResponse(sample_mp4(), headers={"Content-Type": "video/mp4"})

    # ---- Gemini Omni: the Interactions API -------------------------------------------------------
    @staticmethod
    def _invalid(message: str, status: int = 400) -> web.Response:
        """The Interactions error envelope: `code` is a string there."""
        return web.json_response({"error": {"code": "invalid_request", "message": message}}, status=status)

    def _continued(self, previous: str, key: str) -> Interaction | None:
        found = self.interactions.get(previous)
        if found is None or found.expired or found.key != key or found.polls <= self.polls_to_finish:
            return None
        return found

    async def _create_interaction(self, request: web.Request) -> web.Response:
        body = await record_request(request, self.requests)
        denied = self._denied(request)
        if denied:
            return denied
        if self._failures:
            status, custom, headers = self._failures.pop(0)
            if custom is not None:
                return web.json_response(custom, status=status, headers=headers)
            return self._error(
                status, {429: "RESOURCE_EXHAUSTED"}.get(status, "INTERNAL"), "scripted failure"
            )
        model = body.get("model") if isinstance(body, dict) else None
        if not isinstance(model, str) or not model.startswith("gemini-omni-"):
            return self._invalid(f"Model {model!r} is not supported by the Interactions API for video.")
        if model not in OMNI_MODELS or model in self._retired:
            return self._error(404, "NOT_FOUND", f"models/{model} is not found for API version v1beta.")
        found = problems(gemini_validator("interactions"), body)
        if found:
            return self._invalid(f"Invalid request: {found[0]}")
        duration = (body.get("response_format") or {}).get("duration")
        if duration and not 3 <= int(duration.removesuffix("s")) <= OMNI_MODELS[model]:
            return self._invalid(f"duration must be between 3s and {OMNI_MODELS[model]}s for {model}.")
        key = request.headers["x-goog-api-key"]
        previous = body.get("previous_interaction_id")
        if previous is not None and self._continued(previous, key) is None:
            return self._invalid("Invalid interaction name")
        made = Interaction(f"v1_omni{next(self._ids)}", model, body, key)
        made.refusal = self._refusals.pop(0) if self._refusals else None
        made.stuck = self._never_finish
        self.interactions[made.id] = made
        return web.json_response(
            {"id": made.id, "status": "in_progress", "object": "interaction", "model": model}
        )

    async def _interaction(self, request: web.Request) -> web.Response:
        await record_request(request, self.requests)
        denied = self._denied(request)
        if denied:
            return denied
        made = self.interactions.get(request.match_info["id"])
        if made is None or made.expired or made.key != request.headers["x-goog-api-key"]:
            return self._invalid("Invalid interaction name")
        made.polls += 1
        answer: dict = {"id": made.id, "object": "interaction", "model": made.model, "status": "in_progress"}
        if made.stuck or made.polls <= self.polls_to_finish:
            return web.json_response(answer)
        prompt = made.body["input"] if isinstance(made.body["input"], str) else "…"
        steps: list[dict] = [{"type": "user_input", "content": [{"type": "text", "text": prompt}]}]
        if made.refusal:  # blocked: completed, with text and no video
            steps.append({"type": "model_output", "content": [{"type": "text", "text": made.refusal}]})
            tokens = 0
        else:
            uri = f"{self.base_url}/v1beta/files/omni-{made.id}:download?alt=media"
            steps.append(
                {"type": "model_output", "content": [{"type": "video", "uri": uri, "mime_type": "video/mp4"}]}
            )
            tokens = 57920
        answer.update(status="completed", steps=steps)
        answer["usage"] = {
            "total_output_tokens": tokens,
            "output_tokens_by_modality": [{"modality": "video", "tokens": tokens}],
        }
        return web.json_response(answer)


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
    refs = instance.get("referenceImages")
    if refs is not None:
        if not isinstance(refs, list) or not 1 <= len(refs) <= 3:
            return "referenceImages takes 1 to 3 images."
        for n, ref in enumerate(refs):
            if not isinstance(ref, dict) or ref.get("referenceType") not in ("asset", "style"):
                return f"referenceImages[{n}].referenceType must be asset or style."
            problem = _image_problem(ref.get("image"), f"instances[0].referenceImages[{n}].image")
            if problem:
                return problem
        if "image" in instance or seconds != 8 or parameters.get("aspectRatio", "16:9") != "16:9":
            return "referenceImages are supported only at durationSeconds 8 and 16:9, without a first frame."
    if "video" in instance:
        video = instance["video"]
        if not isinstance(video, dict) or set(video) != {"uri"}:
            return "instances[0].video must be {uri} of a video Veo generated."
        if set(instance) - {"prompt", "video"}:
            return "video extension takes no image, lastFrame or referenceImages."
        if resolution != "720p" or "durationSeconds" in parameters:
            return "video extension is 720p and takes no durationSeconds."
    return None


def _listed_model(model: str) -> dict:
    """One entry of `GET /v1beta/models` (reference §c.1): Veo ids list `predictLongRunning`."""
    method = "generateContent" if model.startswith("gemini") else "predictLongRunning"
    return {"name": f"models/{model}", "baseModelId": model, "supportedGenerationMethods": [method]}
