"""The AI/ML API gateway's wire facts in one place (model ids and their fields, status words, error
envelopes) and the pure functions that speak them: request bodies, statuses, errors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

import httpx

from bot.providers import errors
from bot.providers.base import (
    Availability,
    MediaRef,
    Mode,
    RenderSpec,
    SubjectRef,
    TaskState,
    TaskStatus,
)
from bot.providers.http import data_uri, retry_after_seconds

BACKEND = "aimlapi"
CREATE_PATH = "/v2/video/generations"
STATUS_PATH = "/v2/video/generations"  # ?generation_id=<id>
MODELS_PATH = "/v1/models"
MAX_ELEMENTS = 4
MAX_REFERENCE_IMAGES = 4


@dataclass(frozen=True)
class WireModel:
    """One AI/ML model id and the optional fields it accepts (its schema rejects or ignores others)."""

    id: str
    aspect: bool = False  # aspect_ratio
    duration: bool = True  # duration (int)
    audio: bool = False  # generate_audio (defaults to true at the gateway, so we always send it)
    negative: bool = False  # negative_prompt
    elements: bool = False  # elements: inline subjects
    image: bool = False  # image_url (required)
    video: bool = False  # video_url (required)
    keep_audio: bool = False  # keep_audio
    resolution: bool = False  # resolution (Sora ids)
    speech: bool = False  # audio_url (required; avatar)
    seconds: tuple[int, ...] = ()  # the durations this id takes, when narrower than the catalogue's
    end_image: bool = False  # last_image_url (required; first + last frame)
    multi_shot: bool = False  # multi_prompt: one string per shot, its seconds in words
    motion: bool = False  # motion control: image_url + video_url, character_orientation, mode
    mode: str | None = None  # `mode` std|pro (motion control)
    # the resolution is part of the id ("{res}" in `id`): these are the ones it is offered at
    resolutions: tuple[str, ...] = ()
    references: bool = False  # image_urls (required): subjects' front views as reference images
    reference_video: bool = False  # video_url (required): a camera/style reference, image_list frames
    task: str | None = None  # `task` (Gemini Omni: one id for every task, this field says which)
    fixed_seconds: int | None = None  # `duration` is always this (the id takes one length only)


class _Fields(TypedDict, total=False):
    """WireModel fields several ids share, spread into each (`**_VEO_FIELDS`)."""

    aspect: bool
    resolution: bool
    audio: bool
    negative: bool
    video: bool
    duration: bool


_V26 = "klingai/video-v2-6-pro"
_V3 = "klingai/video-v3"
_O1 = "klingai/video-o1"
# Every O1 id that takes a duration takes 5 or 10 only (their schemas), references or not.
_O1_SECONDS = (5, 10)
_VEO = "google/veo-3.1"
# Only the text-to-video ids' schemas have `negative_prompt`; i2v and first+last-frame ids drop it
# without a word, so `--negative` is refused there (shape_refusal) rather than silently lost.
_VEO_FIELDS: _Fields = {"aspect": True, "resolution": True, "audio": True}
_VEO_T2V: _Fields = {**_VEO_FIELDS, "negative": True}

# (user model id, mode) -> the AI/ML id and its fields, from the gateway's model pages
WIRE_MODELS: dict[tuple[str, Mode], WireModel] = {
    ("kling-2.6-pro", Mode.TEXT): WireModel(f"{_V26}-text-to-video", aspect=True, audio=True, negative=True),
    ("kling-2.6-pro", Mode.IMAGE): WireModel(f"{_V26}-image-to-video", image=True, audio=True, negative=True),
    ("kling-v3", Mode.TEXT): WireModel(
        f"{_V3}-standard-text-to-video", aspect=True, audio=True, negative=True, multi_shot=True
    ),
    ("kling-v3", Mode.IMAGE): WireModel(
        f"{_V3}-standard-image-to-video",
        image=True,
        audio=True,
        negative=True,
        elements=True,
        multi_shot=True,
    ),
    ("kling-v3-pro", Mode.TEXT): WireModel(
        f"{_V3}-pro-text-to-video", aspect=True, audio=True, negative=True, multi_shot=True
    ),
    ("kling-v3-pro", Mode.IMAGE): WireModel(
        f"{_V3}-pro-image-to-video", image=True, audio=True, negative=True, elements=True, multi_shot=True
    ),
    ("kling-o1", Mode.TEXT): WireModel(
        f"{_O1}-reference-to-video", aspect=True, elements=True, seconds=_O1_SECONDS
    ),
    ("kling-o1", Mode.IMAGE): WireModel(f"{_O1}-image-to-video", image=True, seconds=_O1_SECONDS),
    ("kling-o1", Mode.EDIT): WireModel(
        f"{_O1}-video-to-video-edit", duration=False, video=True, elements=True, keep_audio=True
    ),
    ("kling-o1", Mode.EXTEND): WireModel(
        f"{_O1}-video-to-video-reference",
        aspect=True,
        video=True,
        elements=True,
        keep_audio=True,
        seconds=_O1_SECONDS,
    ),
    ("kling-avatar-pro", Mode.AVATAR): WireModel(
        "klingai/avatar-pro", duration=False, image=True, speech=True
    ),
    ("sora-2", Mode.TEXT): WireModel("openai/sora-2-t2v", aspect=True, resolution=True),
    ("sora-2", Mode.IMAGE): WireModel("openai/sora-2-i2v", aspect=True, resolution=True, image=True),
    ("sora-2-pro", Mode.TEXT): WireModel("openai/sora-2-pro-t2v", aspect=True, resolution=True),
    ("sora-2-pro", Mode.IMAGE): WireModel("openai/sora-2-pro-i2v", aspect=True, resolution=True, image=True),
    # Veo 3.1
    ("veo-3.1", Mode.TEXT): WireModel(f"{_VEO}-t2v", **_VEO_T2V),
    ("veo-3.1", Mode.IMAGE): WireModel(f"{_VEO}-i2v", image=True, **_VEO_FIELDS),
    ("veo-3.1-fast", Mode.TEXT): WireModel(f"{_VEO}-t2v-fast", **_VEO_T2V),
    ("veo-3.1-fast", Mode.IMAGE): WireModel(f"{_VEO}-i2v-fast", image=True, **_VEO_FIELDS),
}
# Veo 3.1 extension: the gateway's own length (7 s) and resolution (720p), so neither is sent
_VEO_EXTEND: _Fields = {"aspect": True, "audio": True, "video": True, "duration": False}
WIRE_MODELS[("veo-3.1", Mode.EXTEND)] = WireModel("google/veo3-1-extend-video", **_VEO_EXTEND)
WIRE_MODELS[("veo-3.1-fast", Mode.EXTEND)] = WireModel("google/veo3-1-fast-extend-video", **_VEO_EXTEND)
# Subjects as reference images: only Veo 3.1 has a reference id there (8 s only; no aspect field)
REFERENCES: dict[str, WireModel] = {
    "veo-3.1": WireModel(
        f"{_VEO}-reference-to-video", references=True, resolution=True, audio=True, fixed_seconds=8
    ),
}
MAX_VEO_REFERENCES = 3
MAX_OMNI_REFERENCES = 6  # `image_urls` maxItems in the Omni schema
# A reference video for camera and style (`--video`): O1's video-to-video-reference id. The gateway
# documents no such id for 3.0 Omni (its v3-omni `elements` take a video as a character, not a camera).
REFERENCE_VIDEO: dict[str, WireModel] = {
    "kling-o1": WireModel(
        f"{_O1}-video-to-video-reference", aspect=True, elements=True, keep_audio=True,
        seconds=_O1_SECONDS, reference_video=True,
    ),
}  # fmt: skip
# Gemini Omni 1.2 Flash: one id, `task` names the work; audio always comes with it (no field).
# The 1.2 page has no schema in the docs snapshot: the fields are 1.1's schema (same page layout),
# the lengths 1.2's 3-15 s (UNCONFIRMED, one line of data). The gateway's answer carries no Gemini
# interaction id, so an edit sends the clip itself (task "edit"), never previous_interaction_id.
_GEMINI_OMNI = "google/gemini-omni-1.2-flash"
_GEMINI_OMNI_SECONDS = tuple(range(3, 16))  # UNCONFIRMED for 1.2 on the gateway (1.1's schema: 3-10)
_GEMINI_OMNI_SHORT = tuple(range(3, 11))  # from a first frame, and an extension's added seconds [3p]
# Omni's prompting guide: an edit names the change and asks for the rest unchanged
_GEMINI_OMNI_KEEP = "Keep everything else the same."
_GEMINI_OMNI_NEW: _Fields = {"aspect": True, "resolution": True}
WIRE_MODELS[("gemini-omni", Mode.TEXT)] = WireModel(
    _GEMINI_OMNI, task="text_to_video", seconds=_GEMINI_OMNI_SECONDS, **_GEMINI_OMNI_NEW
)
WIRE_MODELS[("gemini-omni", Mode.IMAGE)] = WireModel(
    _GEMINI_OMNI, task="image_to_video", image=True, seconds=_GEMINI_OMNI_SHORT, **_GEMINI_OMNI_NEW
)
# an edit keeps the clip's length and frame: only the resolution is asked
WIRE_MODELS[("gemini-omni", Mode.EDIT)] = WireModel(
    _GEMINI_OMNI, task="edit", video=True, duration=False, resolution=True
)
WIRE_MODELS[("gemini-omni", Mode.EXTEND)] = WireModel(
    _GEMINI_OMNI, task="extend", video=True, resolution=True, seconds=_GEMINI_OMNI_SHORT
)
REFERENCES["gemini-omni"] = WireModel(
    _GEMINI_OMNI, task="reference_to_video", references=True, seconds=_GEMINI_OMNI_SECONDS, **_GEMINI_OMNI_NEW
)
# Kling 3.0 Omni: tier baked into the id; no 4K on the gateway
_OMNI = f"{_V3}-omni-{{res}}"
_OMNI_RES = ("720p", "1080p")
WIRE_MODELS[("kling-v3-omni", Mode.TEXT)] = WireModel(
    f"{_OMNI}-text-to-video", aspect=True, audio=True, multi_shot=True, resolutions=_OMNI_RES
)
WIRE_MODELS[("kling-v3-omni", Mode.IMAGE)] = WireModel(
    f"{_OMNI}-image-to-video", image=True, audio=True, elements=True, multi_shot=True, resolutions=_OMNI_RES
)
# Motion control. The gateway's docs give the 2.6 id two ways
# (schema vs model list): the provider sends the first one its model list offers.
MOTION_IDS: dict[str, tuple[str, ...]] = {
    "kling-2.6-pro": ("klingai/video-v2-6-motion-control", "klingai/video-v2-6-pro-motion-control"),
    "kling-v3": ("klingai/video-v3-motion-control",),
    "kling-v3-pro": ("klingai/video-v3-motion-control",),
}
for _model, _mode in (("kling-2.6-pro", "pro"), ("kling-v3", "std"), ("kling-v3-pro", "pro")):
    WIRE_MODELS[(_model, Mode.MOTION)] = WireModel(
        MOTION_IDS[_model][0], duration=False, motion=True, keep_audio=True, mode=_mode
    )


def motion_id(model: str, offered: frozenset[str] | None) -> str:
    """The motion-control id to send: the first of the documented ones the gateway lists."""
    ids = MOTION_IDS[model]
    return next((i for i in ids if offered is not None and i in offered), ids[0])


# A first frame plus a last one: the id that takes `last_image_url`, per model.
FIRST_LAST: dict[str, WireModel] = {
    "veo-3.1": WireModel(f"{_VEO}-first-last-image-to-video", image=True, end_image=True, **_VEO_FIELDS),
    "veo-3.1-fast": WireModel(
        f"{_VEO}-first-last-image-to-video-fast", image=True, end_image=True, **_VEO_FIELDS
    ),
}

# Sora is upstream-dependent and OpenAI shut it down on 2026-09-24: what to use instead.
RETIRED_SUGGESTION = {"sora-2": "kling-v3", "sora-2-pro": "kling-v3-pro"}
RETIRED_WORDS = re.compile(r"deprecat|model not found|not found model|no longer|shut ?down|retired", re.I)
REFUSAL_WORDS = re.compile(r"moderat|content.?polic|safety|nsfw|inappropriate|prohibited|sensitive", re.I)

STATES = {
    "queued": TaskState.PENDING,
    "generating": TaskState.RUNNING,
    "completed": TaskState.SUCCEEDED,
    "error": TaskState.FAILED,
}

FROM_CLIP_NOTE = (
    "An edit of a gemini-omni version on the AI/ML API starts from the clip itself (the gateway hands "
    "back no conversation to continue): details the instruction does not name may change."
)
AUTH_MESSAGE = "AI/ML API rejected AIMLAPI_API_KEY: check the key at aimlapi.com/app/keys."
BALANCE_MESSAGE = "AI/ML API says the account is out of credit: top up at aimlapi.com."
AVATAR_NEEDS_AUDIO = (
    "Kling Avatar on the AI/ML API cannot speak a script: attach an audio file (mp3, wav, m4a or aac, "
    "up to 5 MB) for the avatar to speak."
)


def client_request_id(external_id: str | None) -> str | None:
    """Our take id as an `X-Client-Request-Id` (1-128 chars of [A-Za-z0-9._:-]; others are dropped
    silently by the gateway, so we replace them rather than lose the correlation)."""
    if not external_id:
        return None
    cleaned = re.sub(r"[^A-Za-z0-9._:-]", "-", external_id)[:128]
    return cleaned or None


def media_url(media: MediaRef | None) -> str:
    """A public URL the gateway fetches itself, else the local copy inlined as a data URI."""
    if media is None:  # `unsupported` refuses a spec missing a required input before this is reached
        raise errors.BadRequest("An input image or clip is missing.")
    if media.url:
        return media.url
    if media.path:
        return data_uri(Path(media.path), media.mime)
    raise errors.BadRequest("An input image or clip has neither a URL nor a local file.")


def source_video_url(spec: RenderSpec) -> str:
    """The clip an O1 edit works on: the backend's URL while we still have it, else our own file."""
    source = spec.source
    if source is None:
        raise errors.BadRequest("An edit needs the clip it edits.")
    if source.result_url:
        return source.result_url
    if source.media is not None:
        return media_url(source.media)
    raise errors.BadRequest("The clip to edit is no longer available to send to AI/ML API.")


