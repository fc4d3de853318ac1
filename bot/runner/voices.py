"""Subjects' custom voices before a submit: the ids cached in the database go to the provider,
which makes the missing ones from each subject's sample; the new ids are stored for later jobs."""

from __future__ import annotations

import dataclasses

from bot.providers.base import Provider, RenderSpec
from storage import voices as voices_db
from storage.db import Store


class SubjectVoices:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def attach(self, provider: Provider, spec: RenderSpec) -> RenderSpec:
        """`spec` with each voiced subject's voice id at `provider` (made once, then cached)."""
        voiced = [s for s in spec.subjects if s.voice is not None]
        if not voiced:
            return spec
        backend = provider.backend
        stored = [s.subject_id for s in voiced if s.subject_id is not None]
        cached = await self.store.run(voices_db.voice_ids, stored, backend)
        spec = _with_ids(
            spec, backend, {s.name: cached[s.subject_id] for s in voiced if s.subject_id in cached}
        )
        missing = [s for s in spec.subjects if s.voice is not None and not s.voice_ids.get(backend)]
        if not missing:
            return spec
        ids = await provider.ensure_voices(spec)
        for s in missing:
            if s.subject_id is not None and ids.get(s.name) and s.voice.path:
                await self.store.run(voices_db.save_voice, s.subject_id, backend, ids[s.name], s.voice.path)
        return _with_ids(spec, backend, ids)


def _with_ids(spec: RenderSpec, backend: str, ids: dict[str, str]) -> RenderSpec:
    if not ids:
        return spec
    subjects = tuple(
        dataclasses.replace(s, voice_ids={**s.voice_ids, backend: ids[s.name]}) if ids.get(s.name) else s
        for s in spec.subjects
    )
    return dataclasses.replace(spec, subjects=subjects)
