"""Kling's legacy `/v1/...` wire facts in one place, and the pure functions that speak them:
JWT signing, request bodies, the envelope's error codes, task states and callback bodies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import TypedDict

import httpx

from bot.providers import errors
from bot.providers.base import MediaRef, Mode, RenderSpec, SubjectRef, TaskState
from bot.providers.http import b64_file, retry_after_seconds
from bot.request.catalogue import Catalogue

# ---- paths ---------------------------------------------------------------------------------------
TEXT2VIDEO, IMAGE2VIDEO, OMNI, AVATAR = "text2video", "image2video", "omni-video", "avatar/image2video"
MOTION = "motion-control"  # polled on its own route like the others
LIPSYNC = "advanced-lip-sync"  # after identify-face
ROUTES = (TEXT2VIDEO, IMAGE2VIDEO, OMNI, AVATAR, MOTION, LIPSYNC)
VIDEO_PATH = "/v1/videos/{route}"  # create; poll is VIDEO_PATH + "/{task_id}"
ELEMENTS_PATH = "/v1/general/advanced-custom-elements"  # create; poll is + "/{task_id}"
TTS_PATH = "/v1/audio/tts"
FACES_PATH = "/v1/videos/identify-face"  # synchronous: session_id and face_data
VOICES_PATH = "/v1/general/custom-voices"  # create; poll is + "/{task_id}"
CHECK_PATH, CHECK_PARAMS = "/v1/videos/text2video", {"pageNum": 1, "pageSize": 1}
# The unified query of the new standard: `GET /tasks?task_ids=a,b,c` answers `data` as a list of
# new-standard task records (unknown ids are left out). API-key auth only.
TASKS_PATH, TASKS_PARAM = "/tasks", "task_ids"
# Ids per /tasks call. Kling documents no cap, nor that /tasks reports tasks made on the legacy
# routes (both UNCONFIRMED), so 1 keeps one poll per task; 20 batches (ids it leaves out are
# polled on their own route).
TASKS_BATCH = 1

# ---- auth ----------------------------------------------------------------------------------------
JWT_LIFETIME, JWT_NOT_BEFORE_SLACK, JWT_REFRESH_MARGIN = 1800, 5, 60

# ---- task states; Kling has no progress figure on legacy routes -----------------------------------
STATES = {
    "submitted": TaskState.PENDING,
    "processing": TaskState.RUNNING,
    "succeed": TaskState.SUCCEEDED,
    "failed": TaskState.FAILED,
}
NEW_STATES = {  # the new standard's words (`succeeded`, not `succeed`)
    "submitted": TaskState.PENDING,
    "processing": TaskState.RUNNING,
    "succeeded": TaskState.SUCCEEDED,
    "failed": TaskState.FAILED,
}
# A failed task's `task_status_msg` that reads like moderation is a refusal, not a fault.
REFUSAL_WORDS = re.compile(
    r"risk|content|moderat|sensitive|policy|violat|secur|inappropriate|prohibit|nsfw|review", re.I
)


@dataclass(frozen=True)
class ModelWire:
    """How one of our model ids is spoken on Kling's legacy routes."""

    model_name: str
    modes: frozenset[Mode]
    mode: str | None  # fixed `mode`; None = from the resolution (RES_MODE)
    sound: bool  # takes `sound` on/off
    # Subjects need `element_list`, which only the omni route takes (element_list on legacy
    # image2video is UNCONFIRMED): kling-v3 with subjects goes to omni-video as kling-v3-omni.
    omni_name: str | None = None
    omni_sound: bool = False
    motion_name: str | None = None  # model_name on /v1/videos/motion-control (None: no motion control)
    voices: bool = False  # image2video takes `voice_list` (custom voices: 2.6 only)
    multi_shot: bool = False  # multi_shot / shot_type / multi_prompt
    end_frame: bool = False  # a last frame: image_tail (image2video) or image_list end_frame (omni)


