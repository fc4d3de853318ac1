"""A stand-in of the AI/ML API video gateway (`/v2/video/generations`) over real HTTP on 127.0.0.1.

It follows the gateway's docs: Bearer auth, the error envelope, the zod-style "Body validation error!",
status words queued → generating → completed | error, `meta.usage.usd_spent`, and a real MP4 on its
own "CDN" route. Scripting hooks let a test queue failures, refusals, retirements and stuck tasks.
"""

from __future__ import annotations

import datetime
import itertools
import uuid
from dataclasses import dataclass, field

from aiohttp import web

from tests.contracts import aimlapi_models, aimlapi_request_schema, schema_problems
from tests.fakes.base import ScriptedStandIn, record_request, serve
from tests.fakes.mp4 import sample_mp4

# The gateway's own view of the models (independent of the provider's table, so a typo there fails).
_T2V = {"aspect_ratio", "duration", "generate_audio", "negative_prompt"}
_I2V = {"image_url", "duration", "generate_audio", "negative_prompt", "elements"}
MODELS: dict[str, dict] = {
    "klingai/video-v2-6-pro-text-to-video": {"durations": {5, 10}, "fields": _T2V},
    "klingai/video-v2-6-pro-image-to-video": {"durations": {5, 10}, "fields": _I2V - {"elements"}},
    "klingai/video-v3-standard-text-to-video": {"durations": set(range(3, 16)), "fields": _T2V},
    "klingai/video-v3-pro-text-to-video": {"durations": set(range(3, 16)), "fields": _T2V},
    "klingai/video-v3-standard-image-to-video": {"durations": set(range(3, 16)), "fields": _I2V},
    "klingai/video-v3-pro-image-to-video": {"durations": set(range(3, 16)), "fields": _I2V},
    "klingai/video-o1-image-to-video": {"durations": {5, 10}, "fields": {"image_url", "duration"}},
    "klingai/video-o1-reference-to-video": {
        "durations": {5, 10},
        "fields": {"image_list", "elements", "aspect_ratio", "duration"},
    },
    "klingai/video-o1-video-to-video-edit": {
        "durations": set(),
        "fields": {"video_url", "image_list", "elements", "keep_audio"},
    },
    "klingai/video-o1-video-to-video-reference": {
        "durations": {5, 10},
        "fields": {"video_url", "image_list", "elements", "aspect_ratio", "duration", "keep_audio"},
    },
    "klingai/avatar-pro": {"durations": set(), "fields": {"image_url", "audio_url"}},
    "openai/sora-2-t2v": {"durations": {4, 8, 12}, "fields": {"resolution", "aspect_ratio", "duration"}},
    "openai/sora-2-i2v": {
        "durations": {4, 8, 12},
        "fields": {"resolution", "aspect_ratio", "duration", "image_url"},
    },
    "openai/sora-2-pro-t2v": {"durations": {4, 8, 12}, "fields": {"resolution", "aspect_ratio", "duration"}},
    "openai/sora-2-pro-i2v": {
        "durations": {4, 8, 12},
        "fields": {"resolution", "aspect_ratio", "duration", "image_url"},
    },
}
# Veo 3.1: 16:9 | 9:16, 4 | 6 | 8 s, 720p | 1080p; negative_prompt on the t2v ids only (their schemas)
_VEO = {"aspect_ratio", "duration", "resolution", "generate_audio"}
_VEO_RULES = {"durations": {4, 6, 8}, "aspects": {"16:9", "9:16"}, "resolutions": {"720p", "1080p"}}
for _suffix in ("", "-fast"):
    MODELS[f"google/veo-3.1-t2v{_suffix}"] = {**_VEO_RULES, "fields": _VEO | {"negative_prompt"}}
    MODELS[f"google/veo-3.1-i2v{_suffix}"] = {**_VEO_RULES, "fields": _VEO | {"image_url"}}
    MODELS[f"google/veo-3.1-first-last-image-to-video{_suffix}"] = {
        **_VEO_RULES,
        "fields": _VEO | {"image_url", "last_image_url"},
    }
