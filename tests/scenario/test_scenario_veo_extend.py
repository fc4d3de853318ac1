"""Issue 12 (5): Veo 3.1 extensions (`extend …` / `next shot …` on a Veo version) and subjects as
Veo reference images, on the Gemini API and the AI/ML API: signed requests in, the stand-ins'
recorded bodies checked field by field, a real MP4 in the thread, refusals before any call."""

from __future__ import annotations

import base64

from tests.fakes.aimlapi import FakeAimlApi
from tests.fakes.gemini import FakeGemini
from tests.fakes.media_server import MediaServer
from tests.harness import running_bot
from tests.scenario.test_scenario_backends import aiml_env, deliver
from tests.scenario.test_scenario_subjects import ask
from tests.scenario.test_scenario_threads import CHANNEL, reply, uploads
from tests.scenario.test_scenario_veo import creates, gemini_env


async def test_extend_a_veo_version_on_the_gemini_api_continues_its_own_file(tmp_path, slack):
    async with FakeGemini() as fake, running_bot(tmp_path, slack, **gemini_env(fake)) as bot:
        job, _ = await deliver(bot, slack, "a lighthouse at dusk --model veo-3.1 --seconds 8 --res 1080p")
        v1 = (await bot.takes(job["id"]))[0]
        card_ts = slack.messages[CHANNEL][0]["ts"]
        await reply(bot, card_ts, "next shot: the beam sweeps over the sea")
        extension = await bot.wait_job(("delivered", "failed"), job_index=1)
        assert extension["state"] == "delivered", extension["error"]
        await bot.settle()
        assert extension["kind"] == "extend" and extension["model"] == "veo-3.1"
        assert extension["backend"] == "gemini" and extension["parent_take_id"] == v1["id"]
        create = creates(fake)[-1]
        assert create.path == "/v1beta/models/veo-3.1-generate-001:predictLongRunning"
        assert create.json == {
            "instances": [{"prompt": "the beam sweeps over the sea", "video": {"uri": v1["result_url"]}}],
            "parameters": {"sampleCount": 1, "resolution": "720p"},
        }
        done = uploads(slack)
        assert [u["thread_ts"] for u in done] == [card_ts, card_ts]
        assert "extend of v1" in done[1]["initial_comment"]


async def test_subjects_are_veo_reference_images_on_the_gemini_api(tmp_path, slack):
    async with (
        FakeGemini() as fake,
        MediaServer() as media,
        running_bot(tmp_path, slack, **gemini_env(fake)) as bot,
    ):
        await ask(bot, slack, f"subject add maya {media.url('/img/800x1000.png')} -- red coat")
        await ask(bot, slack, f"subject add leo {media.url('/img/700x700.png')}")
        await deliver(bot, slack, "{maya} and {leo} walk along the pier --model veo-3.1", job_index=0)
        pier = media.url("/img/1280x720.png")
        await deliver(bot, slack, f"{{maya}} on this pier --model veo-3.1 --image {pier}", job_index=1)
        create, with_image = creates(fake)
        instance = create.json["instances"][0]
        assert instance["prompt"] == "maya (red coat) and leo walk along the pier"
        refs = instance["referenceImages"]
        assert [r["referenceType"] for r in refs] == ["asset", "asset"]
        assert [r["image"]["mimeType"] for r in refs] == ["image/png", "image/png"]
        # --image with subjects is one more reference image, not the first frame
        second = with_image.json["instances"][0]
        assert "image" not in second and len(second["referenceImages"]) == 2
        assert base64.b64decode(refs[0]["image"]["bytesBase64Encoded"]).startswith(b"\x89PNG")
        assert create.json["parameters"]["durationSeconds"] == 8
        assert create.json["parameters"]["aspectRatio"] == "16:9"


async def test_veo_subject_refusals_before_any_call(tmp_path, slack):
    async with (
        FakeGemini() as fake,
        MediaServer() as media,
        running_bot(tmp_path, slack, **gemini_env(fake)) as bot,
    ):
        for name in ("maya", "leo", "ana"):
            await ask(bot, slack, f"subject add {name} {media.url('/img/800x1000.png')}")
        image = media.url("/img/1280x720.png")
        for text, expected in [
            ("{maya} waves --model veo-3.1 --seconds 4", "only at 8 s 16:9"),
            ("{maya} waves --model veo-3.1 --aspect 9:16", "only at 8 s 16:9"),
            (f"{{maya}} {{leo}} {{ana}} wave --model veo-3.1 --image {image}", "up to 3 reference images"),
        ]:
            assert expected in await ask(bot, slack, text), text
        assert creates(fake) == [] and await bot.jobs() == []


async def test_veo_extension_and_reference_images_on_the_aimlapi_gateway(tmp_path, slack):
    async with (
        FakeAimlApi(polls_to_finish=1) as fake,
        MediaServer() as media,
        running_bot(tmp_path, slack, **aiml_env(fake)) as bot,
    ):
        job, _ = await deliver(bot, slack, "a harbour at dawn --model veo-3.1-fast --seconds 8", job_index=0)
        v1 = (await bot.takes(job["id"]))[0]
        card_ts = slack.messages[CHANNEL][0]["ts"]
        await reply(bot, card_ts, "extend the gulls take off")
        extension = await bot.wait_job(("delivered", "failed"), job_index=1)
        assert extension["state"] == "delivered", extension["error"]
        await ask(bot, slack, f"subject add maya {media.url('/img/800x1000.png')} -- red coat")
        await deliver(bot, slack, "{maya} waves from the boat --model veo-3.1", job_index=2)
        refused = await ask(bot, slack, "{maya} waves --model veo-3.1-fast")
        _t2v, extend, reference = fake.created()
        assert extend == {
            "model": "google/veo3-1-fast-extend-video",
            "prompt": "the gulls take off",
            "aspect_ratio": "16:9",
            "generate_audio": True,
            "video_url": v1["result_url"],
        }
        assert reference["model"] == "google/veo-3.1-reference-to-video"
        assert reference["prompt"] == "maya (red coat) waves from the boat"
        assert reference["duration"] == 8 and len(reference["image_urls"]) == 1
        assert reference["image_urls"][0].startswith("data:image/png;base64,")
        # the gateway has no fast reference id: refused at once with what to use, before a job exists
        assert "takes no reference images" in refused and "veo-3.1 for subjects" in refused
        assert len(await bot.jobs()) == 3 and len(fake.created()) == 3


async def test_negative_prompt_on_the_gateway_only_where_the_veo_id_takes_it(tmp_path, slack):
    # the AI/ML API's Veo image-to-video and first+last-frame schemas have no negative_prompt
    async with (
        FakeAimlApi(polls_to_finish=1) as fake,
        MediaServer() as media,
        running_bot(tmp_path, slack, **aiml_env(fake)) as bot,
    ):
        image = media.url("/img/1280x720.png")
        refused = await ask(
            bot, slack, f'a harbour at dawn --model veo-3.1 --image {image} --negative "text"'
        )
        assert "takes no negative prompt" in refused and "drop --negative" in refused
        assert await bot.jobs() == [] and fake.created() == []
        await deliver(bot, slack, 'a harbour at dawn --model veo-3.1 --negative "text"', job_index=0)
        (t2v,) = fake.created()
        assert t2v["model"] == "google/veo-3.1-t2v" and t2v["negative_prompt"] == "text"