def subject_prompt(prompt: str, subjects: tuple[SubjectRef, ...], *, inline_elements: bool) -> str:
    """Replace `{name}` by the subject's name; where the model takes no elements, its description
    is the only way the subject reaches the model, so it goes into the prompt."""
    for subject in subjects:
        text = subject.name
        if not inline_elements and subject.description:
            text = f"{subject.name} ({subject.description})"
        prompt = prompt.replace("{" + subject.name + "}", text)
    return prompt


def element(subject: SubjectRef) -> dict:
    """An inline element: the frontal image plus 1-4 references (the frontal one again when alone)."""
    if not subject.images:
        raise errors.BadRequest(f"The subject {subject.name} has no images.")
    frontal, *refs = subject.images
    refs = refs[:MAX_REFERENCE_IMAGES] or [frontal]
    return {"frontal_image_url": media_url(frontal), "reference_image_urls": [media_url(r) for r in refs]}


def wire_for(spec: RenderSpec) -> WireModel | None:
    """The AI/ML id and fields for `spec`: its (model, mode) row, or the reference-video, first + last
    frame or reference-image id."""
    if spec.reference_video is not None and spec.mode in (Mode.TEXT, Mode.IMAGE):
        return REFERENCE_VIDEO.get(spec.model)
    if spec.end_image is not None:
        return FIRST_LAST.get(spec.model)
    if spec.subjects and spec.mode in (Mode.TEXT, Mode.IMAGE) and _takes_references(spec.model):
        return REFERENCES.get(spec.model)
    return WIRE_MODELS.get((spec.model, spec.mode))


