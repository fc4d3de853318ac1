"""Issue 12 (4): lip-sync a version in its thread (`lipsync "line"` or an attached audio file) with
Kling's face identification and advanced lip-sync, and subjects' custom voices, driven the way Slack
and Kling would: signed requests in, the Kling stand-in's recorded bodies checked field by field,
a real MP4 delivered in the thread, and the refusals before any spend."""

from __future__ import annotations

import pytest

from bot.media.probe import probe_mp4
from tests.fakes.aimlapi import FakeAimlApi
from tests.fakes.kling import FakeKling
from tests.fakes.media_server import MediaServer, wav_bytes
from tests.fakes.mp4 import write_mp4
from tests.fakes.slack_requests import app_mention_event
from tests.harness import running_bot
from tests.scenario.test_scenario_subjects import ask
from tests.scenario.test_scenario_threads import CHANNEL, first_shot, reply, ts, uploads

LINE = "Welcome to the harbour, everyone."  # five words: about 2 s to say


@pytest.fixture
def clip(tmp_path):
    """A 3 s 720p clip: what the Kling stand-in renders, and what lip-sync is given to work on."""
    return write_mp4(tmp_path / "presenter.mp4", seconds=3.0, width=1280, height=720)


def kling_env(kling: FakeKling) -> dict[str, str]:
    return {"KLING_API_KEY": kling.api_key, "KLING_BASE_URL": kling.url}


async def ephemeral(slack, n: int = 1) -> str:
    await slack.wait_for(lambda: slack.count("chat.postEphemeral") >= n, timeout=20)
    return slack.calls_to("chat.postEphemeral")[n - 1].params["text"]


def lipsyncs(kling: FakeKling) -> list[dict]:
    return [body for route, body in kling.creates if route == "advanced-lip-sync"]


async def test_lipsync_line_is_a_new_version_with_its_own_card_state_and_clip(tmp_path, slack, clip):
    async with FakeKling() as kling:
        kling.result_mp4 = clip
        async with running_bot(tmp_path, slack, **kling_env(kling)) as bot:
            card_ts = await first_shot(
                bot, slack, "a presenter faces the camera --seconds 3 --model kling-v3"
            )
            v1 = (await bot.takes(1))[0]
            await reply(bot, card_ts, f'lipsync "{LINE}"')
            job = await bot.wait_job(("delivered", "failed"), job_index=1)
            assert job["state"] == "delivered", job["error"]
            await bot.settle()
            assert job["kind"] == "lipsync" and job["backend"] == "kling" and job["shot_id"] == 1
            assert job["parent_take_id"] == v1["id"] and job["request"]["script"] == LINE
            assert job["estimate_usd"] == 0.08  # one 5 s block of lip-sync, the face look-up, the TTS
            v2 = (await bot.takes(job["id"]))[0]
            assert v2["version"] == 2
            card = str(slack.message(CHANNEL, card_ts)["blocks"])
            assert "v2" in card and "lipsync of v1" in card
        # face identification on the clip Kling made, by its result URL
        assert kling.face_calls == [{"video_url": v1["result_url"]}]
        (tts,) = kling.tts_calls
        assert tts == {"text": LINE, "voice_id": "oversea_male1", "voice_language": "en", "voice_speed": 1.0}
        (body,) = lipsyncs(kling)
        (session,) = kling.face_sessions
        assert body["session_id"] == session
        (choice,) = body["face_choose"]
        assert choice["face_id"] == "0" and choice["audio_id"] in kling.audio_ids
        assert "sound_file" not in choice
        assert (choice["sound_start_time"], choice["sound_end_time"], choice["sound_insert_time"]) == (
            0,
            2000,
            0,
        )
        assert (choice["sound_volume"], choice["original_audio_volume"]) == (1, 1)
        assert body["external_task_id"].startswith("dailies-") and body["external_task_id"].endswith(
            f"-{v2['id']}"
        )
        done = uploads(slack)
        assert [u["thread_ts"] for u in done] == [card_ts, card_ts]
        assert done[1]["initial_comment"].startswith("v2 ·") and "lipsync of v1" in done[1]["initial_comment"]
        info = probe_mp4(slack.upload_path(done[1]["files"][0]["id"]))
        assert info["codec"] == "h264" and (info["width"], info["height"]) == (1280, 720)


