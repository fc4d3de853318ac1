"""`/video subject voice NAME`: a 5-30 s sample of how a subject sounds, kept with the subject; each
backend that takes custom voices makes one from it the first time a job needs it."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
from pathlib import Path

from bot.outcomes import UserError
from bot.request import SubjectVoice
from bot.request.lipsync import VOICE_SECONDS
from bot.studio.consent import Consents
from bot.studio.inputs import Inputs
from bot.studio.origin import Origin
from bot.studio.subjects import unknown_subject
from storage import subjects as subjects_db
from storage import voices as voices_db
from storage.db import Store

EXTENSIONS = {"audio/mpeg": ".mp3", "audio/wav": ".wav", "audio/mp4": ".m4a", "audio/aac": ".aac"}


class VoiceSamples:
    def __init__(self, store: Store, inputs: Inputs, media_dir: str | Path, consents: Consents) -> None:
        self.store = store
        self.inputs = inputs
        self.consents = consents  # a person's voice is kept only with consent on record
        self.dir = Path(media_dir) / "voices"

    async def set_voice(self, origin: Origin, cmd: SubjectVoice) -> str:
        """Fetch, check and keep the sample as the subject's voice; returns the answer."""
        subject = await self.store.run(subjects_db.get_subject, origin.team_id, origin.channel_id, cmd.name)
        if subject is None:
            return unknown_subject([cmd.name])
        files = origin.audio
        if (cmd.audio_url or files) and (lacking := await self.consents.lacking([subject])):
            return await self.consents.offer(origin, "voice", cmd, lacking)
        if not cmd.audio_url and not files:
            return (
                f"Give `{{{subject['name']}}}` a voice: attach a 5 to 30 s recording of one clean voice "
                f"when you mention me with `subject voice {subject['name']}`, or add its link: "
                f"`/video subject voice {subject['name']} https://…/voice.mp3`."
            )
        lo, hi = VOICE_SECONDS
        try:
            got = await self.inputs.audio(
                cmd.audio_url, None if cmd.audio_url else files[0], min_seconds=lo, max_seconds=hi
            )
        except UserError as exc:
            return f"The voice sample was not kept: {exc.message} A voice needs {lo:g} to {hi:g} s of one clean voice."
        path = await asyncio.to_thread(self._keep, Path(got["path"]), got["mime"])
        source = cmd.audio_url or f"Slack file {files[0].get('name') or files[0].get('id', '')}".strip()
        sample = voices_db.VoiceSample(str(path), got["mime"], got["seconds"], cmd.audio_url, source)
        old = await self.store.run(voices_db.set_sample, subject["id"], sample, origin.user_id)
        if old and not await self.store.run(voices_db.sample_in_use, old):
            Path(old).unlink(missing_ok=True)
        # Kling's voice doc takes the sample as "the URL of voice data file": an attachment has none
        linked = (
            ""
            if cmd.audio_url
            else (
                f" Kling direct makes voices only from a link: for Kling, give the sample as "
                f"`/video subject voice {subject['name']} https://…/voice.mp3`."
            )
        )
        return (
            f"`{{{subject['name']}}}` now has a voice ({got['seconds']:.1f} s sample). It speaks their "
            f'avatars (`/video avatar {{{subject["name"]}}} "line"`), lip-syncs '
            f'(`lipsync {{{subject["name"]}}} "line"` in a job\'s thread) and kling-2.6-pro clips '
            f"that start from an image.{linked}"
        )

    def _keep(self, fetched: Path, mime: str) -> Path:
        """Move a checked sample to its content-addressed place (kept if already there)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256(fetched.read_bytes()).hexdigest()
        final = self.dir / f"{digest}{EXTENSIONS.get(mime, '')}"
        if final.exists():
            fetched.unlink(missing_ok=True)
        else:
            shutil.move(fetched, final)
        return final