def _choices(seconds: tuple[int, ...]) -> str:
    """`5 or 10`, or `3 to 10` for a run of whole seconds."""
    if len(seconds) > 2 and list(seconds) == list(range(seconds[0], seconds[-1] + 1)):
        return f"{seconds[0]} to {seconds[-1]}"
    return " or ".join(map(str, seconds))


def _takes_references(model: str) -> bool:
    """Models whose subjects go as reference images on their own id (Veo's, Omni's `task`)."""
    return model.startswith("veo-") or model == "gemini-omni"


def shape_refusal(spec: RenderSpec) -> str | None:
    """Why the gateway has no id for the request's shape (a reference video, a last frame or
    reference images on a model without one), from the request alone, or None. Pure."""
    wire = wire_for(spec)
    if wire is None and spec.reference_video is not None:
        others = ", ".join(sorted(REFERENCE_VIDEO))
        return (
            f"{spec.model} on the AI/ML API takes no reference video (--video): the gateway has no such id "
            f"for it. Use --model {others} there, or Kling direct (KLING_API_KEY)."
        )
    if wire is not None and wire.reference_video and spec.end_image is not None:
        return f"{spec.model} takes no last frame with a reference video; drop --end-image or --video."
    if wire is None and spec.end_image is not None:
        return f"{spec.model} on the AI/ML API takes no last frame (--end-image)."
    if wire is None and spec.subjects and _takes_references(spec.model):
        others = ", ".join(sorted(REFERENCES))
        return f"{spec.model} on the AI/ML API takes no reference images; use --model {others} for subjects."
    if wire is not None and wire.seconds and wire.duration and spec.seconds not in (None, *wire.seconds):
        asked = int(spec.seconds or 0)
        nearest = min(wire.seconds, key=lambda s: (abs(s - asked), s))
        return (
            f"{spec.model} on the AI/ML API renders {_choices(wire.seconds)} seconds"
            f"{' from a first frame' if wire.image and wire.task else ''}; you asked for {asked}. "
            f"Try --seconds {nearest}."
        )
    if wire is not None and spec.negative and not wire.negative:
        return (
            f"{spec.model} on the AI/ML API takes no negative prompt here ({wire.id.format(res=spec.resolution)} "
            "has no such field): drop --negative and say what you want in the prompt instead"
            + (", or start from text only." if spec.image is not None else ".")
        )
    return None


