"""Gemini Omni's answers read as task states and errors, and the provider against the Gemini
stand-in over real HTTP: what the stand-in enforces (key, fields, model prefix, whose interaction
may be continued, the expired shape) and what the provider makes of it."""

from __future__ import annotations

import base64
import dataclasses
import errno
from pathlib import Path

import httpx
import pytest

from bot.providers import errors
from bot.providers.base import Mode, RenderSpec, SourceClip, SourceInput, TaskState
from bot.providers.gemini import interactions
from bot.providers.gemini import provider as gemini_provider
from bot.providers.gemini.provider import GeminiProvider
from bot.request.catalogue import shipped_catalogue
from tests.fakes.gemini import FakeGemini

VIDEO = {"type": "video", "uri": "https://g.test/v1beta/files/a:download?alt=media", "mime_type": "video/mp4"}


@pytest.mark.parametrize(
    ("body", "state"),
    [
        ({"id": "v1_a", "status": "queued"}, TaskState.PENDING),
        ({"id": "v1_a", "status": "in_progress"}, TaskState.RUNNING),
        ({"id": "v1_a", "status": "completed", "steps": [{"type": "model_output", "content": [VIDEO]}]}, TaskState.SUCCEEDED),
        ({"id": "v1_a", "status": "completed", "outputs": [VIDEO]}, TaskState.SUCCEEDED),  # an older revision
        ({"id": "v1_a", "status": "completed", "output_video": VIDEO}, TaskState.SUCCEEDED),
    ],
)  # fmt: skip
def test_interaction_states(body, state):
    status = interactions.interaction_status(body)
    assert status.state is state
    if state is TaskState.SUCCEEDED:
        assert status.result_url == VIDEO["uri"] and status.continuation == "v1_a"


def test_completed_without_a_video_is_a_refusal_and_failures_say_why():
    blocked = {"status": "completed", "steps": [{"type": "model_output", "content": [{"type": "text", "text": "I can't make that."}]}]}  # fmt: skip
    status = interactions.interaction_status(blocked)
    assert status.state is TaskState.FAILED and isinstance(status.error, errors.Refused)
    assert "I can't make that." in status.error.message
    failed = {
        "status": "failed",
        "errors": [{"code": "https://g.test/e", "message": "blocked by safety policy"}],
    }
    assert isinstance(interactions.interaction_status(failed).error, errors.Refused)
    broke = {
        "status": "failed",
        "steps": [{"type": "model_output", "error": {"code": 13, "message": "internal"}}],
    }
    error = interactions.interaction_status(broke).error
    assert error is not None and not isinstance(error, errors.Refused) and "internal" in error.message
    assert "budget_exceeded" in interactions.interaction_status({"status": "budget_exceeded"}).error.message


def test_interaction_errors():
    gone = {"error": {"code": "invalid_request", "message": "Invalid interaction name"}}
    expired = interactions.interaction_error(400, gone, httpx.Headers(), previous="v1_a")
    assert isinstance(expired, errors.ContinuationExpired) and "v1_a" in expired.message
    # the same answer to a request that continued nothing is a bad request, not an expiry
    assert type(interactions.interaction_error(400, gone, httpx.Headers())) is errors.BadRequest
    missing = {
        "error": {"code": 404, "message": "models/gemini-omni-1.2-flash is not found", "status": "NOT_FOUND"}
    }
    assert isinstance(
        interactions.interaction_error(404, missing, httpx.Headers(), model="gemini-omni", previous="v1_a"),
        errors.ModelUnavailable,
    )
    busy = interactions.interaction_error(429, {"error": {"code": "resource_exhausted"}}, httpx.Headers())
    assert isinstance(busy, errors.RateLimited)


def _provider(client: httpx.AsyncClient, fake: FakeGemini, key: str | None = None) -> GeminiProvider:
    ids = shipped_catalogue().provider_ids("gemini")
    return GeminiProvider(client, base_url=fake.base_url, api_key=key or fake.api_key, model_ids=ids)


async def _finish(provider: GeminiProvider, task: str, spec: RenderSpec):
    for _ in range(5):
        status = await provider.status(task, spec)
        if status.done:
            return status
    raise AssertionError("the interaction never finished")


