"""Subjects' custom voices before a submit: the ids cached in the database go to the provider,
which makes the missing ones from each subject's sample; the new ids are stored for later jobs."""

from __future__ import annotations

from bot.providers.base import Provider, RenderSpec, SubjectRef
from bot.runner.subject_ids import CachedSubjectIds
from storage import voices as voices_db


class SubjectVoices(CachedSubjectIds):
    field = "voice_ids"

    def wants(self, subject: SubjectRef) -> bool:
        return subject.voice is not None  # only a subject given a voice sample speaks in its own voice

    async def cached(self, subject_ids: list[int], backend: str) -> dict[int, str]:
        return await self.store.run(voices_db.voice_ids, subject_ids, backend)

    async def make(self, provider: Provider, spec: RenderSpec) -> dict[str, str]:
        return await provider.ensure_voices(spec)

    async def keep(self, subject: SubjectRef, backend: str, backend_id: str) -> None:
        # the sample's path tells the store whether the voice was made from the sample it still has
        if subject.voice is not None and subject.voice.path:
            await self.store.run(
                voices_db.save_voice, subject.subject_id, backend, backend_id, subject.voice.path
            )
