"""Gemini Omni on the Gemini API's Interactions API (after google-genai's generated `_gaos`
client): interaction bodies, their states and errors, as pure functions; the calls are in the provider."""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bot.providers import errors
from bot.providers.base import MediaRef, Mode, RenderSpec, TaskState, TaskStatus
from bot.providers.gemini.wire import API, BACKEND, REFUSAL_WORDS, error_for
from bot.providers.http import b64_file

INTERACTIONS_PATH = API + "/interactions"
INTERACTION_PATH = API + "/interactions/{id}"
# Google's curl samples send it on create and get; what it changes is UNCONFIRMED (probably the
# `steps` answer over the older `outputs`), so it is sent and both answers are read.
REVISION_HEADER, REVISION = "Api-Revision", "2026-05-20"
OMNI_PREFIX = "gemini-omni-"  # Omni is told apart by its id: the models list shows other methods
MODES = frozenset({Mode.TEXT, Mode.IMAGE, Mode.EDIT, Mode.EXTEND})
RETENTION_SECONDS = 55 * 86400  # stored interactions on the paid tier (Omni has no free tier)
# a clip sent inline is base64 in the JSON body, whose files may be 100 MB each
MAX_INLINE_CLIP_BYTES = 70 * 1024 * 1024
MAX_REFERENCES = 3
MAX_SECONDS = {"gemini-omni-1.1-flash": 10, "gemini-omni-flash-preview": 10}  # else 15 (1.2)
MAX_SECONDS_WITH_FRAME = 10  # 1.2 renders a first frame at most 10 s [3p]
MAX_EXTENDED_SECONDS = 30  # extensions add up to 30 s in all (1.2; 1.1's 40 s is UNCONFIRMED)
KEEP = "Keep everything else the same."
RUNNING = {
    "queued": TaskState.PENDING,
    "in_progress": TaskState.RUNNING,
    "requires_action": TaskState.RUNNING,
}
ENDED_BADLY = {"failed", "cancelled", "incomplete", "budget_exceeded"}
_GONE = re.compile(r"invalid interaction|interaction\S* (?:\S+ )?(?:not found|expired|does not exist)", re.I)


def is_omni(provider_id: str) -> bool:
    return provider_id.startswith(OMNI_PREFIX)


def refusal(spec: RenderSpec, provider_id: str) -> str | None:
    """What the Interactions API would refuse in `spec` on `provider_id`, told before any job."""
    top = MAX_SECONDS.get(provider_id, 15)
    if spec.mode in (Mode.TEXT, Mode.IMAGE) and spec.image is not None:
        top = min(top, MAX_SECONDS_WITH_FRAME)
    if spec.seconds and spec.mode is not Mode.EDIT and spec.seconds > top:
        frame = " with a first frame" if spec.image is not None and top == MAX_SECONDS_WITH_FRAME else ""
        return f"{spec.model} ({provider_id}) renders 3 to {top} s{frame}; ask for {top} s or less."
    source = spec.source
    if spec.mode is Mode.EXTEND and source is not None and source.seconds and spec.seconds:
        if source.seconds + spec.seconds > MAX_EXTENDED_SECONDS:
            room = int(MAX_EXTENDED_SECONDS - source.seconds)
            more = f" add at most {room} s" if room >= 3 else " start a new shot"
            return (
                f"Gemini Omni extends a clip to {MAX_EXTENDED_SECONDS} s in all, and this one is "
                f"{source.seconds:g} s:{more}."
            )
    return None


def _image(ref: MediaRef) -> dict:
    """An image part: inline bytes when we hold a copy, else its URL."""
    mime = ref.mime if ref.mime.startswith("image/") else None
    if ref.path:
        mime = mime or mimetypes.guess_type(ref.path)[0] or "image/png"
        return {"type": "image", "data": b64_file(Path(ref.path)), "mime_type": mime}
    if ref.url:
        return {"type": "image", "uri": ref.url, "mime_type": mime or "image/png"}
    raise errors.BadRequest("Gemini Omni needs the image itself or a link to it.")


def _clip(spec: RenderSpec) -> dict:
    """The source clip inline, for an edit or extension that cannot continue its interaction."""
    media = spec.source.media if spec.source else None
    path = Path(media.path) if media and media.path else None
    if path is None or not path.is_file():
        raise errors.BadRequest(
            "Gemini Omni needs the clip itself to work on, and there is no copy of it here; "
            "render the version again and edit that."
        )
    if path.stat().st_size > MAX_INLINE_CLIP_BYTES:
        raise errors.BadRequest("The clip is too large to send to Gemini Omni (over 70 MB).")
    return {"type": "video", "data": b64_file(path), "mime_type": "video/mp4"}


def _prompt(spec: RenderSpec) -> str:
    """Prompt tags bind images to roles: `<FIRST_FRAME>`, then `<IMAGE_REF_n>` in the order the
    subjects' front images are sent; `{name}` becomes the subject's name, tag and description."""
    text = spec.prompt
    with_images = [s for s in spec.subjects if s.images][:MAX_REFERENCES]
    for subject in spec.subjects:
        tag = f" <IMAGE_REF_{with_images.index(subject)}>" if subject in with_images else ""
        said = f"{subject.name}{tag}" + (f" ({subject.description})" if subject.description else "")
        text = re.sub(r"\{\s*" + re.escape(subject.name) + r"\s*\}", _literal(said), text, flags=re.I)
    return f"<FIRST_FRAME> {text}" if spec.image is not None else text


def continues(spec: RenderSpec) -> str | None:
    """The interaction an edit or extension continues: its clip's own, while we were told it lasts."""
    source = spec.source
    if spec.mode in (Mode.EDIT, Mode.EXTEND) and source is not None and source.backend == BACKEND:
        return source.continuation
    return None


