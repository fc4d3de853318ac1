"""A new video from a parsed `/video` request: the model, inputs and cost checked and filled in,
the starting image fetched, the job to store built."""

from __future__ import annotations

import asyncio
import random
from typing import TYPE_CHECKING

from bot.media.check import MediaRejected, check_image
from bot.media.fetch import fetch_slack_file, fetch_url
from bot.media.netpolicy import FetchRefused
from bot.outcomes import Refusal
from bot.providers.base import Mode
from bot.request import VideoRequest
from bot.request.catalogue import DEFAULT_DRAFT_MODEL, check_request, estimate_cost, get_model
from bot.studio.subjects import Unresolved, apply_subjects
from storage import channels
from storage import jobs as jobs_db

if TYPE_CHECKING:
    from bot.studio.studio import Origin, Studio

IMAGE_LIMIT = 10 * 1024 * 1024


async def generate_job(studio: Studio, origin: Origin, req: VideoRequest) -> jobs_db.NewJob | str:
    """The job to store for `req`, or a message for the requester when it is refused."""
    settings = await studio.store.run(channels.get_settings, origin.channel_id)
    model_id = req.model or settings.default_model or DEFAULT_DRAFT_MODEL
    model = get_model(model_id)
    if model is None:
        return (
            f"The channel's default model `{model_id}` is unknown; set one with `/video settings model ID`."
        )
    images = [f for f in origin.files if (f.get("mimetype") or "").startswith("image/")]
    has_image = bool(req.image_url or images)
    try:
        subjects = await studio.library.resolve(
            origin.channel_id, req.subjects, model, extra_images=int(has_image)
        )
    except Unresolved as exc:
        return exc.message
    refusal = check_request(req, model, has_reference=has_image or bool(subjects))
    if refusal is None and images and "image" not in model.inputs:
        refusal = Refusal(f"{model.id} can't start from an image; drop the attachment or pick another model.")
    if refusal is not None:
        return refusal.message
    backend = studio.backend_for(model.id)
    mode = Mode.IMAGE if has_image else Mode.TEXT
    availability = studio.providers[backend].availability(model.id, mode)
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
            image = await fetch_image(studio, req.image_url, images[0] if images else None)
        except (FetchRefused, MediaRejected) as exc:
            return exc.message
    estimate = 0.0
    if backend != "preview":
        estimate = estimate_cost(
            model, seconds=seconds or 0, resolution=resolution, audio=audio, takes=req.takes
        )
    request = {
        "mode": mode.value,
        "prompt": req.prompt,
        "seconds": seconds,
        "aspect": aspect,
        "resolution": resolution,
        "audio": audio,
        "negative": req.negative,
        "image": image,
    }
    request = apply_subjects(request, subjects, model)
    seeds = _seeds(req.seed, req.takes) if model.seeds else ()
    new = jobs_db.NewJob(
        channel_id=origin.channel_id,
        team_id=origin.team_id,
        user_id=origin.user_id,
        kind="generate",
        model=model.id,
        backend=backend,
        request=request,
        takes=req.takes,
        estimate_usd=round(estimate, 2),
        source_key=origin.source_key,
        title=req.prompt,
        seeds=seeds,
    )
    return new


async def fetch_image(studio: Studio, url: str | None, slack_file: dict | None) -> dict:
    """Fetch and check the image a video starts from (a URL, or a file attached in Slack)."""
    studio.inputs_dir.mkdir(parents=True, exist_ok=True)
    dest = studio.inputs_dir / f"img-{random.getrandbits(64):016x}"
    if slack_file is not None:
        fetched = await fetch_slack_file(
            slack_file,
            dest,
            token=studio.config.slack_bot_token,
            kind="image",
            max_bytes=IMAGE_LIMIT,
            allowed_hosts=studio.slack_file_hosts,
            extra_allowed_hosts=studio.slack_file_hosts,  # "host:port" entries (tests' stand-in)
        )
        url = None  # Slack's URLs need our token: backends get the bytes instead
    else:
        fetched = await fetch_url(
            url, dest, kind="image", max_bytes=IMAGE_LIMIT, allow_private=studio.config.allow_private_urls
        )
    await asyncio.to_thread(check_image, fetched.path)
    return {"url": url, "path": str(fetched.path), "mime": fetched.mime}


def _seeds(seed: int | None, takes: int) -> tuple[int, ...]:
    base = seed if seed is not None else random.randrange(1, 2**31 - 1 - takes)
    return tuple(base + i for i in range(takes))
