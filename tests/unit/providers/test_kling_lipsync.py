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


def test_a_custom_voice_speaks_in_the_language_of_its_line():
    # Kling's TTS doc: voice_language (zh | en) "corresponds to the Voice ID"; a cloned voice
    # speaks the line it is given, and the stock voice keeps its own language
    assert wire.tts_body("大家好，欢迎来到工作室", "8501")["voice_language"] == "zh"
    assert wire.tts_body("Hello, 工作室 team", "8501")["voice_language"] == "en"
    assert wire.tts_body("大家好", None)["voice_language"] == "en"  # oversea_male1 speaks English


def test_a_voice_sample_goes_to_kling_by_its_link_and_an_attached_one_is_refused_at_intake():
    attached = SubjectRef(
        "maya", "red coat", (MediaRef(url="https://img.test/m.png"),),
        voice=MediaRef(path="/tmp/maya.wav", mime="audio/wav"),
    )  # fmt: skip
    # Kling's voice doc: voice_url is "the URL of voice data file" (no base64 there)
    with pytest.raises(errors.BadRequest, match="fetches from a link"):
        wire.voice_body(attached)
    said = wire.voice_refusal(spec(script="hi", subjects=(attached,)))
    assert "attached in Slack" in said and "/video subject voice maya https://" in said
    # a voice Kling already made, a sample with a link, or speech that needs no voice: fine
    made = SubjectRef(attached.name, "", attached.images, voice=attached.voice, voice_ids={"kling": "8501"})
    assert wire.voice_refusal(spec(script="hi", subjects=(made,))) is None
    assert wire.voice_refusal(spec(script="hi", subjects=(VOICED,))) is None
    assert wire.voice_refusal(spec(speech=MediaRef(url="https://a.test/x.wav"), subjects=(attached,))) is None


@pytest.mark.parametrize("mode", [Mode.EDIT, Mode.EXTEND, Mode.TEXT])
def test_kling_v3_omni_takes_sound_off_only_with_a_video_going_in(mode):
    # Kling's 3.0 Omni doc: feature_video => audio off; base_video => audio not native
    video = MediaRef(url="https://video.test/moves.mp4") if mode is Mode.TEXT else None
    with_audio = RenderSpec(
        model="kling-v3-omni", mode=mode, prompt="the gulls take off", seconds=5, audio=True,
        source=SOURCE if mode is not Mode.TEXT else None, reference_video=video,
    )  # fmt: skip
    said = wire.video_sound_refusal(with_audio)
    assert "audio must be off" in said and "without --audio" in said
    with pytest.raises(errors.BadRequest, match="audio must be off"):
        wire.build_request(with_audio)
    _, body = wire.build_request(RenderSpec(**{**with_audio.__dict__, "audio": False}))
    assert body["sound"] == "off" and body["video_list"]
    # without a video, sound on stays Kling 3.0 Omni's own
    plain = RenderSpec(model="kling-v3-omni", mode=Mode.TEXT, prompt="gulls", seconds=5, audio=True)
    assert wire.video_sound_refusal(plain) is None and wire.build_request(plain)[1]["sound"] == "on"