async def test_lipsync_with_an_attached_audio_file_sends_the_sound_itself(tmp_path, slack, clip):
    async with FakeKling() as kling:
        kling.result_mp4 = clip
        async with running_bot(tmp_path, slack, **kling_env(kling)) as bot:
            card_ts = await first_shot(
                bot, slack, "a presenter faces the camera --seconds 3 --model kling-v3"
            )
            audio = slack.add_file("F0LINE", wav_bytes(2.5), name="line.wav", mimetype="audio/wav")
            await reply(bot, card_ts, "lipsync", files=[audio])
            job = await bot.wait_job(("delivered", "failed"), job_index=1)
            assert job["state"] == "delivered", job["error"]
            assert job["request"]["script"] is None and job["request"]["speech"]["seconds"] == 2.5
        assert kling.tts_calls == []
        (choice,) = lipsyncs(kling)[0]["face_choose"]
        assert "audio_id" not in choice
        # a Slack file needs our token, so Kling gets the sound itself (raw base64), cut to 2.5 s
        assert not choice["sound_file"].startswith(("http", "data:"))
        assert choice["sound_end_time"] == 2500


async def test_subject_voice_is_made_once_and_speaks_lipsyncs_and_avatars(tmp_path, slack, clip):
    async with FakeKling() as kling, MediaServer() as media:
        kling.result_mp4 = clip
        async with running_bot(tmp_path, slack, **kling_env(kling)) as bot:
            await ask(bot, slack, f"subject add maya {media.url('/img/800x1000.png')}")
            await ask(bot, slack, "subject consent maya")  # permission on record
            sample = slack.add_file("F0VOICE", wav_bytes(8.0), name="maya.wav", mimetype="audio/wav")
            await bot.event(
                app_mention_event(
                    "subject voice maya", channel=CHANNEL, user="U0ALICE", ts=ts(), files=[sample]
                )
            )
            answer = await ephemeral(slack)
            assert (
                "now has a voice (8.0 s sample)" in answer
                and "Kling direct makes voices only from a link" in answer
            )
            card_ts = await first_shot(
                bot, slack, "a presenter faces the camera --seconds 3 --model kling-v3"
            )
            # Kling's voice doc takes the sample as "the URL of voice data file": refused before any job
            await reply(bot, card_ts, f'lipsync {{maya}} "{LINE}"')
            refused = await ephemeral(slack, 2)
            assert "attached in Slack" in refused and "/video subject voice maya https://" in refused
            assert len(await bot.jobs()) == 1 and kling.voice_calls == [] and kling.tts_calls == []
            await ask(bot, slack, f"subject voice maya {media.url('/audio/6s.wav')}")
            assert kling.voice_calls == []  # made the first time a job needs it
            await reply(bot, card_ts, f'lipsync {{maya}} "{LINE}"')
            await bot.wait_job("delivered", job_index=1)
            await reply(bot, card_ts, 'v1: lipsync {maya} "Good evening from the pier."')
            await bot.wait_job("delivered", job_index=2)
            await bot.command('avatar {maya} "大家好，这里是今晚的新闻。"')
            avatar = await bot.wait_job(("delivered", "failed"), job_index=3)
            assert avatar["state"] == "delivered", avatar["error"]
            shown = await ask(bot, slack, "subject show maya")
            assert "voice: a 6.0 s sample" in shown and "made on kling" in shown
        (created,) = kling.voice_calls
        assert created == {"voice_name": "maya", "voice_url": media.url("/audio/6s.wav")}
        (voice_id,) = kling.voice_ids
        assert [c["voice_id"] for c in kling.tts_calls] == [voice_id] * 3
        # the TTS language is the voice's: a cloned voice speaks its line's language
        assert [c["voice_language"] for c in kling.tts_calls] == ["en", "en", "zh"]
        assert kling.elements_created == 0  # a voice is not an element


async def test_kling_26_image_to_video_speaks_in_the_subjects_voice(tmp_path, slack):
    async with FakeKling() as kling, MediaServer() as media:
        async with running_bot(tmp_path, slack, **kling_env(kling)) as bot:
            await ask(bot, slack, f"subject add maya {media.url('/img/800x1000.png')} -- red coat")
            await ask(bot, slack, "subject consent maya")  # permission on record
            await ask(bot, slack, f"subject voice maya {media.url('/audio/6s.wav')}")
            await bot.command(
                f"{{maya}} says hello at the harbour --model kling-2.6-pro --image {media.url('/img/1280x720.png')}"
            )
            job = await bot.wait_job(("delivered", "failed"))
            assert job["state"] == "delivered", job["error"]
        (created,) = kling.voice_calls
        assert created == {"voice_name": "maya", "voice_url": media.url("/audio/6s.wav")}
        route, body = kling.creates[-1]
        assert route == "image2video" and body["model_name"] == "kling-v2-6"
        assert body["voice_list"] == [{"voice_id": next(iter(kling.voice_ids))}]
        assert body["sound"] == "on"
        assert body["prompt"] == "maya (red coat) <<<voice_1>>> says hello at the harbour"