RES_MODE = {"720p": "std", "1080p": "pro", "4k": "4k"}
_TI = frozenset({Mode.TEXT, Mode.IMAGE})
_TIM = _TI | {Mode.MOTION}
_OMNI_MODES = frozenset({Mode.TEXT, Mode.IMAGE, Mode.EDIT, Mode.EXTEND})


class _V3Fields(TypedDict):
    """The ModelWire fields both kling-v3 ids share."""

    sound: bool
    omni_name: str
    omni_sound: bool
    multi_shot: bool
    end_frame: bool


_V3: _V3Fields = {
    "sound": True,
    "omni_name": "kling-v3-omni",
    "omni_sound": True,
    "multi_shot": True,
    "end_frame": True,
}
MODELS: Mapping[str, ModelWire] = {
    "kling-2.6-pro": ModelWire("kling-v2-6", _TIM, "pro", sound=True, motion_name="kling-v2-6", voices=True),
    "kling-v3": ModelWire("kling-v3", _TIM, "std", motion_name="kling-v3", **_V3),
    "kling-v3-pro": ModelWire("kling-v3", _TIM, "pro", motion_name="kling-v3", **_V3),
    "kling-v3-omni": ModelWire(
        "kling-v3-omni", _OMNI_MODES, None, sound=False, omni_sound=True, multi_shot=True, end_frame=True
    ),
    "kling-o1": ModelWire("kling-video-o1", _OMNI_MODES, None, sound=False, end_frame=True),
    "kling-avatar-pro": ModelWire("", frozenset({Mode.AVATAR}), "pro", sound=False),
}
OMNI_MODELS = {"kling-video-o1", "kling-v3-omni"}  # model_names that always use the omni route


def models_for(catalogue: Catalogue) -> Mapping[str, ModelWire]:
    """The models Kling serves here: MODELS with each model_name taken from the catalogue (its
    first Kling id), and a model only the catalogue names (an operator's override, e.g. Kling 4.0)
    as text and image-to-video on the routes every Kling model shares, with `sound` and a last
    frame only where its row has native audio and an end_image input."""
    models = dict(MODELS)
    for model_id, names in catalogue.provider_ids("kling").items():
        known, row = MODELS.get(model_id), catalogue[model_id]
        if known is not None:
            models[model_id] = replace(known, model_name=names[0])
        else:
            sound, end_frame = row.audio == "native", "end_image" in row.inputs
            models[model_id] = ModelWire(names[0], _TI, None, sound=sound, end_frame=end_frame)
    return MappingProxyType(models)


NEGATIVE_ROUTES = {TEXT2VIDEO, IMAGE2VIDEO}  # routes that take `negative_prompt`
ASPECT_ROUTES = {TEXT2VIDEO}  # image2video takes its frame shape from the image
DEFAULT_SECONDS = 5

# ---- elements: a front image and 1 to 3 other views (`refer_images` is required for image_refer) ------
ELEMENT_NAME_MAX, ELEMENT_DESCRIPTION_MAX, ELEMENT_REFS_MAX = 20, 100, 3

# ---- TTS (Kling's TTS doc, kling.ai/document-api/api/video/avatar/text-to-speech): `voice_language`
# (zh | en) is required and "corresponds to the Voice ID": oversea_male1 speaks English; `voice_speed`
# takes 0.8-2.0. The answer carries the audio id at task_result.audios[0].id.
TTS_VOICE_ID, TTS_VOICE_LANGUAGE, TTS_VOICE_SPEED, TTS_MAX_CHARS = "oversea_male1", "en", 1.0, 1000
TTS_AUDIO_ID_PATH = ("task_result", "audios", 0, "id")
TTS_SECONDS_PATH = ("task_result", "audios", 0, "duration")  # a string of seconds
# A custom voice's language is in neither Kling's voice answer nor our sample: a voice cloned from a
# sample speaks the language of the line it is given, so that is its language (UNCONFIRMED).
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LATIN = re.compile(r"[A-Za-z]")

