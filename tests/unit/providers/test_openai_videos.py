"""OpenAI Videos API (Sora 2) backend: request mapping, error classification, retirement, webhooks,
and the provider over real HTTP against the stand-in."""

from __future__ import annotations

import av
import httpx
import pytest

from bot.providers import errors
from bot.providers.base import MediaRef, Mode, RenderSpec, SourceClip, SubjectRef, TaskState
from bot.providers.openai.provider import (
    OpenAIVideosProvider,
    callback_video_id,
    create_body,
    error_for,
    is_retired_answer,
    parse_video,
)
from tests.fakes.openai_videos import FakeOpenAIVideos, validate_create

IMG = MediaRef(url="https://example.com/first.png", mime="image/png")


def spec(model: str = "sora-2", mode: Mode = Mode.TEXT, **kw) -> RenderSpec:
    return RenderSpec(model=model, mode=mode, prompt=kw.pop("prompt", "a calico cat on a piano"), **kw)


def oai_error(message: str, code: str | None = None, param: str | None = None) -> dict:
    return {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}}


# --- mapping ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("model", "resolution", "aspect", "size"),
    [
        ("sora-2", "720p", "16:9", "1280x720"),
        ("sora-2", "720p", "9:16", "720x1280"),
        ("sora-2-pro", "720p", "16:9", "1280x720"),
        ("sora-2-pro", "1080p", "16:9", "1792x1024"),
        ("sora-2-pro", "1080p", "9:16", "1024x1792"),
    ],
)
def test_sizes_per_model_aspect_and_resolution(model, resolution, aspect, size):
    body = create_body(spec(model, seconds=8, resolution=resolution, aspect=aspect))
    assert body == {"model": model, "prompt": "a calico cat on a piano", "size": size, "seconds": "8"}
    assert validate_create(body, model) is None


@pytest.mark.parametrize(
    ("model", "resolution", "aspect"), [("sora-2", "1080p", "16:9"), ("sora-2-pro", "720p", "1:1")]
)
def test_sizes_the_model_cannot_render_are_refused_with_the_allowed_ones(model, resolution, aspect):
    with pytest.raises(errors.BadRequest, match="720p 16:9"):
        create_body(spec(model, resolution=resolution, aspect=aspect))


def test_seconds_are_strings_and_only_4_8_12():
    assert create_body(spec(seconds=12))["seconds"] == "12"
    assert "seconds" not in create_body(spec())
    with pytest.raises(errors.BadRequest, match="4, 8, 12"):
        create_body(spec(seconds=10))


def test_first_frame_image_is_a_url_or_a_data_url(tmp_path):
    assert create_body(spec(mode=Mode.IMAGE, image=IMG))["input_reference"] == {"image_url": IMG.url}
    local = tmp_path / "first.png"
    local.write_bytes(b"\x89PNG\r\n\x1a\nfake")
    body = create_body(spec(mode=Mode.IMAGE, image=MediaRef(path=str(local), mime="image/png")))
    assert body["input_reference"]["image_url"].startswith("data:image/png;base64,")
    assert validate_create(body, "sora-2") is None
    with pytest.raises(errors.BadRequest, match="needs an image"):
        create_body(spec(mode=Mode.IMAGE))


def test_subjects_reach_sora_as_words():
    mia = SubjectRef(name="mia", description="a red-haired girl", images=(IMG,))
    assert (
        create_body(spec(prompt="{mia} sings", subjects=(mia,)))["prompt"] == "mia (a red-haired girl) sings"
    )


# --- classification -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "body", "retired"),
    [
        (
            404,
            oai_error(
                "The model `sora-2` does not exist or you do not have access to it.", "model_not_found"
            ),
            True,
        ),
        (400, oai_error("The Sora API was shut down on September 24, 2026."), True),
        (410, oai_error("This model is deprecated."), True),
        (404, {}, True),  # the route itself is gone
        (404, oai_error("No video found with id 'video_123'.", param="video_id"), False),
        (
            400,
            oai_error("Invalid value: '10'. Supported values are: '4', '8', and '12'.", "invalid_value"),
            False,
        ),
        (429, oai_error("Rate limit reached", "rate_limit_exceeded"), False),
    ],
)
def test_is_retired_answer(status, body, retired):
    assert is_retired_answer(status, body) is retired


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (400, "invalid_value", errors.BadRequest),
        (401, "invalid_api_key", errors.AuthFailed),
        (403, None, errors.AuthFailed),
        (429, "insufficient_quota", errors.OutOfBalance),
        (429, "rate_limit_exceeded", errors.RateLimited),
        (500, None, errors.Unavailable),
        (502, None, errors.Unavailable),
    ],
)
def test_error_classification(status, code, kind):
    headers = httpx.Headers({"retry-after": "3", "x-request-id": "req_9"})
    error = error_for(status, oai_error("something", code), headers, base_url="https://api.openai.com/v1")
    assert type(error) is kind and error.request_id == "req_9"
    if kind is errors.RateLimited:
        assert error.retry_after == 3.0
    if status == 401:
        assert "OPENAI_API_KEY" in error.message


