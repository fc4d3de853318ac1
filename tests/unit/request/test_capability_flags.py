"""The flags of issue 12: --motion/--orient, --end-image, --video and --res 4k, checked against the
catalogue before any provider call, with the allowed values in the message."""

from __future__ import annotations

import pytest

from bot.outcomes import Refusal
from bot.request import VideoRequest, parse_command

IMG, VID = "https://example.com/a.png", "https://example.com/moves.mp4"


def test_motion_control_request():
    req = parse_command(f"she dances --model kling-v3 --motion {VID} --image {IMG} --orient image --no-audio")
    assert isinstance(req, VideoRequest)
    assert (req.motion_url, req.image_url, req.orient, req.audio) == (VID, IMG, "image", False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"dance --model sora-2 --motion {VID} --image {IMG}", "sora-2 has no motion control"),
        (f"dance --model kling-v3 --motion {VID}", "needs the character"),
        (f"dance --model kling-v3 --motion {VID} --image {IMG} --seconds 5", "follows the reference video"),
        (f"dance --model kling-v3 --motion {VID} --image {IMG} --res 4k", "up to 1080p"),
        (f"dance --model kling-v3 --motion {VID} --image {IMG} --orient sideways", "--orient takes image"),
        ("a cat --model kling-v3-pro --res 4k", "kling-v3-pro renders 1080p; you asked for 4k"),
        ("a cat --model kling-o1 --res 4k", "kling-o1 renders 720p or 1080p"),
        (f"a cat --model kling-v3-omni --res 4k --video {VID}", "4K is not rendered with a reference video"),
        (f"a cat --model kling-v3 --video {VID}", "takes no reference video"),
        (f"a cat --model sora-2 --image {IMG} --end-image {IMG}", "takes no last frame"),
        ("a cat --res 8k", "--res takes 720p, 1080p or 4k"),
    ],
)
def test_refused_before_any_call(text, expected):
    refused = parse_command(text)
    assert isinstance(refused, Refusal) and expected in refused.message, refused


def test_4k_on_the_models_that_render_it():
    for model in ("kling-v3", "kling-v3-omni"):
        req = parse_command(f"a cat --model {model} --res 4k")
        assert isinstance(req, VideoRequest) and req.resolution == "4k"