# ---- custom voices (Kling's voice doc: `voice_url` is "the URL of voice data file") -------------------
VOICE_NAME_MAX = 20
VOICE_ID_PATH = ("task_result", "voices", 0, "voice_id")
VOICES_PER_CLIP = 2  # voice_list on kling-v2-6 image2video

# ---- lip-sync: one face; 2-60 s of sound, overlapping its face >= 2 s ---
LIPSYNC_MIN_MS, LIPSYNC_MAX_MS = 2000, 60000


# ---- JWT ------------------------------------------------------------------------------------------
def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def kling_jwt(access_key: str, secret_key: str, now: int) -> str:
    """HS256 JWT for Kling's AK/SK auth, signed by hand (no PyJWT dependency)."""
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    claims = {"iss": access_key, "exp": now + JWT_LIFETIME, "nbf": now - JWT_NOT_BEFORE_SLACK}
    payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}".encode("ascii")
    signature = hmac.new(secret_key.encode(), signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64url(signature)}"


# ---- requests ---------------------------------------------------------------------------------------
def media_value(ref: MediaRef) -> str:
    """A public URL when we have one, else the local file as raw base64 (Kling rejects `data:`)."""
    if ref.url:
        return ref.url
    if ref.path:
        return b64_file(Path(ref.path))
    raise errors.BadRequest("An input image has neither a URL nor a local copy.")


def element_id(subject: SubjectRef) -> int:
    """The subject's Kling element id as Kling takes it in `element_list`: an integer (long)."""
    try:
        return int(subject.element_ids["kling"])
    except KeyError:
        raise errors.BadRequest(f"Subject {subject.name!r} has no Kling element yet.") from None
    except ValueError:
        raise errors.BadRequest(
            f"Subject {subject.name!r} has a Kling element id that is not a number."
        ) from None


def route_for(spec: RenderSpec, models: Mapping[str, ModelWire] = MODELS) -> str:
    if spec.mode is Mode.LIPSYNC:  # model-independent: it works on any clip Kling can fetch
        return LIPSYNC
    wire = models.get(spec.model)
    if wire is None:
        raise errors.ModelUnavailable(f"Kling does not serve {spec.model}.")
    if spec.mode is Mode.AVATAR:
        return AVATAR
    if spec.mode is Mode.MOTION:
        if wire.motion_name is None:
            raise errors.ModelUnavailable(f"{spec.model} has no motion control on Kling.")
        return MOTION
    if wire.model_name in OMNI_MODELS or (spec.subjects and wire.omni_name) or spec.reference_video:
        return OMNI
    return IMAGE2VIDEO if spec.mode is Mode.IMAGE else TEXT2VIDEO


def _subject_pattern(name: str) -> re.Pattern[str]:
    return re.compile(r"\{\s*" + re.escape(name) + r"\s*\}", re.I)


def _literally(text: str) -> Callable[[re.Match[str]], str]:
    """A `re.sub` replacement that puts `text` in as is (a template would read its backslashes)."""
    return lambda _m: text


def _followed_by(text: str) -> Callable[[re.Match[str]], str]:
    """A `re.sub` replacement that keeps the match and puts `text` after it."""
    return lambda m: f"{m.group(0)} {text}"


def prompt_with_elements(prompt: str, subjects: tuple[SubjectRef, ...]) -> str:
    """`{name}` becomes `<<<element_N>>>`; a subject the prompt does not mention is appended so
    Kling still uses it (it was asked for with --subject)."""
    for n, subject in enumerate(subjects, start=1):
        token = f"<<<element_{n}>>>"
        pattern = _subject_pattern(subject.name)
        if pattern.search(prompt):
            prompt = pattern.sub(_literally(token), prompt)
        else:
            prompt = f"{prompt} {token}".strip()
    return prompt


