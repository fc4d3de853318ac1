"""Gemini Omni on the AI/ML API, only where the gateway's model list has it: signed /video and a
thread reply in, the stand-in's recorded create bodies checked field by field against the model's
rules; an edit sends the clip itself (the gateway hands back no conversation), said on the card."""

from __future__ import annotations

from bot.providers.discovery import State
from tests.fakes.aimlapi import GEMINI_OMNI, MODELS, FakeAimlApi
from tests.fakes.media_server import MediaServer
from tests.harness import running_bot
from tests.scenario.test_scenario_backends import aiml_env, deliver
from tests.scenario.test_scenario_living_models import _until
from tests.scenario.test_scenario_provider_errors import ephemeral
from tests.scenario.test_scenario_thread_talk import card_text
from tests.scenario.test_scenario_threads import CHANNEL, reply, uploads


def _creates(fake: FakeAimlApi) -> list[dict]:
    return [r.json for r in fake.requests if r.method == "POST" and r.path == "/v2/video/generations"]


async def test_gemini_omni_delivers_on_the_ai_ml_api_where_its_list_has_it(tmp_path, slack):
    async with (
        FakeAimlApi(polls_to_finish=1) as fake,
        MediaServer() as media,
        running_bot(tmp_path, slack, **aiml_env(fake)) as bot,
    ):
        job, _ = await deliver(
            bot, slack, "a red kite rises over a beach --model gemini-omni --seconds 12 --aspect 9:16"
        )
        assert job["backend"] == "aimlapi" and job["model"] == "gemini-omni"
        assert _creates(fake) == [
            {
                "model": GEMINI_OMNI, "task": "text_to_video", "prompt": "a red kite rises over a beach",
                "duration": 12, "aspect_ratio": "9:16", "resolution": "720p",
            }
        ]  # fmt: skip
        card_ts = slack.messages[CHANNEL][0]["ts"]
        assert "starts from the clip itself" in card_text(slack, card_ts)
        frame = media.url("/img/1280x720.png")
        await deliver(
            bot, slack, f"the kite lands --model gemini-omni --seconds 6 --image {frame} --res 4k", 1
        )
        sent = _creates(fake)[-1]
        assert sent["task"] == "image_to_video" and sent["resolution"] == "4k" and sent["duration"] == 6
        assert sent["image_url"].startswith(("http", "data:image/png;base64,"))
        # refused before any call: a first frame renders at most 10 s there
        assert (await bot.command(f"a kite --model gemini-omni --seconds 12 --image {frame}"))[0] == 200
        assert "--seconds 10" in await ephemeral(slack)
        assert len(_creates(fake)) == 2 and len(await bot.jobs()) == 2
        # an edit of v1 from its thread: the clip itself, never an interaction id
        v1 = (await bot.takes(job["id"]))[0]
        await reply(bot, card_ts, "make the kite green")
        edit = await bot.wait_job(("delivered", "failed"), job_index=2)
        assert edit["state"] == "delivered", edit["error"]
        assert edit["kind"] == "edit" and edit["backend"] == "aimlapi" and edit["model"] == "gemini-omni"
        await bot.settle()
        body = _creates(fake)[-1]
        assert body["task"] == "edit" and "previous_interaction_id" not in body
        assert body["video_url"] == f"{fake.base_url}/files/{v1['provider_task_id']}_output.mp4"
        assert body["prompt"] == "make the kite green. Keep everything else the same."
        assert "duration" not in body
        assert uploads(slack)[-1]["thread_ts"] == card_ts
        # an extension likewise: the clip, 3 to 10 more seconds
        v2 = (await bot.takes(edit["id"]))[0]
        await reply(bot, card_ts, "extend the kite flies out to sea --seconds 5")
        extend = await bot.wait_job(("delivered", "failed"), job_index=3)
        assert extend["state"] == "delivered" and extend["kind"] == "extend", extend["error"]
        body = _creates(fake)[-1]
        assert body["task"] == "extend" and body["duration"] == 5
        assert body["video_url"] == f"{fake.base_url}/files/{v2['provider_task_id']}_output.mp4"


async def test_gemini_omni_is_refused_before_any_call_where_the_list_lacks_it(tmp_path, slack):
    async with FakeAimlApi(polls_to_finish=1) as fake:
        fake.set_listed(set(MODELS) - {GEMINI_OMNI})
        async with running_bot(tmp_path, slack, **aiml_env(fake)) as bot:
            aiml = bot.dailies.providers["aimlapi"]
            await _until(lambda: aiml.model_state("gemini-omni").state is State.UNAVAILABLE)
            assert (await bot.command("a red kite over a beach --model gemini-omni --seconds 8"))[0] == 200
            body = await ephemeral(slack)
            assert "`gemini-omni` can't run here" in body, body
            assert "models available here:" in body and "kling-v3-pro" in body
            assert not _creates(fake) and not await bot.jobs()