def build_interaction(spec: RenderSpec, provider_id: str) -> dict:
    """The body of `POST /v1beta/interactions` for one take (reads local images and the clip)."""
    if spec.mode not in MODES:
        raise errors.ModelUnavailable(
            f"Gemini Omni does text, image, edit and extend, not {spec.mode.value}."
        )
    body: dict = {"model": provider_id, "background": True, "store": True}
    video: dict = {"type": "video"}
    if spec.mode in (Mode.EDIT, Mode.EXTEND):
        task = "edit" if spec.mode is Mode.EDIT else "extend"
        instruction = spec.prompt.strip()
        if spec.mode is Mode.EDIT and not instruction.endswith(KEEP):
            instruction = f"{instruction.rstrip('.')}. {KEEP}"
        previous = continues(spec)
        if previous:
            body["previous_interaction_id"] = previous
            body["input"] = instruction
        else:
            body["input"] = [
                {"type": "user_input", "content": [_clip(spec), {"type": "text", "text": instruction}]}
            ]
        if spec.mode is Mode.EXTEND and spec.seconds:
            video["duration"] = f"{int(spec.seconds)}s"
    else:
        refs = [s.images[0] for s in spec.subjects if s.images][:MAX_REFERENCES]
        parts = ([_image(spec.image)] if spec.image is not None else []) + [_image(r) for r in refs]
        text = _prompt(spec)
        body["input"] = (
            [{"type": "user_input", "content": [*parts, {"type": "text", "text": text}]}] if parts else text
        )
        task = (
            "reference_to_video" if refs else "image_to_video" if spec.image is not None else "text_to_video"
        )
        video["aspect_ratio"] = spec.aspect
        if spec.seconds:
            video["duration"] = f"{int(spec.seconds)}s"
        video["resolution"] = spec.resolution
    video["delivery"] = "uri"  # inline answers stop at about 4 MB
    body["response_format"] = video
    body["generation_config"] = {"video_config": {"task": task}}
    return body


def _video(body: dict) -> dict | None:
    """The video part of a finished interaction: the SDK's `output_video` when present, else the
    last model output in `steps` (or the older `outputs`)."""
    if isinstance(body.get("output_video"), dict):
        return body["output_video"]
    for step in reversed(body.get("steps") or []):
        if not isinstance(step, dict) or step.get("type") not in (None, "model_output"):
            continue
        for part in reversed(step.get("content") or []):
            if isinstance(part, dict) and part.get("type") == "video":
                return part
    for part in reversed(body.get("outputs") or []):
        if isinstance(part, dict) and part.get("type") == "video":
            return part
    return None


def _said(body: dict) -> str:
    """What the model or the API said about a failure or a clip it did not make."""
    for error in body.get("errors") or []:
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"]).strip()
    texts = []
    for step in body.get("steps") or body.get("outputs") or []:
        if not isinstance(step, dict):
            continue
        if isinstance(step.get("error"), dict) and step["error"].get("message"):
            return str(step["error"]["message"]).strip()
        if step.get("type") == "text" and step.get("text"):
            texts.append(str(step["text"]))
        if step.get("type") == "model_output":
            texts += [
                str(p["text"]) for p in step.get("content") or [] if isinstance(p, dict) and p.get("text")
            ]
    if isinstance(body.get("error"), dict) and body["error"].get("message"):
        return str(body["error"]["message"]).strip()
    return " ".join(texts).strip()


def interaction_status(body: dict) -> TaskStatus:
    """A TaskStatus from an interaction (`GET /v1beta/interactions/{id}`)."""
    state = str(body.get("status") or "in_progress")
    if state in RUNNING:
        return TaskStatus(RUNNING[state])
    said = _said(body)
    if state in ENDED_BADLY:
        reason = f": {said}" if said else f" ({state})"
        error_cls = errors.Refused if said and REFUSAL_WORDS.search(said) else errors.ProviderError
        return TaskStatus(TaskState.FAILED, error=error_cls(f"Gemini Omni could not render the clip{reason}"))
    video = _video(body)
    if state == "completed" and video and (video.get("uri") or video.get("data")):
        # inline data is fetched again by the download (a status stays small)
        return TaskStatus(
            TaskState.SUCCEEDED, progress=100, result_url=video.get("uri"), continuation=body.get("id")
        )
    # completed without a video: the safety filters kept it, whatever the text says
    reason = f": {said}" if said else ""
    return TaskStatus(TaskState.FAILED, error=errors.Refused(f"Gemini Omni made no video{reason}"))


def inline_video(body: dict) -> str | None:
    """The base64 video of a finished interaction that answered inline."""
    video = _video(body)
    return str(video["data"]) if video and video.get("data") else None


def _literal(text: str) -> Callable[[re.Match[str]], str]:
    """A re.sub replacement that inserts `text` as it is (no backslash escapes)."""
    return lambda _match: text


def interaction_error(
    status: int, body: dict, headers: httpx.Headers, *, model: str | None = None, previous: str | None = None
) -> errors.ProviderError:
    """Interactions errors carry a string `code` (`invalid_request`) where Google's front end has a
    number and a status word; an unknown or expired interaction is a 400 "Invalid interaction name"."""
    found = body.get("error")
    error: dict[str, Any] = found if isinstance(found, dict) else {}
    message = str(error.get("message") or "").strip()
    if previous and status in (400, 404) and _GONE.search(message):
        return errors.ContinuationExpired(
            f"The Gemini API no longer keeps interaction {previous}: {message}",
            code=str(error.get("code") or status),
        )
    code = error.get("code")
    if isinstance(code, str) and not code.isdigit() and not error.get("status"):
        error = {**error, "status": code.upper()}
    return error_for(status, {"error": error}, headers, model=model)
