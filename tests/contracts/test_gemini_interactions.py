"""Gemini Omni's interaction bodies against the shapes written down from Google's generated client
(tests/contracts/gemini/interactions.schema.json): every shape the catalogue allows, the edit that
continues an interaction, the edit from the clip itself, and bodies the real API refuses."""

from __future__ import annotations

import dataclasses

from bot.providers.base import MediaRef, Mode, RenderSpec, SourceClip
from bot.providers.gemini import interactions
from tests.contracts import gemini_validator, problems
from tests.contracts.shapes import bodies, shapes
from tests.fakes.mp4 import sample_mp4

OMNI = [s for s in shapes() if s.backend == "gemini" and s.spec.model == "gemini-omni"]


def _problems(body: dict) -> list[str]:
    return problems(gemini_validator("interactions"), body)


async def test_every_omni_shape_is_a_valid_interaction():
    modes = {s.spec.mode for s in OMNI}
    assert modes == {Mode.TEXT, Mode.IMAGE, Mode.EDIT, Mode.EXTEND}
    for shape in OMNI:
        built = await bodies(shape)
        assert not isinstance(built, str), f"{shape}: {built}"
        for body in built:
            assert not _problems(body.json), f"{shape}: {_problems(body.json)}"
    assert {s.spec.seconds for s in OMNI if s.spec.mode is Mode.TEXT} == set(range(3, 16))


def test_an_edit_continues_the_interaction_and_keeps_the_rest():
    spec = RenderSpec(
        model="gemini-omni", mode=Mode.EDIT, prompt="make the kite green", seconds=8,
        source=SourceClip("gemini-omni", "gemini", task_id="v1_a", continuation="v1_a", seconds=8.0),
    )  # fmt: skip
    body = interactions.build_interaction(spec, "gemini-omni-1.2-flash")
    assert body["previous_interaction_id"] == "v1_a"
    assert body["input"] == "make the kite green. Keep everything else the same."
    assert body["generation_config"] == {"video_config": {"task": "edit"}}
    assert body["response_format"] == {"type": "video", "delivery": "uri"}
    assert body["background"] is True and not _problems(body)


def test_an_edit_from_the_clip_sends_the_clip_itself():
    clip = SourceClip(
        "kling-v3",
        "kling",
        task_id="k1",
        media=MediaRef(path=str(sample_mp4()), mime="video/mp4"),
        seconds=5.0,
    )
    spec = RenderSpec(model="gemini-omni", mode=Mode.EDIT, prompt="dusk light", source=clip)
    body = interactions.build_interaction(spec, "gemini-omni-1.2-flash")
    assert "previous_interaction_id" not in body
    video, text = body["input"][0]["content"]
    assert video["type"] == "video" and video["mime_type"] == "video/mp4" and video["data"]
    assert text["text"].endswith("Keep everything else the same.")
    assert not _problems(body)
    # a Gemini clip whose interaction expired goes the same way
    expired = dataclasses.replace(clip, backend="gemini", model="gemini-omni", continuation=None)
    assert "previous_interaction_id" not in interactions.build_interaction(
        dataclasses.replace(spec, source=expired), "gemini-omni-1.2-flash"
    )


def test_subjects_and_a_first_frame_are_tagged_in_the_prompt(tmp_path):
    from tests.contracts.shapes import IMAGE, subject

    spec = RenderSpec(
        model="gemini-omni", mode=Mode.IMAGE, prompt="{s1} walks past {s2}", seconds=6, image=IMAGE,
        subjects=(subject(1), subject(2)),
    )  # fmt: skip
    body = interactions.build_interaction(spec, "gemini-omni-1.1-flash")
    content = body["input"][0]["content"]
    assert [p["type"] for p in content] == ["image", "image", "image", "text"]
    assert content[-1]["text"].startswith("<FIRST_FRAME> s1 <IMAGE_REF_0> (a woman in a red coat) walks")
    assert "s2 <IMAGE_REF_1>" in content[-1]["text"]
    assert body["generation_config"]["video_config"]["task"] == "reference_to_video"
    assert body["response_format"]["duration"] == "6s" and not _problems(body)


def test_bodies_the_real_api_refuses_fail_the_shapes():
    good = {"model": "gemini-omni-1.2-flash", "input": "a kite", "background": True}
    assert not _problems(good)
    assert _problems({**good, "response_format": {"type": "video", "duration": 8}})  # a bare number
    assert _problems({**good, "model": "veo-3.1-generate-001"})  # Veo is not an interaction model
    assert _problems({k: v for k, v in good.items() if k != "input"})
    assert _problems({**good, "store": False})  # un-editable, and refused with background
    edit = {**good, "generation_config": {"video_config": {"task": "edit"}}}
    assert _problems(edit)  # an edit of nothing
    assert not _problems({**edit, "previous_interaction_id": "v1_a"})
    assert _problems({**edit, "previous_interaction_id": "v1_a", "seed": 3})  # not a field Dailies sends


def test_refusals_follow_the_id_in_use():
    spec = RenderSpec(model="gemini-omni", mode=Mode.TEXT, prompt="p", seconds=12)
    assert interactions.refusal(spec, "gemini-omni-1.2-flash") is None
    assert "3 to 10 s" in interactions.refusal(spec, "gemini-omni-1.1-flash")
    framed = dataclasses.replace(spec, mode=Mode.IMAGE, image=MediaRef(url="https://i.test/a.png"))
    assert "with a first frame" in interactions.refusal(framed, "gemini-omni-1.2-flash")
    long = SourceClip("gemini-omni", "gemini", continuation="v1_a", seconds=25.0)
    extend = dataclasses.replace(spec, mode=Mode.EXTEND, seconds=8, source=long)
    assert "30 s in all" in interactions.refusal(extend, "gemini-omni-1.2-flash")
