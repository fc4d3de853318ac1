"""Issue 12 end to end: multi-shot stories, motion control and 4K, from a signed /video to a real
MP4 in the thread, with the stand-in's recorded bodies checked field by field on each backend that
serves them, and the refusals that come before any provider call."""

from __future__ import annotations

from tests.fakes.aimlapi import FakeAimlApi
from tests.fakes.kling import FakeKling
from tests.fakes.media_server import MediaServer, video_file
from tests.harness import running_bot
from tests.scenario.test_scenario_backends import CHANNEL, aiml_env, deliver, kling_env
from tests.scenario.test_scenario_subjects import ask

STORY = "3s: wide shot of a harbour at dawn // 2s: a gull takes off from the pier"


async def _card_and_caption(bot, slack, job) -> tuple[str, str]:
    card_ts = (await bot.dailies.store.run(lambda db: db["shots"].get(job["shot_id"])))["card_ts"]
    caption = next(
        c.params["initial_comment"]
        for c in slack.calls_to("files.completeUploadExternal")
        if f"job J{job['id']}" in c.params["initial_comment"]
    )
    return str(slack.message(CHANNEL, card_ts)["blocks"]), caption


async def test_multi_shot_on_kling_direct_card_caption_and_again(tmp_path, slack):
    async with FakeKling(polls_to_finish=1) as fake, running_bot(tmp_path, slack, **kling_env(fake)) as bot:
        job, _ = await deliver(bot, slack, f"{STORY} --model kling-v3")
        route, body = fake.creates[0]
        assert route == "text2video" and body["prompt"] == f"{STORY}"  # required; Kling ignores it
        assert (body["model_name"], body["mode"], body["duration"]) == ("kling-v3", "std", "5")
        assert body["multi_shot"] is True and body["shot_type"] == "customize"
        assert body["multi_prompt"] == [
            {"index": 1, "prompt": "wide shot of a harbour at dawn", "duration": "3"},
            {"index": 2, "prompt": "a gull takes off from the pier", "duration": "2"},
        ]
        blocks, caption = await _card_and_caption(bot, slack, job)
        assert "Shot 1 · 3s · wide shot of a harbour at dawn" in blocks
        assert "Shot 2 · 2s · a gull takes off from the pier" in caption
        take = (await bot.takes(job["id"]))[0]
        card_ts = (await bot.dailies.store.run(lambda db: db["shots"].get(job["shot_id"])))["card_ts"]
        await bot.action(
            "another_take", f"{job['shot_id']}:take:{take['id']}", channel_id=CHANNEL, user_id="U0ALICE",
            message_ts=card_ts,
        )  # fmt: skip
        again = await bot.wait_job(("delivered", "failed"), job_index=1)
        assert again["state"] == "delivered" and again["kind"] == "again"
        assert fake.creates[1][1]["multi_prompt"] == body["multi_prompt"]


async def test_multi_shot_on_the_aimlapi_gateway(tmp_path, slack):
    async with FakeAimlApi(polls_to_finish=1) as fake, running_bot(tmp_path, slack, **aiml_env(fake)) as bot:
        await deliver(bot, slack, f"{STORY} --model kling-v3-pro --seconds 5")
        (body,) = fake.created()
        assert body["model"] == "klingai/video-v3-pro-text-to-video" and "prompt" not in body
        assert body["multi_prompt"] == [
            "wide shot of a harbour at dawn, 3 seconds.",
            "a gull takes off from the pier, 2 seconds.",
        ]
        assert body["shot_type"] == "customize" and body["duration"] == 5


async def test_multi_shot_and_4k_refusals_before_any_call(tmp_path, slack):
    async with FakeKling() as fake, running_bot(tmp_path, slack, **kling_env(fake)) as bot:
        for text, expected in [
            (f"{STORY} --model kling-v3 --seconds 8", "add up to 5 s (3s + 2s) but --seconds is 8"),
            (f"{STORY} --model kling-o1", "renders one shot"),
            ("a cat --model kling-v3-pro --res 4k", "kling-v3-pro renders 1080p; you asked for 4k"),
        ]:
            status, body = await bot.command(text)
            assert status == 200 and expected in body, (text, body)
        assert fake.creates == [] and await bot.jobs() == []


async def test_4k_on_kling_v3_and_omni(tmp_path, slack):
    async with FakeKling(polls_to_finish=1) as fake, running_bot(tmp_path, slack, **kling_env(fake)) as bot:
        job, _ = await deliver(
            bot, slack, "a glacier at noon --model kling-v3 --res 4k --seconds 5", job_index=0
        )
        assert job["estimate_usd"] == 2.10  # 5 s x $0.42
        await deliver(bot, slack, "a glacier at noon --model kling-v3-omni --res 4k --seconds 5", job_index=1)
        (r1, b1), (r2, b2) = fake.creates
        assert (r1, b1["model_name"], b1["mode"]) == ("text2video", "kling-v3", "4k")
        assert (r2, b2["model_name"], b2["mode"]) == ("omni-video", "kling-v3-omni", "4k")


