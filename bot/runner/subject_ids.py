"""What subjects' elements and voices share before a submit: the ids a backend gave them, cached
in the database, go to the provider, which makes the missing ones; new ids are stored for later jobs."""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from typing import Any

from bot.providers.base import Provider, RenderSpec, SubjectRef
from storage.db import Store


class CachedSubjectIds(ABC):
    """Attaches one kind of backend id (the `SubjectRef` field `field`) to the subjects that want one."""

    field = ""  # the SubjectRef dict of backend -> id: "element_ids" or "voice_ids"

    def __init__(self, store: Store) -> None:
        self.store = store

    @abstractmethod
    def wants(self, subject: SubjectRef) -> bool:
        """Whether the subject needs this kind of id at all."""

    @abstractmethod
    async def cached(self, subject_ids: list[int], backend: str) -> dict[int, str]:
        """Subject id -> the id stored for `backend`."""

    @abstractmethod
    async def make(self, provider: Provider, spec: RenderSpec) -> dict[str, str]:
        """Subject name -> the id the provider made (or found) for it."""

    @abstractmethod
    async def keep(self, subject: SubjectRef, backend: str, backend_id: str) -> None:
        """Store a new id so the next job reuses it."""

    async def attach(self, provider: Provider, spec: RenderSpec) -> RenderSpec:
        """`spec` with each wanting subject's id at `provider` (made once, then cached)."""
        wanting = [s for s in spec.subjects if self.wants(s)]
        if not wanting:
            return spec
        backend = provider.backend
        cached = await self.cached([s.subject_id for s in wanting if s.subject_id is not None], backend)
        spec = self._with_ids(
            spec, backend, {s.name: cached[s.subject_id] for s in wanting if s.subject_id in cached}
        )
        missing = [s for s in spec.subjects if self.wants(s) and not getattr(s, self.field).get(backend)]
        if not missing:
            return spec
        ids = await self.make(provider, spec)
        for s in missing:
            if s.subject_id is not None and ids.get(s.name):
                await self.keep(s, backend, ids[s.name])
        return self._with_ids(spec, backend, ids)

    def _with_ids(self, spec: RenderSpec, backend: str, ids: dict[str, str]) -> RenderSpec:
        if not ids:
            return spec
        subjects = tuple(
            self._with_id(s, backend, ids[s.name]) if ids.get(s.name) else s for s in spec.subjects
        )
        return dataclasses.replace(spec, subjects=subjects)

    def _with_id(self, subject: SubjectRef, backend: str, backend_id: str) -> SubjectRef:
        # `field` is named at run time, so the change is a keyword dict
        change: dict[str, Any] = {self.field: {**getattr(subject, self.field), backend: backend_id}}
        return dataclasses.replace(subject, **change)
