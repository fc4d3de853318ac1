"""Forms (the /video modal, the clip shortcuts' modals, a Workflow Builder step's inputs) -> the
same request the typed flags make, through the same grammar; a refusal is pinned on the field that
caused it, so a modal can show it there (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.outcomes import Refusal
from bot.request.commands import MAX_DESCRIPTION, ThreadInstruction, VideoRequest
from bot.request.lexer import Token, clean
from bot.request.replies import parse_reply
from bot.request.values import subject_name
from bot.request.video import video_request

VIDEO_FIELDS = (
    "prompt",
    "model",
    "seconds",
    "aspect",
    "resolution",
    "takes",
    "image_url",
    "subjects",
    "audio",
)
REPLY_FIELDS = ("instruction", "model", "seconds", "takes", "image_url", "audio")
_FLAGS = {
    "model": "--model",
    "seconds": "--seconds",
    "aspect": "--aspect",
    "resolution": "--res",
    "takes": "--n",
    "image_url": "--image",
}
# which field a refusal that only the whole combination causes is pinned on, first match wins:
# the model decides what lengths, shapes and inputs are allowed, so the other fields go first
_BLAME = ("seconds", "aspect", "resolution", "audio", "image_url", "takes", "subjects", "model")
_VERSIONED = re.compile(r"\s*v\d{1,4}\s*[:,]", re.IGNORECASE)


@dataclass(frozen=True)
class FieldErrors:
    """What is wrong, per field (a name from VIDEO_FIELDS / REPLY_FIELDS), in the user's words."""

    errors: dict[str, str]

    @property
    def message(self) -> str:
        return " ".join(self.errors.values())


@dataclass(frozen=True)
class VideoForm:
    """What the /video modal (or a workflow step) was given; empty fields mean the flag's default."""

    prompt: str = ""
    model: str | None = None
    seconds: str | None = None
    aspect: str | None = None
    resolution: str | None = None
    takes: str | None = None
    image_url: str | None = None
    subjects: tuple[str, ...] = ()
    audio: bool | None = None


@dataclass(frozen=True)
class ReplyForm:
    """What "Edit this clip" was given: the instruction a reply would say, and its flags."""

    instruction: str = ""
    model: str | None = None
    seconds: str | None = None
    takes: str | None = None
    image_url: str | None = None
    audio: bool | None = None


def _word(text: str) -> Token:
    return Token(text, text, True)  # quoted: a value is never read as a flag or a command word


def _video_parts(form: VideoForm) -> dict[str, list[Token]]:
    parts: dict[str, list[Token]] = {}
    for field, flag in _FLAGS.items():
        value = (getattr(form, field) or "").strip()
        if value:
            parts[field] = [Token(flag, flag, False), _word(value)]
    if form.subjects:
        parts["subjects"] = [
            t for name in form.subjects for t in (Token("--subject", "--subject", False), _word(name))
        ]
    if form.audio is not None:
        switch = "--audio" if form.audio else "--no-audio"
        parts["audio"] = [Token(switch, switch, False)]
    return parts


def video_from_form(form: VideoForm) -> VideoRequest | FieldErrors:
    """The VideoRequest `/video PROMPT --flags` would make from these fields, or what is wrong.
    The whole prompt is one phrase (nothing in it is read as a flag)."""
    prompt = [_word(clean(form.prompt).strip())] if form.prompt.strip() else []
    alone = video_request(prompt, False)
    if isinstance(alone, Refusal):
        return FieldErrors({"prompt": alone.message})
    parts = _video_parts(form)
    errors = {}
    for field, tokens in parts.items():
        checked = video_request(prompt + tokens, False)
        if isinstance(checked, Refusal):
            errors[field] = checked.message
    if errors:
        return FieldErrors(errors)
    whole = video_request(prompt + [t for tokens in parts.values() for t in tokens], False)
    if not isinstance(whole, Refusal):
        return whole
    for field in _BLAME:
        if field in parts:
            others = [t for name, tokens in parts.items() if name != field for t in tokens]
            if not isinstance(video_request(prompt + others, False), Refusal):
                return FieldErrors({field: whole.message})
    return FieldErrors({"model" if "model" in parts else "prompt": whole.message})


def _reply_flags(form: ReplyForm) -> dict[str, str]:
    flags = {}
    for field in ("model", "seconds", "takes", "image_url"):
        value = (getattr(form, field) or "").strip()
        if value:
            flags[field] = f'{_FLAGS[field]} "{value}"'
    if form.audio is not None:
        flags["audio"] = "--audio" if form.audio else "--no-audio"
    return flags


def reply_from_form(form: ReplyForm, version: int | None) -> ThreadInstruction | FieldErrors:
    """The ThreadInstruction the same words and flags typed as a reply in the clip's thread make,
    on version `version` (the clip the shortcut was used on; None: the thread's latest) unless the
    instruction names one itself ("v2: warmer")."""
    instruction = " ".join(clean(form.instruction).split())
    if any(ch in (form.image_url or "") for ch in '"“” '):
        return FieldErrors({"image_url": "That doesn't look like a link: remove the spaces and quotes."})
    if version is not None and not _VERSIONED.match(instruction):
        instruction = f"v{version}: {instruction}"
    if not instruction.strip():
        return FieldErrors({"instruction": "Say what to change, e.g. `warmer light, slower camera`."})
    alone = parse_reply(instruction)
    if isinstance(alone, Refusal):
        return FieldErrors({"instruction": alone.message})
    flags = _reply_flags(form)
    errors = {}
    for field, text in flags.items():
        checked = parse_reply(f"{instruction} {text}")
        if isinstance(checked, Refusal):
            errors[field] = checked.message
    if errors:
        return FieldErrors(errors)
    whole = parse_reply(" ".join([instruction, *flags.values()]))
    if isinstance(whole, Refusal):
        return FieldErrors({next(iter(flags), "instruction"): whole.message})
    return whole


def subject_from_form(name: str, description: str) -> tuple[str, str] | FieldErrors:
    """(subject name, description) for "Save as subject", checked as `save as subject NAME` is."""
    checked = subject_name(clean(name).strip())
    errors = {}
    if isinstance(checked, Refusal):
        errors["name"] = checked.message
    text = " ".join(clean(description).split())
    if len(text) > MAX_DESCRIPTION:
        errors["description"] = f"Keep the description to {MAX_DESCRIPTION} characters (it has {len(text)})."
    if errors or isinstance(checked, Refusal):  # a refused name is among the errors
        return FieldErrors(errors)
    return checked, text
