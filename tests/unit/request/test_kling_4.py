"""Kling 4.0: its API is unconfirmed, so its rows are offered and its wire exists only under the
slugs an operator names in KLING_4_MODEL_NAMES (a shorthand for a catalogue override)."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_config
from bot.providers.base import Mode, RenderSpec
from bot.providers.kling import wire
from bot.request import parse_command
from bot.request.catalogue import load_catalogue, modes_of, shipped_catalogue
from bot.request.pricing import estimate_cost


def test_without_the_setting_there_is_no_kling_4():
    assert load_config({}, dotenv=None).kling_4_model_names == ()
    catalogue = shipped_catalogue()
    assert catalogue.get("kling-4.0") is None and "kling-4.0" not in wire.models_for(catalogue)


def test_the_setting_names_the_slugs_and_refuses_anything_else():
    config = load_config(
        {"KLING_4_MODEL_NAMES": "kling-4.0=kling-v4, kling-4.0-flash=kling-v4-flash"}, dotenv=None
    )
    assert config.kling_4_model_names == (("kling-4.0", "kling-v4"), ("kling-4.0-flash", "kling-v4-flash"))
    for bad in ("kling-5=kling-v5", "kling-4.0=", "kling-4.0=has space", "kling-4.0"):
        with pytest.raises(ConfigError, match="KLING_4_MODEL_NAMES"):
            load_config({"KLING_4_MODEL_NAMES": bad}, dotenv=None)


def test_named_slugs_become_a_catalogue_row_and_the_wire_model_name():
    catalogue = load_catalogue(model_names=[("kling-4.0", "slug-from-the-docs")])
    model = catalogue.get("kling-4.0")
    assert model.seconds == tuple(range(3, 31)) and "kling-4.0-flash" not in catalogue
    assert model.provider_ids("kling") == ("slug-from-the-docs",)
    assert estimate_cost(model, seconds=10, resolution="1080p", audio=True) == 2.35
    assert modes_of(model) == ["end_image", "image", "text"]
    assert parse_command("a harbour --model kling-4.0 --seconds 25", catalogue=catalogue).seconds == 25
    models = wire.models_for(catalogue)
    spec = RenderSpec(model="kling-4.0", mode=Mode.TEXT, prompt="a harbour", seconds=20, resolution="1080p")
    route, body = wire.build_request(spec, models=models)
    assert route == wire.TEXT2VIDEO
    assert (body["model_name"], body["mode"], body["duration"], body["sound"]) == (
        "slug-from-the-docs", "pro", "20", "off",
    )  # fmt: skip
    assert shipped_catalogue().get("kling-4.0") is None  # nothing shared was changed
