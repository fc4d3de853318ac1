"""The Gemini API's wire facts for Veo (after google-genai's
`_GenerateVideosConfig_to_mldev` / `_GenerateVideosOperation_from_mldev`) and the pure functions
that speak them: request bodies, operation states, error envelopes."""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Callable, Mapping
from pathlib import Path

import httpx

from bot.providers import errors
from bot.providers.base import MediaRef, Mode, RenderSpec, TaskState, TaskStatus
from bot.providers.http import b64_file, retry_after_seconds

BACKEND = "gemini"
API = "/v1beta"
CREATE_PATH = API + "/models/{model}:predictLongRunning"
OPERATION_PATH = API + "/{name}"  # the operation's `name` is "models/<model>/operations/<id>"
MODELS_PATH = API + "/models"
KEY_HEADER = "x-goog-api-key"

MODES = frozenset({Mode.TEXT, Mode.IMAGE, Mode.EXTEND})
# Reference images (subjects' front views, `referenceType: asset`) and extensions: at most three,
# only at 8 s 16:9 (Google's exact table is UNCONFIRMED).
MAX_REFERENCES, REFERENCE_SECONDS, REFERENCE_ASPECT = 3, 8, "16:9"
# An extension continues a clip Veo made, by its file URI, at 720p (Google's extension example
# sets only the resolution; the length it adds, about 7 s, is Veo's).
EXTEND_RESOLUTION = "720p"
REFUSAL_WORDS = re.compile(r"safety|responsible ai|\brai\b|policy|prohibit|blocked|celebrity|minor", re.I)
CHECK_KEY = "check GEMINI_API_KEY (a key from aistudio.google.com/apikey)"


def _image(ref: MediaRef) -> dict:
    """An image inline as the SDK sends it (`_Image_to_mldev`): base64 bytes and a MIME type."""
    if not ref.path:
        raise errors.BadRequest("The Gemini API takes images inline, and this one has no local copy.")
    mime = ref.mime if ref.mime.startswith("image/") else mimetypes.guess_type(ref.path)[0] or "image/png"
    return {"bytesBase64Encoded": b64_file(Path(ref.path)), "mimeType": mime}


def build_request(spec: RenderSpec, model_ids: Mapping[str, str]) -> tuple[str, dict]:
    """(Gemini model id, JSON body) of `POST …/models/{model}:predictLongRunning`. Reads local images.
    `model_ids`: our model id -> the Gemini API's (the catalogue's first id for the backend)."""
    model = model_ids.get(spec.model)
    if model is None or spec.mode not in MODES:
        raise errors.ModelUnavailable(f"The Gemini API does not serve {spec.model} ({spec.mode.value}).")
    if spec.mode is Mode.EXTEND:
        return model, _extension(spec)
    instance: dict = {"prompt": prompt_with_subjects(spec)}
    if spec.subjects:  # the --image given with subjects is one more reference, not the first frame
        refs = ([spec.image] if spec.image is not None else []) + [
            s.images[0] for s in spec.subjects if s.images
        ]
        instance["referenceImages"] = [
            {"image": _image(r), "referenceType": "asset"} for r in refs[:MAX_REFERENCES]
        ]
    elif spec.image is not None:
        instance["image"] = _image(spec.image)
    if spec.end_image is not None:
        if spec.image is None:
            raise errors.BadRequest("Veo's last frame needs a first frame too.")
        instance["lastFrame"] = _image(spec.end_image)
    # seed, generateAudio and fps are Vertex-only: the Gemini API rejects them (the SDK raises)
    parameters: dict = {
        "sampleCount": 1,
        "durationSeconds": int(spec.seconds or 8),
        "aspectRatio": spec.aspect,
        "resolution": spec.resolution,
    }
    if spec.negative:
        parameters["negativePrompt"] = spec.negative
    return model, {"instances": [instance], "parameters": parameters}