# Veo 3.1 extension (a clip by URL; 7 s, 720p, its own fields) and reference images (8 s only)
for _suffix in ("", "-fast"):
    MODELS[f"google/veo3-1{_suffix}-extend-video"] = {
        "durations": {7}, "aspects": {"auto", "16:9", "9:16"}, "resolutions": {"720p"},
        "fields": {"video_url", "aspect_ratio", "duration", "resolution", "generate_audio"},
    }  # fmt: skip
MODELS["google/veo-3.1-reference-to-video"] = {
    "durations": {8}, "resolutions": {"720p", "1080p"}, "fields": {"image_urls", "duration", "resolution", "generate_audio"},
}  # fmt: skip
# Multi-shot on the v3 ids: `multi_prompt` (strings) instead of `prompt`, with shot_type
MULTI_SHOT = {m for m in MODELS if m.startswith("klingai/video-v3-")}
for _res in ("720p", "1080p"):
    MODELS[f"klingai/video-v3-omni-{_res}-text-to-video"] = {"durations": set(range(3, 16)), "fields": _T2V}
    MODELS[f"klingai/video-v3-omni-{_res}-image-to-video"] = {"durations": set(range(3, 16)), "fields": _I2V}
MULTI_SHOT |= {m for m in MODELS if m.startswith("klingai/video-v3-omni-")}
# Motion control; the 2.6 id this gateway offers is set per test
_MOTION = {
    "durations": set(),
    "fields": {"image_url", "video_url", "character_orientation", "keep_audio", "mode"},
}
MOTION_MODELS = {"klingai/video-v3-motion-control", "klingai/video-v2-6-motion-control"}
MOTION_MODELS |= {"klingai/video-v2-6-pro-motion-control"}
for _id in MOTION_MODELS:
    MODELS[_id] = _MOTION
# Gemini Omni 1.2 Flash: one id, `task` says what the inputs are for (fields: the vendored schema)
GEMINI_OMNI = "google/gemini-omni-1.2-flash"
MODELS[GEMINI_OMNI] = {
    "durations": set(range(3, 16)), "aspects": {"16:9", "9:16"},
    "resolutions": {"360p", "720p", "1080p", "4k"}, "fields": set(),
}  # fmt: skip
OMNI_TASK_INPUTS = {
    "text_to_video": set(),
    "image_to_video": {"image_url"},
    "reference_to_video": {"image_urls"},
    "edit": {"video_url"},
    "extend": {"video_url"},
}
REQUIRED = ("image_url", "video_url", "audio_url", "last_image_url")  # required wherever a model takes them
ASPECTS = {"16:9", "9:16", "1:1"}
USD_PER_SECOND = 0.168


@dataclass
class Generation:
    id: str
    model: str
    body: dict
    polls: int = 0
    refusal: str | None = None
    stuck: bool = False


