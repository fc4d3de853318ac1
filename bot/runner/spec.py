"""Turning a stored job request and take into the RenderSpec a backend renders (pure)."""

from __future__ import annotations

from typing import Any, TypedDict

from bot.providers.base import MediaRef, Mode, RenderSpec, SourceClip, SubjectRef


class SpecJob(TypedDict):
    """What a RenderSpec reads of a job (a stored JobRow has these and more)."""

    id: int
    model: str
    request: dict[str, Any]


class SpecTake(TypedDict):
    """What a RenderSpec reads of a take (a stored TakeRow has these and more)."""

    id: int
    seed: int | None


def _media(ref: dict | None, default_mime: str) -> MediaRef | None:
    if not ref:
        return None
    return MediaRef(url=ref.get("url"), path=ref.get("path"), mime=ref.get("mime", default_mime))


def render_spec(
    job: SpecJob,
    take: SpecTake,
    *,
    source: dict | None = None,
    callback_url: str | None = None,
    installation: str = "",
) -> RenderSpec:
    """`job["request"]` is the resolved request stored at intake; `source` is the parent take
    (with its job's model and backend) for edits and extensions."""
    req = job["request"]
    image = req.get("image")
    speech = req.get("speech")
    subjects = tuple(
        SubjectRef(
            name=s["name"],
            description=s.get("description", ""),
            images=tuple(
                MediaRef(url=i.get("url"), path=i.get("path"), mime=i.get("mime", "image/png"))
                for i in s["images"]
            ),
            element_ids=dict(s.get("element_ids", {})),
            subject_id=s.get("id"),
            voice=_media(s.get("voice"), "audio/mpeg"),
            voice_ids=dict(s.get("voice_ids", {})),
        )
        for s in req.get("subjects", [])
    )
    source_clip = None
    if source is not None:
        source_clip = SourceClip(
            model=source["model"],
            backend=source["backend"],
            task_id=source.get("provider_task_id"),
            result_url=source.get("result_url"),
            media=MediaRef(path=source["media_path"], mime="video/mp4") if source.get("media_path") else None,
            seconds=source.get("seconds"),
            # an edit planned from the clip itself (its conversation had expired) continues nothing
            continuation=None if req.get("from_clip") else source.get("interaction_id"),
        )
    return RenderSpec(
        model=job["model"],
        mode=Mode(req.get("mode", "text")),
        prompt=req.get("prompt", ""),
        seconds=req.get("seconds"),
        aspect=req.get("aspect") or "16:9",
        resolution=req.get("resolution") or "720p",
        audio=bool(req.get("audio")),
        seed=take.get("seed"),
        negative=req.get("negative"),
        image=MediaRef(url=image.get("url"), path=image.get("path"), mime=image.get("mime", "image/png"))
        if image
        else None,
        source=source_clip,
        subjects=subjects,
        script=req.get("script"),
        speech=MediaRef(url=speech.get("url"), path=speech.get("path"), mime=speech.get("mime", "audio/mpeg"))
        if speech
        else None,
        speech_seconds=(speech or {}).get("seconds") or req.get("speech_seconds"),
        keep_audio=req.get("keep_audio", True),
        external_id=external_id(installation, job["id"], take["id"]),
        callback_url=callback_url,
        shots=tuple((int(s["seconds"]), s["prompt"]) for s in req.get("shots", [])),
        end_image=_media(req.get("end_image"), "image/png"),
        reference_video=_media(req.get("reference_video"), "video/mp4"),
        motion=_media(req.get("motion"), "video/mp4"),
        orientation=req.get("orientation") or "video",
    )


def intake_spec(model: str, request: dict) -> RenderSpec:
    """The RenderSpec a request will become, before it is stored (no job or take ids yet): what a
    backend's `refusal` judges at intake."""
    return render_spec({"id": 0, "model": model, "request": request}, {"id": 0, "seed": None})


def external_id(installation: str, job_id: int, take_id: int) -> str:
    """The id we choose for a take at its provider (Kling's external_task_id, the gateway's client
    request id): unique per provider account because the installation id is part of it."""
    return f"dailies-{installation}-{job_id}-{take_id}" if installation else f"dailies-{job_id}-{take_id}"