def _literally(text: str) -> Callable[[re.Match[str]], str]:
    """A `re.sub` replacement that puts `text` in as is (a template would read its backslashes)."""
    return lambda _m: text


def prompt_with_subjects(spec: RenderSpec) -> str:
    """`{name}` becomes the subject's name and description; its front image goes as a reference."""
    prompt = spec.prompt
    for subject in spec.subjects:
        text = f"{subject.name} ({subject.description})" if subject.description else subject.name
        prompt = re.sub(r"\{\s*" + re.escape(subject.name) + r"\s*\}", _literally(text), prompt, flags=re.I)
    return prompt


def _extension(spec: RenderSpec) -> dict:
    """Continue a clip Veo made: `instances[0].video.uri` is that operation's file."""
    source = spec.source
    if source is None or not source.result_url or source.backend != BACKEND:
        raise errors.BadRequest("Veo extends only clips it made itself (by their file URI).")
    parameters: dict = {"sampleCount": 1, "resolution": EXTEND_RESOLUTION}
    if spec.negative:
        parameters["negativePrompt"] = spec.negative
    return {
        "instances": [{"prompt": spec.prompt, "video": {"uri": source.result_url}}],
        "parameters": parameters,
    }


def operation_status(body: dict) -> TaskStatus:
    """A TaskStatus from an operation (`GET /v1beta/{name}`)."""
    if not body.get("done"):
        return TaskStatus(TaskState.RUNNING)
    if body.get("error"):
        error = body["error"]
        message = str(error.get("message") or "the operation failed").strip()
        if REFUSAL_WORDS.search(message):
            return TaskStatus(TaskState.FAILED, error=errors.Refused(f"Veo refused the clip: {message}"))
        return TaskStatus(
            TaskState.FAILED, error=errors.ProviderError(f"Veo could not render the clip: {message}")
        )
    result = (body.get("response") or {}).get("generateVideoResponse") or {}
    samples = result.get("generatedSamples") or []
    uri = ((samples[0] if samples else {}).get("video") or {}).get("uri")
    if uri:
        return TaskStatus(TaskState.SUCCEEDED, progress=100, result_url=str(uri))
    if result.get("raiMediaFilteredCount"):
        reasons = "; ".join(str(r) for r in result.get("raiMediaFilteredReasons") or []) or "safety filters"
        return TaskStatus(TaskState.FAILED, error=errors.Refused(f"Veo filtered the clip: {reasons}"))
    return TaskStatus(TaskState.FAILED, error=errors.ProviderError("Veo finished without a video."))


def error_for(
    status: int, body: dict, headers: httpx.Headers, *, model: str | None = None
) -> errors.ProviderError:
    """The ProviderError for Google's envelope `{"error": {"code", "message", "status"}}`."""
    error = body.get("error")
    if not isinstance(error, dict):
        error = {}
    message = str(error.get("message") or "").strip()
    word = str(error.get("status") or "")
    kw: errors.ErrorContext = {"code": word or str(status)}
    said = f": {message}" if message else ""
    if status in (401, 403) or "API key" in message or word in ("UNAUTHENTICATED", "PERMISSION_DENIED"):
        return errors.AuthFailed(f"The Gemini API rejected the key{said}; {CHECK_KEY}.", **kw)
    if status == 404:
        what = f" {model}" if model else " that model"
        return errors.ModelGone(
            f"The Gemini API does not serve{what} for this key{said}.", suggestion="kling-v3-pro", **kw
        )
    if status == 429:
        retry = retry_after_seconds(headers) or 10.0
        return errors.RateLimited(f"The Gemini API is busy (quota){said}.", retry_after=retry, **kw)
    if status >= 500:
        return errors.Unavailable(f"The Gemini API is unavailable (HTTP {status}){said}.", **kw)
    if REFUSAL_WORDS.search(message):
        return errors.Refused(f"Veo refused the request{said}.", **kw)
    return errors.BadRequest(f"The Gemini API rejected the request (HTTP {status}){said}.", **kw)
