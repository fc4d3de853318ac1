"""`dailies doctor` says which request shapes are verified against a published schema: the claim
holds (each one has a vendored schema here) and is printed per backend."""

from __future__ import annotations

from bot.providers.contracts import shape_sources
from bot.tools.doctor import shape_lines
from tests.contracts import aimlapi_models


def test_every_shape_doctor_calls_published_has_a_vendored_schema():
    assert set(shape_sources("aimlapi").published) <= aimlapi_models()
    assert shape_sources("kling").published == ()  # Kling publishes none: documentation only
    assert shape_sources("preview") is None


def test_doctor_lines_name_both_kinds():
    kling, aimlapi, openai = shape_lines("kling"), shape_lines("aimlapi"), shape_lines("openai")
    assert len(kling) == 1 and "documentation only" in kling[0] and "/v1/audio/tts" in kling[0]
    assert (
        "verified against a published schema" in aimlapi[0]
        and "klingai/video-o1-image-to-video" in aimlapi[0]
    )
    assert openai and not any("documentation only" in line for line in openai)  # all in the enum
    assert shape_lines("preview") == []
