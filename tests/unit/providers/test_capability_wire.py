"""Issue 12's wire bodies, field by field (pure): Kling multi-shot, motion control, 4K, last frame
and feature video; the AI/ML API's multi_prompt, motion ids and Veo ids; the Gemini API's Veo body."""

from __future__ import annotations

import pytest

from bot.providers import errors
from bot.providers.aimlapi import wire as aiml
from bot.providers.base import MediaRef, Mode, RenderSpec, TaskState
from bot.providers.gemini import wire as gemini
from bot.providers.kling.wire import build_request
from bot.request.catalogue import shipped_catalogue

SHOTS = ((3, "wide shot of a harbour at dawn"), (2, "a gull takes off"))
IMG = MediaRef(url="https://example.com/a.png", mime="image/png")
VID = MediaRef(url="https://example.com/moves.mp4", mime="video/mp4")


def spec(**kw) -> RenderSpec:
    return RenderSpec(**{"model": "kling-v3", "mode": Mode.TEXT, "prompt": "p", "seconds": 5, **kw})


def test_kling_multi_shot_replaces_the_prompt():
    route, body = build_request(spec(shots=SHOTS, prompt="3s: … // 2s: …"))
    assert route == "text2video" and body["prompt"] == "3s: … // 2s: …"  # required, then ignored
    assert body["multi_shot"] is True and body["shot_type"] == "customize" and body["duration"] == "5"
    assert body["multi_prompt"] == [
        {"index": 1, "prompt": "wide shot of a harbour at dawn", "duration": "3"},
        {"index": 2, "prompt": "a gull takes off", "duration": "2"},
    ]


def test_kling_v3_omni_multi_shot_on_the_omni_route():
    route, body = build_request(spec(model="kling-v3-omni", shots=SHOTS, resolution="1080p"))
    assert route == "omni-video" and body["model_name"] == "kling-v3-omni" and body["mode"] == "pro"
    assert body["multi_shot"] is True and body["multi_prompt"][1]["duration"] == "2"


@pytest.mark.parametrize(
    ("model", "name", "mode"),
    [
        ("kling-2.6-pro", "kling-v2-6", "pro"),
        ("kling-v3", "kling-v3", "std"),
        ("kling-v3-pro", "kling-v3", "pro"),
    ],
)
def test_kling_motion_control(model, name, mode):
    route, body = build_request(
        spec(model=model, mode=Mode.MOTION, image=IMG, motion=VID, orientation="image", keep_audio=False)
    )
    assert route == "motion-control"
    assert body == {
        "model_name": name, "mode": mode, "image_url": IMG.url, "video_url": VID.url,
        "character_orientation": "image", "keep_original_sound": "no", "prompt": "p",
    }  # fmt: skip


def test_kling_4k_end_frame_and_feature_video():
    _, body = build_request(spec(resolution="4k"))
    assert body["mode"] == "4k"
    route, body = build_request(spec(mode=Mode.IMAGE, image=IMG, end_image=IMG))
    assert route == "image2video" and body["image_tail"] == IMG.url
    route, body = build_request(spec(model="kling-v3-omni", mode=Mode.IMAGE, image=IMG, end_image=IMG))
    assert [i.get("type") for i in body["image_list"]] == ["first_frame", "end_frame"]
    route, body = build_request(spec(model="kling-o1", reference_video=VID))
    assert route == "omni-video"
    assert body["video_list"] == [
        {"video_url": VID.url, "refer_type": "feature", "keep_original_sound": "no"}
    ]


def test_kling_needs_a_url_for_a_reference_video():
    with pytest.raises(errors.BadRequest):
        build_request(spec(model="kling-v3", mode=Mode.MOTION, image=IMG, motion=MediaRef(path="/x.mp4")))


def test_aimlapi_multi_prompt_is_strings_with_their_seconds():
    body = aiml.build_request(spec(shots=SHOTS))
    assert body["model"] == "klingai/video-v3-standard-text-to-video" and "prompt" not in body
    assert body["multi_prompt"] == [
        "wide shot of a harbour at dawn, 3 seconds.",
        "a gull takes off, 2 seconds.",
    ]
    assert body["shot_type"] == "customize" and body["duration"] == 5


def test_aimlapi_motion_id_is_the_one_its_model_list_offers():
    motion = spec(model="kling-2.6-pro", mode=Mode.MOTION, image=IMG, motion=VID, prompt="")
    listed = frozenset({"klingai/video-v2-6-pro-motion-control"})
    assert aiml.build_request(motion, listed)["model"] == "klingai/video-v2-6-pro-motion-control"
    assert aiml.build_request(motion, None)["model"] == "klingai/video-v2-6-motion-control"
    body = aiml.build_request(spec(mode=Mode.MOTION, image=IMG, motion=VID, keep_audio=True))
    assert body == {
        "model": "klingai/video-v3-motion-control", "prompt": "p", "keep_audio": True, "image_url": IMG.url,
        "video_url": VID.url, "character_orientation": "video", "mode": "std",
    }  # fmt: skip


def test_aimlapi_sora_unlisted_is_retired():
    assert (
        aiml.availability_for("sora-2-pro", Mode.TEXT, offered=frozenset({"google/veo-3.1-t2v"})).ok is False
    )
    assert aiml.availability_for("sora-2-pro", Mode.TEXT, offered=frozenset({"openai/sora-2-pro-t2v"})).ok


def test_aimlapi_omni_resolution_is_in_the_id():
    assert aiml.build_request(spec(model="kling-v3-omni", resolution="1080p"))["model"] == (
        "klingai/video-v3-omni-1080p-text-to-video"
    )
    assert "not 4k" in aiml.unsupported(spec(model="kling-v3-omni", resolution="4k"))


def test_gemini_body_and_operation(tmp_path):
    png = tmp_path / "f.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\nfake")
    ref = MediaRef(path=str(png), mime="image/png")
    model, body = gemini.build_request(
        spec(model="veo-3.1", mode=Mode.IMAGE, seconds=8, resolution="1080p", image=ref, end_image=ref),
        {"veo-3.1": shipped_catalogue()["veo-3.1"].provider_ids("gemini")[0]},
    )
    assert model == "veo-3.1-generate-001"  # the catalogue's first id; the preview id was retired
    assert set(body["instances"][0]) == {"prompt", "image", "lastFrame"}
    assert body["parameters"] == {
        "sampleCount": 1,
        "durationSeconds": 8,
        "aspectRatio": "16:9",
        "resolution": "1080p",
    }
    assert gemini.operation_status({"name": "x", "done": False}).state is TaskState.RUNNING
    done = {
        "done": True,
        "response": {"generateVideoResponse": {"generatedSamples": [{"video": {"uri": "u"}}]}},
    }
    assert gemini.operation_status(done).result_url == "u"
    filtered = {"done": True, "response": {"generateVideoResponse": {"raiMediaFilteredCount": 1}}}
    assert isinstance(gemini.operation_status(filtered).error, errors.Refused)
