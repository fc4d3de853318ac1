"""`lipsync "line"` in a job's thread: that version's face says the line (or an attached audio
file) as a new version on the shot, on the backend that lip-syncs, checked before any spend."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.cards.publisher import CardPublisher
from bot.media.probe import probe_video
from bot.outcomes import Refusal, UserError
from bot.providers.base import Mode
from bot.request import ThreadInstruction
from bot.request.lipsync import USAGE, clip_problem, lipsync_cost, script_problem, speech_fits, spoken_seconds
from bot.studio import thread_plan
from bot.studio.consent import Consents
from bot.studio.intake import Intake
from bot.studio.origin import Origin
from bot.studio.subjects import Unresolved
from storage import approvals
from storage import subjects as subjects_db
from storage.rows import JobRow

NO_LIPSYNC = (
    "Lip-sync runs on Kling direct, and this Dailies renders through {backends}, which has none. "
    "Set KLING_API_KEY (or KLING_ACCESS_KEY and KLING_SECRET_KEY) to lip-sync versions; until then "
    '`/video avatar {{subject}} "line"` makes a talking portrait.'
)


class LipSyncs:
    def __init__(self, intake: Intake, cards: CardPublisher, consents: Consents) -> None:
        self.store = intake.store
        self.routes = intake.routes
        self.library = intake.library
        self.inputs = intake.inputs
        self.starter = intake.starter
        self.cards = cards
        self.consents = consents  # a person's face and voice are synced only with consent on record

    def backend(self) -> str | None:
        """The configured backend that lip-syncs, if any (asked of each provider, never by name)."""
        return next((name for name, p in self.routes.providers.items() if p.lip_sync), None)

    async def start(self, origin: Origin, shot_id: int, ins: ThreadInstruction) -> str | None:
        """Store and start the lip-sync of a version; a message for the person when it can't be."""
        backend = self.backend()
        if backend is None:
            labels = ", ".join(sorted(p.label or name for name, p in self.routes.providers.items()))
            return NO_LIPSYNC.format(backends=labels or "no backend")
        _shot, jobs, versions, _decisions = await self.store.run(approvals.shot_with_decisions, shot_id)
        take = thread_plan.pick_take(versions, ins.version, "edit")
        if isinstance(take, Refusal):
            return take.message
        job = {j["id"]: j for j in jobs}[take["job_id"]]
        faces = await self.consents.in_clip(origin, job)
        voiced = None
        if ins.voice:
            voiced = await self.store.run(
                subjects_db.get_subject, origin.team_id, origin.channel_id, ins.voice
            )
        if lacking := await self.consents.lacking(faces + ([voiced] if voiced else [])):
            return await self.consents.offer(origin, "lipsync", ins, lacking, shot_id=shot_id)
        source: dict[str, Any] = {**take, "model": job["model"], "backend": job["backend"]}
        provider = self.routes.provider(backend)
        made_by = self.routes.providers.get(source["backend"])
        if thread_plan.source_problem(
            backend, provider.source_input, source, made_by.result_url_seconds if made_by else None,
            datetime.now(UTC),
        ):  # fmt: skip
            return (
                f"{provider.label or backend} lip-syncs a clip it fetches from a URL, and v{take['version']} "
                f"({source['model']} on {source['backend']}) has none it can reach: it was made locally, "
                "or its provider link has expired. Lip-sync a version a provider rendered recently."
            )
        seconds, width, height = await _clip_size(source)
        if problem := clip_problem(take["version"], seconds, width, height):
            return problem
        speech = await self._speech(origin, ins)
        if isinstance(speech, str):
            return speech
        said = speech["seconds"] if speech else spoken_seconds(ins.text)
        if problem := speech_fits(take["version"], max(said, 2.0) if not speech else said, seconds):
            return problem
        subjects = []
        if ins.voice:
            try:
                subjects = await self.library.resolve(origin.team_id, origin.channel_id, (ins.voice,))
            except Unresolved as exc:
                return exc.message
            if not subjects[0].get("voice"):
                name = subjects[0]["name"]
                return (
                    f"`{{{name}}}` has no voice yet: attach a 5 to 30 s sample to "
                    f"`/video subject voice {name}`, or drop `{{{name}}}` to use the stock voice."
                )
        script = None if speech else ins.text
        request: dict[str, Any] = {
            "mode": Mode.LIPSYNC.value,
            "prompt": "",
            "instruction": f"“{script}”" if script else "(the attached audio)",
            "script": script,
            "speech": speech,
            "speech_seconds": said,
            "seconds": seconds,
            "aspect": None,
            "resolution": None,
            "audio": True,
            "subjects": subjects,
            "parent_version": take["version"],
            "likeness": [s["id"] for s in faces],  # whose face it moves: a withdrawal stops it
        }
        estimate = 0.0 if provider.free else lipsync_cost(said, script=bool(script))
        new = origin.new_job(
            "lipsync", job["model"], backend, request,
            estimate_usd=estimate, title=request["instruction"], shot_id=shot_id, parent_take_id=take["id"],
        )  # fmt: skip
        message = await self.starter.start(new)
        self.cards.touch(shot_id)
        return message

    async def again(self, origin: Origin, shot_id: int, job: JobRow) -> str | None:
        """Another take of a lip-sync: the same line on the same version, as a new version."""
        backend = self.backend()
        if backend is None:
            return NO_LIPSYNC.format(backends=", ".join(sorted(self.routes.providers)))
        new = origin.new_job(
            "lipsync", job["model"], backend, job["request"],
            estimate_usd=0.0 if self.routes.provider(backend).free else job["estimate_usd"],
            title=job["request"].get("instruction") or "", shot_id=shot_id, parent_take_id=job["parent_take_id"],
        )  # fmt: skip
        message = await self.starter.start(new)
        self.cards.touch(shot_id)
        return message

    async def _speech(self, origin: Origin, ins: ThreadInstruction) -> dict | None | str:
        """The attached (or linked) audio to sync, checked for lip-sync's 2-60 s; None for a line."""
        files = origin.audio
        if ins.text and not (ins.audio_url or files):
            return script_problem(ins.text)  # None when the line is fine
        if ins.text:
            return (
                "Give the lip-sync either a line or an audio file, not both: drop the attachment or the line."
            )
        if not (ins.audio_url or files):
            return f"Tell me what to say: {USAGE}."
        try:
            return await self.inputs.audio(ins.audio_url, None if ins.audio_url else files[0], max_seconds=60)
        except UserError as exc:
            return f"The lip-sync's audio was not used: {exc.message}"


async def _clip_size(source: dict) -> tuple[float | None, int | None, int | None]:
    """(seconds, width, height) of the delivered clip: from our copy when we still have it."""
    seconds = source.get("seconds")
    path = source.get("media_path")
    if path and Path(path).is_file():
        info = await asyncio.to_thread(probe_video, Path(path))
        if info:
            return info.get("seconds") or seconds, info.get("width"), info.get("height")
    return seconds, None, None