def prompt_with_descriptions(prompt: str, subjects: tuple[SubjectRef, ...]) -> str:
    """For models without elements: `{name}` becomes the subject's name and description."""
    for subject in subjects:
        text = f"{subject.name} ({subject.description})" if subject.description else subject.name
        prompt = _subject_pattern(subject.name).sub(_literally(text), prompt)
    return prompt


def _voiced(spec: RenderSpec) -> list[SubjectRef]:
    return [s for s in spec.subjects if s.voice_ids.get("kling")][:VOICES_PER_CLIP]


def prompt_with_voices(prompt: str, subjects: tuple[SubjectRef, ...], voiced: list[SubjectRef]) -> str:
    """Descriptions as `prompt_with_descriptions`, and `<<<voice_N>>>` after each voiced subject
    (appended when the prompt does not name them)."""
    for n, subject in enumerate(voiced, start=1):
        token = f"<<<voice_{n}>>>"
        pattern = _subject_pattern(subject.name)
        if pattern.search(prompt):
            prompt = pattern.sub(_followed_by(token), prompt, count=1)
        else:
            prompt = f"{prompt} {subject.name} {token}".strip()
    return prompt_with_descriptions(prompt, subjects)


def _source_url(spec: RenderSpec) -> str:
    source = spec.source
    url = source and ((source.media and source.media.url) or source.result_url)
    if not url:
        raise errors.BadRequest("Kling needs a URL it can fetch for the clip to edit or extend.")
    return url


def _mode(spec: RenderSpec, wire: ModelWire) -> str:
    """`mode`: 4K when asked (kling-v3 / kling-v3-omni), else the model's fixed tier or the resolution's."""
    if spec.resolution == "4k":
        return RES_MODE["4k"]
    if wire.model_name in OMNI_MODELS or wire.mode is None:
        return RES_MODE.get(spec.resolution, "pro")
    return wire.mode


def _multi_shot(spec: RenderSpec) -> dict:
    """Legacy multi-shot fields: the shots replace `prompt`; `duration` is their sum."""
    return {
        "multi_shot": True,
        "shot_type": "customize",
        "multi_prompt": [
            {"index": n, "prompt": text, "duration": str(seconds)}
            for n, (seconds, text) in enumerate(spec.shots, start=1)
        ],
        "duration": str(sum(seconds for seconds, _ in spec.shots)),
    }


def _motion_body(spec: RenderSpec, wire: ModelWire) -> dict:
    """`POST /v1/videos/motion-control`: no duration or aspect; the reference decides both."""
    portrait = spec.subjects[0].images[0] if spec.subjects and spec.subjects[0].images else None
    character = spec.image or portrait
    if character is None:
        raise errors.BadRequest("Motion control needs the character's image.")
    video = spec.motion.url if spec.motion else None
    if not video:
        raise errors.BadRequest("Kling fetches the motion reference from a URL, and this one has none.")
    body: dict = {
        "model_name": wire.motion_name,
        "mode": wire.mode or RES_MODE.get(spec.resolution, "std"),
        "image_url": media_value(character),
        "video_url": video,
        "character_orientation": spec.orientation,
        "keep_original_sound": "yes" if spec.keep_audio else "no",
    }
    if spec.prompt:
        body["prompt"] = spec.prompt
    return body


