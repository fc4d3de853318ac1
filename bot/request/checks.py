"""The check of a request against a model's catalogue row: what it cannot render is refused
before any work, naming the allowed values and the models that can."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from bot.outcomes import Refusal
from bot.request.catalogue import Catalogue, ModelSpec, shipped_catalogue
from bot.request.commands import VideoRequest


def describe_choices(values: Sequence[int | str], unit: str = "") -> str:
    """ "3 to 15 seconds" for a run of whole numbers, "5 or 10 seconds", "16:9, 9:16 or 1:1"."""
    suffix = f" {unit}" if unit else ""
    numbers = [v for v in values if isinstance(v, int)]
    if len(values) > 2 and len(numbers) == len(values):
        if numbers == list(range(numbers[0], numbers[-1] + 1)):
            return f"{numbers[0]} to {numbers[-1]}{suffix}"
    words = [str(v) for v in values]
    if len(words) == 1:
        return words[0] + suffix
    return ", ".join(words[:-1]) + " or " + words[-1] + suffix


def _nearest(values: tuple[int, ...], wanted: int) -> int:
    return min(values, key=lambda v: (abs(v - wanted), v))


def _models_with(catalogue: Catalogue, predicate: Callable[[ModelSpec], bool]) -> str:
    return ", ".join(m.id for m in catalogue.values() if predicate(m)) or "none"


def _sibling(catalogue: Catalogue, model: ModelSpec, predicate: Callable[[ModelSpec], bool]) -> str:
    """The closest model of the same family (by shared id prefix, e.g. kling-v3 -> kling-v3-pro)
    that satisfies `predicate`, as advice; "" when there is none."""
    others = [m for m in catalogue.values() if m.family == model.family and m.id != model.id]
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
    req: VideoRequest,
    model: ModelSpec,
    *,
    has_image: bool,
    has_subject: bool,
    catalogue: Catalogue | None = None,
) -> Refusal | None:
    """Motion control: a model that has it, one character, and nothing the reference decides."""
    catalogue = shipped_catalogue() if catalogue is None else catalogue
    name = model.id
    if not model.motion:
        return Refusal(
            f"{name} has no motion control. Models that do: {_models_with(catalogue, lambda m: m.motion)}."
        )
    if req.seconds is not None or req.shots:
        return Refusal(
            "Motion control follows the reference video's length (3 to 30 s); drop --seconds and `//` shots."
        )
    if req.aspect is not None:
        return Refusal("Motion control takes its frame from the reference video; drop --aspect.")
    if req.resolution == "4k":
        return Refusal(
            f"Motion control renders up to 1080p; drop --res 4k.{_sibling(catalogue, model, lambda m: m.motion)}"
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
    catalogue: Catalogue | None = None,
) -> Refusal | None:
    """Refuse what `model` cannot render, naming the allowed values. `has_reference`: an image,
    video or subject goes in (kling-o1 allows more durations then); `editing`: a thread edit;
    `has_image`: a first frame (default: --image given); `motion`: a motion video is attached;
    `has_video`: a reference video is attached; `catalogue`: the models named as alternatives
    (the shipped one when not given)."""
    catalogue = shipped_catalogue() if catalogue is None else catalogue
    name = model.id
    if "text" not in model.inputs:
        return Refusal(
            f"{name} makes talking avatars from a subject's portrait: use "
            f'`/video avatar {{subject}} "what they say"`.'
        )
    image = bool(req.image_url) if has_image is None else has_image
    if motion or req.motion_url:
        refusal = check_motion(
            req, model, has_image=image, has_subject=bool(req.subjects), catalogue=catalogue
        )
        if refusal is not None:
            return refusal
    if req.shots and not model.multi_shot:
        return Refusal(
            f"{name} renders one shot; a `//` multi-shot prompt needs "
            f"{_models_with(catalogue, lambda m: m.multi_shot)}. Add --model kling-v3, or write one shot."
        )
    if req.end_image_url:
        if "end_image" not in model.inputs:
            return Refusal(
                f"{name} takes no last frame; drop --end-image. Models that do: "
                f"{_models_with(catalogue, lambda m: 'end_image' in m.inputs)}."
            )
        if not image:
            return Refusal("--end-image is the last frame: add the first one with --image URL.")
    if req.video_url or has_video:
        if "video" not in model.inputs:
            return Refusal(
                f"{name} takes no reference video; drop --video. Models that do: "
                f"{_models_with(catalogue, lambda m: 'video' in m.inputs)}."
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
        text_seconds = None if referenced else model.seconds_text_only
        text_only = text_seconds is not None
        if text_seconds is not None:
            allowed = text_seconds
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
            + _sibling(catalogue, model, lambda m: req.aspect in m.aspects)
        )
    if req.resolution is not None and req.resolution not in model.resolutions:
        return Refusal(
            f"{name} renders {describe_choices(model.resolutions)}; you asked for {req.resolution}."
            + _sibling(catalogue, model, lambda m: req.resolution in m.resolutions)
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
            f"{_models_with(catalogue, lambda m: 'image' in m.inputs)}."
        )
    if req.seed is not None and not model.seeds:
        return Refusal(
            f"{name} doesn't take a seed; drop --seed. Models that do: {_models_with(catalogue, lambda m: m.seeds)}."
        )
    if req.negative is not None and not model.negative:
        return Refusal(
            f"{name} doesn't take a negative prompt; drop --negative and say what you want instead. "
            f"Models that do: {_models_with(catalogue, lambda m: m.negative)}."
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
