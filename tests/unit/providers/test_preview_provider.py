"""PreviewProvider: any model, any mode, rendered locally; tasks survive a restart."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path

import pytest
from PIL import Image

from bot.media.probe import probe_mp4
from bot.providers.base import MediaRef, Mode, RenderSpec, SourceClip, SubjectRef, TaskState, TaskStatus
from bot.providers.errors import BadRequest, ProviderError
from bot.providers.preview import provider as preview
from bot.providers.preview.provider import PreviewProvider, plan_animatic

SMALL = RenderSpec(
    model="kling-v3-pro", mode=Mode.TEXT, prompt="a paper boat in the rain", seconds=1, aspect="1:1"
)


@pytest.fixture
async def provider(tmp_path):
    p = PreviewProvider(tmp_path / "work")
    yield p
    await p.aclose()


async def poll(provider: PreviewProvider, task_id: str, spec: RenderSpec) -> list[TaskStatus]:
    seen = []
    for _ in range(3000):
        status = await provider.status(task_id, spec)
        seen.append(status)
        if status.done:
            return seen
        await asyncio.sleep(0.01)
    raise AssertionError("the render never finished")


# --- planning (pure) --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("aspect", "resolution", "size"),
    [
        ("16:9", "720p", (1280, 720)),
        ("16:9", "1080p", (1920, 1080)),
        ("9:16", "720p", (720, 1280)),
        ("9:16", "1080p", (1080, 1920)),
        ("1:1", "720p", (720, 720)),
        ("1:1", "1080p", (1080, 1080)),
    ],
)
def test_size_follows_aspect_and_resolution(aspect, resolution, size):
    plan = plan_animatic(
        RenderSpec(model="sora-2", mode=Mode.TEXT, prompt="p", aspect=aspect, resolution=resolution)
    )
    assert (plan.width, plan.height) == size


@pytest.mark.parametrize(
    ("aspect", "scale", "size"),
    [
        ("16:9", 0.5, (640, 360)),
        ("9:16", 0.25, (180, 320)),
        ("1:1", 0.1, (72, 72)),
        ("16:9", 1.0, (1280, 720)),
    ],
)
def test_a_scaled_preview_keeps_the_aspect_on_even_sides_and_states_the_asked_size(aspect, scale, size):
    plan = plan_animatic(RenderSpec(model="preview", mode=Mode.TEXT, prompt="p", aspect=aspect), scale)
    assert (plan.width, plan.height) == size
    assert "720p" in plan.subtitle


def test_plan_shows_the_prompt_the_model_it_stands_in_for_and_the_subjects():
    spec = RenderSpec(
        model="kling-v3-pro",
        mode=Mode.TEXT,
        prompt="{mara} walks the pier",
        seconds=7,
        subjects=(SubjectRef(name="mara", description="a keeper in a yellow coat", images=()),),
        audio=True,
    )
    plan = plan_animatic(spec)

    assert plan.prompt == "{mara} walks the pier"
    assert plan.seconds == 7
    assert "preview of kling-v3-pro · 7 s · 16:9 · 720p · audio" in plan.subtitle
    assert "mara (a keeper in a yellow coat)" in plan.subtitle
    assert plan.audio is True


def test_plan_defaults_to_five_seconds_and_a_stable_seed():
    a = plan_animatic(RenderSpec(model="preview", mode=Mode.TEXT, prompt="same"))
    b = plan_animatic(RenderSpec(model="preview", mode=Mode.TEXT, prompt="same"))
    assert a.seconds == 5
    assert a.seed == b.seed
    assert a.subtitle.startswith("preview · 5 s")


def test_an_edit_names_its_source_and_uses_its_clip_as_the_plate(tmp_path):
    clip = tmp_path / "source.mp4"
    clip.write_bytes(b"stand-in")
    source = SourceClip(model="sora-2", backend="openai", media=MediaRef(path=str(clip), mime="video/mp4"))

    plan = plan_animatic(RenderSpec(model="sora-2", mode=Mode.EDIT, prompt="make it night", source=source))

    assert plan.prompt == "Edit of sora-2: make it night"
    assert "EDIT" in plan.label
    assert plan.plate == clip


@pytest.mark.parametrize(("words", "seconds"), [(10, 4.0), (1, 2.0), (200, 20.0)])
def test_an_avatar_lasts_as_long_as_its_script(words, seconds):
    spec = RenderSpec(
        model="kling-avatar-pro", mode=Mode.AVATAR, prompt="", script=" ".join(["word"] * words)
    )
    assert plan_animatic(spec).seconds == seconds


def test_the_input_image_is_the_plate(tmp_path):
    Image.new("RGB", (32, 32)).save(tmp_path / "first.png")
    image = MediaRef(path=str(tmp_path / "first.png"), mime="image/png")

    plan = plan_animatic(RenderSpec(model="kling-v3", mode=Mode.IMAGE, prompt="p", image=image))

    assert plan.plate == tmp_path / "first.png"


@pytest.mark.parametrize("mode", list(Mode))
def test_serves_every_model_in_every_mode(tmp_path, mode):
    provider = PreviewProvider(tmp_path)
    assert provider.availability("kling-v3-pro", mode).ok
    assert provider.availability("some-future-model", mode).ok


# --- rendering ----------------------------------------------------------------------------------


async def test_submit_poll_download_gives_a_real_clip(provider, tmp_path):
    task_id = await provider.submit(SMALL)
    assert task_id.startswith("pv-")

    seen = await poll(provider, task_id, SMALL)
    final = seen[-1]
    assert final.state is TaskState.SUCCEEDED and final.progress == 100 and final.result_url is None
    progress = [s.progress for s in seen]
    assert progress == sorted(progress)

    dest = tmp_path / "out" / "take.mp4"
    size = await provider.download(task_id, final, dest)
    assert size == dest.stat().st_size > 0
    info = probe_mp4(dest)
    assert (info["codec"], info["width"], info["height"]) == ("h264", 720, 720)
    assert abs(info["seconds"] - 1.0) <= 1 / 24
    assert list((tmp_path / "work").glob("*.mp4")) == []  # moved, not copied
    assert await provider.download(task_id, final, dest) == size  # a retried download is harmless


async def test_an_unknown_task_after_a_restart_is_rendered_again(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    task_id = f"pv-{uuid.uuid4().hex}"
    (work / f".{task_id}.x1y2.part").write_bytes(b"half a clip from the killed process")
    restarted = PreviewProvider(work)
    try:
        first = await restarted.status(task_id, SMALL)
        assert not first.done  # never a made-up success

        seen = await poll(restarted, task_id, SMALL)
        assert seen[-1].state is TaskState.SUCCEEDED
        dest = tmp_path / "take.mp4"
        await restarted.download(task_id, seen[-1], dest)
        assert (probe_mp4(dest)["width"], probe_mp4(dest)["height"]) == (720, 720)
    finally:
        await restarted.aclose()


async def test_a_clip_finished_before_a_restart_is_reported_at_once(tmp_path):
    before = PreviewProvider(tmp_path / "work")
    task_id = await before.submit(SMALL)
    assert (await poll(before, task_id, SMALL))[-1].state is TaskState.SUCCEEDED
    await before.aclose()

    after = PreviewProvider(tmp_path / "work")
    try:
        status = await after.status(task_id, SMALL)
        assert status.state is TaskState.SUCCEEDED
        assert await after.download(task_id, status, tmp_path / "take.mp4") > 0
        assert probe_mp4(tmp_path / "take.mp4")["codec"] == "h264"
    finally:
        await after.aclose()


async def test_a_render_error_is_a_failed_task(provider, monkeypatch):
    def broken(dest: Path, **kwargs) -> Path:
        raise OSError("disk full")

    monkeypatch.setattr(preview, "render_animatic", broken)
    task_id = await provider.submit(SMALL)

    final = (await poll(provider, task_id, SMALL))[-1]
    assert final.state is TaskState.FAILED
    assert isinstance(final.error, ProviderError) and "disk full" in final.error.message


@pytest.mark.parametrize("task_id", ["../../etc/passwd", "pv-XYZ", "pv-" + "0" * 31 + "/", ""])
async def test_task_ids_cannot_name_other_files(provider, tmp_path, task_id):
    with pytest.raises(BadRequest):
        await provider.status(task_id, SMALL)
    with pytest.raises(BadRequest):
        await provider.download(task_id, TaskStatus(TaskState.SUCCEEDED), tmp_path / "x.mp4")


async def test_closing_stops_running_and_queued_renders(tmp_path):
    provider = PreviewProvider(tmp_path / "work", max_workers=1)
    long = RenderSpec(model="preview", mode=Mode.TEXT, prompt="long", seconds=20, resolution="1080p")
    running, queued = await provider.submit(long), await provider.submit(long)

    await provider.aclose()

    for task_id in (running, queued):
        status = await provider.status(task_id, long)
        assert status.state is TaskState.FAILED
    assert list((tmp_path / "work").iterdir()) == []


async def test_hostile_prompts_render(provider):
    hostile = ("שלום مرحبا 😀 \u202eevil\u202c \x00\x1b[2J\r\n" * 200 + "y" * 5000)[:10240]
    spec = RenderSpec(
        model="sora-2", mode=Mode.EDIT, prompt=hostile, seconds=1, aspect="1:1", negative=hostile
    )
    task_id = await provider.submit(spec)
    assert (await poll(provider, task_id, spec))[-1].state is TaskState.SUCCEEDED


def test_old_temp_files_of_a_killed_render_are_removed_and_fresh_ones_kept(tmp_path):
    old, fresh = tmp_path / f".pv-{'a' * 32}.k1.part", tmp_path / f".pv-{'b' * 32}.k2.part"
    old.write_bytes(b"left by a killed process")
    fresh.write_bytes(b"another provider is writing this right now")
    os.utime(old, (0, 0))

    PreviewProvider(tmp_path)

    assert not old.exists() and fresh.exists()


async def test_renders_side_by_side(tmp_path):
    provider = PreviewProvider(tmp_path / "work", max_workers=2)
    try:
        tasks = [await provider.submit(SMALL), await provider.submit(SMALL)]
        for task_id in tasks:
            assert (await poll(provider, task_id, SMALL))[-1].state is TaskState.SUCCEEDED
        assert len(list((tmp_path / "work").glob("pv-*.mp4"))) == 2
    finally:
        await provider.aclose()