def unsupported(spec: RenderSpec) -> str | None:
    """Why this backend cannot render `spec` as asked (a message for the user), or None. Pure."""
    shape = shape_refusal(spec)
    if shape:
        return shape
    wire = wire_for(spec)
    if wire is None:
        return availability_for(spec.model, spec.mode).reason
    if wire.speech and spec.speech is None:
        return AVATAR_NEEDS_AUDIO
    portrait = wire.speech and spec.subjects and spec.subjects[0].images  # an avatar's face
    if wire.image and spec.image is None and not portrait:
        return f"{spec.model} on the AI/ML API needs an image (--image URL)."
    if wire.resolutions and spec.resolution not in wire.resolutions:
        return (
            f"{spec.model} on the AI/ML API renders {' or '.join(wire.resolutions)}, not {spec.resolution}."
        )
    if wire.motion and not (spec.motion and (spec.motion.url or spec.motion.path)):
        return "Motion control needs the reference video."
    if wire.motion and spec.image is None and not (spec.subjects and spec.subjects[0].images):
        return "Motion control needs the character: --image URL, an attached image or a subject."
    if wire.elements and len(spec.subjects) > MAX_ELEMENTS:
        return f"{spec.model} takes at most {MAX_ELEMENTS} subjects per clip."
    return None


