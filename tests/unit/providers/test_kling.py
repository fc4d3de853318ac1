"""Kling direct: JWT, request mapping, error mapping (pure), and the provider over real HTTP
against the stand-in in tests.fakes.kling."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import av
import httpx
import pytest
from aiohttp import web

from bot.providers import errors
from bot.providers.base import MediaRef, Mode, RenderSpec, SourceClip, SubjectRef, TaskState
from bot.providers.kling.provider import KlingProvider, callback_ids
from bot.providers.kling.wire import build_request, element_body, envelope_error, kling_jwt
from tests.fakes.kling import FakeKling
from tests.fakes.kling_checks import Reject, check_element

AK, SK = "ak-1234", "sk-5678"


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def decode_jwt(token: str, secret: str) -> tuple[dict, dict]:
    head, body, sig = token.split(".")
    expected = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    assert hmac.compare_digest(expected, _b64url_decode(sig)), "bad signature"
    return json.loads(_b64url_decode(head)), json.loads(_b64url_decode(body))


# ---- JWT ----------------------------------------------------------------------------------------------
def test_jwt_header_claims_and_signature():
    header, claims = decode_jwt(kling_jwt(AK, SK, 1_800_000_000), SK)
    assert header == {"alg": "HS256", "typ": "JWT"}
    assert claims == {"iss": AK, "exp": 1_800_000_000 + 1800, "nbf": 1_800_000_000 - 5}
    with pytest.raises(AssertionError):
        decode_jwt(kling_jwt(AK, SK, 1_800_000_000), "other-secret")


async def test_provider_caches_jwt_and_refreshes_a_minute_before_expiry(client):
    now = [1_800_000_000.0]
    provider = KlingProvider(client, base_url="http://x", access_key=AK, secret_key=SK, clock=lambda: now[0])
    first = provider._authorization()
    now[0] += 1800 - 61
    assert provider._authorization() == first
    now[0] += 2  # within 60 s of exp
    second = provider._authorization()
    assert second != first
    assert decode_jwt(second.removeprefix("Bearer "), SK)[1]["nbf"] == int(now[0]) - 5


async def test_api_key_wins_over_jwt(client):
    provider = KlingProvider(client, base_url="http://x", api_key="key-1", access_key=AK, secret_key=SK)
    assert provider._authorization() == "Bearer key-1"


# ---- build_request ------------------------------------------------------------------------------------
def spec(model="kling-v3", mode=Mode.TEXT, **kw) -> RenderSpec:
    return RenderSpec(model=model, mode=mode, prompt=kw.pop("prompt", "a red fox in snow"), **kw)


@pytest.mark.parametrize(
    ("model", "res", "model_name", "wire_mode"),
    [
        ("kling-2.6-pro", "1080p", "kling-v2-6", "pro"),
        ("kling-v3", "720p", "kling-v3", "std"),
        ("kling-v3-pro", "1080p", "kling-v3", "pro"),
    ],
)
def test_text_to_video_mapping(model, res, model_name, wire_mode):
    route, body = build_request(
        spec(
            model,
            seconds=10,
            aspect="9:16",
            resolution=res,
            audio=True,
            negative="blur",
            external_id="take-1",
        )
    )
    assert route == "text2video"
    assert body == {
        "model_name": model_name,
        "mode": wire_mode,
        "prompt": "a red fox in snow",
        "duration": "10",
        "aspect_ratio": "9:16",
        "sound": "on",
        "negative_prompt": "blur",
        "external_task_id": "take-1",
    }


def test_sound_off_default_duration_and_callback():
    _, body = build_request(spec("kling-v3", callback_url="https://bot.example/webhooks/kling"))
    assert body["sound"] == "off" and body["duration"] == "5"
    assert body["callback_url"] == "https://bot.example/webhooks/kling"
    assert "negative_prompt" not in body and "external_task_id" not in body


def test_image_to_video_url_and_base64(tmp_path):
    route, body = build_request(
        spec("kling-2.6-pro", Mode.IMAGE, image=MediaRef(url="https://img.example/a.png"))
    )
    assert route == "image2video" and body["image"] == "https://img.example/a.png"
    assert "aspect_ratio" not in body
    path = tmp_path / "a.png"
    path.write_bytes(b"\x89PNG fake")
    _, body = build_request(spec("kling-v3", Mode.IMAGE, image=MediaRef(path=str(path), mime="image/png")))
    assert not body["image"].startswith("data:")
    assert base64.b64decode(body["image"]) == b"\x89PNG fake"


@pytest.mark.parametrize(("res", "wire_mode"), [("1080p", "pro"), ("720p", "std")])
def test_o1_text_uses_omni(res, wire_mode):
    route, body = build_request(spec("kling-o1", resolution=res, seconds=10, audio=True, negative="x"))
    assert route == "omni-video"
    assert body["model_name"] == "kling-video-o1" and body["mode"] == wire_mode
    assert body["duration"] == "10" and body["aspect_ratio"] == "16:9"
    assert "sound" not in body and "negative_prompt" not in body


def test_o1_first_frame_image():
    _, body = build_request(spec("kling-o1", Mode.IMAGE, image=MediaRef(url="https://i/a.png")))
    assert body["image_list"] == [{"image_url": "https://i/a.png", "type": "first_frame"}]
    assert "aspect_ratio" not in body


@pytest.mark.parametrize(("keep", "word"), [(True, "yes"), (False, "no")])
def test_o1_edit_base_video(keep, word):
    source = SourceClip(model="kling-v3", backend="kling", result_url="https://cdn/clip.mp4")
    _, body = build_request(
        spec("kling-o1", Mode.EDIT, prompt="make it night", source=source, keep_audio=keep)
    )
    assert body["video_list"] == [
        {"video_url": "https://cdn/clip.mp4", "refer_type": "base", "keep_original_sound": word}
    ]
    assert "duration" not in body and "aspect_ratio" not in body


def test_o1_extend_feature_video_prefers_our_public_copy():
    source = SourceClip(
        model="kling-o1",
        backend="kling",
        result_url="https://cdn/old.mp4",
        media=MediaRef(url="https://us/c.mp4"),
    )
    _, body = build_request(spec("kling-o1", Mode.EXTEND, source=source, seconds=5))
    assert body["video_list"] == [
        {"video_url": "https://us/c.mp4", "refer_type": "feature", "keep_original_sound": "yes"}
    ]
    assert body["duration"] == "5"


def test_edit_without_fetchable_source_is_bad_request():
    source = SourceClip(model="kling-o1", backend="kling", media=MediaRef(path="/tmp/x.mp4"))
    with pytest.raises(errors.BadRequest):
        build_request(spec("kling-o1", Mode.EDIT, source=source))


def _subject(name, element=None, images=1):
    imgs = tuple(MediaRef(url=f"https://img/{name}{i}.png") for i in range(images))
    return SubjectRef(
        name=name,
        description=f"{name} the cat",
        images=imgs,
        element_ids={"kling": element} if element else {},
    )


def test_elements_replace_names_in_prompt_and_unmentioned_are_appended():
    s = spec(
        "kling-o1",
        prompt="{Mia} chases {bob} on a roof",
        subjects=(_subject("mia", "11"), _subject("bob", "22"), _subject("zed", "33")),
    )
    route, body = build_request(s)
    assert route == "omni-video"
    assert body["element_list"] == [{"element_id": 11}, {"element_id": 22}, {"element_id": 33}]
    assert body["prompt"] == "<<<element_1>>> chases <<<element_2>>> on a roof <<<element_3>>>"


def test_v3_with_subjects_goes_to_v3_omni():
    route, body = build_request(
        spec("kling-v3-pro", prompt="{mia} waves", audio=True, subjects=(_subject("mia", "11"),))
    )
    assert route == "omni-video"
    assert (body["model_name"], body["mode"], body["sound"]) == ("kling-v3-omni", "pro", "on")


def test_26_pro_folds_subject_description_into_prompt():
    route, body = build_request(spec("kling-2.6-pro", prompt="{mia} waves", subjects=(_subject("mia"),)))
    assert route == "text2video" and body["prompt"] == "mia (mia the cat) waves"


def test_avatar_mapping(tmp_path):
    portrait = SubjectRef(name="ana", description="", images=(MediaRef(url="https://img/ana.png"),))
    route, body = build_request(
        spec("kling-avatar-pro", Mode.AVATAR, prompt="", subjects=(portrait,), script="hi"), audio_id="a-1"
    )
    assert route == "avatar/image2video"
    assert body == {"image": "https://img/ana.png", "mode": "pro", "audio_id": "a-1"}
    audio = tmp_path / "s.mp3"
    audio.write_bytes(b"ID3 fake")
    _, body = build_request(
        spec("kling-avatar-pro", Mode.AVATAR, subjects=(portrait,), speech=MediaRef(path=str(audio)))
    )
    assert base64.b64decode(body["sound_file"]) == b"ID3 fake" and "audio_id" not in body
    with pytest.raises(errors.BadRequest):
        build_request(spec("kling-avatar-pro", Mode.AVATAR, subjects=(portrait,)))


async def test_availability(client):
    provider = KlingProvider(client, base_url="http://x", api_key="k")
    assert provider.availability("kling-o1", Mode.EDIT).ok
    assert provider.availability("kling-avatar-pro", Mode.AVATAR).ok
    assert not provider.availability("kling-v3", Mode.EDIT).ok
    assert provider.availability("kling-v3", Mode.EDIT).suggestion == "kling-o1"
    sora = provider.availability("sora-2")
    assert not sora.ok and "sora-2" in sora.reason and sora.suggestion
    assert not provider.availability("preview").ok


# ---- error mapping --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("http", "code", "message", "kind"),
    [
        (401, 1000, "auth failed", errors.AuthFailed),
        (401, 1002, "invalid", errors.AuthFailed),
        (401, 1004, "expired", errors.AuthFailed),
        (429, 1101, "arrears", errors.OutOfBalance),
        (429, 1102, "pack exhausted", errors.OutOfBalance),
        (403, 1103, "no permission", errors.AuthFailed),
        (400, 1200, "bad", errors.BadRequest),
        (400, 1201, "duration invalid", errors.BadRequest),
        (404, 1202, "bad method", errors.BadRequest),
        (404, 1203, "model not found", errors.ModelGone),
        (404, 1203, "task not found", errors.BadRequest),
        (400, 1300, "policy", errors.Refused),
        (400, 1301, "content security", errors.Refused),
        (429, 1302, "rate", errors.RateLimited),
        (429, 1303, "parallel task over resource pack limit", errors.RateLimited),
        (429, 1304, "ip whitelist", errors.AuthFailed),
        (500, 5000, "internal", errors.Unavailable),
        (503, 5001, "maintenance", errors.Unavailable),
        (504, 5002, "backlog", errors.Unavailable),
        (502, None, "", errors.Unavailable),
        (401, None, "", errors.AuthFailed),
    ],
)
def test_envelope_error_table(http, code, message, kind):
    err = envelope_error(http, {"code": code, "message": message, "request_id": "req-9"}, httpx.Headers())
    assert type(err) is kind
    assert err.request_id == "req-9"


def test_envelope_success_and_rate_limit_details():
    assert envelope_error(200, {"code": 0, "data": {}}) is None
    assert envelope_error(429, {"code": 1303}, httpx.Headers()).retry_after == 2.0
    assert envelope_error(429, {"code": 1302}, httpx.Headers({"Retry-After": "9"})).retry_after == 9.0
    refused = envelope_error(400, {"code": 1301, "message": "Failure to pass the risk control system"})
    assert "risk control" in refused.message
    assert "1102" in envelope_error(429, {"code": 1102}).code


def test_callback_ids_from_both_shapes():
    legacy = {"task_id": "842", "task_status": "succeed", "task_info": {"external_task_id": "take-7"}}
    assert callback_ids(legacy) == ("842", "take-7")
    assert callback_ids({"task_id": "842", "task_status": "processing", "task_info": {}}) == ("842", None)
    assert callback_ids({"id": "913", "status": "succeeded", "external_id": "take-8"}) == ("913", "take-8")
    assert callback_ids({"id": "913", "status": "submitted", "outputs": []}) == ("913", None)
    assert callback_ids({"status": "x"}) is None


# ---- provider over HTTP ---------------------------------------------------------------------------------
@pytest.fixture
async def fake():
    async with FakeKling(polls_to_finish=2) as f:
        yield f


@pytest.fixture
async def client():
    async with httpx.AsyncClient() as c:
        yield c


def keyed(client, fake, **kw) -> KlingProvider:
    return KlingProvider(client, base_url=fake.url, api_key=fake.api_key, element_poll_seconds=0, **kw)


async def run_to_end(provider, spec_, limit=10):
    task_id = await provider.submit(spec_)
    for _ in range(limit):
        status = await provider.status(task_id, spec_)
        if status.done:
            return task_id, status
    raise AssertionError("task never finished")


async def test_text_to_video_end_to_end_gives_a_playable_mp4(fake, client, tmp_path):
    provider = keyed(client, fake)
    s = spec("kling-v3", seconds=5, external_id="take-1")
    task_id = await provider.submit(s)
    assert task_id.startswith("text2video:")
    states = []
    while not (status := await provider.status(task_id, s)).done:
        states.append(status.state)
    assert states == [TaskState.RUNNING, TaskState.RUNNING]
    assert status.state is TaskState.SUCCEEDED
    size = await provider.download(task_id, status, tmp_path / "out.mp4")
    assert size == (tmp_path / "out.mp4").stat().st_size > 0
    with av.open(str(tmp_path / "out.mp4")) as container:
        assert container.streams.video[0].codec_context.name == "h264"
    route, body = fake.creates[0]
    assert (route, body["model_name"], body["duration"]) == ("text2video", "kling-v3", "5")
    assert all(r.auth == "api_key" for r in fake.requests)
    assert all("authorization" not in {k.lower() for k in r.headers} for r in fake.requests)


async def test_jwt_auth_is_accepted(fake, client):
    provider = KlingProvider(
        client, base_url=fake.url, access_key=fake.access_key, secret_key=fake.secret_key
    )
    await provider.submit(spec("kling-2.6-pro", seconds=10))
    assert fake.requests[-1].auth == "jwt"
    assert await provider.check() == []


async def test_expired_jwt_is_resigned_and_retried_once(fake, client):
    # the first token is signed at the epoch (long expired); re-signing reads the real time
    times = iter([1.0])
    provider = KlingProvider(
        client,
        base_url=fake.url,
        access_key=fake.access_key,
        secret_key=fake.secret_key,
        clock=lambda: next(times, None) or time.time(),
    )
    task_id = await provider.submit(spec("kling-v3"))
    assert task_id.startswith("text2video:")
    assert [r.auth for r in fake.requests] == ["bad", "jwt"]


async def test_wrong_key_reads_as_auth_failed_in_doctor(fake, client):
    provider = KlingProvider(client, base_url=fake.url, api_key="wrong")
    problems = await provider.check()
    assert len(problems) == 1 and "KLING_API_KEY" in problems[0]
    assert "wrong" not in problems[0]
    with pytest.raises(errors.AuthFailed):
        await provider.submit(spec())


async def test_concurrency_limit_is_rate_limited_with_retry_after(fake, client):
    fake.fail_next_create(code=1303, http=429)
    with pytest.raises(errors.RateLimited) as info:
        await keyed(client, fake).submit(spec())
    assert info.value.retry_after == 2.0 and info.value.retryable and info.value.request_id
    fake.fail_next_create(code=1302, http=429, headers={"Retry-After": "5"})
    with pytest.raises(errors.RateLimited) as info:
        await keyed(client, fake).submit(spec())
    assert info.value.retry_after == 5.0
    assert fake.creates == []


async def test_moderation_at_create_is_refused(fake, client):
    fake.fail_next_create(code=1301, http=400, message="Failure to pass the risk control system")
    with pytest.raises(errors.Refused) as info:
        await keyed(client, fake).submit(spec())
    assert "risk control" in info.value.message and not info.value.retryable


async def test_task_level_refusal_fails_with_refused(fake, client):
    fake.refuse_next_task()
    _, status = await run_to_end(keyed(client, fake), spec())
    assert status.state is TaskState.FAILED
    assert isinstance(status.error, errors.Refused) and "risk control" in status.error.message


async def test_task_level_other_failure_is_not_a_refusal(fake, client):
    fake.refuse_next_task(msg="internal render failure")
    _, status = await run_to_end(keyed(client, fake), spec())
    assert type(status.error) is errors.ProviderError


async def test_out_of_balance(fake, client):
    fake.out_of_balance()
    with pytest.raises(errors.OutOfBalance) as info:
        await keyed(client, fake).submit(spec())
    assert "out of credit" in info.value.message


async def test_poll_500_is_unavailable_then_recovers(fake, client):
    provider = keyed(client, fake)
    s = spec()
    task_id = await provider.submit(s)
    fake.fail_next_poll(http=500)
    with pytest.raises(errors.Unavailable):
        await provider.status(task_id, s)
    assert (await provider.status(task_id, s)).state is TaskState.RUNNING


async def test_never_finishing_task_stays_running(fake, client):
    fake.never_finish = True
    provider = keyed(client, fake)
    task_id = await provider.submit(spec())
    for _ in range(5):
        assert (await provider.status(task_id, spec())).state is TaskState.RUNNING


async def test_bad_parameters_from_the_standin_are_bad_request(fake, client):
    with pytest.raises(errors.BadRequest) as info:
        await keyed(client, fake).submit(spec("kling-2.6-pro", seconds=7))
    assert "duration" in info.value.message


async def test_ensure_elements_creates_once_and_reuses(fake, client):
    provider = keyed(client, fake)
    mia = _subject("mia", images=2)
    ids = await provider.ensure_elements(spec("kling-v3", subjects=(mia,)))
    assert fake.elements_created == 1 and ids["mia"] in fake.element_ids
    assert await provider.ensure_elements(spec("kling-v3", subjects=(mia,))) == ids
    bob = _subject("bob", "777")
    assert await provider.ensure_elements(spec("kling-v3", subjects=(bob,))) == {"bob": "777"}
    assert fake.elements_created == 1
    avatar = spec("kling-avatar-pro", mode=Mode.AVATAR, subjects=(_subject("ann"),))
    assert await provider.ensure_elements(avatar) == {}, "an avatar's portrait goes as an image"
    created = next(r.json for r in fake.requests if r.path.endswith("advanced-custom-elements"))
    assert created["element_image_list"] == {
        "frontal_image": "https://img/mia0.png",
        "refer_images": [{"image_url": "https://img/mia1.png"}],
    }


async def test_an_element_takes_the_other_views_and_one_image_is_refused_before_any_call(fake, client):
    # Kling's element doc: frontal_image plus 1 to 3 refer_images, other views than the front
    four = _subject("mia", images=5)
    body = element_body(four)["element_image_list"]
    assert body["frontal_image"] == "https://img/mia0.png"
    assert [r["image_url"] for r in body["refer_images"]] == [f"https://img/mia{i}.png" for i in (1, 2, 3)]
    provider = keyed(client, fake)
    lone = spec("kling-v3", prompt="{solo} waves", subjects=(_subject("solo"),))
    refused = provider.refusal(lone)
    assert "has one image" in refused and "/video subject add solo FRONT_URL OTHER_URL" in refused
    with pytest.raises(errors.BadRequest, match="has one image"):
        element_body(_subject("solo"))
    # a subject whose element exists already, or a route without elements, is not refused
    assert provider.refusal(spec("kling-v3", subjects=(_subject("solo", "777"),))) is None
    assert provider.refusal(spec("kling-avatar-pro", Mode.AVATAR, subjects=(_subject("solo"),))) is None
    assert fake.requests == []
    # the stand-in refuses a reference that repeats the front, as Kling's rule reads
    same = {"frontal_image": "https://img/a.png", "refer_images": [{"image_url": "https://img/a.png"}]}
    with pytest.raises(Reject, match="differ from the frontal"):
        check_element({"element_name": "a", "element_description": "a", "reference_type": "image_refer",
                       "element_image_list": same})  # fmt: skip


async def test_submit_with_subjects_creates_elements_then_omni(fake, client):
    provider = keyed(client, fake)
    s = spec("kling-o1", prompt="{mia} on a roof", subjects=(_subject("mia", images=2),))
    _, status = await run_to_end(provider, s)
    assert status.state is TaskState.SUCCEEDED
    route, body = fake.creates[0]
    assert route == "omni-video" and body["prompt"] == "<<<element_1>>> on a roof"
    assert fake.elements_created == 1


async def test_element_wait_is_bounded(fake, client):
    fake.element_polls = 10**6
    provider = KlingProvider(
        client, base_url=fake.url, api_key=fake.api_key, element_poll_seconds=0, element_wait_seconds=0.005
    )
    with pytest.raises(errors.Timeout) as info:
        await provider.ensure_elements(spec("kling-v3", subjects=(_subject("mia", images=2),)))
    assert "mia" in info.value.message


async def test_avatar_with_script_goes_through_tts(fake, client, tmp_path):
    provider = keyed(client, fake)
    portrait = SubjectRef(name="ana", description="", images=(MediaRef(url="https://img/ana.png"),))
    s = spec("kling-avatar-pro", Mode.AVATAR, prompt="", subjects=(portrait,), script="Hello team")
    task_id, status = await run_to_end(provider, s)
    assert task_id.startswith("avatar/image2video:") and status.state is TaskState.SUCCEEDED
    assert [r.path for r in fake.requests][:2] == ["/v1/audio/tts", "/v1/videos/avatar/image2video"]
    assert fake.tts_calls[0]["text"] == "Hello team"
    assert fake.creates[0][1]["audio_id"] in fake.audio_ids
    assert await provider.download(task_id, status, tmp_path / "a.mp4") > 0


async def test_bare_task_id_uses_the_spec_route(fake, client):
    provider = keyed(client, fake)
    s = spec("kling-2.6-pro", Mode.IMAGE, image=MediaRef(url="https://img/a.png"))
    task_id = await provider.submit(s)
    bare = task_id.split(":", 1)[1]
    assert (await provider.status(bare, s)).state is TaskState.RUNNING


async def test_callback_from_standin_parses(fake, client):
    received: list[tuple[dict, dict]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((await request.json(), dict(request.headers)))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/webhooks/kling", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/webhooks/kling"
    try:
        task_id = await keyed(client, fake).submit(spec(external_id="take-3", callback_url=url))
        bare = task_id.split(":", 1)[1]
        fake.complete(bare)
        secret = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
        assert await fake.send_callback(bare, secret=secret) == 200
    finally:
        await runner.cleanup()
    body, headers = received[0]
    assert callback_ids(body) == (bare, "take-3")
    assert headers["webhook-signature"].startswith("v1,")


def test_standin_signs_callbacks_like_the_vendor_test_vector():
    from tests.fakes.kling import sign_webhook

    raw = b'{"id":"1234567890","status":"succeeded","message":"","create_time":1781080778802,"update_time":1781080794151}'
    headers = sign_webhook(
        raw, "whsec_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0MTI=", msg_id="9876543210", timestamp=1781080794
    )
    assert headers["webhook-signature"] == "v1,UsKlJP00XoQyOn410NM9xv34sP+Gl0jnOO9Lcpr7NJ4="
    assert headers["webhook-id"] == "9876543210" and headers["webhook-timestamp"] == "1781080794"
