"""What each backend says it can do (code outside bot.providers asks these, never a backend's name),
and the callbacks a backend verifies and parses itself."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from bot.providers.aimlapi.provider import AimlApiProvider
from bot.providers.base import Mode, RenderSpec, SourceInput
from bot.providers.kling.provider import KlingProvider
from bot.providers.openai.provider import OpenAIVideosProvider
from bot.providers.preview.provider import PreviewProvider
from bot.providers.webhooks import CallbackRejected, sign_standard_webhook

SECRET = "whsec_" + "ZGFpbGllcy1jYXBhYmlsaXR5LXRlc3Qtc2VjcmV0MDE="


@pytest.fixture
async def http():
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def preview(tmp_path):
    return PreviewProvider(tmp_path / "preview")


def signed(body: object, secret: str = SECRET) -> tuple[dict, bytes]:
    raw = json.dumps(body).encode()
    return sign_standard_webhook(raw, secret, msg_id="msg_cap", timestamp=int(time.time())), raw


def test_the_local_renderer_is_free_and_says_so_on_the_card(preview):
    assert preview.local and preview.free and preview.speaks_script and preview.whole_seconds
    assert not preview.sends_callbacks and preview.source_input is SourceInput.FILE
    assert preview.label == "preview (local renderer)"
    assert "local preview animatic" in preview.card_note("kling-v3")
    assert preview.card_note("preview") == "", "the preview model is not standing in for anything"


def test_remote_backends_cost_money_and_say_how_they_take_a_clip(http):
    kling = KlingProvider(http, base_url="https://kling.invalid", api_key="k")
    openai = OpenAIVideosProvider(http, base_url="https://openai.invalid/v1", api_key="k")
    gateway = AimlApiProvider(http, base_url="https://aiml.invalid", api_key="k")
    assert not any(p.free or p.local for p in (kling, openai, gateway))
    assert kling.source_input is SourceInput.URL and kling.result_url_seconds == 30 * 24 * 3600
    assert openai.source_input is SourceInput.OWN_TASK and not openai.edits_take_images
    assert gateway.source_input is SourceInput.URL_OR_FILE and gateway.result_url_seconds == 20 * 3600
    assert kling.speaks_script and not openai.speaks_script and not gateway.speaks_script
    assert kling.sends_callbacks and openai.sends_callbacks and not gateway.sends_callbacks
    assert (kling.card_note("kling-v3"), kling.label) == ("", "")


def test_kling_verifies_then_parses_its_callback(http):
    kling = KlingProvider(http, base_url="https://kling.invalid", api_key="k", webhook_secret=SECRET)
    headers, raw = signed({"task_id": "842", "task_status": "succeed", "task_info": {}})
    assert kling.parse_callback(headers, raw) == "842"
    headers, raw = signed({"id": "913", "status": "succeeded"})
    assert kling.parse_callback(headers, raw) == "913"
    headers, raw = signed({"status": "x"})
    assert kling.parse_callback(headers, raw) is None
    headers, raw = signed({"task_id": "842"}, secret="whsec_" + "QUFBQUFBQUFBQUFBQUFBQQ==")
    with pytest.raises(CallbackRejected) as info:
        kling.parse_callback(headers, raw)
    assert info.value.status == 401
    with pytest.raises(CallbackRejected) as info:
        kling.parse_callback({}, raw)
    assert info.value.status == 401, "an unsigned callback is refused once a secret is set"


def test_openai_parses_video_events_and_refuses_a_body_that_is_not_json(http):
    openai = OpenAIVideosProvider(http, base_url="https://o.invalid/v1", api_key="k", webhook_secret=SECRET)
    headers, raw = signed({"type": "video.completed", "data": {"id": "video_9"}})
    assert openai.parse_callback(headers, raw) == "video_9"
    headers, raw = signed({"type": "batch.completed", "data": {"id": "batch_1"}})
    assert openai.parse_callback(headers, raw) is None
    raw = b"not json"
    headers = sign_standard_webhook(raw, SECRET, msg_id="msg_x", timestamp=int(time.time()))
    with pytest.raises(CallbackRejected) as info:
        openai.parse_callback(headers, raw)
    assert info.value.status == 400


async def test_a_backend_without_callbacks_or_elements_says_so(http, preview):
    gateway = AimlApiProvider(http, base_url="https://aiml.invalid", api_key="k")
    with pytest.raises(CallbackRejected) as info:
        gateway.parse_callback({}, b"{}")
    assert info.value.status == 404
    spec = RenderSpec(model="kling-v3", mode=Mode.TEXT, prompt="a fox")
    assert await gateway.ensure_elements(spec) == {} and await preview.ensure_elements(spec) == {}
