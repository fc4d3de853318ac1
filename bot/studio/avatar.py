"""Talking avatars: `/video avatar {subject} "script"` (or an audio file) into a stored avatar job."""

from __future__ import annotations

from bot.media.check import MediaRejected
from bot.media.netpolicy import FetchRefused
from bot.providers.base import Mode
from bot.request import Avatar
from bot.request.pricing import estimate_cost
from bot.studio.inputs import Inputs
from bot.studio.origin import Origin
from bot.studio.routes import Routes
from bot.studio.start import Starter
from bot.studio.subjects import Library, Unresolved
from storage import jobs as jobs_db

DEFAULT_MODEL = "kling-avatar-pro"
WORDS_PER_SECOND = 2.5  # a speaking pace, to estimate what a script costs
AUDIO_TYPES = ("audio/", "video/mp4")
NEEDS_AUDIO = (
    "`{model}` runs on {backend} here, which can't speak a script: attach an audio file (mp3, wav, "
    "m4a or aac, 2 to 300 s, at most 5 MB) when you mention me, or give one with `--audio-url URL`."
)


def script_seconds(script: str) -> float:
    """About how long a script takes to say. Pure."""
    return max(2.0, round(len(script.split()) / WORDS_PER_SECOND, 1))


class Avatars:
    def __init__(self, routes: Routes, library: Library, inputs: Inputs, starter: Starter) -> None:
        self.routes = routes
        self.library = library
        self.inputs = inputs
        self.starter = starter

    async def request(self, origin: Origin, cmd: Avatar) -> str:
        """Store and start a talking-avatar job; returns a message only when something must be fixed."""
        new = await self.job_for(origin, cmd)
        if isinstance(new, str):
            return new
        return await self.starter.start(new) or ""

    async def job_for(self, origin: Origin, cmd: Avatar) -> jobs_db.NewJob | str:
        """The avatar job to store, or a message for the person saying what to fix."""
        model = self.routes.catalogue.get(cmd.model or DEFAULT_MODEL)
        if model is None:
            return f"`{cmd.model}` is not a model I know; see `/video models`."
        backend = self.routes.backend_for(model.id)
        provider = self.routes.provider(backend)
        availability = provider.availability(model.id, Mode.AVATAR)
        if not availability.ok:
            hint = f" Try `--model {availability.suggestion}`." if availability.suggestion else ""
            return f"`{model.id}` can't run here: {availability.reason}.{hint}"
        try:
            (subject,) = await self.library.resolve(origin.team_id, origin.channel_id, (cmd.subject,))
        except Unresolved as exc:
            return exc.message
        if not subject["images"]:
            return f"`{{{subject['name']}}}` has no image to animate; add one with `/video subject add`."
        audio_files = [f for f in origin.files if (f.get("mimetype") or "").startswith(AUDIO_TYPES)]
        speech = None
        if cmd.audio_url or audio_files:
            try:
                speech = await self.inputs.audio(cmd.audio_url, None if cmd.audio_url else audio_files[0])
            except (FetchRefused, MediaRejected) as exc:
                return f"The avatar's audio was not used: {exc.message}"
        elif not cmd.script:
            return "Give the avatar a script in quotes, an audio link (`--audio-url URL`), or attach an audio file."
        elif not provider.speaks_script:
            return NEEDS_AUDIO.format(model=model.id, backend=backend)
        script = None if speech else cmd.script
        seconds = speech["seconds"] if speech else script_seconds(script or "")
        estimate = 0.0
        if not provider.free:
            estimate = estimate_cost(model, seconds=seconds, resolution=model.default_resolution, audio=True)
        frontal = {**subject, "images": subject["images"][:1]}
        request = {
            "mode": Mode.AVATAR.value,
            "prompt": "",
            "seconds": None,
            "aspect": None,
            "resolution": model.default_resolution,
            "audio": True,
            "script": script,
            "speech": speech,
            "subjects": [frontal],
        }
        said = f'"{script}"' if script else "(speaks the attached audio)"
        return jobs_db.NewJob(
            channel_id=origin.channel_id,
            team_id=origin.team_id,
            user_id=origin.user_id,
            kind="avatar",
            model=model.id,
            backend=backend,
            request=request,
            takes=1,
            estimate_usd=round(estimate, 2),
            source_key=origin.source_key,
            title=f"{{{subject['name']}}} says {said}",
        )
