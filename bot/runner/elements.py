"""Subjects' backend elements before a submit: the ids cached in the database go to the provider,
which creates the missing ones; the new ids are stored so later jobs reuse them."""

from __future__ import annotations

from bot.providers.base import Provider, RenderSpec, SubjectRef
from bot.runner.subject_ids import CachedSubjectIds
from storage import subjects as subjects_db


class SubjectElements(CachedSubjectIds):
    field = "element_ids"

    def wants(self, subject: SubjectRef) -> bool:
        return True  # every subject a backend draws is an element there

    async def cached(self, subject_ids: list[int], backend: str) -> dict[int, str]:
        return await self.store.run(subjects_db.element_ids, subject_ids, backend)

    async def make(self, provider: Provider, spec: RenderSpec) -> dict[str, str]:
        return await provider.ensure_elements(spec)

    async def keep(self, subject: SubjectRef, backend: str, backend_id: str) -> None:
        await self.store.run(subjects_db.save_element, subject.subject_id, backend, backend_id)
