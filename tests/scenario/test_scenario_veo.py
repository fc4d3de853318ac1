"""Issue 12, Veo 3.1 and the final-model preference: signed /video in, the Gemini API or AI/ML API
stand-in's recorded bodies checked field by field, a real MP4 into the thread; the final render
prefers Sora 2 Pro only where a backend is known to serve it, then Veo 3.1, then Kling 3.0 Pro."""

from __future__ import annotations

import base64

from tests.fakes.aimlapi import FakeAimlApi
from tests.fakes.gemini import FakeGemini
from tests.fakes.kling import FakeKling
from tests.fakes.media_server import MediaServer, png_bytes
from tests.harness import running_bot
from tests.scenario.test_scenario_backends import CHANNEL, aiml_env, deliver, kling_env


def gemini_env(fake: FakeGemini) -> dict[str, str]:
    return {"GEMINI_API_KEY": fake.api_key, "GEMINI_BASE_URL": fake.base_url}


def creates(fake: FakeGemini) -> list:
    return [r for r in fake.requests if r.method == "POST"]


async def test_veo_on_the_gemini_api_text_to_video(tmp_path, slack):
    async with FakeGemini() as fake, running_bot(tmp_path, slack, **gemini_env(fake)) as bot:
        job, _ = await deliver(
            bot,
            slack,
            'a slow dolly-in on a lighthouse at dusk --model veo-3.1 --seconds 6 --aspect 9:16 --negative "text"',
        )
        assert job["backend"] == "gemini" and job["estimate_usd"] == 2.40  # 6 s x $0.40
        (create,) = creates(fake)
        assert create.path == "/v1beta/models/veo-3.1-generate-001:predictLongRunning"
        assert create.headers["x-goog-api-key"] == fake.api_key
        assert create.json == {
            "instances": [{"prompt": "a slow dolly-in on a lighthouse at dusk"}],
            "parameters": {
                "sampleCount": 1,
                "durationSeconds": 6,
                "aspectRatio": "9:16",
                "resolution": "720p",
                "negativePrompt": "text",
            },
        }
        polls = [r for r in fake.requests if "/operations/" in r.path]
        assert polls and all(r.headers["x-goog-api-key"] == fake.api_key for r in polls)
        assert fake.downloads == 1


async def test_veo_first_and_last_frame_go_inline(tmp_path, slack):
    async with (
        FakeGemini() as fake,
        MediaServer() as media,
        running_bot(tmp_path, slack, **gemini_env(fake)) as bot,
    ):
        first, last = media.url("/img/1280x720.png"), media.url("/img/1280x721.png")
        await deliver(
            bot,
            slack,
            f"the door opens --model veo-3.1-fast --seconds 8 --res 1080p --image {first} --end-image {last}",
        )
        instance = creates(fake)[0].json["instances"][0]
        assert base64.b64decode(instance["image"]["bytesBase64Encoded"]) == png_bytes(1280, 720)
        assert base64.b64decode(instance["lastFrame"]["bytesBase64Encoded"]) == png_bytes(1280, 721)
        assert instance["image"]["mimeType"] == instance["lastFrame"]["mimeType"] == "image/png"
        assert creates(fake)[0].json["parameters"]["resolution"] == "1080p"
        assert creates(fake)[0].path.endswith("/veo-3.1-fast-generate-001:predictLongRunning")


async def test_veo_refusals_before_any_call(tmp_path, slack):
    async with FakeGemini() as fake, running_bot(tmp_path, slack, **gemini_env(fake)) as bot:
        for text, expected in [
            ("a cat --model veo-3.1 --seconds 5", "4, 6 or 8 seconds"),
            ("a cat --model veo-3.1 --res 1080p --seconds 4", "1080p only at 8 seconds"),
            ("a cat --model veo-3.1 --no-audio", "always renders sound"),
            ("a cat --model veo-3.1 --aspect 1:1", "16:9 or 9:16"),
            ("a cat --model veo-3.1 --end-image https://example.com/x.png", "add the first one with --image"),
        ]:
            status, body = await bot.command(text)
            assert status == 200 and expected in body, (text, body)
        assert creates(fake) == [] and await bot.jobs() == []


