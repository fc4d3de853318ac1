"""A new video from a parsed `/video` request: the model, inputs and cost checked and filled in,
the starting image and any reference video fetched, the job stored and started."""

from __future__ import annotations

import random
from typing import Any

from bot.outcomes import Refusal, UserError
from bot.providers.base import Mode, SourceInput
from bot.request import VideoRequest
from bot.request.checks import check_request
from bot.request.pricing import estimate_cost
from bot.studio.intake import Intake
from bot.studio.origin import Origin
from bot.studio.subjects import Unresolved, apply_subjects
from bot.studio.video_inputs import NEEDS_LINK, VideoInputs, attached_video_role
from storage import channels
from storage import jobs as jobs_db


class NewVideo:
    def __init__(self, intake: Intake, videos: VideoInputs) -> None:
        self.store = intake.store
        self.routes = intake.routes
        self.library = intake.library
        self.inputs = intake.inputs
        self.videos = videos
        self.starter = intake.starter

    async def request(self, origin: Origin, req: VideoRequest) -> str | None:
        """Store a job for `req` and start it; returns a message for the requester when refused."""
        new = await self.job_for(origin, req)
        if isinstance(new, str):
            return new
        return await self.starter.start(new)

    async def job_for(self, origin: Origin, req: VideoRequest) -> jobs_db.NewJob | str:
        """The job to store for `req`, or a message for the requester when it is refused."""
        settings = await self.store.run(channels.get_settings, origin.team_id, origin.channel_id)
        catalogue = self.routes.catalogue
        model_id = req.model or settings.default_model or catalogue.default_draft
        model = catalogue.get(model_id)
        if model is None:
            return f"The channel's default model `{model_id}` is unknown; set one with `/video settings model ID`."
        images = origin.images
        has_image = bool(req.image_url or images)
        try:
            subjects = await self.library.resolve(
                origin.team_id, origin.channel_id, req.subjects, model, extra_images=int(has_image)
            )
        except Unresolved as exc:
            return exc.message
        role, video_file = attached_video_role(
            model, origin.files, motion_url=req.motion_url, video_url=req.video_url
        )
        if role == "unusable":
            return f"{model.id} can't use a video; drop the attachment or pick another model."
        motion = bool(req.motion_url or role == "motion")
        with_video = bool(req.video_url or role == "reference")
        refusal = check_request(
            req, model, has_reference=has_image or bool(subjects) or with_video, has_image=has_image,
            motion=role == "motion", has_video=with_video, catalogue=catalogue,
        )  # fmt: skip
        if refusal is None and images and "image" not in model.inputs:
            refusal = Refusal(
                f"{model.id} can't start from an image; drop the attachment or pick another model."
            )
        if refusal is not None:
            return refusal.message
        backend = self.routes.backend_for(model.id)
        mode = Mode.MOTION if motion else Mode.IMAGE if has_image else Mode.TEXT
        provider = self.routes.provider(backend)
        if video_file is not None and provider.source_input not in (
            SourceInput.FILE,
            SourceInput.URL_OR_FILE,
        ):
            flag = "--motion" if motion else "--video"
            return NEEDS_LINK.format(backend=provider.label or backend.capitalize(), flag=flag)
        availability = self.routes.availability(backend, model.id, mode)
        if not availability.ok:
            hint = f" Try `--model {availability.suggestion}`." if availability.suggestion else ""
            return f"`{model.id}` can't run here: {availability.reason}.{hint}"
        seconds = req.seconds or model.default_seconds
        aspect = req.aspect or (model.aspects[0] if model.aspects else "16:9")
        resolution = req.resolution or model.default_resolution
        audio = req.audio if req.audio is not None else model.default_audio
        image = None
        if has_image:
            try:
                image = await self.inputs.image(req.image_url, images[0] if images else None)
            except UserError as exc:
                return exc.message
        videos: dict = {}
        if motion or with_video:
            try:
                if motion:
                    videos["motion"] = await self.videos.fetch(
                        req.motion_url, video_file, motion=True, orient=req.orient or "video"
                    )
                    seconds = videos["motion"]["seconds"]  # the clip follows the reference's length
                else:
                    videos["reference_video"] = await self.videos.fetch(
                        req.video_url, video_file, motion=False
                    )
                if req.end_image_url:
                    videos["end_image"] = await self.inputs.image(req.end_image_url, None)
            except UserError as exc:
                return exc.message
        elif req.end_image_url:
            try:
                videos["end_image"] = await self.inputs.image(req.end_image_url, None)
            except UserError as exc:
                return exc.message
        estimate = 0.0
        if not provider.free:
            estimate = estimate_cost(
                model, seconds=seconds or 0, resolution=resolution, audio=audio, takes=req.takes,
                with_video=with_video, motion=motion,
            )  # fmt: skip
        request: dict[str, Any] = {
            "mode": mode.value,
            "prompt": req.prompt,
            "seconds": seconds,
            "aspect": aspect,
            "resolution": resolution,
            "audio": audio,
            "negative": req.negative,
            "image": image,
        }
        request.update(videos)
        if req.shots:
            request["shots"] = [{"seconds": sec, "prompt": text} for sec, text in req.shots]
        if motion:
            request["orientation"] = req.orient or "video"
            request["keep_audio"] = req.audio if req.audio is not None else True
            request["notes"] = [motion_note(videos["motion"], req, subjects)]
            if image is None and subjects:  # the subject's front image is the character
                request["image"] = dict(subjects[0]["images"][0])
                subjects = []
        request = apply_subjects(request, subjects, model)
        seeds = _seeds(req.seed, req.takes) if model.seeds else ()
        return origin.new_job(
            "generate", model.id, backend, request,
            estimate_usd=estimate, title=req.prompt, takes=req.takes, seeds=seeds,
        )  # fmt: skip


def motion_note(video: dict, req: VideoRequest, subjects: list) -> str:
    """The card's line on whose moves the clip copies, and who performs them."""
    who = "{" + subjects[0]["name"] + "}" if subjects and not req.image_url else "the character in the image"
    keeps = "the image's" if req.orient == "image" else "the video's"
    return (
        f":dancer: Motion control: {who} performs the moves of `{video['name']}` "
        f"({video['seconds']:.1f} s), keeping {keeps} orientation."
    )


def _seeds(seed: int | None, takes: int) -> tuple[int, ...]:
    base = seed if seed is not None else random.randrange(1, 2**31 - 1 - takes)
    return tuple(base + i for i in range(takes))
