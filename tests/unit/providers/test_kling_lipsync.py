"""Kling's lip-sync, voice and voice_list bodies (pure wire functions)."""

from __future__ import annotations

import pytest

from bot.providers import errors
from bot.providers.base import MediaRef, Mode, RenderSpec, SourceClip, SubjectRef
from bot.providers.kling import wire

SOURCE = SourceClip("kling-v3", "kling", "text2video:1", "https://cdn.kling.test/v1.mp4")
VOICED = SubjectRef(
    "maya", "red coat", (MediaRef(url="https://img.test/m.png"),),
    voice=MediaRef(url="https://a.test/maya.wav"), voice_ids={"kling": "8501"},
)  # fmt: skip


def spec(**fields) -> RenderSpec:
    return RenderSpec(model="veo-3.1", mode=Mode.LIPSYNC, prompt="", source=SOURCE, **fields)


def test_lipsync_is_model_independent_and_finds_the_clip_by_url():
    assert wire.route_for(spec(script="hi")) == wire.LIPSYNC
    assert wire.face_source(spec()) == {"video_url": "https://cdn.kling.test/v1.mp4"}


def test_one_face_or_a_message():
    with pytest.raises(errors.ProviderError, match="found no face"):
        wire.one_face({"session_id": "s", "face_data": []})
    with pytest.raises(errors.ProviderError, match="found 2 faces"):
        wire.one_face({"session_id": "s", "face_data": [{"face_id": "0"}, {"face_id": "1"}]})
    assert wire.one_face({"session_id": "s", "face_data": [{"face_id": "0"}]}) == {"face_id": "0"}


def test_the_speech_goes_in_where_the_face_is_cut_to_its_time_on_screen():
    face = {"face_id": "3", "start_time": 1000, "end_time": 4000}
    body = wire.lipsync_body(spec(external_id="dailies-1-2"), "sess", face, 5000, audio_id="a1")
    assert body == {
        "session_id": "sess",
        "face_choose": [
            {
                "face_id": "3", "sound_start_time": 0, "sound_end_time": 3000, "sound_insert_time": 1000,
                "sound_volume": 1, "original_audio_volume": 1, "audio_id": "a1",
            }
        ],
        "external_task_id": "dailies-1-2",
    }  # fmt: skip
    with pytest.raises(errors.ProviderError, match="only 1.5 s"):
        wire.lipsync_body(
            spec(), "sess", {"face_id": "0", "start_time": 0, "end_time": 1500}, 3000, audio_id="a"
        )
    with pytest.raises(errors.ProviderError, match="2 to 60 s"):
        wire.lipsync_body(spec(), "sess", face, 61000, audio_id="a")


def test_voices_speak_the_tts_and_kling_26_image_to_video():
    assert wire.tts_body("hi", "8501") == {
        "text": "hi",
        "voice_id": "8501",
        "voice_language": "en",
        "voice_speed": 1.0,
    }
    assert wire.voice_body(VOICED) == {"voice_name": "maya", "voice_url": "https://a.test/maya.wav"}
    assert wire.speaking_voice(spec(script="hi", subjects=(VOICED,))) == "8501"
    i2v = RenderSpec(
        model="kling-2.6-pro", mode=Mode.IMAGE, prompt="{maya} waves", seconds=5, resolution="1080p",
        image=MediaRef(url="https://img.test/f.png"), subjects=(VOICED,),
    )  # fmt: skip
    route, body = wire.build_request(i2v)
    assert route == wire.IMAGE2VIDEO and body["voice_list"] == [{"voice_id": "8501"}]
    assert body["prompt"] == "maya (red coat) <<<voice_1>>> waves" and body["sound"] == "on"
    assert wire.uses_voices(i2v) and not wire.uses_voices(spec(speech=MediaRef(url="https://a.test/x.wav")))
