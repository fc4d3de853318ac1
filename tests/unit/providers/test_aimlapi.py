"""AI/ML API backend: request mapping per model and mode, error classification, and the provider
over real HTTP against the stand-in gateway."""

from __future__ import annotations

import av
import httpx
import pytest

from bot.providers import errors
from bot.providers.aimlapi.provider import AimlApiProvider
from bot.providers.aimlapi.wire import (
    AVATAR_NEEDS_AUDIO,
    WIRE_MODELS,
    build_request,
    client_request_id,
    error_for,
    listed_ids,
    parse_status,
)
from bot.providers.base import MediaRef, Mode, RenderSpec, SourceClip, SubjectRef, TaskState
from tests.fakes.aimlapi import FakeAimlApi, validate

IMG = MediaRef(url="https://example.com/a.png", mime="image/png")


def spec(model: str = "kling-v3", mode: Mode = Mode.TEXT, **kw) -> RenderSpec:
    return RenderSpec(model=model, mode=mode, prompt=kw.pop("prompt", "a fox in snow"), **kw)


@pytest.fixture
def png(tmp_path):
    path = tmp_path / "face.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\nfake")
    return MediaRef(path=str(path), mime="image/png")


# --- mapping ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("model", "mode", "wire"),
    [
        ("kling-2.6-pro", Mode.TEXT, "klingai/video-v2-6-pro-text-to-video"),
        ("kling-2.6-pro", Mode.IMAGE, "klingai/video-v2-6-pro-image-to-video"),
        ("kling-v3", Mode.TEXT, "klingai/video-v3-standard-text-to-video"),
        ("kling-v3", Mode.IMAGE, "klingai/video-v3-standard-image-to-video"),
        ("kling-v3-pro", Mode.TEXT, "klingai/video-v3-pro-text-to-video"),
        ("kling-v3-pro", Mode.IMAGE, "klingai/video-v3-pro-image-to-video"),
        ("kling-o1", Mode.TEXT, "klingai/video-o1-reference-to-video"),
        ("kling-o1", Mode.IMAGE, "klingai/video-o1-image-to-video"),
        ("sora-2", Mode.TEXT, "openai/sora-2-t2v"),
        ("sora-2", Mode.IMAGE, "openai/sora-2-i2v"),
        ("sora-2-pro", Mode.TEXT, "openai/sora-2-pro-t2v"),
        ("sora-2-pro", Mode.IMAGE, "openai/sora-2-pro-i2v"),
    ],
)
def test_model_ids_per_model_and_mode_pass_the_gateway_schema(model, mode, wire):
    seconds = 8 if model.startswith("sora") else 5
    body = build_request(spec(model, mode, seconds=seconds, image=IMG if mode is Mode.IMAGE else None))
    assert body["model"] == wire
    assert body["duration"] == seconds and isinstance(body["duration"], int)
    assert validate(body) is None


def test_generate_audio_is_always_explicit_where_the_model_takes_it():
    assert build_request(spec("kling-v3", audio=False))["generate_audio"] is False
    assert build_request(spec("kling-2.6-pro", audio=True))["generate_audio"] is True
    assert "generate_audio" not in build_request(spec("kling-o1"))  # O1 has no such field


def test_aspect_ratio_only_where_the_model_takes_it():
    assert build_request(spec("kling-v3-pro", aspect="9:16"))["aspect_ratio"] == "9:16"
    assert "aspect_ratio" not in build_request(spec("kling-v3-pro", Mode.IMAGE, image=IMG, aspect="9:16"))


def test_sora_sends_resolution_and_negative_prompt_only_to_kling():
    body = build_request(spec("sora-2-pro", resolution="1080p"))
    assert body["resolution"] == "1080p" and "negative_prompt" not in body
    with pytest.raises(errors.BadRequest, match="takes no negative prompt"):  # not dropped unsaid
        build_request(spec("sora-2-pro", resolution="1080p", negative="blur"))
    assert build_request(spec("kling-v3", negative="blur"))["negative_prompt"] == "blur"


def test_image_is_a_public_url_or_a_data_uri_of_the_local_copy(png):
    assert build_request(spec("kling-v3", Mode.IMAGE, image=IMG))["image_url"] == IMG.url
    inline = build_request(spec("kling-v3", Mode.IMAGE, image=png))["image_url"]
    assert inline.startswith("data:image/png;base64,")


