"""Subjects' backend elements before a submit: the ids cached in the database go to the provider,
which creates the missing ones; the new ids are stored so later jobs reuse them."""

from __future__ import annotations

import dataclasses

from bot.providers.base import Provider, RenderSpec
from storage import subjects as subjects_db
from storage.db import Store


class SubjectElements:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def attach(self, provider: Provider, spec: RenderSpec) -> RenderSpec:
        """`spec` with each subject's element id at `provider` (created once, then cached)."""
        if not spec.subjects:
            return spec
        backend = provider.backend
        stored = [s.subject_id for s in spec.subjects if s.subject_id is not None]
        cached = await self.store.run(subjects_db.element_ids, stored, backend)
        spec = _with_ids(
            spec, backend, {s.name: cached[s.subject_id] for s in spec.subjects if s.subject_id in cached}
        )
        missing = [s for s in spec.subjects if not s.element_ids.get(backend)]
        if not missing:
            return spec
        ids = await provider.ensure_elements(spec)
        for s in missing:
            if s.subject_id is not None and ids.get(s.name):
                await self.store.run(subjects_db.save_element, s.subject_id, backend, ids[s.name])
        return _with_ids(spec, backend, ids)


def _with_ids(spec: RenderSpec, backend: str, ids: dict[str, str]) -> RenderSpec:
    if not ids:
        return spec
    subjects = tuple(
        dataclasses.replace(s, element_ids={**s.element_ids, backend: ids[s.name]}) if ids.get(s.name) else s
        for s in spec.subjects
    )
    return dataclasses.replace(spec, subjects=subjects)
