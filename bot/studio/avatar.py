"""Talking avatars: `/video avatar {subject} "script"` (or an audio file) into a stored avatar job."""

from __future__ import annotations

from bot.outcomes import UserError
from bot.providers.base import Mode
from bot.request import Avatar
from bot.request.lipsync import spoken_seconds
from bot.request.pricing import estimate_cost
from bot.studio.consent import Consents
from bot.studio.intake import Intake
from bot.studio.origin import Origin
from bot.studio.subjects import Unresolved
from storage import jobs as jobs_db

DEFAULT_MODEL = "kling-avatar-pro"
NEEDS_AUDIO = (
    "`{model}` runs on {backend} here, which can't speak a script: attach an audio file (mp3, wav, "
    "m4a or aac, 2 to 300 s, at most 5 MB) when you mention me, or give one with `--audio-url URL`."
)


class Avatars:
    def __init__(self, intake: Intake, consents: Consents) -> None:
        self.routes = intake.routes
        self.library = intake.library
        self.inputs = intake.inputs
        self.starter = intake.starter
        self.consents = consents  # a person's likeness speaks only with consent on record

    async def request(self, origin: Origin, cmd: Avatar) -> str:
        """Store and start a talking-avatar job; returns a message only when something must be fixed."""
        new = await self.job_for(origin, cmd)
        if isinstance(new, str):
            return new
        return await self.starter.start(new) or ""

    async def job_for(self, origin: Origin, cmd: Avatar) -> jobs_db.NewJob | str:
        """The avatar job to store, or a message for the person saying what to fix (an offer to
        record consent, before anything is fetched, when the subject has none)."""
        model = self.routes.catalogue.get(cmd.model or DEFAULT_MODEL)
        if model is None:
            return f"`{cmd.model}` is not a model I know; see `/video models`."
        backend = self.routes.backend_for(model.id)
        provider = self.routes.provider(backend)
        availability = self.routes.availability(backend, model.id, Mode.AVATAR)
        if not availability.ok:
            hint = f" Try `--model {availability.suggestion}`." if availability.suggestion else ""
            return f"`{model.id}` can't run here: {availability.reason}.{hint}"
        try:
            (subject,) = await self.library.resolve(origin.team_id, origin.channel_id, (cmd.subject,))
        except Unresolved as exc:
            return exc.message
        if not subject["images"]:
            return f"`{{{subject['name']}}}` has no image to animate; add one with `/video subject add`."
        audio_files = origin.audio
        if not (cmd.audio_url or audio_files):
            if not cmd.script:
                return "Give the avatar a script in quotes, an audio link (`--audio-url URL`), or attach an audio file."
            if not provider.speaks_script:
                return NEEDS_AUDIO.format(model=model.id, backend=backend)
        if lacking := await self.consents.lacking([subject]):
            return await self.consents.offer(origin, "avatar", cmd, lacking)
        speech = None
        if cmd.audio_url or audio_files:
            try:
                speech = await self.inputs.audio(cmd.audio_url, None if cmd.audio_url else audio_files[0])
            except UserError as exc:
                return f"The avatar's audio was not used: {exc.message}"
        script = None if speech else cmd.script
        seconds = speech["seconds"] if speech else max(2.0, spoken_seconds(script or ""))
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
        title = f"{{{subject['name']}}} says {said}"
        return origin.new_job("avatar", model.id, backend, request, estimate_usd=estimate, title=title)
