"""Subjects' elements before a submit: created once at the backend, cached in the database, reused
by later jobs (even from another process); backends without elements get the spec unchanged."""

from __future__ import annotations

import pytest

from bot.providers.base import MediaRef, Mode, RenderSpec, SubjectRef
from bot.providers.kling.provider import KlingProvider
from bot.providers.preview.provider import PreviewProvider
from bot.runner.elements import SubjectElements
from storage import subjects as subjects_db
from tests.fakes.kling import FakeKling

CHANNEL = "C0ELEMENTS"
TEAM = "T0ELEMENTS"


@pytest.fixture
async def kling():
    async with FakeKling() as fake:
        yield fake


def kling_provider(http, fake) -> KlingProvider:
    return KlingProvider(http, base_url=fake.url, api_key=fake.api_key, element_poll_seconds=0)


async def stored_subject(store, name: str = "mia") -> SubjectRef:
    image = subjects_db.NewImage(
        sha256="ab" * 32, path=f"/tmp/{name}.png", mime="image/png", width=8, height=8
    )
    row = await store.run(subjects_db.add_subject, TEAM, CHANNEL, name, f"{name} the cat", "U0USER", [image])
    return SubjectRef(
        name=name,
        description=row["description"],
        images=tuple(  # a front and another view: Kling makes elements from both
            MediaRef(url=f"https://img.example/{name}{view}.png", mime="image/png") for view in ("", "-side")
        ),
        subject_id=row["id"],
    )


def spec(*subjects: SubjectRef, mode: Mode = Mode.TEXT, model: str = "kling-v3") -> RenderSpec:
    return RenderSpec(model=model, mode=mode, prompt="{mia} on a roof", subjects=subjects)


async def test_an_element_is_created_once_and_reused_from_the_database(kling, http, store):
    mia = await stored_subject(store)
    attached = await SubjectElements(store).attach(kling_provider(http, kling), spec(mia))
    element = attached.subjects[0].element_ids["kling"]
    assert element in kling.element_ids and kling.elements_created == 1
    assert await store.run(subjects_db.element_ids, [mia.subject_id], "kling") == {mia.subject_id: element}
    # a later job, in a process that never saw this subject: the stored id goes to the provider
    again = await SubjectElements(store).attach(kling_provider(http, kling), spec(mia))
    assert again.subjects[0].element_ids["kling"] == element
    assert kling.elements_created == 1


async def test_an_avatar_uses_no_elements(kling, http, store):
    mia = await stored_subject(store)
    avatar = spec(mia, mode=Mode.AVATAR, model="kling-avatar-pro")
    assert await SubjectElements(store).attach(kling_provider(http, kling), avatar) == avatar
    assert kling.elements_created == 0
    assert await store.run(subjects_db.element_ids, [mia.subject_id], "kling") == {}


async def test_a_backend_without_elements_gets_the_spec_unchanged(store, tmp_path):
    mia = await stored_subject(store)
    preview = PreviewProvider(tmp_path / "preview")
    try:
        assert await SubjectElements(store).attach(preview, spec(mia)) == spec(mia)
    finally:
        await preview.aclose()


async def test_a_subject_removed_meanwhile_keeps_no_element(kling, http, store):
    mia = await stored_subject(store)
    await store.run(subjects_db.remove_subject, TEAM, CHANNEL, "mia")
    attached = await SubjectElements(store).attach(kling_provider(http, kling), spec(mia))
    assert attached.subjects[0].element_ids["kling"], "this job still gets its element"
    assert await store.run(subjects_db.element_ids, [mia.subject_id], "kling") == {}