def build_request(spec: RenderSpec, offered: frozenset[str] | None = None) -> dict:
    """The JSON body of `POST /v2/video/generations` for `spec`. Pure except for reading local
    media files into data URIs."""
    problem = unsupported(spec)
    if problem:
        raise errors.BadRequest(problem)
    wire = wire_for(spec)
    if wire is None:  # `unsupported` has refused it already; this tells the type checker
        raise errors.BadRequest(availability_for(spec.model, spec.mode).reason)
    if spec.shots and not wire.multi_shot:
        raise errors.BadRequest(f"{spec.model} on the AI/ML API renders one shot.")
    model_id = motion_id(spec.model, offered) if wire.motion else wire.id
    body: dict = {"model": model_id.format(res=spec.resolution)}
    if wire.task:
        body["task"] = wire.task
    prompt = subject_prompt(spec.prompt, spec.subjects, inline_elements=wire.elements)
    if spec.shots and wire.multi_shot:  # `prompt` xor `multi_prompt`
        body["multi_prompt"] = [f"{text.rstrip('.')}, {seconds} seconds." for seconds, text in spec.shots]
        body["shot_type"] = "customize"
    elif wire.task == "edit" and not prompt.strip().endswith(_GEMINI_OMNI_KEEP):
        body["prompt"] = f"{prompt.strip().rstrip('.')}. {_GEMINI_OMNI_KEEP}"
    elif prompt or not wire.speech:  # the avatar's prompt is optional; every other model needs one
        body["prompt"] = prompt
    if wire.duration and spec.seconds is not None:
        body["duration"] = int(spec.seconds)
    if wire.aspect:
        body["aspect_ratio"] = spec.aspect
    if wire.resolution:
        body["resolution"] = spec.resolution
    if wire.audio:
        body["generate_audio"] = bool(spec.audio)
    if wire.negative and spec.negative:
        body["negative_prompt"] = spec.negative
    if wire.keep_audio:
        body["keep_audio"] = bool(spec.keep_audio)
    if wire.video:
        body["video_url"] = source_video_url(spec)
    if wire.speech:
        body["audio_url"] = media_url(spec.speech)
        # The avatar's portrait: the image given, else the subject's frontal image.
        portrait = spec.image or spec.subjects[0].images[0]
        body["image_url"] = media_url(portrait)
    elif wire.image:
        body["image_url"] = media_url(spec.image)
    if wire.end_image:
        body["last_image_url"] = media_url(spec.end_image)
    if wire.motion:
        character = spec.subjects[0].images[0] if spec.subjects and spec.subjects[0].images else None
        body["image_url"] = media_url(spec.image or character)
        body["video_url"] = media_url(spec.motion)
        body["character_orientation"] = spec.orientation
        body["mode"] = wire.mode
    if wire.elements and spec.subjects:
        body["elements"] = [element(s) for s in spec.subjects]
    if wire.reference_video:
        body["video_url"] = media_url(spec.reference_video)
        body["keep_audio"] = False  # the reference lends its camera and style, not its sound
        if spec.image is not None:
            body["image_list"] = [media_url(spec.image)]
    if wire.references:
        refs = ([spec.image] if spec.image is not None else []) + [
            s.images[0] for s in spec.subjects if s.images
        ]
        most = MAX_OMNI_REFERENCES if wire.id == _GEMINI_OMNI else MAX_VEO_REFERENCES
        body["image_urls"] = [media_url(r) for r in refs[:most]]
    if wire.fixed_seconds is not None:
        body["duration"] = wire.fixed_seconds
    return body


