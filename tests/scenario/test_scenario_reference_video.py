"""Issue 12 (3): `--video URL` (or an attached video) as a camera/style reference on the AI/ML API:
Kling O1 through the gateway's video-to-video-reference id; 3.0 Omni, which has none there, is
refused with what to do before a job exists."""

from __future__ import annotations

from tests.fakes.aimlapi import FakeAimlApi
from tests.fakes.media_server import MediaServer, video_file
from tests.fakes.slack_requests import app_mention_event
from tests.harness import running_bot
from tests.scenario.test_scenario_backends import aiml_env, deliver
from tests.scenario.test_scenario_threads import CHANNEL, ts


async def test_o1_takes_a_reference_video_on_the_gateway(tmp_path, slack):
    async with (
        FakeAimlApi(polls_to_finish=1) as fake,
        MediaServer() as media,
        running_bot(tmp_path, slack, **aiml_env(fake)) as bot,
    ):
        move, first = media.url("/video/5s_640x360.mp4"), media.url("/img/1280x720.png")
        job, _ = await deliver(
            bot,
            slack,
            f"the same crane move over a harbour --model kling-o1 --seconds 5 --video {move}",
            job_index=0,
        )
        assert job["request"]["reference_video"]["seconds"] == 5.0
        await deliver(
            bot,
            slack,
            f"a boat leaves --model kling-o1 --seconds 10 --video {move} --image {first}",
            job_index=1,
        )
        text_only, with_frame = fake.created()
        assert text_only == {
            "model": "klingai/video-o1-video-to-video-reference",
            "prompt": "the same crane move over a harbour",
            "duration": 5,
            "aspect_ratio": "16:9",
            "keep_audio": False,
            "video_url": move,
        }
        assert with_frame["model"] == "klingai/video-o1-video-to-video-reference"
        assert with_frame["video_url"] == move and with_frame["image_list"] == [first]
        assert with_frame["duration"] == 10 and "image_url" not in with_frame


async def test_an_attached_reference_video_goes_to_the_gateway_as_the_file_itself(tmp_path, slack):
    async with FakeAimlApi(polls_to_finish=1) as fake, running_bot(tmp_path, slack, **aiml_env(fake)) as bot:
        clip = slack.add_file(
            "F0MOVE", video_file(5, 640, 360).read_bytes(), name="move.mp4", mimetype="video/mp4"
        )
        await bot.event(
            app_mention_event(
                "a slow push-in on a lighthouse --model kling-o1 --seconds 5",
                channel=CHANNEL,
                user="U0ALICE",
                ts=ts(),
                files=[clip],
            )  # fmt: skip
        )
        job = await bot.wait_job(("delivered", "failed"))
        assert job["state"] == "delivered", job["error"]
        (body,) = fake.created()
        assert body["model"] == "klingai/video-o1-video-to-video-reference"
        assert body["video_url"].startswith("data:video/mp4;base64,")


async def test_omni_reference_video_on_the_gateway_is_refused_with_what_to_do(tmp_path, slack):
    async with (
        FakeAimlApi(polls_to_finish=1) as fake,
        MediaServer() as media,
        running_bot(tmp_path, slack, **aiml_env(fake)) as bot,
    ):
        move = media.url("/video/5s_640x360.mp4")
        await bot.command(f"the same move --model kling-v3-omni --seconds 5 --video {move}")
        # told at once, privately, with what to do; no job, no card, nothing sent to the gateway
        await slack.wait_for(lambda: slack.count("response_url") >= 1, timeout=20)
        said = slack.calls_to("response_url")[-1].params["text"]
        assert "takes no reference video" in said and "--model kling-o1" in said
        assert await bot.jobs() == [] and slack.count("chat.postMessage") == 0
        assert fake.created() == [], "nothing reached the gateway, nothing was spent"
