"""Issue 5: talking avatars from a channel subject, with a script or an audio file."""

from __future__ import annotations

from tests.fakes.aimlapi import FakeAimlApi
from tests.fakes.kling import FakeKling
from tests.fakes.media_server import MediaServer, wav_bytes
from tests.fakes.slack_requests import app_mention_event
from tests.harness import running_bot
from tests.scenario.test_scenario_subjects import ask

C1 = "C0CHANNEL"


async def test_avatar_with_script_on_kling_speaks_through_tts(tmp_path, slack):
    async with FakeKling() as kling, MediaServer() as media:
        env = {"KLING_API_KEY": kling.api_key, "KLING_BASE_URL": kling.url}
        async with running_bot(tmp_path, slack, **env) as bot:
            await ask(
                bot,
                slack,
                f"subject add maya {media.url('/img/800x1000.png')} {media.url('/img/700x700.png')}",
            )
            await ask(bot, slack, "subject consent maya")  # permission on record
            await bot.command('avatar {maya} "Welcome back to the show, everyone."')
            job = await bot.wait_job(("delivered", "failed"))
            assert job["state"] == "delivered", job["error"]
            assert job["kind"] == "avatar" and job["model"] == "kling-avatar-pro"
        assert [c["text"] for c in kling.tts_calls] == ["Welcome back to the show, everyone."]
        route, body = kling.creates[-1]
        assert route == "avatar/image2video"
        assert body["audio_id"] in kling.audio_ids and "sound_file" not in body
        assert kling.elements_created == 0  # the portrait is the frontal image, not an element


async def test_avatar_with_attached_audio_file_replaces_the_script(tmp_path, slack):
    async with FakeKling() as kling, MediaServer() as media:
        env = {"KLING_API_KEY": kling.api_key, "KLING_BASE_URL": kling.url}
        async with running_bot(tmp_path, slack, **env) as bot:
            await ask(bot, slack, f"subject add maya {media.url('/img/800x1000.png')}")
            await ask(bot, slack, "subject consent maya")  # permission on record
            audio = slack.add_file("F0LINE", wav_bytes(3.0), name="line.wav", mimetype="audio/wav")
            event = app_mention_event(
                'avatar {maya} "ignored"', channel=C1, user="U0ALICE", ts="1700000000.000200", files=[audio]
            )
            await bot.event(event)
            job = await bot.wait_job(("delivered", "failed"))
            assert job["state"] == "delivered", job["error"]
            assert job["request"]["speech"]["seconds"] == 3.0 and job["request"]["script"] is None
        assert kling.tts_calls == []
        assert "sound_file" in kling.creates[-1][1]


async def test_avatar_bad_audio_and_unknown_subject_are_refused(bot, slack):
    async with MediaServer() as media:
        await ask(bot, slack, f"subject add maya {media.url('/img/800x1000.png')}")
        await ask(bot, slack, "subject consent maya")  # permission on record
        short = await ask(bot, slack, f"avatar {{maya}} --audio-url {media.url('/audio/1s.wav')}")
        assert "between 2 and 300 s" in short
        not_audio = await ask(bot, slack, f"avatar {{maya}} --audio-url {media.url('/img/800x800.png')}")
        assert "audio was not used" in not_audio
    assert "no subject called {leo}" in await ask(bot, slack, 'avatar {leo} "hi there"')
    assert await bot.jobs() == []


async def test_avatar_on_aimlapi_needs_an_audio_file(tmp_path, slack):
    async with FakeAimlApi() as aiml, MediaServer() as media:
        env = {"AIMLAPI_API_KEY": aiml.api_key, "AIMLAPI_BASE_URL": aiml.base_url}
        async with running_bot(tmp_path, slack, **env) as bot:
            await ask(bot, slack, f"subject add maya {media.url('/img/800x1000.png')}")
            await ask(bot, slack, "subject consent maya")  # permission on record
            answer = await ask(bot, slack, 'avatar {maya} "Hello from the studio"')
            assert "can't speak a script" in answer and "audio" in answer
            assert await bot.jobs() == []
            await bot.command(f"avatar {{maya}} --audio-url {media.url('/audio/3s.wav')}")
            job = await bot.wait_job(("delivered", "failed"))
            assert job["state"] == "delivered", job["error"]
        body = aiml.created()[-1]
        assert body["model"] == "klingai/avatar-pro"
        assert body["audio_url"] == media.url("/audio/3s.wav")
        assert body["image_url"].startswith("data:image/png;base64,")


async def test_avatar_mention_with_only_an_audio_file_and_no_script(tmp_path, slack):
    async with FakeKling() as kling, MediaServer() as media:
        env = {"KLING_API_KEY": kling.api_key, "KLING_BASE_URL": kling.url}
        async with running_bot(tmp_path, slack, **env) as bot:
            await ask(bot, slack, f"subject add maya {media.url('/img/800x1000.png')}")
            await ask(bot, slack, "subject consent maya")  # permission on record
            no_audio = await ask(bot, slack, "avatar {maya}")  # a slash command carries no file
            assert "attach it when you mention me" in no_audio
            audio = slack.add_file("F0LINE2", wav_bytes(4.0), name="line.wav", mimetype="audio/wav")
            event = app_mention_event(
                "avatar {maya}", channel=C1, user="U0ALICE", ts="1700000000.000300", files=[audio]
            )
            await bot.event(event)
            job = await bot.wait_job(("delivered", "failed"))
            assert job["state"] == "delivered", job["error"]
            assert job["request"]["speech"]["seconds"] == 4.0 and job["request"]["script"] is None
        assert kling.tts_calls == []
        assert "sound_file" in kling.creates[-1][1]
        assert len(kling.creates) == 1