def test_retired_error_names_the_host_the_date_and_the_model_to_use():
    body = oai_error("The model `sora-2` does not exist", "model_not_found")
    error = error_for(404, body, httpx.Headers(), base_url="https://api.openai.com/v1")
    assert isinstance(error, errors.ModelUnavailable) and error.suggestion == "kling-v3-pro"
    assert error.message == (
        "Sora 2 is no longer served by api.openai.com: OpenAI shut down its Sora 2 API on 2026-09-24. "
        "Use --model kling-v3-pro instead."
    )


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        ({"code": "moderation_blocked", "message": "Your request was blocked."}, errors.Refused),
        ({"code": "failed", "message": "This violates our content policy."}, errors.Refused),
        ({"code": "internal_error", "message": "Rendering failed."}, errors.ProviderError),
    ],
)
def test_failed_video_is_refused_only_for_moderation(error, kind):
    status = parse_video({"id": "video_1", "status": "failed", "progress": 40, "error": error})
    assert status.state is TaskState.FAILED and type(status.error) is kind


def test_progress_is_reported_while_running():
    status = parse_video({"id": "video_1", "status": "in_progress", "progress": 37})
    assert status.state is TaskState.RUNNING and status.progress == 37


@pytest.mark.parametrize(
    ("body", "video_id"),
    [
        ({"id": "evt_1", "object": "event", "type": "video.completed", "data": {"id": "video_9"}}, "video_9"),
        ({"type": "video.failed", "data": {"id": "video_8"}}, "video_8"),
        ({"type": "batch.completed", "data": {"id": "batch_1"}}, None),
        ({"type": "video.completed", "data": {}}, None),
        ({"type": "video.completed"}, None),
    ],
)
def test_callback_video_id(body, video_id):
    assert callback_video_id(body) == video_id


# --- provider over real HTTP ----------------------------------------------------------------------
@pytest.fixture
async def fake():
    async with FakeOpenAIVideos() as server:
        yield server


@pytest.fixture
async def provider(fake):
    async with httpx.AsyncClient() as client:
        yield OpenAIVideosProvider(client, base_url=fake.base_url, api_key=fake.api_key)


async def run_to_end(provider, task_id, render):
    seen = []
    for _ in range(20):
        status = await provider.status(task_id, render)
        seen.append(status)
        if status.done:
            return status, seen
    raise AssertionError(f"never finished: {seen}")


async def test_submit_poll_download_a_real_mp4(fake, provider, tmp_path):
    render = spec("sora-2-pro", seconds=8, resolution="1080p")
    task_id = await provider.submit(render)
    status, seen = await run_to_end(provider, task_id, render)
    assert status.state is TaskState.SUCCEEDED
    assert [s.state for s in seen[:2]] == [TaskState.PENDING, TaskState.RUNNING]
    assert 0 < seen[1].progress < 100
    dest = tmp_path / "clip.mp4"
    assert await provider.download(task_id, status, dest) == dest.stat().st_size
    with av.open(str(dest)) as container:
        assert container.streams.video[0].frames > 0
    assert fake.created()[0] == {
        "model": "sora-2-pro",
        "prompt": render.prompt,
        "size": "1792x1024",
        "seconds": "8",
    }
    assert all("Authorization" not in r.headers for r in fake.requests)


async def test_edit_of_a_completed_video(fake, provider):
    first = spec(seconds=4)
    source_id = await provider.submit(first)
    await run_to_end(provider, source_id, first)
    source = SourceClip(model="sora-2", backend="openai", task_id=source_id)
    edit = spec(mode=Mode.EDIT, prompt="make it snow", source=source)
    edit_id = await provider.submit(edit)
    status, _ = await run_to_end(provider, edit_id, edit)
    assert status.state is TaskState.SUCCEEDED and edit_id != source_id
    assert [r.path for r in fake.requests if r.method == "POST"][-1] == "/v1/videos/edits"
    assert fake.created()[-1] == {"prompt": "make it snow", "video": {"id": source_id}}