async def test_veo_on_the_aimlapi_gateway(tmp_path, slack):
    async with (
        FakeAimlApi(polls_to_finish=1) as fake,
        MediaServer() as media,
        running_bot(tmp_path, slack, **aiml_env(fake)) as bot,
    ):
        await deliver(bot, slack, "a lighthouse at dusk --model veo-3.1 --seconds 8 --res 1080p", job_index=0)
        image, last = media.url("/img/1280x720.png"), media.url("/img/1280x721.png")
        await deliver(
            bot,
            slack,
            f"the door opens --model veo-3.1-fast --seconds 4 --image {image} --end-image {last}",
            job_index=1,
        )
        t2v, first_last = fake.created()
        assert t2v == {
            "model": "google/veo-3.1-t2v",
            "prompt": "a lighthouse at dusk",
            "duration": 8,
            "aspect_ratio": "16:9",
            "resolution": "1080p",
            "generate_audio": True,
        }
        assert first_last["model"] == "google/veo-3.1-first-last-image-to-video-fast"
        assert first_last["image_url"] == image and first_last["last_image_url"] == last
        assert first_last["duration"] == 4


async def _press_final(bot, job) -> None:
    take = (await bot.takes(job["id"]))[0]
    card_ts = (await bot.dailies.store.run(lambda db: db["shots"].get(job["shot_id"])))["card_ts"]
    await bot.action(
        "final_render", f"{job['shot_id']}:take:{take['id']}", channel_id=CHANNEL, user_id="U0ALICE",
        message_ts=card_ts,
    )  # fmt: skip


async def _final(bot, slack, job) -> dict:
    await _press_final(bot, job)
    final = await bot.wait_job(("delivered", "failed"), job_index=1)
    await bot.settle()
    return final


async def test_final_render_skips_a_model_the_gateway_no_longer_lists(tmp_path, slack):
    """Only the AI/ML API, whose model list (read at start) has no Sora 2 Pro: the final is Veo 3.1
    there, at the nearest length Veo takes, and the card says which model it used and why."""
    async with FakeAimlApi(polls_to_finish=1) as fake:
        fake.retire_models({"sora-2-pro"})  # off the gateway's list before Dailies starts
        async with running_bot(tmp_path, slack, **aiml_env(fake)) as bot:
            job, _ = await deliver(bot, slack, "a harbour at dawn --model kling-v3 --seconds 5")
            final = await _final(bot, slack, job)
            assert final["state"] == "delivered" and final["model"] == "veo-3.1" and final["kind"] == "final"
            assert not any("sora" in body["model"] for body in fake.created())
            body = fake.created()[-1]
            assert (
                body["model"] == "google/veo-3.1-t2v"
                and body["duration"] == 4
                and body["resolution"] == "720p"
            )
            card_ts = (await bot.dailies.store.run(lambda db: db["shots"].get(job["shot_id"])))["card_ts"]
            blocks = str(slack.message(CHANNEL, card_ts)["blocks"])
            assert "Rendered at 4 s" in blocks and "the draft was 5 s" in blocks
            # which model the final used, and why not the one before it in the preference
            assert "final* (on veo-3.1: sora-2-pro is unavailable since" in blocks


async def test_final_render_prefers_sora_where_the_gateway_lists_it_and_not_after_it_retired(tmp_path, slack):
    async with FakeAimlApi(polls_to_finish=1) as fake, running_bot(tmp_path, slack, **aiml_env(fake)) as bot:
        assert await bot.dailies.providers["aimlapi"].check() == []  # the startup check reads the list
        job, _ = await deliver(bot, slack, "a harbour at dawn --model kling-v3 --seconds 4")
        final = await _final(bot, slack, job)
        assert final["model"] == "sora-2-pro" and fake.created()[-1]["model"] == "openai/sora-2-pro-t2v"
        fake.retire_models({"sora-2-pro"})
        await _press_final(bot, job)
        failed = await bot.wait_job(("delivered", "failed"), job_index=2)
        assert failed["state"] == "failed"  # answered "Model is deprecated" once…
        await _press_final(bot, job)
        again = await bot.wait_job(("delivered", "failed"), job_index=3)
        assert again["model"] == "veo-3.1" and again["state"] == "delivered"  # …so never preferred again


async def test_final_render_on_kling_direct_without_veo_is_kling_v3_pro(tmp_path, slack):
    async with FakeKling(polls_to_finish=1) as fake, running_bot(tmp_path, slack, **kling_env(fake)) as bot:
        job, _ = await deliver(bot, slack, "a harbour at dawn --model kling-v3 --seconds 5")
        final = await _final(bot, slack, job)
        assert final["model"] == "kling-v3-pro" and final["backend"] == "kling"
        assert fake.creates[-1][1]["mode"] == "pro" and fake.creates[-1][1]["duration"] == "5"