def _omni_body(spec: RenderSpec, wire: ModelWire) -> dict:
    body: dict = {"model_name": wire.omni_name or wire.model_name}
    body["mode"] = _mode(spec, wire)
    if spec.mode is not Mode.EDIT:  # an edit follows its source's length
        body["duration"] = str(spec.seconds or DEFAULT_SECONDS)
    if spec.image:
        image: dict = {"image_url": media_value(spec.image)}
        if spec.mode is Mode.IMAGE:
            image["type"] = "first_frame"
        body["image_list"] = [image]
        if spec.end_image and spec.mode is Mode.IMAGE:
            body["image_list"].append({"image_url": media_value(spec.end_image), "type": "end_frame"})
    if spec.mode is Mode.EDIT:
        body["video_list"] = [
            {
                "video_url": _source_url(spec),
                "refer_type": "base",
                "keep_original_sound": "yes" if spec.keep_audio else "no",
            }
        ]
    elif spec.mode is Mode.EXTEND:
        # keep_original_sound is required on a feature video too (ComfyUI's OmniParamVideo)
        body["video_list"] = [
            {
                "video_url": _source_url(spec),
                "refer_type": "feature",
                "keep_original_sound": "yes" if spec.keep_audio else "no",
            }
        ]
    elif spec.reference_video is not None:
        if not spec.reference_video.url:
            raise errors.BadRequest("Kling fetches the reference video from a URL, and this one has none.")
        body["video_list"] = [
            {"video_url": spec.reference_video.url, "refer_type": "feature", "keep_original_sound": "no"}
        ]
    if spec.mode not in (Mode.IMAGE, Mode.EDIT):  # required without a first frame or base video
        body["aspect_ratio"] = spec.aspect
    if spec.subjects:
        body["element_list"] = [{"element_id": element_id(s)} for s in spec.subjects]
    if wire.omni_sound:
        if "video_list" in body and spec.audio:  # the run refuses what intake would have
            raise errors.BadRequest(video_sound_refusal(spec) or "Kling takes sound off with a video.")
        body["sound"] = "on" if spec.audio else "off"
    body["prompt"] = prompt_with_elements(spec.prompt, spec.subjects)
    if spec.shots and wire.multi_shot:  # Kling then ignores `prompt`; it is still required
        body.update(_multi_shot(spec))
    return body


def build_request(
    spec: RenderSpec, *, audio_id: str | None = None, models: Mapping[str, ModelWire] = MODELS
) -> tuple[str, dict]:
    """The route and JSON body for `spec`. Pure. Subjects must already carry Kling element ids;
    an avatar with a script needs the `audio_id` from TTS."""
    route = route_for(spec, models)
    wire = models[spec.model]
    if route == AVATAR:
        body = _avatar_body(spec, wire, audio_id)
    elif route == MOTION:
        body = _motion_body(spec, wire)
    elif route == OMNI:
        body = _omni_body(spec, wire)
    else:
        body = {
            "model_name": wire.model_name,
            "mode": _mode(spec, wire),
            "prompt": prompt_with_descriptions(spec.prompt, spec.subjects),
            "duration": str(spec.seconds or DEFAULT_SECONDS),
        }
        if spec.shots and wire.multi_shot:  # Kling then ignores `prompt`; it is still required
            body.update(_multi_shot(spec))
        if route == IMAGE2VIDEO:
            if spec.image is None:
                raise errors.BadRequest("Image-to-video needs an image.")
            body["image"] = media_value(spec.image)
            if spec.end_image and wire.end_frame:
                body["image_tail"] = media_value(spec.end_image)
        if route in ASPECT_ROUTES:
            body["aspect_ratio"] = spec.aspect
        if wire.sound:
            body["sound"] = "on" if spec.audio else "off"
        if route == IMAGE2VIDEO and wire.voices and (voiced := _voiced(spec)):
            # a voice needs sound on, and the prompt says who speaks with <<<voice_N>>>
            body["voice_list"] = [{"voice_id": s.voice_ids["kling"]} for s in voiced]
            body["prompt"] = prompt_with_voices(spec.prompt, spec.subjects, voiced)
            body["sound"] = "on"
    if spec.negative and route in NEGATIVE_ROUTES:
        body["negative_prompt"] = spec.negative
    if spec.external_id:
        body["external_task_id"] = spec.external_id
    if spec.callback_url:
        body["callback_url"] = spec.callback_url
    return route, body