async def test_motion_control_on_kling_direct(tmp_path, slack):
    async with (
        FakeKling(polls_to_finish=1) as fake,
        MediaServer() as media,
        running_bot(tmp_path, slack, **kling_env(fake)) as bot,
    ):
        moves, image = media.url("/video/8s_640x360.mp4"), media.url("/img/720x1280.png")
        job, _ = await deliver(
            bot,
            slack,
            f"she dances in a sunlit studio --model kling-2.6-pro --motion {moves} --image {image} --no-audio",
        )
        route, body = fake.creates[0]
        assert route == "motion-control"
        assert body["model_name"] == "kling-v2-6" and body["mode"] == "pro"
        assert body["image_url"] == image and body["video_url"] == moves
        assert body["character_orientation"] == "video" and body["keep_original_sound"] == "no"
        assert body["prompt"] == "she dances in a sunlit studio"
        assert not {"duration", "aspect_ratio"} & set(body)
        assert job["estimate_usd"] == 0.9  # the reference's 8 s x $0.112
        blocks, _ = await _card_and_caption(bot, slack, job)
        assert "performs the moves of `8s_640x360.mp4` (8.0 s)" in blocks
        polls = [r.path for r in fake.requests if r.method == "GET" and "motion-control/" in r.path]
        assert polls, "polled on its own route"


async def test_motion_control_on_the_aimlapi_gateway_picks_the_listed_id(tmp_path, slack):
    async with FakeAimlApi(polls_to_finish=1) as fake, MediaServer() as media:
        fake.retire_models({"klingai/video-v2-6-motion-control"})  # this gateway lists the -pro- id
        async with running_bot(tmp_path, slack, **aiml_env(fake)) as bot:
            moves, image = media.url("/video/4s_640x360.mp4"), media.url("/img/720x1280.png")
            await deliver(
                bot, slack, f"dance --model kling-2.6-pro --motion {moves} --image {image} --orient image"
            )
            body = fake.created()[-1]
            assert body == {
                "model": "klingai/video-v2-6-pro-motion-control", "prompt": "dance", "keep_audio": True,
                "image_url": image, "video_url": moves, "character_orientation": "image", "mode": "pro",
            }  # fmt: skip


async def test_motion_control_refusals(tmp_path, slack):
    async with (
        FakeKling() as fake,
        MediaServer() as media,
        running_bot(tmp_path, slack, **kling_env(fake)) as bot,
    ):
        image = media.url("/img/720x1280.png")
        cases = [
            (f"dance --model kling-v3 --motion {media.url('/video/2s_640x360.mp4')} --image {image}", "between 3 and 30 s"),
            (f"dance --model kling-v3 --motion {media.url('/video/12s_640x360.mp4')} --image {image} --orient image", "between 3 and 10 s"),
            (f"dance --model kling-v3 --motion {media.url('/video/4s_320x180.mp4')} --image {image}", "between 340 and 3850 px"),
            (f"dance --model kling-v3 --motion {media.url('/page.html')} --image {image}", ""),
            (f"dance --model sora-2 --motion {media.url('/video/4s_640x360.mp4')} --image {image}", "has no motion control"),
        ]  # fmt: skip
        for text, expected in cases:
            before = slack.count("response_url")
            status, body = await bot.command(text)
            if expected not in body or not expected:
                await slack.wait_for(lambda b=before: slack.count("response_url") > b)
                body = slack.calls_to("response_url")[-1].params["text"]
            assert expected in body and fake.creates == [], (text, body)
        # an attached Slack video can't be fetched by Kling: it says what to do instead
        file = slack.add_file(
            "F0MOVES", video_file(4, 640, 360).read_bytes(), name="moves.mp4", mimetype="video/mp4"
        )
        from tests.fakes.slack_requests import app_mention_event

        await bot.event(
            app_mention_event(f"<@UBOT> dance --model kling-v3 --image {image}", channel=CHANNEL, user="U0ALICE",
                              ts="1700000100.000100", files=[file])
        )  # fmt: skip
        await slack.wait_for(lambda: any("public link" in str(c.params) for c in slack.calls))
        assert fake.creates == [] and all(j["state"] != "delivered" for j in await bot.jobs())
        assert not any("video/2s" in r.path or "12s" in r.path for r in fake.requests)


async def test_kling_v3_omni_with_a_reference_video_takes_no_sound_of_its_own(tmp_path, slack):
    # Kling's 3.0 Omni doc: with a feature (or base) video, audio only off
    async with (
        FakeKling(polls_to_finish=1) as fake,
        MediaServer() as media,
        running_bot(tmp_path, slack, **kling_env(fake)) as bot,
    ):
        move = media.url("/video/5s_640x360.mp4")
        ask_for = f"the same crane move over a harbour --model kling-v3-omni --seconds 5 --video {move}"
        refused = await ask(bot, slack, f"{ask_for} --audio", channel=CHANNEL)
        assert "audio must be off" in refused and "without --audio" in refused
        assert await bot.jobs() == [] and fake.creates == []
        await deliver(bot, slack, ask_for, job_index=0)
        ((route, body),) = fake.creates
        assert route == "omni-video" and body["sound"] == "off"
        assert body["video_list"][0]["refer_type"] == "feature"