def listed_ids(body: dict) -> frozenset[str]:
    """The model ids in a `GET /v1/models` answer (`{"data": [{"id": …, "aliases": […]}, …]}`),
    aliases too: a model may be published under a new canonical id while ours lives on as an alias."""
    found = body.get("data")
    data: list[object] = found if isinstance(found, list) else []
    ids = set()
    for m in data:
        if isinstance(m, dict) and m.get("id"):
            ids.add(str(m["id"]))
            ids.update(str(a) for a in m.get("aliases") or [] if isinstance(a, str))
    return frozenset(ids)


def availability_for(
    model: str, mode: Mode, retired: frozenset[str] = frozenset(), offered: frozenset[str] | None = None
) -> Availability:
    """`offered`: the gateway's model list when it has been read; a retired-prone model (Sora)
    missing from it is treated as retired."""
    wire = WIRE_MODELS.get((model, mode))
    unlisted = (
        offered is not None and wire is not None and model in RETIRED_SUGGESTION and wire.id not in offered
    )
    if model in retired or unlisted:
        return Availability(False, retired_message(model), RETIRED_SUGGESTION.get(model))
    if (model, mode) in WIRE_MODELS:
        return Availability(True)
    modes = sorted(m.value for (name, m) in WIRE_MODELS if name == model)
    if not modes:
        return Availability(False, f"AI/ML API does not serve {model}.")
    return Availability(False, f"{model} on the AI/ML API does {', '.join(modes)}, not {mode.value}.")


