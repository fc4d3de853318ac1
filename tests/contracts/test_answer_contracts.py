"""Every backend answer the bot reads: the recorded examples from the owners' docs match the owners'
schemas (or our written-down Kling ones), the bot's parsers read them, and the stand-ins answer
in the same shapes."""

from __future__ import annotations

import httpx
import pytest

from bot.providers import errors
from bot.providers.aimlapi import wire as aimlapi_wire
from bot.providers.base import TaskState
from bot.providers.kling import wire as kling_wire
from bot.providers.kling.provider import task_status
from bot.providers.openai import provider as openai_wire
from tests.contracts import (
    aimlapi_status_schema,
    fixture,
    kling_answer_validator,
    openai_validator,
    problems,
    schema_problems,
)
from tests.fakes.aimlapi import FakeAimlApi
from tests.fakes.openai_videos import FakeOpenAIVideos


@pytest.mark.parametrize(
    "name, shape",
    [
        ("create", "video_task"),
        ("poll_succeed", "video_task"),
        ("poll_failed", "video_task"),
        ("tts", "tts"),
        ("element", "element"),
        ("error_1303", "error"),
    ],
)
def test_kling_answers_match_the_written_down_shapes(name, shape):
    assert problems(kling_answer_validator(shape), fixture("kling", "answers", f"{name}.json")) == []


def test_the_bot_reads_kling_answers():
    assert task_status(fixture("kling", "answers", "poll_succeed.json")["data"]).result_url
    failed = task_status(fixture("kling", "answers", "poll_failed.json")["data"])
    assert failed.state is TaskState.FAILED and isinstance(failed.error, errors.Refused)
    tts = fixture("kling", "answers", "tts.json")["data"]
    assert kling_wire.dig(tts, kling_wire.TTS_AUDIO_ID_PATH) == "audio-860000001"
    element = fixture("kling", "answers", "element.json")["data"]
    assert kling_wire.dig(element, ("task_result", "elements", 0, "element_id")) == 800100
    busy = kling_wire.envelope_error(429, fixture("kling", "answers", "error_1303.json"))
    assert isinstance(busy, errors.RateLimited)


@pytest.mark.parametrize("name", ["status_completed", "status_queued", "status_error"])
def test_aimlapi_answers_match_the_published_status_schema(name):
    assert schema_problems(aimlapi_status_schema(), fixture("aimlapi", "answers", f"{name}.json")) == []


def test_the_bot_reads_aimlapi_answers():
    done = aimlapi_wire.parse_status(fixture("aimlapi", "answers", "status_completed.json"), httpx.Headers())
    assert done.state is TaskState.SUCCEEDED and done.result_url and done.cost_usd == pytest.approx(0.84)
    refused = aimlapi_wire.parse_status(fixture("aimlapi", "answers", "status_error.json"), httpx.Headers())
    assert isinstance(refused.error, errors.Refused)
    broke = aimlapi_wire.error_for(403, fixture("aimlapi", "answers", "error_403.json"), httpx.Headers())
    assert isinstance(broke, errors.OutOfBalance)


def test_openai_answers_match_openai_openapi():
    video = fixture("openai", "answers", "video_completed.json")
    assert problems(openai_validator("VideoResource"), video) == []
    error = fixture("openai", "answers", "error_400.json")
    assert problems(openai_validator("ErrorResponse"), error) == []
    assert openai_wire.parse_video(video).state is TaskState.SUCCEEDED
    bad = openai_wire.error_for(400, error, httpx.Headers(), base_url="https://api.openai.com/v1")
    assert isinstance(bad, errors.BadRequest)


async def test_the_aimlapi_stand_in_answers_in_the_published_shape():
    async with FakeAimlApi(polls_to_finish=1) as fake, httpx.AsyncClient() as client:
        headers = {"Authorization": f"Bearer {fake.api_key}"}
        body = {"model": "klingai/video-v3-standard-text-to-video", "prompt": "a fox", "duration": 5}
        created = (
            await client.post(f"{fake.base_url}/v2/video/generations", json=body, headers=headers)
        ).json()
        for _ in range(3):
            answer = await client.get(
                f"{fake.base_url}/v2/video/generations",
                params={"generation_id": created["id"]},
                headers=headers,
            )
            assert schema_problems(aimlapi_status_schema(), answer.json()) == []


async def test_the_openai_stand_in_answers_in_the_published_shape():
    async with FakeOpenAIVideos(polls_to_finish=2) as fake, httpx.AsyncClient() as client:
        headers = {"Authorization": f"Bearer {fake.api_key}"}
        body = {"model": "sora-2", "prompt": "a fox", "seconds": "4", "size": "1280x720"}
        created = (await client.post(f"{fake.base_url}/videos", json=body, headers=headers)).json()
        assert problems(openai_validator("VideoResource"), created) == []
        for _ in range(3):
            answer = (await client.get(f"{fake.base_url}/videos/{created['id']}", headers=headers)).json()
            assert problems(openai_validator("VideoResource"), answer) == []
        refused = await client.post(f"{fake.base_url}/videos", json={**body, "seconds": "5"}, headers=headers)
        assert refused.status_code == 400
        assert problems(openai_validator("ErrorResponse"), refused.json()) == []
