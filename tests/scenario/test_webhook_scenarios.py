"""Issue 3, provider webhooks in HTTP mode: a signed callback only triggers a status fetch, a bad
signature is 401 with no state change, an unknown task is 200 and ignored."""

from __future__ import annotations

import asyncio
import base64
import json
import time

import httpx

from bot.providers.webhooks import sign_standard_webhook
from tests.fakes.kling import FakeKling
from tests.fakes.openai_videos import FakeOpenAIVideos
from tests.harness import running_bot
from tests.scenario.test_scenario_backends import kling_env, openai_env

SECRET = "whsec_" + base64.b64encode(b"dailies-webhook-test-secret-0001").decode()
SLOW_POLLS = {"DAILIES_POLL_SECONDS": "30", "DAILIES_POLL_CEILING_SECONDS": "60"}
PUBLIC = "https://dailies.example.com"


async def post(url: str, body: dict, secret: str | None) -> int:
    raw = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if secret:
        headers |= sign_standard_webhook(raw, secret, msg_id="msg_test1", timestamp=int(time.time()))
    async with httpx.AsyncClient() as client:
        return (await client.post(url, content=raw, headers=headers)).status_code


async def rendering_task(bot, fake: FakeKling) -> str:
    await bot.command("a fox in the snow --model kling-v3")
    await bot.wait_job("rendering")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while not fake.tasks and loop.time() < deadline:
        await asyncio.sleep(0.05)
    (task_id,) = fake.tasks
    return task_id


async def test_signed_kling_callback_triggers_an_immediate_status_fetch(tmp_path, slack):
    async with FakeKling(polls_to_finish=1000) as fake:
        env = kling_env(fake) | SLOW_POLLS | {"KLING_WEBHOOK_SECRET": SECRET, "DAILIES_PUBLIC_URL": PUBLIC}
        async with running_bot(tmp_path, slack, **env) as bot:
            task_id = await rendering_task(bot, fake)
            assert fake.creates[0][1]["callback_url"] == f"{PUBLIC}/webhooks/kling"
            fake.complete(task_id)
            status = await fake.send_callback(task_id, url=f"{bot.url}/webhooks/kling", secret=SECRET)
            assert status == 200
            # with a 30 s poll interval only the callback can make it finish within wait_job's 20 s
            job = await bot.wait_job(("delivered", "failed"))
            assert job["state"] == "delivered", job["error"]
            assert fake.polls >= 1, "the result came from a status fetch, not from the callback body"


async def test_callback_is_only_a_hint_never_the_result(tmp_path, slack):
    async with FakeKling(polls_to_finish=1000) as fake:
        env = kling_env(fake) | SLOW_POLLS | {"KLING_WEBHOOK_SECRET": SECRET}
        async with running_bot(tmp_path, slack, **env) as bot:
            task_id = await rendering_task(bot, fake)
            forged = fake._record(fake.tasks[task_id]) | {
                "task_status": "succeed",
                "task_result": {"videos": [{"id": "x", "url": "http://127.0.0.1:9/evil.mp4"}]},
            }
            assert await post(f"{bot.url}/webhooks/kling", forged, SECRET) == 200
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 10
            while fake.polls == 0 and loop.time() < deadline:
                await asyncio.sleep(0.05)
            assert fake.polls == 1, "the callback triggered one status fetch"
            (take,) = await bot.takes()
            assert take["state"] == "rendering" and not take["result_url"]


async def test_bad_signature_is_401_and_changes_nothing(tmp_path, slack):
    async with FakeKling(polls_to_finish=1000) as fake:
        env = kling_env(fake) | SLOW_POLLS | {"KLING_WEBHOOK_SECRET": SECRET}
        async with running_bot(tmp_path, slack, **env) as bot:
            task_id = await rendering_task(bot, fake)
            fake.complete(task_id)
            record = fake._record(fake.tasks[task_id])
            wrong = "whsec_" + base64.b64encode(b"not-the-secret-not-the-secret-00").decode()
            assert await post(f"{bot.url}/webhooks/kling", record, wrong) == 401
            assert await post(f"{bot.url}/webhooks/kling", record, None) == 401
            await asyncio.sleep(0.3)  # room for a wrongly accepted callback to have polled
            assert fake.polls == 0
            (take,) = await bot.takes()
            assert take["state"] == "rendering"
            assert (await bot.jobs())[0]["state"] == "rendering"
            # the same callback, correctly signed, goes through
            assert await post(f"{bot.url}/webhooks/kling", record, SECRET) == 200
            assert (await bot.wait_job(("delivered", "failed")))["state"] == "delivered"


async def test_unknown_task_is_200_and_ignored(tmp_path, slack):
    async with FakeKling() as fake:
        env = kling_env(fake) | {"KLING_WEBHOOK_SECRET": SECRET}
        async with running_bot(tmp_path, slack, **env) as bot:
            body = {"task_id": "999999", "task_status": "succeed", "task_info": {}}
            async with httpx.AsyncClient() as client:
                raw = json.dumps(body).encode()
                headers = sign_standard_webhook(raw, SECRET, msg_id="msg_x", timestamp=int(time.time()))
                response = await client.post(f"{bot.url}/webhooks/kling", content=raw, headers=headers)
            assert response.status_code == 200 and "unknown task" in response.text
            assert await bot.jobs() == [] and fake.polls == 0


async def test_signed_openai_webhook_triggers_a_fetch(tmp_path, slack):
    async with FakeOpenAIVideos(polls_to_finish=2) as fake:
        env = openai_env(fake) | SLOW_POLLS | {"OPENAI_WEBHOOK_SECRET": SECRET}
        async with running_bot(tmp_path, slack, **env) as bot:
            await bot.command("a fox --model sora-2 --seconds 4")
            await bot.wait_job("rendering")
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 10
            while not fake.videos and loop.time() < deadline:
                await asyncio.sleep(0.05)
            (video_id,) = fake.videos
            fake.videos[video_id].polls = fake.polls_to_finish  # done at the endpoint
            event = {"id": "evt_1", "object": "event", "type": "video.completed", "data": {"id": video_id}}
            assert await post(f"{bot.url}/webhooks/openai", event, "whsec_" + "A" * 8) == 401
            assert await post(f"{bot.url}/webhooks/openai", event, SECRET) == 200
            job = await bot.wait_job(("delivered", "failed"))
            assert job["state"] == "delivered", job["error"]
            unknown = {"type": "video.completed", "data": {"id": "video_nope"}}
            assert await post(f"{bot.url}/webhooks/openai", unknown, SECRET) == 200


async def test_a_backend_that_sends_no_callbacks_has_no_webhook(bot):
    for backend in ("preview", "kling", "nothing"):  # preview only here: Kling is not configured
        assert await post(f"{bot.url}/webhooks/{backend}", {"task_id": "1"}, SECRET) == 404
    assert await bot.jobs() == []