@dataclass
class FakeAimlApi(ScriptedStandIn):
    """`async with FakeAimlApi() as fake:` then point the provider at `fake.base_url`."""

    api_key: str = "test-aimlapi-key"
    polls_to_finish: int = 2  # status answers before "completed" (queued, then generating, …)
    generations: dict[str, Generation] = field(default_factory=dict)
    listed: set[str] | None = None  # what the model list shows; None: the served, unretired ids
    _ids = itertools.count(1)

    # --- scripting hooks (the shared ones are in ScriptedStandIn) -------------------------------
    def retire_models(self, models: set[str]) -> None:
        """Answer 404 "Model is deprecated" for these AI/ML ids, or user ids like "sora-2"."""
        for model in models:
            self._retired |= {model, f"openai/{model}-t2v", f"openai/{model}-i2v"}

    def set_listed(self, models: set[str] | None) -> None:
        """What `GET /v1/models` lists from now on (None: every served id not retired); an id not
        listed is still answered, as a gateway's list and its routes may disagree."""
        self.listed = None if models is None else set(models)

    # --- server ----------------------------------------------------------------------------------
    async def __aenter__(self) -> FakeAimlApi:
        app = web.Application()
        app.router.add_post("/v2/video/generations", self._create)
        app.router.add_get("/v2/video/generations", self._status)
        app.router.add_get("/v1/models", self._models)
        app.router.add_get("/files/{name}", self._file)
        self._runner, self.base_url = await serve(app)
        return self

    # --- routes ----------------------------------------------------------------------------------
    async def _record(self, request: web.Request) -> dict | None:
        return await record_request(request, self.requests)

    def _error(self, request: web.Request, status: int, message: str, headers: dict | None = None):
        envelope = {
            "message": message,
            "path": request.path,
            "requestId": str(uuid.uuid4()),
            "statusCode": status,
            "timestamp": datetime.datetime.now(datetime.UTC).isoformat(),
        }
        return web.json_response(envelope, status=status, headers=headers)

    def _authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.api_key}"

    async def _create(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        if not self._authorised(request):
            return self._error(request, 401, "This request requires a valid API key. Get one at aimlapi.com")
        if self._failures:
            status, custom, headers = self._failures.pop(0)
            if custom is not None:
                return web.json_response(custom, status=status, headers=headers)
            return self._error(request, status, _DEFAULT_FAILURES.get(status, "Error"), headers)
        if not isinstance(body, dict):
            return self._error(request, 400, "Body validation error! Expected object, received null")
        if body.get("model") in self._retired:
            return self._error(request, 404, "Model is deprecated")
        problem = validate(body)
        if problem:
            return self._error(request, 400, f"Body validation error! {problem}")
        generation = Generation(
            id=f"gen{next(self._ids)}-{uuid.uuid4().hex[:12]}",
            model=body["model"],
            body=body,
            refusal=self._refusals.pop(0) if self._refusals else None,
            stuck=self._never_finish,
        )
        self.generations[generation.id] = generation
        return web.json_response(
            {"id": generation.id, "status": "queued"}, headers={"x-inference-id": generation.id}
        )

    async def _status(self, request: web.Request) -> web.Response:
        await self._record(request)
        if not self._authorised(request):
            return self._error(request, 401, "This request requires a valid API key. Get one at aimlapi.com")
        generation = self.generations.get(request.query.get("generation_id", ""))
        if generation is None:
            return self._error(request, 404, "Generation not found")
        generation.polls += 1
        answer: dict = {"id": generation.id, "status": "queued"}
        if generation.polls > 1:
            answer["status"] = "generating"
        if generation.polls > self.polls_to_finish and not generation.stuck:
            if generation.refusal:
                answer = {
                    "id": generation.id,
                    "status": "error",
                    "error": {"name": "UpstreamError", "message": generation.refusal},
                }
            else:
                seconds = generation.body.get("duration", 5)
                answer = {
                    "id": generation.id,
                    "status": "completed",
                    "video": {"url": f"{self.base_url}/files/{generation.id}_output.mp4"},
                    "meta": {
                        "usage": {"credits_used": 120000, "usd_spent": round(seconds * USD_PER_SECOND, 4)}
                    },
                }
        return web.json_response(answer, headers={"x-inference-id": generation.id})

    async def _models(self, request: web.Request) -> web.Response:
        await self._record(request)
        if not self._authorised(request):
            return self._error(request, 401, "This request requires a valid API key. Get one at aimlapi.com")
        ids = (
            sorted(self.listed) if self.listed is not None else [m for m in MODELS if m not in self._retired]
        )
        data = [{"id": m, "aliases": [], "type": "video", "info": {}} for m in ids]
        return web.json_response({"object": "list", "data": data})

    async def _file(self, request: web.Request) -> web.StreamResponse:
        await self._record(request)
        gen_id = request.match_info["name"].removesuffix("_output.mp4")
        if gen_id not in self.generations:
            return web.Response(status=404, text="Not Found")
        return web.FileResponse(sample_mp4(), headers={"Content-Type": "video/mp4"})


def _omni_problem(body: dict) -> str | None:
    """Gemini Omni's rules the schema leaves to prose: the task's own input and no other media,
    a first frame or an extension 3-10 s, and no interaction id (this gateway's answers hand none out)."""
    task = body.get("task")
    if task not in OMNI_TASK_INPUTS:
        return "task: Required (the inputs alone leave the task ambiguous here)"
    media = {name for name in ("image_url", "image_urls", "video_url", "audio_url") if name in body}
    wanted = OMNI_TASK_INPUTS[task]
    if wanted - media:
        return f"{sorted(wanted - media)[0]}: Required for task {task}"
    if media - wanted:
        return f"{sorted(media - wanted)[0]}: not used by task {task}"
    if task in ("extend", "image_to_video") and body.get("duration", 8) not in range(3, 11):
        return f"duration: {task} takes 3 to 10 seconds"
    if "previous_interaction_id" in body:
        return "previous_interaction_id: no such interaction"
    return None


_DEFAULT_FAILURES = {
    400: "Body validation error!",
    403: "You've run out of credits. Please top up your balance to continue.",
    404: "Model is deprecated",
    429: "Too Many Requests",
    500: "Internal server error",
    502: "Upstream service returned an invalid response",
    503: "Upstream service is unavailable",
}


def validate(body: dict) -> str | None:
    """The first schema violation in a create body, worded like the gateway's zod messages."""
    model = body.get("model")
    if model not in MODELS:
        return f"Invalid enum value. Expected one of the video models, received '{model}'"
    spec = MODELS[model]
    # the model's published schema first (tests/contracts/aimlapi), then the rules it leaves out
    found = schema_problems(aimlapi_request_schema(model), body) if model in aimlapi_models() else []
    if found:
        return found[0]
    if "audio_url" in spec["fields"] and "prompt" not in body:
        pass  # the avatar's prompt is optional
    elif "multi_prompt" in body:
        shots = body["multi_prompt"]
        if model not in MULTI_SHOT:
            return "multi_prompt: Unrecognized key(s) in object"
        if "prompt" in body:
            return "Provide either prompt or multi_prompt, not both"
        if (
            not isinstance(shots, list)
            or not 1 <= len(shots) <= 6
            or not all(isinstance(x, str) and x for x in shots)
        ):
            return "multi_prompt: Expected array of 1 to 6 strings"
        if body.get("shot_type") not in ("customize", "intelligent", "intelligence"):
            return "shot_type: Invalid enum value"
    elif model in MOTION_MODELS and "prompt" not in body:
        pass  # a motion-control prompt is optional
    elif not isinstance(body.get("prompt"), str) or not body["prompt"]:
        return "prompt: Expected string, received " + type(body.get("prompt")).__name__
    for name in REQUIRED:
        if name in spec["fields"] and not isinstance(body.get(name), str):
            return f"{name}: Required"
    if "duration" in body:
        duration = body["duration"]
        if not isinstance(duration, int) or isinstance(duration, bool):
            return f"duration: Expected number, received {type(duration).__name__}"
        if spec["durations"] and duration not in spec["durations"]:
            return f"Invalid enum value. Expected {sorted(spec['durations'])}, received '{duration}'"
    for flag in ("generate_audio", "keep_audio"):
        if flag in body and not isinstance(body[flag], bool):
            return f"{flag}: Expected boolean, received {type(body[flag]).__name__}"
    aspects = spec.get("aspects", ASPECTS)
    if "aspect_ratio" in body and body["aspect_ratio"] not in aspects:
        return f"Invalid enum value. Expected {sorted(aspects)}, received '{body['aspect_ratio']}'"
    if "resolutions" in spec and body.get("resolution", "720p") not in spec["resolutions"]:
        return f"Invalid enum value. Expected {sorted(spec['resolutions'])}, received '{body['resolution']}'"
    if model == GEMINI_OMNI:
        problem = _omni_problem(body)
        if problem:
            return problem
    if model in MOTION_MODELS:
        if body.get("character_orientation", "video") not in ("image", "video"):
            return "character_orientation: Invalid enum value. Expected 'image' | 'video'"
        if body.get("mode", "std") not in ("std", "pro"):
            return "mode: Invalid enum value. Expected 'std' | 'pro'"
        if "duration" in body or "aspect_ratio" in body:
            return "Unrecognized key(s) in object: 'duration'"
    elements = body.get("elements", [])
    if not isinstance(elements, list) or len(elements) > 4:
        return "elements: Array must contain at most 4 element(s)"
    for item in elements:
        refs = item.get("reference_image_urls") if isinstance(item, dict) else None
        if not isinstance(item, dict) or not item.get("frontal_image_url"):
            return "elements.frontal_image_url: Required"
        if not isinstance(refs, list) or not 1 <= len(refs) <= 4:
            return "elements.reference_image_urls: Array must contain 1 to 4 element(s)"
    return None
