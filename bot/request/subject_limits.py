"""What one request may carry of a channel's subjects: per-model subject slots, reference images
overall, and elements when a clip is edited or extended (pure; checked by bot.studio.subjects.resolve)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from bot.request.catalogue import ModelSpec

MAX_REFERENCES = 7  # reference images in one request: subjects' images and --image together
MAX_ELEMENTS_WITH_VIDEO = 4  # subjects and images together when a clip is edited or extended
_NAME_IN_BRACES = re.compile(r"\{([A-Za-z0-9_-]{1,32})\}")


def limit_problem(
    subjects: Sequence[Mapping[str, Any]],
    model: ModelSpec | None,
    *,
    extra_images: int = 0,
    with_video: bool = False,
) -> str | None:
    """Why these subjects can't go into one request on `model` (None when they can). Pure.
    Only models that take subjects natively are limited: the others get descriptions as text."""
    if not subjects or model is None or model.max_subjects == 0 or "subjects" not in model.inputs:
        return None
    named = ", ".join("{" + s["name"] + "}" for s in subjects)
    if len(subjects) > model.max_subjects:
        return (
            f"`{model.id}` can use up to {model.max_subjects} subjects in one video; this asks for "
            f"{len(subjects)} ({named}). Name fewer."
        )
    if with_video and len(subjects) + extra_images > MAX_ELEMENTS_WITH_VIDEO:
        extra = f" plus {extra_images} image{'s' if extra_images != 1 else ''}" if extra_images else ""
        return (
            f"When a clip is being edited or extended, `{model.id}` takes at most "
            f"{MAX_ELEMENTS_WITH_VIDEO} subjects and images together; this has {len(subjects)} "
            f"subject{'s' if len(subjects) != 1 else ''} ({named}){extra}. Name fewer or drop the image."
        )
    images = sum(len(s["images"]) for s in subjects) + extra_images
    if images > MAX_REFERENCES:
        return (
            f"One video can use at most {MAX_REFERENCES} reference images; {named} have "
            f"{images - extra_images}"
            + (f" plus {extra_images} from --image or an attachment" if extra_images else "")
            + ". Name fewer subjects, or drop the image."
        )
    return None


def subject_names(text: str) -> tuple[str, ...]:
    """The `{name}`s written in a thread instruction, lowercased, in order, no repeats. Pure."""
    return tuple(dict.fromkeys(n.lower() for n in _NAME_IN_BRACES.findall(text or "")))
