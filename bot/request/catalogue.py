"""The model catalogue: what each user-facing model id accepts and costs, and the check of a
request against it. Pure data and pure functions; prices live in one table (`PRICES`)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from bot.outcomes import Refusal

if TYPE_CHECKING:  # only for the annotation: grammar imports this module, not the other way round
    from bot.request import VideoRequest


@dataclass(frozen=True)
class ModelSpec:
    id: str  # the id people type; each backend maps it to its own
    title: str
    family: str  # "kling" | "sora" | "veo" | "preview"
    seconds: tuple[int, ...]  # allowed durations; () when the clip follows the speech (avatar)
    seconds_text_only: tuple[int, ...] | None  # durations without any reference; None = `seconds`
    default_seconds: int | None
    aspects: tuple[str, ...]  # () when the picture's shape follows the input image (avatar)
    resolutions: tuple[str, ...]
    default_resolution: str
    audio: str  # "native" (on/off switch), "always", "none", "keep" (keeps/drops a source clip's sound)
    default_audio: bool
    # of "text", "image", "end_image" (last frame), "video" (a reference video), "subjects" (native),
    # "script", "speech", "voice" (speaks in a subject's custom voice)
    inputs: frozenset[str]
    edits: bool  # can edit an existing clip (thread replies)
    extends: bool  # can continue an existing clip ("extend ..." / "next shot ...")
    max_subjects: int  # native subject slots; 0 = subjects are folded into the prompt as text
    seeds: bool
    negative: bool
    typical_seconds: int  # typical render wall time, for the card's estimate
    multi_shot: bool = False  # takes `Ns: shot // Ns: shot` (2 to MAX_SHOTS shots)
    motion: bool = False  # motion control: --motion URL (a character performs a video's moves)
    # resolutions only rendered at some lengths, e.g. Veo's 1080p only at 8 s: (("1080p", (8,)),)
    res_seconds: tuple[tuple[str, tuple[int, ...]], ...] = ()
    # subjects go in as reference images (with --image as one more) only at this (seconds, aspect) (Veo)
    subjects_at: tuple[int, str] | None = None


_ALL_ASPECTS = ("16:9", "9:16", "1:1")
_KLING_V3_SECONDS = tuple(range(3, 16))

CATALOGUE: dict[str, ModelSpec] = {
    m.id: m
    for m in (
        ModelSpec(
            id="kling-2.6-pro",
            title="Kling 2.6 Pro (1080p)",
            family="kling",
            seconds=(5, 10),
            seconds_text_only=None,
            default_seconds=5,
            aspects=_ALL_ASPECTS,
            resolutions=("1080p",),
            default_resolution="1080p",
            audio="native",
            default_audio=False,
            inputs=frozenset({"text", "image", "voice"}),
            edits=False,
            extends=False,
            max_subjects=0,
            seeds=False,
            negative=True,
            typical_seconds=150,
            motion=True,
        ),
        ModelSpec(
            id="kling-v3",
            title="Kling 3.0 Standard (720p)",
            family="kling",
            seconds=_KLING_V3_SECONDS,
            seconds_text_only=None,
            default_seconds=5,
            aspects=_ALL_ASPECTS,
            resolutions=("720p", "4k"),
            default_resolution="720p",
            audio="native",
            default_audio=False,
            inputs=frozenset({"text", "image", "end_image", "subjects"}),
            edits=False,
            extends=False,
            max_subjects=3,
            seeds=False,
            negative=True,
            typical_seconds=240,
            multi_shot=True,
            motion=True,
        ),
        ModelSpec(
            id="kling-v3-pro",
            title="Kling 3.0 Pro (1080p)",
            family="kling",
            seconds=_KLING_V3_SECONDS,
            seconds_text_only=None,
            default_seconds=5,
            aspects=_ALL_ASPECTS,
            resolutions=("1080p",),
            default_resolution="1080p",
            audio="native",
            default_audio=False,
            inputs=frozenset({"text", "image", "end_image", "subjects"}),
            edits=False,
            extends=False,
            max_subjects=3,
            seeds=False,
            negative=True,
            typical_seconds=400,
            multi_shot=True,
            motion=True,
        ),
        ModelSpec(
            id="kling-v3-omni",
            title="Kling 3.0 Omni (references, edits, up to 4K)",
            family="kling",
            seconds=_KLING_V3_SECONDS,
            seconds_text_only=None,
            default_seconds=5,
            aspects=_ALL_ASPECTS,
            resolutions=("720p", "1080p", "4k"),
            default_resolution="1080p",
            audio="native",
            default_audio=False,
            inputs=frozenset({"text", "image", "end_image", "video", "subjects"}),
            edits=True,
            extends=True,
            max_subjects=4,
            seeds=False,
            negative=False,
            typical_seconds=300,
            multi_shot=True,
        ),
        ModelSpec(
            id="kling-o1",
            title="Kling O1 (omni: edits and references)",
            family="kling",
            seconds=tuple(range(3, 11)),
            seconds_text_only=(5, 10),
            default_seconds=5,
            aspects=_ALL_ASPECTS,
            resolutions=("720p", "1080p"),
            default_resolution="720p",
            audio="keep",
            default_audio=True,
            inputs=frozenset({"text", "image", "end_image", "video", "subjects"}),
            edits=True,
            extends=True,
            max_subjects=4,
            seeds=False,
            negative=False,
            typical_seconds=270,
        ),
        ModelSpec(
            id="kling-avatar-pro",
            title="Kling Avatar Pro (talking portrait)",
            family="kling",
            seconds=(),
            seconds_text_only=None,
            default_seconds=None,
            aspects=(),
            resolutions=("1080p",),
            default_resolution="1080p",
            audio="always",
            default_audio=True,
            inputs=frozenset({"subjects", "script", "speech", "voice"}),
            edits=False,
            extends=False,
            max_subjects=1,
            seeds=False,
            negative=False,
            typical_seconds=300,
        ),
        ModelSpec(
            id="sora-2",
            title="Sora 2 (720p)",
            family="sora",
            seconds=(4, 8, 12),
            seconds_text_only=None,
            default_seconds=4,
            aspects=("16:9", "9:16"),
            resolutions=("720p",),
            default_resolution="720p",
            audio="always",
            default_audio=True,
            inputs=frozenset({"text", "image"}),
            edits=True,
            extends=True,
            max_subjects=0,
            seeds=False,
            negative=False,
            typical_seconds=75,
        ),
        ModelSpec(
            id="sora-2-pro",
            title="Sora 2 Pro (720p or 1080p)",
            family="sora",
            seconds=(4, 8, 12),
            seconds_text_only=None,
            default_seconds=4,
            aspects=("16:9", "9:16"),
            resolutions=("720p", "1080p"),
            # the final-render model: render at the same 1080p as its fallback, kling-v3-pro
            default_resolution="1080p",
            audio="always",
            default_audio=True,
            inputs=frozenset({"text", "image"}),
            edits=True,
            extends=True,
            max_subjects=0,
            seeds=False,
            negative=False,
            typical_seconds=180,
        ),
        ModelSpec(
            id="veo-3.1",
            title="Google Veo 3.1 (cinematic, native audio)",
            family="veo",
            seconds=(4, 6, 8),
            seconds_text_only=None,
            default_seconds=8,
            aspects=("16:9", "9:16"),
            resolutions=("720p", "1080p"),
            default_resolution="720p",
            # the Gemini API cannot switch Veo's sound off (generate_audio is Vertex-only)
            audio="always",
            default_audio=True,
            inputs=frozenset({"text", "image", "end_image", "subjects"}),
            edits=False,
            extends=True,
            max_subjects=3,
            seeds=False,
            negative=True,
            typical_seconds=120,
            res_seconds=(("1080p", (8,)),),
            subjects_at=(8, "16:9"),
        ),
        ModelSpec(
            id="veo-3.1-fast",
            title="Google Veo 3.1 Fast",
            family="veo",
            seconds=(4, 6, 8),
            seconds_text_only=None,
            default_seconds=8,
            aspects=("16:9", "9:16"),
            resolutions=("720p", "1080p"),
            default_resolution="720p",
            audio="always",
            default_audio=True,
            inputs=frozenset({"text", "image", "end_image", "subjects"}),
            edits=False,
            extends=True,
            max_subjects=3,
            seeds=False,
            negative=True,
            typical_seconds=60,
            res_seconds=(("1080p", (8,)),),
            subjects_at=(8, "16:9"),
        ),
        ModelSpec(
            id="preview",
            title="Preview (local animatic, free)",
            family="preview",
            seconds=tuple(range(1, 21)),
            seconds_text_only=None,
            default_seconds=5,
            aspects=_ALL_ASPECTS,
            resolutions=("720p", "1080p"),
            default_resolution="720p",
            audio="none",
            default_audio=False,
            inputs=frozenset({"text", "image"}),
            edits=True,
            extends=True,
            max_subjects=0,
            seeds=True,
            negative=True,
            typical_seconds=5,
        ),
    )
}

# Kling 4.0 (launched Oct-Nov 2026): announced, its API unconfirmed. These rows join the
# catalogue only when KLING_4_MODEL_NAMES names Kling's slugs for them (`enable_kling_4`).
KLING_4: dict[str, ModelSpec] = {
    m.id: m
    for m in (
        ModelSpec(
            id="kling-4.0", title="Kling 4.0 (3-30 s, stereo audio; API unconfirmed)", family="kling",
            seconds=tuple(range(3, 31)), seconds_text_only=None, default_seconds=5, aspects=_ALL_ASPECTS,
            resolutions=("720p", "1080p"), default_resolution="1080p", audio="native", default_audio=False,
            inputs=frozenset({"text", "image", "end_image"}), edits=False, extends=False, max_subjects=0,
            seeds=False, negative=True, typical_seconds=300,
        ),
        ModelSpec(
            id="kling-4.0-flash", title="Kling 4.0 Flash (720p; API unconfirmed)", family="kling",
            seconds=tuple(range(3, 21)), seconds_text_only=None, default_seconds=5, aspects=_ALL_ASPECTS,
            resolutions=("720p",), default_resolution="720p", audio="native", default_audio=False,
            inputs=frozenset({"text", "image", "end_image"}), edits=False, extends=False, max_subjects=0,
            seeds=False, negative=True, typical_seconds=150,
        ),
    )
}  # fmt: skip
# Kling's own 4.0 prices are UNCONFIRMED: the gateways' published prices (muapi,
# Venice), so an estimate is not zero.
KLING_4_PRICES: dict[tuple[str, str, str], float] = {
    ("kling-4.0", "720p", "any"): 0.157,
    ("kling-4.0", "1080p", "any"): 0.235,
    ("kling-4.0-flash", "720p", "any"): 0.1174,
}


def enable_kling_4(model_ids) -> list[str]:
    """Add the Kling 4.0 rows named (by KLING_4_MODEL_NAMES) to the catalogue; returns those added."""
    added = [m for m in model_ids if m in KLING_4 and m not in CATALOGUE]
    for model_id in added:
        CATALOGUE[model_id] = KLING_4[model_id]
        PRICES.update({k: v for k, v in KLING_4_PRICES.items() if k[0] == model_id})
    return added


# Sora 2 Pro only where a backend still serves it; Veo 3.1 is the cinematic final while none does.
FINAL_MODEL_PREFERENCE = ("sora-2-pro", "veo-3.1", "kling-v3-pro")
DEFAULT_DRAFT_MODEL = "kling-v3"  # the runner routes it to the preview renderer when no keys are set

# Other spellings people use for the same model. Only names that cannot mean anything else.
ALIASES = {
    "kling-2.6": "kling-2.6-pro",
    "kling-v2-6": "kling-2.6-pro",
    "kling-v2.6-pro": "kling-2.6-pro",
    "kling-3": "kling-v3",
    "kling-3.0": "kling-v3",
    "kling-v3-std": "kling-v3",
    "kling-v3-standard": "kling-v3",
    "kling-3.0-pro": "kling-v3-pro",
    "kling-video-o1": "kling-o1",
    "kling-avatar": "kling-avatar-pro",
    "sora2": "sora-2",
    "sora2-pro": "sora-2-pro",
    "sora-2pro": "sora-2-pro",
    "kling-3.0-omni": "kling-v3-omni",
    "kling-v3-0-omni": "kling-v3-omni",
    "veo3.1": "veo-3.1",
    "veo-3.1-generate": "veo-3.1",
    "veo3.1-fast": "veo-3.1-fast",
}

# $ per second of output, by (model, resolution, variant). Variant: "silent" / "audio" for models
# whose price depends on native audio, "video" when a source clip goes in, "any" otherwise.
# "motion" for motion control (priced per second of the reference video's length).
# Sources: OpenAI's, Kling's and Google's published price lists (Veo on the Gemini API is
# UNCONFIRMED). A changed price is a one-line fix here.
PRICES: dict[tuple[str, str, str], float] = {
    ("kling-2.6-pro", "1080p", "silent"): 0.07,
    ("kling-2.6-pro", "1080p", "audio"): 0.14,
    ("kling-2.6-pro", "1080p", "motion"): 0.112,
    ("kling-v3", "720p", "silent"): 0.084,
    ("kling-v3", "720p", "audio"): 0.126,
    ("kling-v3", "720p", "motion"): 0.126,
    ("kling-v3", "4k", "any"): 0.42,
    ("kling-v3-pro", "1080p", "silent"): 0.112,
    ("kling-v3-pro", "1080p", "audio"): 0.168,
    ("kling-v3-pro", "1080p", "motion"): 0.168,
    ("kling-v3-omni", "720p", "silent"): 0.084,
    ("kling-v3-omni", "720p", "audio"): 0.112,
    ("kling-v3-omni", "1080p", "silent"): 0.112,
    ("kling-v3-omni", "1080p", "audio"): 0.14,
    ("kling-v3-omni", "4k", "any"): 0.42,
    ("kling-v3-omni", "720p", "video"): 0.126,
    ("kling-v3-omni", "1080p", "video"): 0.168,
    ("kling-o1", "720p", "any"): 0.084,
    ("kling-o1", "1080p", "any"): 0.112,
    ("kling-o1", "720p", "video"): 0.126,
    ("kling-o1", "1080p", "video"): 0.168,
    ("kling-avatar-pro", "1080p", "any"): 0.112,
    ("sora-2", "720p", "any"): 0.10,
    ("sora-2-pro", "720p", "any"): 0.30,
    ("sora-2-pro", "1080p", "any"): 0.70,  # 1920x1080: UNCONFIRMED in a primary source
    ("veo-3.1", "720p", "any"): 0.40,
    ("veo-3.1", "1080p", "any"): 0.40,
    ("veo-3.1-fast", "720p", "any"): 0.10,
    ("veo-3.1-fast", "1080p", "any"): 0.12,
    ("preview", "720p", "any"): 0.0,
    ("preview", "1080p", "any"): 0.0,
}

_SIZES = {
    ("16:9", "720p"): (1280, 720),
    ("9:16", "720p"): (720, 1280),
    ("1:1", "720p"): (720, 720),
    ("16:9", "1080p"): (1920, 1080),
    ("9:16", "1080p"): (1080, 1920),
    ("1:1", "1080p"): (1080, 1080),
    ("16:9", "4k"): (3840, 2160),
    ("9:16", "4k"): (2160, 3840),
    ("1:1", "4k"): (2160, 2160),
}


def modes_of(model: ModelSpec) -> list[str]:
    """What a model takes and does, for `dailies models`: its inputs, then multi-shot, motion
    control and extension where it has them."""
    modes = sorted(model.inputs)
    modes += ["multi-shot"] if model.multi_shot else []
    modes += ["motion control"] if model.motion else []
    modes += ["extend"] if model.extends else []
    return modes


def get_model(model_id: str) -> ModelSpec | None:
    """The model for a user's id, ignoring case and surrounding space; also takes `ALIASES`."""
    key = model_id.strip().lower()
    return CATALOGUE.get(ALIASES.get(key, key))