def test_o1_edit_sends_the_source_url_while_known_else_the_file(tmp_path):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42")
    with_url = SourceClip(model="kling-v3", backend="aimlapi", result_url="https://cdn.aimlapi.com/x.mp4")
    body = build_request(spec("kling-o1", Mode.EDIT, prompt="make it night", source=with_url, seconds=5))
    assert body["model"] == "klingai/video-o1-video-to-video-edit"
    assert body["video_url"] == with_url.result_url
    assert body["keep_audio"] is True and "duration" not in body  # an edit follows the source
    expired = SourceClip(model="sora-2", backend="openai", media=MediaRef(path=str(clip), mime="video/mp4"))
    body = build_request(spec("kling-o1", Mode.EDIT, source=expired, keep_audio=False))
    assert body["video_url"].startswith("data:video/mp4;base64,") and body["keep_audio"] is False
    extend = build_request(spec("kling-o1", Mode.EXTEND, source=with_url, seconds=10))
    assert extend["model"] == "klingai/video-o1-video-to-video-reference" and extend["duration"] == 10
    assert validate(extend) is None


def test_subjects_go_inline_as_elements_and_their_names_into_the_prompt():
    imgs = tuple(MediaRef(url=f"https://example.com/{i}.png") for i in range(6))
    mia = SubjectRef(name="mia", description="a red-haired girl", images=imgs)
    solo = SubjectRef(name="rex", description="a dog", images=imgs[:1])
    body = build_request(
        spec("kling-v3", Mode.IMAGE, image=IMG, prompt="{mia} walks {rex}", subjects=(mia, solo))
    )
    assert body["prompt"] == "mia walks rex"
    assert body["elements"][0] == {
        "frontal_image_url": imgs[0].url,
        "reference_image_urls": [i.url for i in imgs[1:5]],
    }
    assert body["elements"][1]["reference_image_urls"] == [imgs[0].url]
    assert validate(body) is None
    # without elements (v3 text-to-video) the description is the only way the subject gets there
    text = build_request(spec("kling-v3", prompt="{mia} waves", subjects=(mia,)))
    assert text["prompt"] == "mia (a red-haired girl) waves" and "elements" not in text


def test_more_than_four_subjects_is_refused_before_sending():
    subject = SubjectRef(name="s", description="", images=(IMG,))
    with pytest.raises(errors.BadRequest, match="at most 4"):
        build_request(spec("kling-o1", subjects=(subject,) * 5))


async def test_request_shapes_the_gateway_has_no_id_for_are_known_at_intake():
    vid = MediaRef(url="https://example.com/move.mp4", mime="video/mp4")
    hero = SubjectRef(name="hero", description="", images=(IMG,))
    async with httpx.AsyncClient() as http:
        gateway = AimlApiProvider(http, api_key="k", base_url="https://api.example")
        omni = gateway.refusal(spec("kling-v3-omni", reference_video=vid))
        assert "takes no reference video" in omni and "--model kling-o1" in omni
        assert "takes no reference images" in gateway.refusal(spec("veo-3.1-fast", subjects=(hero,)))
        assert "takes no last frame" in gateway.refusal(
            spec("kling-v3", Mode.IMAGE, image=IMG, end_image=IMG)
        )
        # what is fine, and what only the run knows (an avatar's speech is made after intake), passes
        assert gateway.refusal(spec("kling-o1", reference_video=vid)) is None
        assert gateway.refusal(spec("veo-3.1", subjects=(hero,))) is None
        assert gateway.refusal(spec("kling-avatar-pro", Mode.AVATAR, subjects=(hero,), script="Hi")) is None
        # and the run refuses the same shapes with the same words
        with pytest.raises(errors.BadRequest, match="takes no reference video"):
            build_request(spec("kling-v3-omni", reference_video=vid))


@pytest.mark.parametrize("model", ["veo-3.1", "veo-3.1-fast"])
async def test_negative_prompt_goes_only_to_veo_ids_whose_schema_has_it(model):
    # the i2v and first+last-frame schemas have no negative_prompt: the gateway would drop it
    async with httpx.AsyncClient() as http:
        gateway = AimlApiProvider(http, api_key="k", base_url="https://api.example")
        for image_spec in (
            spec(model, Mode.IMAGE, image=IMG, negative="blurry"),
            spec(model, Mode.IMAGE, image=IMG, end_image=IMG, negative="blurry"),
        ):
            refused = gateway.refusal(image_spec)
            assert "takes no negative prompt" in refused and "drop --negative" in refused
            with pytest.raises(errors.BadRequest, match="takes no negative prompt"):
                build_request(image_spec)
        assert gateway.refusal(spec(model, Mode.IMAGE, image=IMG)) is None
        text = spec(model, negative="blurry")
        assert gateway.refusal(text) is None
        body = build_request(text)
        assert body["negative_prompt"] == "blurry" and validate(body) is None
    # the stand-in refuses the field where the owner's schema has none
    sent = {"model": f"google/{model.replace('veo-3.1', 'veo-3.1-i2v')}", "prompt": "x"}
    sent |= {"image_url": IMG.url, "negative_prompt": "blurry"}
    assert "negative_prompt" in validate(sent)