async def test_the_provider_against_the_stand_in(tmp_path):
    spec = RenderSpec(model="gemini-omni", mode=Mode.TEXT, prompt="a kite", seconds=8)
    async with FakeGemini(other_keys={"key-of-another-account"}) as fake, httpx.AsyncClient() as client:
        provider = _provider(client, fake)
        assert provider.availability("gemini-omni", Mode.EDIT).ok
        assert not provider.availability("gemini-omni", Mode.MOTION).ok
        assert provider.source_input_for("gemini-omni") is SourceInput.CONVERSATION
        assert provider.source_input_for("veo-3.1") is SourceInput.OWN_TASK
        task = await provider.submit(spec)
        status = await _finish(provider, task, spec)
        assert status.state is TaskState.SUCCEEDED and status.continuation == task
        assert await provider.download(task, status, tmp_path / "v1.mp4") > 0
        edit = RenderSpec(
            model="gemini-omni", mode=Mode.EDIT, prompt="green",
            source=SourceClip("gemini-omni", "gemini", task_id=task, continuation=task),
        )  # fmt: skip
        assert await provider.submit(edit) != task
        # another account's key cannot continue (or read) this key's interaction: the expired shape
        stranger = _provider(client, fake, key="key-of-another-account")
        with pytest.raises(errors.ContinuationExpired):
            await stranger.submit(edit)
        with pytest.raises(errors.Retryable):  # a 400 on a poll is asked again, never a result
            await stranger.status(task, spec)
        fake.expire_interaction(task)
        with pytest.raises(errors.ContinuationExpired):
            await provider.submit(edit)
        # an unknown key, and a Veo id on the Interactions API, are refused as the real API does
        with pytest.raises(errors.AuthFailed):
            await _provider(client, fake, key="wrong").submit(spec)
        # the 1.1 id renders 10 s at most: refused before any call when it is the id in use
        older = GeminiProvider(
            client,
            base_url=fake.base_url,
            api_key=fake.api_key,
            model_ids={"gemini-omni": ("gemini-omni-1.1-flash",)},
        )
        assert "3 to 10 s" in older.refusal(dataclasses.replace(spec, seconds=12))


async def test_the_stand_in_refuses_what_the_real_api_refuses():
    async with FakeGemini() as fake, httpx.AsyncClient() as client:
        url = fake.base_url + "/v1beta/interactions"
        key = {"x-goog-api-key": fake.api_key}
        good = {"model": "gemini-omni-1.1-flash", "input": "a kite", "background": True}
        answers = [
            await client.post(url, json=good),  # no key
            await client.post(url, json={**good, "model": "veo-3.1-generate-001"}, headers=key),
            await client.post(url, json={k: v for k, v in good.items() if k != "input"}, headers=key),
            await client.post(
                url, json={**good, "response_format": {"type": "video", "duration": "12s"}}, headers=key
            ),
            await client.post(url, json={**good, "previous_interaction_id": "v1_nobody"}, headers=key),
            await client.post(url, json={**good, "model": "gemini-omni-9-flash"}, headers=key),
        ]
        assert [a.status_code for a in answers] == [400, 400, 400, 400, 400, 404]
        assert answers[0].json()["error"]["status"] == "INVALID_ARGUMENT"
        assert "10s" in answers[3].json()["error"]["message"]
        assert answers[4].json() == {
            "error": {"code": "invalid_request", "message": "Invalid interaction name"}
        }
        assert (await client.post(url, json=good, headers=key)).status_code == 200
        unknown = await client.get(fake.base_url + "/v1beta/interactions/v1_nobody", headers=key)
        assert unknown.status_code == 400 and unknown.json()["error"]["message"] == "Invalid interaction name"


def test_an_inline_clip_that_does_not_fit_on_the_disk_leaves_no_partial_file(tmp_path, monkeypatch):
    """A full disk mid-write: the error goes up (the runner waits for space) and the partial file is
    removed, so it takes no room meanwhile."""

    def half_then_full(self: Path, data: bytes) -> int:
        with self.open("wb") as out:
            out.write(data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", half_then_full)
    dest = tmp_path / "clip.mp4"
    with pytest.raises(OSError) as raised:
        gemini_provider._write(base64.b64encode(b"\0" * 4096).decode(), dest)
    assert raised.value.errno == errno.ENOSPC
    assert list(tmp_path.iterdir()) == []