def retired_message(model: str) -> str:
    suggestion = RETIRED_SUGGESTION.get(model)
    instead = f" Use --model {suggestion} instead." if suggestion else ""
    return f"AI/ML API no longer serves {model}.{instead}"


def error_for(
    status: int, body: dict, headers: httpx.Headers, *, model: str | None = None
) -> errors.ProviderError:
    """The ProviderError for an AI/ML error envelope {message, path, requestId, statusCode, timestamp}."""
    message = str(body.get("message") or "").strip()
    request_id = body.get("requestId") or headers.get("x-inference-id")
    kw: errors.ErrorContext = {"request_id": request_id, "code": str(status)}
    if status == 404 or (status == 400 and RETIRED_WORDS.search(message)):
        if model is None:
            return errors.ModelUnavailable(f"AI/ML API: {message or 'not found'}", **kw)
        return errors.ModelGone(retired_message(model), suggestion=RETIRED_SUGGESTION.get(model), **kw)
    if status == 400:
        return errors.BadRequest(f"AI/ML API rejected the request: {message or 'HTTP 400'}", **kw)
    if status == 401:
        return errors.AuthFailed(AUTH_MESSAGE, **kw)
    if status == 403:
        return errors.OutOfBalance(BALANCE_MESSAGE, **kw)
    if status == 429:
        return errors.RateLimited(
            "AI/ML API is busy (too many requests).", retry_after=retry_after_seconds(headers), **kw
        )
    if status >= 500:
        text = f"AI/ML API is having trouble (HTTP {status}): {message}" if message else f"HTTP {status}"
        return errors.Unavailable(text, retry_after=retry_after_seconds(headers), **kw)
    return errors.BadRequest(f"AI/ML API answered HTTP {status}: {message}", **kw)


def task_error(body: dict, request_id: str | None) -> errors.ProviderError:
    """A failed generation's error: a Refused when it reads like moderation."""
    error = body.get("error") or {}
    message = str(error.get("message") or error.get("name") or "the generation failed").strip()
    if REFUSAL_WORDS.search(message) or REFUSAL_WORDS.search(str(error.get("name") or "")):
        return errors.Refused(f"The content was refused: {message}", request_id=request_id)
    return errors.ProviderError(f"AI/ML API could not render the clip: {message}", request_id=request_id)


def parse_status(body: dict, headers: httpx.Headers) -> TaskStatus:
    """A `GET /v2/video/generations` answer as a TaskStatus."""
    word = body.get("status")
    state = STATES.get(word) if isinstance(word, str) else None
    if state is None:
        raise errors.Unavailable(f"AI/ML API answered an unknown generation status {word!r}.")
    if state is TaskState.FAILED:
        return TaskStatus(state, error=task_error(body, body.get("id") or headers.get("x-inference-id")))
    if state is not TaskState.SUCCEEDED:
        return TaskStatus(state)
    url = (body.get("video") or {}).get("url")
    if not url:
        raise errors.Unavailable("AI/ML API said the clip is complete but gave no video URL.")
    return TaskStatus(state, progress=100, result_url=url, cost_usd=usd_spent(body, headers))


def usd_spent(body: dict, headers: httpx.Headers) -> float | None:
    usage = (body.get("meta") or {}).get("usage") or {}
    for raw in (usage.get("usd_spent"), headers.get("x-aimlapi-usd-spent")):
        if raw is None:
            continue
        try:
            return float(raw)
        except (TypeError, ValueError):
            continue
    return None