def test_avatar_needs_an_audio_file_and_says_so():
    mia = SubjectRef(name="mia", description="", images=(IMG,))
    with pytest.raises(errors.BadRequest) as caught:
        build_request(spec("kling-avatar-pro", Mode.AVATAR, subjects=(mia,), script="Hello team"))
    assert caught.value.message == AVATAR_NEEDS_AUDIO and "audio file" in AVATAR_NEEDS_AUDIO
    speech = MediaRef(url="https://example.com/hello.mp3", mime="audio/mpeg")
    body = build_request(spec("kling-avatar-pro", Mode.AVATAR, subjects=(mia,), speech=speech))
    assert body == {
        "model": "klingai/avatar-pro",
        "prompt": "a fox in snow",
        "audio_url": speech.url,
        "image_url": IMG.url,
    }
    assert validate(body) is None
    silent = build_request(spec("kling-avatar-pro", Mode.AVATAR, prompt="", image=IMG, speech=speech))
    assert "prompt" not in silent and validate(silent) is None
    with pytest.raises(errors.BadRequest, match="needs an image"):
        build_request(spec("kling-avatar-pro", Mode.AVATAR, speech=speech))


@pytest.mark.parametrize(
    ("raw", "sent"),
    [
        ("take-42", "take-42"),
        ("C123/1732500000 #2", "C123-1732500000--2"),
        ("x" * 200, "x" * 128),
        ("", None),
    ],
)
def test_client_request_id_is_sanitised(raw, sent):
    assert client_request_id(raw) == sent


async def test_availability():
    async with httpx.AsyncClient() as client:
        provider = AimlApiProvider(client, base_url="http://unused", api_key="k")
        assert provider.availability("kling-o1", Mode.EDIT).ok
        assert provider.availability("kling-avatar-pro", Mode.AVATAR).ok
        assert not provider.availability("preview").ok
        refused = provider.availability("kling-v3", Mode.EDIT)
    assert not refused.ok and "image, motion, text" in refused.reason


# --- error classification -------------------------------------------------------------------------
def envelope(status: int, message: str) -> dict:
    return {"message": message, "path": "/v2/video/generations", "requestId": "req-1", "statusCode": status}


@pytest.mark.parametrize(
    ("status", "message", "kind"),
    [
        (400, "Body validation error! Expected number, received string", errors.BadRequest),
        (401, "This request requires a valid API key", errors.AuthFailed),
        (403, "You've run out of credits. Please top up your balance", errors.OutOfBalance),
        (404, "Model is deprecated", errors.ModelGone),
        (429, "Too Many Requests", errors.RateLimited),
        (500, "Internal server error", errors.Unavailable),
        (503, "Upstream service is unavailable", errors.Unavailable),
    ],
)
def test_error_classification(status, message, kind):
    error = error_for(
        status, envelope(status, message), httpx.Headers({"retry-after": "7"}), model="kling-v3"
    )
    assert type(error) is kind and error.request_id == "req-1"
    if kind is errors.RateLimited:
        assert error.retry_after == 7.0
    if kind is errors.AuthFailed:
        assert "AIMLAPI_API_KEY" in error.message
    if kind is errors.OutOfBalance:
        assert "top up" in error.message


@pytest.mark.parametrize(("model", "instead"), [("sora-2", "kling-v3"), ("sora-2-pro", "kling-v3-pro")])
def test_retired_sora_names_a_model_to_use_instead(model, instead):
    error = error_for(404, envelope(404, "Model is deprecated"), httpx.Headers(), model=model)
    assert isinstance(error, errors.ModelUnavailable) and error.suggestion == instead
    assert f"--model {instead}" in error.message


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("Content moderation: prompt flagged", errors.Refused),
        ("The request violates our content policy", errors.Refused),
        ("upstream timeout while rendering", errors.ProviderError),
    ],
)
def test_task_errors_are_refusals_only_when_they_read_like_moderation(message, kind):
    status = parse_status(
        {"id": "g", "status": "error", "error": {"name": "E", "message": message}}, httpx.Headers()
    )
    assert status.state is TaskState.FAILED and type(status.error) is kind


# --- provider over real HTTP ----------------------------------------------------------------------
@pytest.fixture
async def fake():
    async with FakeAimlApi() as server:
        yield server


@pytest.fixture
async def provider(fake):
    async with httpx.AsyncClient() as client:
        yield AimlApiProvider(client, base_url=fake.base_url, api_key=fake.api_key)


async def run_to_end(provider, task_id, render):
    states = []
    for _ in range(20):
        status = await provider.status(task_id, render)
        states.append(status.state)
        if status.done:
            return status, states
    raise AssertionError(f"never finished: {states}")


