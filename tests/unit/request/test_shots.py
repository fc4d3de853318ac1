"""Multi-shot prompts (`Ns: shot // Ns: shot`): shots, their seconds, and the refusals that name
the numbers; checked against models with and without multi-shot."""

from __future__ import annotations

import pytest

from bot.outcomes import Refusal
from bot.request import VideoRequest, parse_command
from bot.request.shots import parse_shots, shot_lines


def test_each_shot_with_its_seconds():
    assert parse_shots("3s: wide shot of a harbour at dawn // 2s: a gull takes off", None) == (
        (3, "wide shot of a harbour at dawn"),
        (2, "a gull takes off"),
    )


def test_shots_without_seconds_share_what_seconds_leaves():
    assert parse_shots("4s: wide // close-up // reverse", 10) == (
        (4, "wide"),
        (3, "close-up"),
        (3, "reverse"),
    )


def test_a_url_is_not_a_shot_separator():
    assert parse_shots("a sign reading https://example.com // 2s: the door", 5) == (
        (3, "a sign reading https://example.com"),
        (2, "the door"),
    )


@pytest.mark.parametrize(
    ("prompt", "seconds", "expected"),
    [
        ("3s: a // 3s: b", 5, "add up to 6 s (3s + 3s) but --seconds is 5"),
        ("a // b", None, "Shot 1 has no length"),
        ("4s: a // b // c", 5, "--seconds 5 leaves 1 s for 2 shots"),
        ("0s: a // 2s: b", None, "at least 1 s"),
        ("a // " * 6 + "g", 14, "2 to 6 shots"),
        ("2s: a // ", None, "empty shot"),
        ("2s: " + "x" * 513 + " // 2s: b", None, "Shot 1 is 513 characters; each shot takes at most 512"),
    ],
)
def test_refusals_name_the_numbers(prompt, seconds, expected):
    refused = parse_shots(prompt, seconds)
    assert isinstance(refused, Refusal) and expected in refused.message


def test_the_request_carries_the_shots_and_their_sum():
    req = parse_command("3s: wide shot // 2s: a gull --model kling-v3")
    assert isinstance(req, VideoRequest)
    assert req.shots == ((3, "wide shot"), (2, "a gull")) and req.seconds == 5


def test_models_without_multi_shot_are_refused_before_any_call():
    refused = parse_command("3s: wide // 2s: gull --model sora-2")
    assert isinstance(refused, Refusal)
    assert "kling-v3, kling-v3-pro, kling-v3-omni" in refused.message


def test_the_sum_must_be_a_length_the_model_renders():
    refused = parse_command("10s: wide // 10s: gull --model kling-v3")
    assert isinstance(refused, Refusal) and "3 to 15 seconds; you asked for 20" in refused.message


def test_shot_lines_for_cards_and_captions():
    assert shot_lines(((3, "wide"), (2, "gull"))) == ["Shot 1 · 3s · wide", "Shot 2 · 2s · gull"]
