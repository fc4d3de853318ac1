"""The `lipsync` reply and `subject voice`, and lip-sync's pure limits and price."""

from __future__ import annotations

import pytest

from bot.outcomes import Refusal
from bot.request import SubjectVoice, ThreadInstruction, parse_command, parse_reply
from bot.request.lipsync import clip_problem, lipsync_cost, speech_fits, spoken_seconds


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('lipsync "Hello there"', ThreadInstruction("lipsync", "Hello there")),
        ("lip-sync “Hello there”", ThreadInstruction("lipsync", "Hello there")),
        ('lip sync "Hello there"', ThreadInstruction("lipsync", "Hello there")),
        ('v2: lipsync {Maya} "Hi"', ThreadInstruction("lipsync", "Hi", 2, voice="maya")),
        ("lipsync", ThreadInstruction("lipsync", "")),
        (
            "lipsync --audio-url https://a.test/line.mp3",
            ThreadInstruction("lipsync", "", audio_url="https://a.test/line.mp3"),
        ),
    ],
)
def test_lipsync_replies(text, expected):
    assert parse_reply(text) == expected


def test_a_quoted_lipsync_is_an_edit_and_lipsync_later_in_a_sentence_too():
    assert parse_reply('"lipsync" the harbour scene').kind == "edit"
    assert parse_reply("make the lips sync better").kind == "edit"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('lipsync "hi" --audio-url https://a.test/x.mp3', "either a line or an audio file"),
        ("lipsync {maya} --audio-url https://a.test/x.mp3", "drop the `{subject}`"),
        ("lipsync --model kling-v3 hi", "--model"),
        ("lipsync --audio-url nope", "https://"),
        ('lipsync "' + "word " * 151 + '"', "takes about 60.4 s to say"),
        ('lipsync "' + "x" * 1001 + '"', "at most 1,000 characters"),
    ],
)
def test_lipsync_refusals(text, said):
    refusal = parse_reply(text)
    assert isinstance(refusal, Refusal) and said in refusal.message


def test_subject_voice_command():
    assert parse_command("subject voice maya") == SubjectVoice("maya")
    assert parse_command("subject voice Maya https://a.test/v.wav") == SubjectVoice(
        "maya", "https://a.test/v.wav"
    )
    for bad in ("subject voice", "subject voice maya nope", "subject voice a b c"):
        assert isinstance(parse_command(bad), Refusal)


def test_limits_and_price():
    assert spoken_seconds("one two three four five") == 2.0
    assert clip_problem(1, 1.5, 1280, 720) and "2 to 60 s" in clip_problem(1, 1.5, None, None)
    assert "720p or 1080p" in clip_problem(1, 5, 320, 180)
    assert clip_problem(1, 5, 1920, 1080) is None and clip_problem(1, 5, None, None) is None
    assert "longer than v3 (3.0 s)" in speech_fits(3, 4.0, 3.0)
    assert speech_fits(3, 3.0, 3.0) is None and "2 to 60 s" in speech_fits(3, 61, None)
    assert lipsync_cost(2.0, script=True) == 0.08  # 0.07 per started 5 s + 0.007 face + 0.007 TTS
    assert lipsync_cost(12.0, script=False) == 0.22