def _avatar_body(spec: RenderSpec, wire: ModelWire, audio_id: str | None) -> dict:
    portrait = spec.subjects[0].images[0] if spec.subjects and spec.subjects[0].images else spec.image
    if portrait is None:
        raise errors.BadRequest("A talking avatar needs a portrait (a subject with an image).")
    body: dict = {"image": media_value(portrait), "mode": wire.mode}
    if audio_id:
        body["audio_id"] = audio_id
    elif spec.speech:
        body["sound_file"] = media_value(spec.speech)
    else:
        raise errors.BadRequest("A talking avatar needs a script or an audio file.")
    if spec.prompt:
        body["prompt"] = spec.prompt
    return body


def element_body(subject: SubjectRef) -> dict:
    """Create-element body: the first image frontal, the subject's other images (up to three) as the
    references; Kling requires at least one, and a reference that repeats the front adds nothing."""
    if not subject.images:
        raise errors.BadRequest(f"Subject {subject.name!r} has no images.")
    frontal, refs = subject.images[0], subject.images[1 : 1 + ELEMENT_REFS_MAX]
    if not refs:
        raise errors.BadRequest(one_view_refusal(subject.name))
    return {
        "element_name": subject.name[:ELEMENT_NAME_MAX],
        "element_description": (subject.description or subject.name)[:ELEMENT_DESCRIPTION_MAX],
        "reference_type": "image_refer",
        "element_image_list": {
            "frontal_image": media_value(frontal),
            "refer_images": [{"image_url": media_value(r)} for r in refs],
        },
    }


def spoken_language(text: str) -> str:
    """Kling's `voice_language` for a line a custom voice speaks: zh when the line is mostly
    Chinese characters, else en (the two TTS takes). Pure."""
    return "zh" if len(CJK.findall(text)) > len(LATIN.findall(text)) else "en"


def tts_body(text: str, voice_id: str | None = None) -> dict:
    """`voice_id`: a subject's custom voice, speaking the line's language; else Kling's stock
    voice in its own language."""
    if not text.strip():
        raise errors.BadRequest("The script is empty.")
    if len(text) > TTS_MAX_CHARS:
        raise errors.BadRequest(f"Kling's speech is limited to {TTS_MAX_CHARS} characters per script.")
    return {
        "text": text,
        "voice_id": voice_id or TTS_VOICE_ID,
        "voice_language": spoken_language(text) if voice_id else TTS_VOICE_LANGUAGE,
        "voice_speed": TTS_VOICE_SPEED,
    }


def uses_voices(spec: RenderSpec, models: Mapping[str, ModelWire] = MODELS) -> bool:
    """Whether the spec speaks in its subjects' voices: a script said by TTS, or the voice_list of
    an image-to-video on a model that takes one."""
    if spec.mode in (Mode.AVATAR, Mode.LIPSYNC):
        return bool(spec.script)
    wire = models.get(spec.model)
    return bool(wire and wire.voices and spec.mode is Mode.IMAGE and route_for(spec, models) == IMAGE2VIDEO)


def speaking_voice(spec: RenderSpec) -> str | None:
    """The Kling custom voice that says the spec's script: its first voiced subject's."""
    return next((s.voice_ids["kling"] for s in spec.subjects if s.voice_ids.get("kling")), None)


def voice_body(subject: SubjectRef) -> dict:
    """Create-voice body: the subject's name and the public URL of its sample."""
    sample = subject.voice
    if sample is None:
        raise errors.BadRequest(f"Subject {subject.name!r} has no voice sample.")
    if not sample.url:
        raise errors.BadRequest(attached_voice_refusal(subject.name))
    return {"voice_name": subject.name[:VOICE_NAME_MAX], "voice_url": sample.url}


# ---- what Kling would refuse, known from the request alone (intake; the run says the same) ------------
def video_sound_refusal(spec: RenderSpec) -> str | None:
    """Kling 3.0 Omni with a video going in (an edit's base video, an extension's or `--video`'s
    feature video) takes `sound` off only (its 3.0 Omni doc): `--audio` there is refused."""
    wire = MODELS.get(spec.model)
    if wire is None or not wire.omni_sound or not spec.audio:
        return None
    if spec.mode not in (Mode.EDIT, Mode.EXTEND) and spec.reference_video is None:
        return None
    if spec.mode in (Mode.MOTION, Mode.AVATAR, Mode.LIPSYNC) or route_for(spec) != OMNI:
        return None
    return (
        "Kling 3.0 Omni makes no sound of its own when it works from a video (an edit, an extension "
        "or --video): its audio must be off there. Ask again without --audio (or 'with audio'); an "
        "edit or extension keeps the clip's own sound unless you say 'no audio'."
    )