async def test_too_long_a_line_and_speech_longer_than_the_clip_are_refused_before_any_call(
    tmp_path, slack, clip
):
    async with FakeKling() as kling:
        kling.result_mp4 = clip
        async with running_bot(tmp_path, slack, **kling_env(kling)) as bot:
            card_ts = await first_shot(
                bot, slack, "a presenter faces the camera --seconds 3 --model kling-v3"
            )
            await reply(bot, card_ts, "lipsync " + '"' + "and " * 160 + 'done"')
            assert "takes about 64.4 s to say" in await ephemeral(slack, 1)
            await reply(
                bot, card_ts, 'lipsync "This line has rather too many words for a three second clip."'
            )
            longer = await ephemeral(slack, 2)
            assert "longer than v1 (3.0 s)" in longer and "extend" in longer
            await reply(bot, card_ts, "lipsync")
            assert "Tell me what to say" in await ephemeral(slack, 3)
            short = slack.add_file("F0SHORT", wav_bytes(1.0), name="hm.wav", mimetype="audio/wav")
            await reply(bot, card_ts, "lipsync", files=[short])
            assert "between 2 and 60 s" in await ephemeral(slack, 4)
            assert len(await bot.jobs()) == 1
        assert kling.face_calls == [] and kling.tts_calls == [] and lipsyncs(kling) == []


@pytest.mark.parametrize(
    ("faces", "said"), [([], "found no face"), ([(0, 3000), (500, 2500)], "found 2 faces")]
)
async def test_a_clip_without_exactly_one_face_fails_before_the_lipsync_is_paid(
    tmp_path, slack, clip, faces, said
):
    async with FakeKling() as kling:
        kling.result_mp4 = clip
        async with running_bot(tmp_path, slack, **kling_env(kling)) as bot:
            card_ts = await first_shot(bot, slack, "a harbour at dawn --seconds 3 --model kling-v3")
            kling.faces = faces
            await reply(bot, card_ts, f'lipsync "{LINE}"')
            job = await bot.wait_job(("delivered", "failed"), job_index=1)
            await bot.settle()
            assert job["state"] == "failed" and said in job["error"]
            take = (await bot.takes(job["id"]))[0]
            assert take["cost_usd"] in (None, 0)
        assert len(kling.face_calls) == 1
        assert kling.tts_calls == [] and lipsyncs(kling) == []  # nothing paid beyond the face look-up


async def test_lipsync_on_the_gateway_says_what_to_do_instead(tmp_path, slack):
    async with FakeAimlApi() as aiml:
        env = {"AIMLAPI_API_KEY": aiml.api_key, "AIMLAPI_BASE_URL": aiml.base_url}
        async with running_bot(tmp_path, slack, **env) as bot:
            card_ts = await first_shot(
                bot, slack, "a presenter faces the camera --seconds 5 --model kling-v3"
            )
            await reply(bot, card_ts, f'lipsync "{LINE}"')
            answer = await ephemeral(slack)
            assert "Lip-sync runs on Kling direct" in answer and "KLING_API_KEY" in answer
            assert len(await bot.jobs()) == 1


async def test_voice_samples_outside_5_to_30_seconds_are_refused(bot, slack):
    async with MediaServer() as media:
        await ask(bot, slack, f"subject add maya {media.url('/img/800x1000.png')}")
        await ask(bot, slack, "subject consent maya")  # permission on record
        short = await ask(bot, slack, f"subject voice maya {media.url('/audio/3s.wav')}")
        assert "between 5 and 30 s" in short and "not kept" in short
        missing = await ask(bot, slack, "subject voice maya")
        assert "attach a 5 to 30 s recording" in missing
        assert "no subject called {leo}" in await ask(
            bot, slack, f"subject voice leo {media.url('/audio/6s.wav')}"
        )


async def test_again_repeats_a_lipsync_and_final_of_one_says_what_to_do(tmp_path, slack, clip):
    async with FakeKling() as kling:
        kling.result_mp4 = clip
        async with running_bot(tmp_path, slack, **kling_env(kling)) as bot:
            card_ts = await first_shot(
                bot, slack, "a presenter faces the camera --seconds 3 --model kling-v3"
            )
            v1 = (await bot.takes(1))[0]
            await reply(bot, card_ts, f'lipsync "{LINE}"')
            await bot.wait_job("delivered", job_index=1)
            await reply(bot, card_ts, "again")
            again = await bot.wait_job(("delivered", "failed"), job_index=2)
            assert again["state"] == "delivered", again["error"]
            assert again["kind"] == "lipsync" and again["parent_take_id"] == v1["id"]
            assert again["request"]["script"] == LINE
            await reply(bot, card_ts, "final")
            answer = await ephemeral(slack)
            assert "v3 is a lip-sync of v1" in answer and "`v1: final`" in answer
            assert len(await bot.jobs()) == 3
        first, second = lipsyncs(kling)
        assert first["face_choose"][0]["sound_end_time"] == second["face_choose"][0]["sound_end_time"] == 2000
        assert first["external_task_id"] != second["external_task_id"]
        assert len(kling.face_calls) == 2 and [c["text"] for c in kling.tts_calls] == [LINE, LINE]