async def test_submit_poll_download_a_real_mp4(fake, provider, tmp_path):
    render = spec("kling-v3-pro", seconds=5, audio=True, external_id="take 7/1")
    task_id = await provider.submit(render)
    status, states = await run_to_end(provider, task_id, render)
    assert states[:2] == [TaskState.PENDING, TaskState.RUNNING] and status.state is TaskState.SUCCEEDED
    assert status.cost_usd == pytest.approx(0.84)
    dest = tmp_path / "clip.mp4"
    size = await provider.download(task_id, status, dest)
    assert size == dest.stat().st_size > 0
    with av.open(str(dest)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
    create = fake.requests[0]
    assert create.headers["X-Client-Request-Id"] == "take-7-1"
    assert "Authorization" not in create.headers and create.json["generate_audio"] is True
    assert fake.requests[1].query == {"generation_id": task_id}


async def test_rate_limit_carries_retry_after(fake, provider):
    fake.fail_next_create(429, headers={"Retry-After": "12"})
    with pytest.raises(errors.RateLimited) as caught:
        await provider.submit(spec())
    assert caught.value.retry_after == 12.0 and caught.value.request_id


async def test_out_of_credit(fake, provider):
    fake.fail_next_create(403)
    with pytest.raises(errors.OutOfBalance, match="top up"):
        await provider.submit(spec())


async def test_server_error_is_retryable(fake, provider):
    fake.fail_next_create(500)
    with pytest.raises(errors.Unavailable) as caught:
        await provider.submit(spec())
    assert caught.value.retryable


async def test_moderation_ends_the_task_as_refused(fake, provider):
    fake.refuse_next_task("Content moderation: the prompt violates our policy")
    render = spec()
    status, _ = await run_to_end(provider, await provider.submit(render), render)
    assert status.state is TaskState.FAILED and isinstance(status.error, errors.Refused)
    assert "violates our policy" in status.error.message


async def test_retired_sora_answers_model_gone_and_leaves_the_list(fake, provider):
    """The answer is a ModelGone (the model watch marks it); the next list read lacks the id."""
    fake.retire_models({"sora-2", "sora-2-pro"})
    with pytest.raises(errors.ModelGone) as caught:
        await provider.submit(spec("sora-2-pro", seconds=8))
    assert caught.value.suggestion == "kling-v3-pro"
    assert "openai/sora-2-pro-t2v" not in await provider.list_models()
    later = provider.availability("sora-2-pro")
    assert not later.ok and later.suggestion == "kling-v3-pro"


async def test_a_string_duration_would_be_rejected_by_the_gateway(fake, provider):
    async with httpx.AsyncClient() as client:
        answer = await client.post(
            fake.base_url + "/v2/video/generations",
            headers={"Authorization": f"Bearer {fake.api_key}"},
            json={"model": "klingai/video-v3-standard-text-to-video", "prompt": "x", "duration": "5"},
        )
    assert answer.status_code == 400 and answer.json()["message"].startswith("Body validation error!")


async def test_never_finishing_task_stays_running(fake, provider):
    fake.never_finish()
    render = spec()
    task_id = await provider.submit(render)
    states = [(await provider.status(task_id, render)).state for _ in range(5)]
    assert states[-1] is TaskState.RUNNING


async def test_check_names_the_key_when_it_is_wrong(fake):
    async with httpx.AsyncClient() as client:
        good = AimlApiProvider(client, base_url=fake.base_url, api_key=fake.api_key)
        bad = AimlApiProvider(client, base_url=fake.base_url, api_key="wrong")
        assert await good.check() == []
        problems = await bad.check()
    assert len(problems) == 1 and "AIMLAPI_API_KEY" in problems[0] and "wrong" not in problems[0]


async def test_every_id_discovery_checks_is_one_the_gateway_lists(fake, provider):
    """What the model list is checked for is the gateway's real ids (a resolution template expanded),
    so a model the gateway serves is never taken for one it dropped."""
    listed = await provider.list_models()
    for model, mode in WIRE_MODELS:
        ids = provider.provider_ids(model, mode)
        assert ids and all("{" not in i for i in ids), (model, mode)
        assert any(i in listed for i in ids), (model, mode, ids)


def test_the_model_list_matches_aliases_too():
    """A model published under a new canonical id keeps the name we send as an alias (reference §c.2)."""
    body = {"object": "list", "data": [{"id": "google/veo-3.1-t2v-2", "aliases": ["google/veo-3.1-t2v"]}]}
    assert listed_ids(body) == {"google/veo-3.1-t2v-2", "google/veo-3.1-t2v"}
    assert listed_ids({"data": [{"id": "x", "aliases": None}, "junk"]}) == {"x"}
