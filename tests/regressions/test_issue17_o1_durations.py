"""issue 17 (4): Kling O1 renders text or a first frame alone at 5 or 10 s; 3 to 10 with a subject
or a video (Kling's omni-video doc; ComfyUI's O1 requests)."""

from __future__ import annotations

from bot.request.catalogue import shipped_catalogue
from bot.request.checks import check_request
from bot.request.commands import VideoRequest

get_model = shipped_catalogue().get

O1 = get_model("kling-o1")


def test_a_first_frame_alone_takes_5_or_10_seconds():
    req = VideoRequest(prompt="a fox", seconds=7, image_url="https://img.example.com/f.png")
    refusal = check_request(req, O1, has_reference=True)
    assert refusal is not None and "5 or 10 seconds" in refusal.message and "--seconds 5" in refusal.message
    assert check_request(VideoRequest(prompt="a fox", seconds=7), O1) is not None


def test_a_subject_or_a_source_clip_allows_3_to_10():
    with_subject = VideoRequest(prompt="{maya} waves", seconds=7, subjects=("maya",))
    assert check_request(with_subject, O1, has_reference=True) is None
    extend = VideoRequest(prompt="next shot", seconds=7)
    assert check_request(extend, O1, has_reference=True, editing=True) is None
