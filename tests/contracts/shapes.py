"""Every request shape the catalogue lets through, per backend that serves it, and the bodies the
real wire code builds for it. Iterates the catalogue and each provider's own `availability`, so a
new model or mode is covered without editing this file."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace

import httpx

from bot.providers import errors
from bot.providers.aimlapi import wire as aimlapi_wire
from bot.providers.aimlapi.provider import AimlApiProvider
from bot.providers.base import MediaRef, Mode, Provider, RenderSpec, SourceClip, SubjectRef
from bot.providers.gemini import interactions as gemini_interactions
from bot.providers.gemini.provider import GeminiProvider
from bot.providers.kling import wire as kling_wire
from bot.providers.kling.provider import KlingProvider
from bot.providers.openai.provider import OpenAIVideosProvider
from bot.request.catalogue import ModelSpec, shipped_catalogue
from bot.request.checks import check_request
from bot.request.commands import VideoRequest

CATALOGUE = shipped_catalogue()

IMAGE = MediaRef(url="https://img.example.com/first.png", mime="image/png")
END_IMAGE = MediaRef(url="https://img.example.com/last.png", mime="image/png")
SPEECH = MediaRef(url="https://audio.example.com/line.mp3", mime="audio/mpeg")
MOTION = MediaRef(url="https://video.example.com/moves.mp4", mime="video/mp4")
ELEMENT_IDS = ("800100", "800101", "800102", "800103")


def subject(n: int) -> SubjectRef:
    images = (
        MediaRef(url=f"https://img.example.com/s{n}-front.png"),
        MediaRef(url=f"https://img.example.com/s{n}-side.png"),
    )
    return SubjectRef(f"s{n}", "a woman in a red coat", images, element_ids={"kling": ELEMENT_IDS[n - 1]})


def source(backend: str, model: str) -> SourceClip:
    if backend == "gemini":  # Omni continues the clip's interaction; the from-clip body is in its own test
        return SourceClip(model=model, backend=backend, task_id="v1_src", continuation="v1_src", seconds=8.0)
    return SourceClip(
        model=model,
        backend=backend,
        task_id="video_src123" if backend == "openai" else "842250903629086785",
        result_url="https://cdn.example.com/src.mp4",
        media=MediaRef(url="https://media.example.com/src.mp4", mime="video/mp4"),
        seconds=5.0,
    )


@dataclass(frozen=True)
class Shape:
    backend: str
    spec: RenderSpec

    def __str__(self) -> str:
        s = self.spec
        extras = [f"{len(s.subjects)} subjects" if s.subjects else "", "end frame" if s.end_image else ""]
        extras += ["negative" if s.negative else "", "audio" if s.audio else ""]
        bits = [s.model, s.mode.value, f"{s.seconds}s", s.aspect, s.resolution, *filter(None, extras)]
        return f"{self.backend}: " + " ".join(bits)


def providers() -> dict[str, Provider]:
    """The remote providers, for their pure `availability` (no request is sent through them)."""
    client = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(500)))
    return {
        "kling": KlingProvider(client, base_url="https://kling.invalid", api_key="k"),
        "aimlapi": AimlApiProvider(client, base_url="https://aimlapi.invalid", api_key="k"),
        "openai": OpenAIVideosProvider(client, base_url="https://openai.invalid/v1", api_key="k"),
        "gemini": GeminiProvider(
            client, base_url="https://gemini.invalid", api_key="k", model_ids=CATALOGUE.provider_ids("gemini")
        ),
    }


def _audio_choices(model: ModelSpec, mode: Mode) -> list[bool | None]:
    if model.audio == "native":
        return [False, True]
    return [None]


def _catalogue_allows(model: ModelSpec, spec: RenderSpec, audio: bool | None) -> bool:
    if spec.mode is Mode.AVATAR:
        return True  # `/video avatar` checks the portrait and the script on its own path
    editing = spec.mode in (Mode.EDIT, Mode.EXTEND)
    req = VideoRequest(
        prompt=spec.prompt,
        seconds=spec.seconds if model.seconds and spec.mode is not Mode.EDIT else None,
        aspect=spec.aspect,
        resolution=spec.resolution,
        audio=audio,
        subjects=tuple(s.name for s in spec.subjects),
        image_url=spec.image.url if spec.image and spec.mode is not Mode.AVATAR else None,
        negative=spec.negative,
    )
    if spec.end_image is not None:
        req = replace(req, end_image_url=spec.end_image.url)
    if spec.mode is Mode.MOTION:
        req = replace(req, motion_url=MOTION.url)
    has_reference = editing or bool(spec.subjects) or spec.image is not None
    # on models that take reference videos the source clip goes as one, and their rules apply (no 4K)
    has_video = editing and "video" in model.inputs
    refusal = check_request(req, model, has_reference=has_reference, editing=editing, has_video=has_video)
    return refusal is None


def shapes() -> Iterator[Shape]:
    """Each (model, mode, backend) the providers serve, crossed with the durations, subject
    counts, end frames and audio choices the model takes; aspect, resolution and the negative
    prompt rotate through their values so every one of them is sent."""
    serving = providers()
    for model in CATALOGUE.values():
        for backend, provider in serving.items():
            for mode in Mode:
                if not provider.availability(model.id, mode).ok:
                    continue
                if mode is Mode.LIPSYNC:
                    yield from _lipsync_shapes(model, backend)
                    continue
                yield from _shapes_for(model, backend, mode)
                if mode is Mode.IMAGE and "voice" in model.inputs:
                    yield from _voice_shapes(model, backend)
                if mode in (Mode.TEXT, Mode.IMAGE) and "video" in model.inputs:
                    yield from _reference_video_shapes(model, backend, mode)


def _reference_video_shapes(model: ModelSpec, backend: str, mode: Mode) -> Iterator[Shape]:
    """`--video URL`: a camera/style reference, from text or with a first frame."""
    spec = RenderSpec(
        model=model.id, mode=mode, prompt="the same camera move over a harbour", seconds=5,
        resolution=model.default_resolution, image=IMAGE if mode is Mode.IMAGE else None,
        reference_video=MOTION, external_id="dailies-1-1",
    )  # fmt: skip
    yield Shape(backend, spec)


def _voice_shapes(model: ModelSpec, backend: str) -> Iterator[Shape]:
    """Image-to-video where a subject speaks in their custom voice (Kling 2.6's voice_list)."""
    voiced = replace(subject(1), voice=SPEECH, voice_ids={"kling": "850087542757535834"})
    spec = RenderSpec(
        model=model.id, mode=Mode.IMAGE, prompt="{s1} says hello at the harbour", seconds=model.seconds[0],
        resolution=model.default_resolution, image=IMAGE, subjects=(voiced,), external_id="dailies-1-1",
    )  # fmt: skip
    yield Shape(backend, spec)


def _lipsync_shapes(model: ModelSpec, backend: str) -> Iterator[Shape]:
    """A lip-sync of a clip `model` made: a line (in a subject's voice or the stock one) or audio."""
    voiced = replace(subject(1), voice=SPEECH, voice_ids={"kling": "850087542757535834"})
    base = RenderSpec(
        model=model.id, mode=Mode.LIPSYNC, prompt="", source=source(backend, model.id),
        speech_seconds=3.0, external_id="dailies-1-1",
    )  # fmt: skip
    yield Shape(backend, replace(base, script="Hello from the studio."))
    yield Shape(backend, replace(base, script="Hello from the studio.", subjects=(voiced,)))
    yield Shape(backend, replace(base, speech=SPEECH))


def _shapes_for(model: ModelSpec, backend: str, mode: Mode) -> Iterator[Shape]:
    seconds = list(model.seconds) if model.seconds and mode is not Mode.EDIT else [None]
    takes_subjects = "subjects" in model.inputs and model.max_subjects > 0 and mode is not Mode.AVATAR
    counts = sorted({0, 1, model.max_subjects}) if takes_subjects else [0]
    ends = [None, END_IMAGE] if mode is Mode.IMAGE and "end_image" in model.inputs else [None]
    aspects = model.aspects or ("16:9",)
    negatives = [None, "blurry, text"] if model.negative else [None]
    combos = itertools.product(seconds, counts, ends, _audio_choices(model, mode), [True, False])
    for i, (secs, count, end, audio, keep) in enumerate(combos):
        subjects = tuple(subject(n) for n in range(1, count + 1))
        prompt = " and ".join(["a slow walk by the harbour", *("{" + s.name + "}" for s in subjects)])
        spec = RenderSpec(
            model=model.id,
            mode=mode,
            prompt=prompt if mode is not Mode.AVATAR else "smiles and nods",
            seconds=secs,
            aspect=aspects[i % len(aspects)],
            resolution=model.resolutions[(i // len(aspects)) % len(model.resolutions)],
            audio=bool(audio) if audio is not None else model.default_audio,
            # not `i`: odd combos keep no source clip and are skipped outside edits
            negative=negatives[(i // 2) % len(negatives)],
            image=IMAGE if mode in (Mode.IMAGE, Mode.MOTION) else None,
            end_image=end,
            source=source(backend, model.id) if mode in (Mode.EDIT, Mode.EXTEND) else None,
            subjects=(subject(1),) if mode is Mode.AVATAR else subjects,
            script="Hello from the studio." if mode is Mode.AVATAR else None,
            speech=SPEECH if mode is Mode.AVATAR and backend == "aimlapi" else None,
            keep_audio=keep,
            motion=MOTION if mode is Mode.MOTION else None,
            external_id="dailies-1-1",
        )
        if mode not in (Mode.EDIT, Mode.EXTEND) and not keep:
            continue  # keep_audio only means something for a source clip
        if _catalogue_allows(model, spec, audio):
            yield Shape(backend, spec)


# ---- the bodies the wire code builds -------------------------------------------------------------
@dataclass(frozen=True)
class Body:
    contract: str  # "kling:<route>", "aimlapi:<model id>", "openai:<component>"
    json: dict


def kling_lipsync_bodies(spec: RenderSpec) -> list[Body]:
    """Face identification, the line's TTS (in the subject's voice), the lip-sync and the voice."""
    face = {"face_id": "0", "start_time": 0, "end_time": 5000}
    audio_id = "audio-1" if spec.script else None
    out = [Body("kling:identify-face", kling_wire.face_source(spec))]
    if spec.script:
        out.append(Body("kling:tts", kling_wire.tts_body(spec.script, kling_wire.speaking_voice(spec))))
    body = kling_wire.lipsync_body(spec, "850508686686064678", face, 3000, audio_id=audio_id)
    out.append(Body("kling:advanced-lip-sync", body))
    out += [Body("kling:custom-voice", kling_wire.voice_body(s)) for s in spec.subjects if s.voice]
    return out


def kling_bodies(spec: RenderSpec) -> list[Body]:
    if spec.mode is Mode.LIPSYNC:
        return kling_lipsync_bodies(spec)
    audio_id = "audio-1" if spec.mode is Mode.AVATAR and spec.script else None
    route, body = kling_wire.build_request(spec, audio_id=audio_id)
    out = [Body(f"kling:{route}", body)]
    if audio_id:
        out.append(Body("kling:tts", kling_wire.tts_body(spec.script or "")))
    for s in spec.subjects if route == kling_wire.OMNI else ():
        out.append(Body("kling:element", kling_wire.element_body(s)))
    return out


def gemini_bodies(spec: RenderSpec) -> list[Body]:
    """Gemini Omni's interaction body (Veo's predictLongRunning bodies are checked by its stand-in)."""
    provider_id = CATALOGUE["gemini-omni"].provider_ids("gemini")[0] if spec.model == "gemini-omni" else ""
    if not gemini_interactions.is_omni(provider_id):
        return []
    return [Body("gemini:interactions", gemini_interactions.build_interaction(spec, provider_id))]


def aimlapi_bodies(spec: RenderSpec) -> list[Body]:
    body = aimlapi_wire.build_request(spec)
    return [Body(f"aimlapi:{body['model']}", body)]


async def openai_bodies(spec: RenderSpec) -> list[Body]:
    """Through the provider's own submit, against a transport that records what it sends."""
    sent: list[Body] = []
    component = {
        "/v1/videos": "CreateVideoJsonBody",
        "/v1/videos/edits": "CreateVideoEditJsonBody",
        "/v1/videos/extensions": "CreateVideoExtendJsonBody",
    }

    def answer(request: httpx.Request) -> httpx.Response:
        name = component.get(request.url.path, "CreateVideoRemixBody")
        sent.append(Body(f"openai:{name}", json.loads(request.content)))
        return httpx.Response(200, json={"id": "video_new", "object": "video", "status": "queued"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        provider = OpenAIVideosProvider(client, base_url="https://openai.invalid/v1", api_key="k")
        await provider.submit(spec)
    return sent


async def bodies(shape: Shape) -> list[Body] | str:
    """The bodies sent for `shape`, or the message with which the wire code refuses it before
    any call (a refusal is fine; a body the owner's schema refuses is not)."""
    try:
        if shape.backend == "kling":
            return kling_bodies(shape.spec)
        if shape.backend == "aimlapi":
            return aimlapi_bodies(shape.spec)
        if shape.backend == "openai":
            return await openai_bodies(shape.spec)
        if shape.backend == "gemini":
            return gemini_bodies(shape.spec)
    except errors.BadRequest as exc:
        return exc.message
    raise AssertionError(
        f"no wire adapter for backend {shape.backend!r}: add one in tests/contracts/shapes.py"
    )