def one_view_refusal(name: str) -> str:
    return (
        f"Kling makes {{{name}}} into an element from its front image and 1 to 3 other views, and "
        f"{{{name}}} has one image. Give it a second view (a side or three-quarter shot): "
        f"`/video subject remove {name}`, then `/video subject add {name} FRONT_URL OTHER_URL -- description`."
    )


def element_refusal(spec: RenderSpec) -> str | None:
    """A subject that needs a new Kling element but has a single image (no other view to send)."""
    if not spec.subjects or spec.mode in (Mode.AVATAR, Mode.LIPSYNC, Mode.MOTION):
        return None
    if spec.model not in MODELS or route_for(spec) != OMNI:
        return None
    lone = next((s for s in spec.subjects if not s.element_ids.get("kling") and len(s.images) == 1), None)
    return one_view_refusal(lone.name) if lone else None


def attached_voice_refusal(name: str) -> str:
    return (
        f"Kling makes {{{name}}}'s voice from a sample it fetches from a link, and {{{name}}}'s sample "
        f"was attached in Slack. Give it as a link: `/video subject voice {name} https://…/voice.mp3`."
    )


def voice_refusal(spec: RenderSpec) -> str | None:
    """A subject whose custom voice Kling would have to make from an attached sample (no URL)."""
    if spec.model not in MODELS and spec.mode is not Mode.LIPSYNC:
        return None
    if not uses_voices(spec):
        return None
    attached = next(
        (s for s in spec.subjects if s.voice and not s.voice.url and not s.voice_ids.get("kling")), None
    )
    return attached_voice_refusal(attached.name) if attached else None


def face_source(spec: RenderSpec) -> dict:
    """identify-face body: the clip to lip-sync, by a URL Kling can fetch."""
    return {"video_url": _source_url(spec)}


def one_face(data: dict) -> dict:
    """The one face Kling found in the clip; a clip with none or several is refused (lip-sync syncs
    one person) before the lip-sync is paid for."""
    faces = [f for f in data.get("face_data") or [] if isinstance(f, dict) and f.get("face_id") is not None]
    if not faces:
        raise errors.ProviderError(
            "Kling found no face in this clip to lip-sync. Lip-sync a version where one person's face "
            "is clearly visible."
        )
    if len(faces) > 1:
        raise errors.ProviderError(
            f"Kling found {len(faces)} faces in this clip; lip-sync makes one person speak. Lip-sync a "
            "version with one face in it."
        )
    if not data.get("session_id"):
        raise errors.ProviderError("Kling's face identification answered without a session id.")
    return faces[0]


def lipsync_body(
    spec: RenderSpec, session_id: str, face: dict, speech_ms: int, *, audio_id: str | None = None
) -> dict:
    """advanced-lip-sync body: the speech goes in where the face appears, cut to its time on screen."""
    start, end = int(face.get("start_time") or 0), int(face.get("end_time") or 0)
    if not LIPSYNC_MIN_MS <= speech_ms <= LIPSYNC_MAX_MS:
        raise errors.ProviderError(
            f"The speech is {speech_ms / 1000:.1f} s long; Kling lip-syncs 2 to 60 s of speech."
        )
    length = min(speech_ms, end - start) if end > start else speech_ms
    if length < LIPSYNC_MIN_MS:
        raise errors.ProviderError(
            f"The face is on screen for only {(end - start) / 1000:.1f} s; lip-sync needs at least 2 s of it."
        )
    choice: dict = {
        "face_id": str(face["face_id"]),
        "sound_start_time": 0,
        "sound_end_time": length,
        "sound_insert_time": start,
        "sound_volume": 1,
        "original_audio_volume": 1,
    }
    if audio_id:
        choice["audio_id"] = audio_id
    elif spec.speech is not None:
        choice["sound_file"] = media_value(spec.speech)
    else:
        raise errors.BadRequest("A lip-sync needs a script or an audio file.")
    body: dict = {"session_id": str(session_id), "face_choose": [choice]}
    if spec.external_id:
        body["external_task_id"] = spec.external_id
    if spec.callback_url:
        body["callback_url"] = spec.callback_url
    return body