async def test_edit_falls_back_to_remix_where_edits_are_missing(fake, provider):
    fake.edits_route = False
    first = spec()
    source_id = await provider.submit(first)
    await run_to_end(provider, source_id, first)
    source = SourceClip(model="sora-2", backend="openai", task_id=source_id)
    edit_id = await provider.submit(spec(mode=Mode.EDIT, prompt="at dusk", source=source))
    assert fake.videos[edit_id].remixed_from_video_id == source_id
    assert [r.path for r in fake.requests[-2:]] == ["/v1/videos/edits", f"/v1/videos/{source_id}/remix"]


async def test_extension_sends_string_seconds(fake, provider):
    first = spec(seconds=8)
    source_id = await provider.submit(first)
    await run_to_end(provider, source_id, first)
    source = SourceClip(model="sora-2", backend="openai", task_id=source_id)
    ext_id = await provider.submit(spec(mode=Mode.EXTEND, prompt="keep going", source=source, seconds=4))
    assert fake.created()[-1] == {"video": {"id": source_id}, "prompt": "keep going", "seconds": "4"}
    assert fake.videos[ext_id].seconds == "12"


async def test_edit_of_another_backends_clip_is_refused_without_a_call(fake, provider):
    source = SourceClip(model="kling-v3", backend="kling", task_id="abc")
    with pytest.raises(errors.BadRequest, match="rendered itself"):
        await provider.submit(spec(mode=Mode.EDIT, source=source))
    assert fake.requests == []


@pytest.mark.parametrize(
    ("status", "body", "headers", "kind"),
    [
        (
            429,
            oai_error("Rate limit reached for requests", "rate_limit_exceeded"),
            {"Retry-After": "20"},
            errors.RateLimited,
        ),
        (429, oai_error("You exceeded your current quota", "insufficient_quota"), {}, errors.OutOfBalance),
        (500, None, {}, errors.Unavailable),
        (403, oai_error("Your organization must be verified to use this model."), {}, errors.AuthFailed),
    ],
)
async def test_create_failures(fake, provider, status, body, headers, kind):
    fake.fail_next_create(status, body, headers)
    with pytest.raises(kind) as caught:
        await provider.submit(spec())
    if kind is errors.RateLimited:
        assert caught.value.retry_after == 20.0


async def test_moderation_ends_the_task_as_refused(fake, provider):
    fake.refuse_next_task("Your request was blocked by our moderation system.")
    render = spec()
    status, _ = await run_to_end(provider, await provider.submit(render), render)
    assert status.state is TaskState.FAILED and isinstance(status.error, errors.Refused)
    assert "moderation" in status.error.message


async def test_retired_sora_is_model_unavailable_and_shows_as_unavailable(fake, provider):
    fake.retire_models({"sora-2", "sora-2-pro"})
    assert provider.availability("sora-2").ok
    with pytest.raises(errors.ModelUnavailable) as caught:
        await provider.submit(spec(seconds=8))
    assert caught.value.suggestion == "kling-v3-pro" and "2026-09-24" in caught.value.message
    after = provider.availability("sora-2-pro")
    assert not after.ok and after.suggestion == "kling-v3-pro"


async def test_doctor_reports_retirement_and_bad_keys(fake):
    async with httpx.AsyncClient() as client:
        good = OpenAIVideosProvider(client, base_url=fake.base_url, api_key=fake.api_key)
        bad = OpenAIVideosProvider(client, base_url=fake.base_url, api_key="nope")
        assert await good.check() == []
        assert "OPENAI_API_KEY" in (await bad.check())[0]
        fake.retire_models({"sora-2"})
        problems = await good.check()
    assert len(problems) == 1 and "no longer served by 127.0.0.1" in problems[0]
    assert not good.availability("sora-2").ok


async def test_never_finishing_video_keeps_reporting_progress(fake, provider):
    fake.never_finish()
    render = spec()
    task_id = await provider.submit(render)
    seen = [await provider.status(task_id, render) for _ in range(6)]
    assert seen[-1].state is TaskState.RUNNING and seen[-1].progress < 100
