"""Every request shape the catalogue can produce, built by the real wire code and validated
against the API owner's published schema (AI/ML API, OpenAI) or our written-down Kling rules."""

from __future__ import annotations

import collections

import pytest

from bot.providers.aimlapi import wire as aimlapi_wire
from bot.request.catalogue import shipped_catalogue
from tests.contracts import (
    NoContract,
    aimlapi_models,
    aimlapi_request_schema,
    gemini_validator,
    kling_validator,
    openai_validator,
    problems,
    schema_problems,
)
from tests.contracts.shapes import Shape, bodies, shapes

CATALOGUE = shipped_catalogue()


def contract_problems(contract: str, body: dict) -> list[str]:
    owner, _, name = contract.partition(":")
    if owner == "aimlapi":
        return schema_problems(aimlapi_request_schema(name), body)
    if owner == "kling":
        return problems(kling_validator(name), body)
    if owner == "openai":
        return problems(openai_validator(name), body)  # `size` in the VideoSize enum, no exception
    if owner == "gemini":
        return problems(gemini_validator(name), body)
    raise NoContract(contract)


ALL_SHAPES = list(shapes())


async def test_every_shape_the_catalogue_allows_is_valid_on_the_wire():
    bad: list[str] = []
    sent = collections.Counter()
    for shape in ALL_SHAPES:
        built = await bodies(shape)
        if isinstance(built, str):
            continue  # refused before any call, with a message for the user
        for body in built:
            sent[shape.spec.model] += 1
            for problem in contract_problems(body.contract, body.json):
                bad.append(f"{shape} -> {body.contract}: {problem[:300]}")
    assert not bad, f"{len(bad)} invalid bodies, e.g.\n" + "\n".join(bad[:25])
    remote = {m.id for m in CATALOGUE.values() if m.family != "preview"}
    assert remote <= set(sent), f"no request shape validated for {sorted(remote - set(sent))}"


def test_every_aimlapi_model_id_has_a_published_schema():
    ids = {w.id for w in aimlapi_wire.WIRE_MODELS.values()}
    ids |= {w.id for w in getattr(aimlapi_wire, "FIRST_LAST", {}).values()}
    # ids written per resolution, e.g. klingai/video-v3-omni-{res}-text-to-video
    ids = {i.replace("{res}", r) for i in ids for r in ("720p", "1080p")}
    assert ids <= aimlapi_models(), f"vendor these schemas: {sorted(ids - aimlapi_models())}"


def test_the_shapes_reach_every_model_mode_and_backend():
    served = {(s.spec.model, s.spec.mode, s.backend) for s in ALL_SHAPES}
    models = {m for m, _, _ in served}
    assert {m.id for m in CATALOGUE.values() if m.family != "preview"} <= models
    assert len(ALL_SHAPES) > 200  # a product of durations, subjects, frames and audio, not a sample


def _shape(backend: str, model: str, mode: str, **fields) -> Shape:
    """The first generated shape matching, so the planted-bug tests use the same path."""
    for shape in ALL_SHAPES:
        spec = shape.spec
        if (shape.backend, spec.model, spec.mode.value) != (backend, model, mode):
            continue
        if all(getattr(spec, k) == v for k, v in fields.items()):
            return shape
    pytest.fail(f"{backend} does not serve {model} {mode} here: the planted-bug test lost its shape")


async def test_o1_with_a_first_frame_alone_is_not_offered_at_7_seconds():
    # issue 17 (4): Kling O1 with only a first frame renders 5 or 10
    sevens = [s for s in ALL_SHAPES if s.spec.model == "kling-o1" and s.spec.seconds == 7]
    assert sevens, "kling-o1 takes 7 s with a subject or a video"
    assert all(s.spec.subjects or s.spec.source for s in sevens)


async def test_the_five_wire_facts():
    # (1) AI/ML kling-o1 with a reference: 5 or 10, refused otherwise before any call
    shape = _shape("aimlapi", "kling-o1", "text", seconds=7)
    assert isinstance(await bodies(shape), str)
    # (2) Kling TTS: voice_language and voice_speed
    built = await bodies(_shape("kling", "kling-avatar-pro", "avatar"))
    tts = next(b.json for b in built if b.contract == "kling:tts")
    assert tts["voice_language"] == "en" and "voice_speed" in tts and "speed" not in tts
    # (3) element ids are integers
    omni = next(b.json for b in await bodies(_shape("kling", "kling-o1", "text", seconds=7)))
    assert omni["element_list"] and all(type(e["element_id"]) is int for e in omni["element_list"])
    # (5) a feature video says whether to keep its sound
    extend = (await bodies(_shape("kling", "kling-o1", "extend")))[0].json
    assert extend["video_list"][0]["keep_original_sound"] in ("yes", "no")


async def test_the_wire_audit_rules_hold_and_the_old_bodies_would_fail():
    # kling-v3-omni with a video going in: audio only off (edit, extension, --video)
    omni = [s for s in ALL_SHAPES if s.backend == "kling" and s.spec.model == "kling-v3-omni"]
    with_video = [s for s in omni if s.spec.mode.value in ("edit", "extend") or s.spec.reference_video]
    assert {s.spec.audio for s in with_video} == {True, False}
    for shape in with_video:
        built = await bodies(shape)
        if shape.spec.audio:
            assert isinstance(built, str) and "audio must be off" in built
        else:
            assert built[0].json["sound"] == "off"
    old_omni = {"model_name": "kling-v3-omni", "prompt": "p", "mode": "pro", "sound": "on"}
    old_omni["video_list"] = [
        {"video_url": "https://v.test/a.mp4", "refer_type": "base", "keep_original_sound": "yes"}
    ]
    assert contract_problems("kling:omni-video", old_omni)
    # a custom voice's sample goes by its URL, never as base64
    assert contract_problems("kling:custom-voice", {"voice_name": "maya", "voice_url": "SUQzBAAAAAAA"})
    assert not contract_problems(
        "kling:custom-voice", {"voice_name": "maya", "voice_url": "https://a.test/m.wav"}
    )
    # element references are other views: never the same image twice
    twice = {
        "frontal_image": "https://i.test/f.png",
        "refer_images": [{"image_url": "https://i.test/s.png"}] * 2,
    }
    element = {"element_name": "s", "element_description": "d", "reference_type": "image_refer"}
    assert contract_problems("kling:element", {**element, "element_image_list": twice})
    # the AI/ML API's Veo image ids have no negative_prompt: --negative is refused there
    veo_i2v = [s for s in ALL_SHAPES if s.backend == "aimlapi" and s.spec.model.startswith("veo-")]
    veo_i2v = [s for s in veo_i2v if s.spec.mode.value == "image" and s.spec.negative]
    assert veo_i2v
    for shape in veo_i2v:
        assert "takes no negative prompt" in await bodies(shape)