def size_for(aspect: str, resolution: str) -> tuple[int, int]:
    """Width and height in pixels, e.g. ("16:9", "720p") -> (1280, 720). ValueError if unknown."""
    try:
        return _SIZES[(aspect, resolution)]
    except KeyError:
        raise ValueError(f"no frame size for aspect {aspect!r} at {resolution!r}") from None


def price_per_second(
    model: ModelSpec, *, resolution: str, audio: bool, with_video: bool = False, motion: bool = False
) -> float:
    """USD per second of output. ValueError for a resolution the model does not render."""
    wanted = ["motion"] if motion else []
    wanted += ["video"] if with_video else []
    wanted += ["audio" if audio else "silent", "any"]
    for variant in wanted:
        price = PRICES.get((model.id, resolution, variant))
        if price is not None:
            return price
    raise ValueError(f"{model.id} has no price at {resolution!r}")


def estimate_cost(
    model: ModelSpec,
    *,
    seconds: float,
    resolution: str,
    audio: bool,
    takes: int = 1,
    with_video: bool = False,
    motion: bool = False,
) -> float:
    """Estimated USD for `takes` clips of `seconds` each, rounded half-up to cents."""
    per_second = price_per_second(
        model, resolution=resolution, audio=audio, with_video=with_video, motion=motion
    )
    # Decimal so that e.g. 0.14 * 10 is exactly 1.40, not 1.4000000000000001
    total = Decimal(str(per_second)) * Decimal(str(seconds)) * takes
    return float(total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def describe_choices(values: tuple, unit: str = "") -> str:
    """ "3 to 15 seconds" for a run of whole numbers, "5 or 10 seconds", "16:9, 9:16 or 1:1"."""
    suffix = f" {unit}" if unit else ""
    if len(values) > 2 and all(isinstance(v, int) for v in values):
        if list(values) == list(range(values[0], values[-1] + 1)):
            return f"{values[0]} to {values[-1]}{suffix}"
    words = [str(v) for v in values]
    if len(words) == 1:
        return words[0] + suffix
    return ", ".join(words[:-1]) + " or " + words[-1] + suffix


def _nearest(values: tuple[int, ...], wanted: int) -> int:
    return min(values, key=lambda v: (abs(v - wanted), v))


def _models_with(predicate) -> str:
    return ", ".join(m.id for m in CATALOGUE.values() if predicate(m)) or "none"


def _sibling(model: ModelSpec, predicate) -> str:
    """The closest model of the same family (by shared id prefix, e.g. kling-v3 -> kling-v3-pro)
    that satisfies `predicate`, as advice; "" when there is none."""
    others = [m for m in CATALOGUE.values() if m.family == model.family and m.id != model.id]
    fits = [m for m in others if predicate(m)]
    if not fits:
        return ""
    best = max(fits, key=lambda m: len(os.path.commonprefix([m.id, model.id])))
    return f" Try --model {best.id}."


def seconds_at(model: ModelSpec, resolution: str) -> tuple[int, ...]:
    """The durations `model` renders at `resolution` (Veo: 1080p only at 8 s)."""
    return dict(model.res_seconds).get(resolution, model.seconds)


MOTION_MAX_SECONDS = {"image": 10, "video": 30}  # the reference's length, by --orient
MOTION_MIN_SECONDS = 3


def check_motion(
    req: VideoRequest, model: ModelSpec, *, has_image: bool, has_subject: bool
) -> Refusal | None:
    """Motion control: a model that has it, one character, and nothing the reference decides."""
    name = model.id
    if not model.motion:
        return Refusal(f"{name} has no motion control. Models that do: {_models_with(lambda m: m.motion)}.")
    if req.seconds is not None or req.shots:
        return Refusal(
            "Motion control follows the reference video's length (3 to 30 s); drop --seconds and `//` shots."
        )
    if req.aspect is not None:
        return Refusal("Motion control takes its frame from the reference video; drop --aspect.")
    if req.resolution == "4k":
        return Refusal(
            f"Motion control renders up to 1080p; drop --res 4k.{_sibling(model, lambda m: m.motion)}"
        )
    if len(req.subjects) > 1:
        return Refusal("Motion control takes one character: name one subject, or use --image.")
    if not (has_image or has_subject):
        return Refusal(
            "Motion control needs the character who performs the moves: add --image URL, attach "
            "an image, or name a `{subject}`."
        )
    if req.video_url or req.end_image_url:
        return Refusal("Motion control takes no --video or --end-image; drop them.")
    return None


def check_request(
    req: VideoRequest,
    model: ModelSpec,
    *,
    has_reference: bool = False,
    editing: bool = False,
    has_image: bool | None = None,
    motion: bool = False,
    has_video: bool = False,
) -> Refusal | None:
    """Refuse what `model` cannot render, naming the allowed values. `has_reference`: an image,
    video or subject goes in (kling-o1 allows more durations then); `editing`: a thread edit;
    `has_image`: a first frame (default: --image given); `motion`: a motion video is attached;
    `has_video`: a reference video is attached."""
    name = model.id
    if "text" not in model.inputs:
        return Refusal(
            f"{name} makes talking avatars from a subject's portrait: use "
            f'`/video avatar {{subject}} "what they say"`.'
        )
    image = bool(req.image_url) if has_image is None else has_image
    if motion or req.motion_url:
        refusal = check_motion(req, model, has_image=image, has_subject=bool(req.subjects))
        if refusal is not None:
            return refusal
    if req.shots and not model.multi_shot:
        return Refusal(
            f"{name} renders one shot; a `//` multi-shot prompt needs "
            f"{_models_with(lambda m: m.multi_shot)}. Add --model kling-v3, or write one shot."
        )
    if req.end_image_url:
        if "end_image" not in model.inputs:
            return Refusal(
                f"{name} takes no last frame; drop --end-image. Models that do: "
                f"{_models_with(lambda m: 'end_image' in m.inputs)}."
            )
        if not image:
            return Refusal("--end-image is the last frame: add the first one with --image URL.")
    if req.video_url or has_video:
        if "video" not in model.inputs:
            return Refusal(
                f"{name} takes no reference video; drop --video. Models that do: "
                f"{_models_with(lambda m: 'video' in m.inputs)}."
            )
        if req.resolution == "4k":
            return Refusal("4K is not rendered with a reference video; use --res 1080p or drop --video.")
    if req.seconds is not None:
        allowed = model.seconds
        # A first frame alone is no reference: Kling O1 renders text or a first frame at 5 or 10 s
        # only (Kling's omni-video doc, settings.duration; ComfyUI's O1 requests: "'5' or '10'").
        referenced = has_reference and (
            editing or bool(req.subjects) or has_video or bool(req.video_url) or not image
        )
        text_only = model.seconds_text_only is not None and not referenced
        if text_only:
            allowed = model.seconds_text_only
        if req.seconds not in allowed:
            extra = ""
            if text_only:
                extra = (
                    " from text or a first frame alone"
                    f" ({describe_choices(model.seconds)} with a subject or a video)"
                )
            return Refusal(
                f"{name} renders {describe_choices(allowed, 'seconds')}{extra}; you asked for "
                f"{req.seconds}. Try --seconds {_nearest(allowed, req.seconds)}."
            )
    if req.aspect is not None and req.aspect not in model.aspects:
        return Refusal(
            f"{name} renders {describe_choices(model.aspects)}; you asked for {req.aspect}."
            + _sibling(model, lambda m: req.aspect in m.aspects)
        )
    if req.resolution is not None and req.resolution not in model.resolutions:
        return Refusal(
            f"{name} renders {describe_choices(model.resolutions)}; you asked for {req.resolution}."
            + _sibling(model, lambda m: req.resolution in m.resolutions)
        )
    if req.resolution is not None and model.seconds:
        seconds = req.seconds or model.default_seconds
        allowed = seconds_at(model, req.resolution)
        if seconds not in allowed:
            return Refusal(
                f"{name} renders {req.resolution} only at {describe_choices(allowed, 'seconds')}; "
                f"use --seconds {_nearest(allowed, seconds or allowed[0])} or a lower --res."
            )
    if req.audio is not None:
        if model.audio == "none" and req.audio:
            return Refusal(f"{name} renders silent clips; drop --audio.")
        if model.audio == "always" and not req.audio:
            return Refusal(f"{name} always renders sound; drop --no-audio.")
        if model.audio == "keep" and not editing:
            return Refusal(
                f"{name} makes no sound of its own: --audio / --no-audio only keep or drop a "
                "source clip's sound when you edit a clip by replying in its thread."
            )
    if not 1 <= req.takes <= 4:
        return Refusal(f"--n takes 1 to 4 takes; you asked for {req.takes}.")
    if req.image_url is not None and "image" not in model.inputs:
        return Refusal(
            f"{name} can't start from an image. Models that can: "
            f"{_models_with(lambda m: 'image' in m.inputs)}."
        )
    if req.seed is not None and not model.seeds:
        return Refusal(
            f"{name} doesn't take a seed; drop --seed. Models that do: {_models_with(lambda m: m.seeds)}."
        )
    if req.negative is not None and not model.negative:
        return Refusal(
            f"{name} doesn't take a negative prompt; drop --negative and say what you want instead. "
            f"Models that do: {_models_with(lambda m: m.negative)}."
        )
    if req.subjects and model.subjects_at and "subjects" in model.inputs:
        at_seconds, at_aspect = model.subjects_at
        if req.seconds not in (None, at_seconds) or req.aspect not in (None, at_aspect) or req.shots:
            return Refusal(
                f"{name} takes subjects as reference images only at {at_seconds} s {at_aspect}; "
                f"use --seconds {at_seconds} --aspect {at_aspect}, or drop the subjects."
            )
        if len(req.subjects) + int(image) > model.max_subjects:
            return Refusal(
                f"{name} takes up to {model.max_subjects} reference images: with subjects, --image is one "
                f"of them, and this asks for {len(req.subjects) + int(image)}. Name fewer."
            )
    if model.max_subjects and len(req.subjects) > model.max_subjects:
        named = ", ".join("{" + s + "}" for s in req.subjects)
        return Refusal(
            f"{name} can use up to {model.max_subjects} subjects in one video; you named "
            f"{len(req.subjects)} ({named})."
        )
    return None