def dig(data: object, path: tuple) -> object:
    """`data[p0][p1]...` or None when any step is missing."""
    for step in path:
        try:
            data = data[step]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            return None
    return data


# ---- answers ---------------------------------------------------------------------------------------
CHECK_KEYS = "check KLING_API_KEY (or KLING_ACCESS_KEY and KLING_SECRET_KEY) in the Kling developer console"


def envelope_error(
    status: int, body: dict, headers: httpx.Headers | None = None
) -> errors.ProviderError | None:
    """The ProviderError for a legacy-envelope answer, or None when it is a success."""
    code = body.get("code")
    if status < 400 and code in (0, None):
        return None
    message = str(body.get("message") or "").strip()
    kw: errors.ErrorContext = {
        "request_id": body.get("request_id"),
        "code": None if code is None else str(code),
    }
    said = f": {message}" if message else ""
    code_text = f"code {code}" if code is not None else f"HTTP {status}"
    if code in (1000, 1001, 1002, 1003, 1004) or (status == 401 and code is None):
        return errors.AuthFailed(f"Kling rejected the key ({code_text}): {CHECK_KEYS}.", **kw)
    if code == 1100:
        return errors.AuthFailed(f"Kling says the account is abnormal ({code_text}){said}.", **kw)
    if code in (1101, 1102):
        return errors.OutOfBalance(
            f"Kling says the account is out of credit ({code_text}): top it up in the Kling console.", **kw
        )
    if code == 1103:
        return errors.AuthFailed(f"The Kling key may not use this model or API ({code_text}).", **kw)
    if code == 1304:
        return errors.AuthFailed(f"Kling refused this server's IP address (code 1304){said}.", **kw)
    if code in (1300, 1301):
        return errors.Refused(f"Kling refused the request{said or ' (content policy)'}.", **kw)
    if code in (1302, 1303) or (status == 429 and code is None):
        retry = retry_after_seconds(headers) if headers is not None else None
        return errors.RateLimited(f"Kling is busy ({code_text}){said}.", retry_after=retry or 2.0, **kw)
    if code == 1203 and "model" in message.lower():
        return errors.ModelGone(f"Kling does not serve that model ({code_text}){said}.", **kw)
    if code in (1200, 1201, 1202, 1203):
        return errors.BadRequest(f"Kling rejected the request ({code_text}){said}.", **kw)
    if (isinstance(code, int) and 5000 <= code < 6000) or status >= 500:
        retry = retry_after_seconds(headers) if headers is not None else None
        return errors.Unavailable(f"Kling is unavailable ({code_text}){said}.", retry_after=retry, **kw)
    if 400 <= status < 500:
        return errors.BadRequest(f"Kling rejected the request ({code_text}){said}.", **kw)
    return errors.ProviderError(f"Kling answered {code_text}{said}.", **kw)


def task_failure(message: str, request_id: str | None = None) -> errors.ProviderError:
    """A failed task: Refused when Kling's reason reads like moderation, else a plain failure."""
    text = message.strip() or "no reason given"
    if REFUSAL_WORDS.search(text):
        return errors.Refused(f"Kling refused the clip: {text}", request_id=request_id)
    return errors.ProviderError(f"Kling could not render the clip: {text}", request_id=request_id)
