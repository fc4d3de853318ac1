"""Kling 4.0: its API is unconfirmed, so its rows and wire exist only under the slugs an operator
names in KLING_4_MODEL_NAMES; nothing is assumed about them."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_config
from bot.providers.base import Mode, RenderSpec
from bot.providers.kling import wire
from bot.request.catalogue import CATALOGUE, PRICES, enable_kling_4, estimate_cost, get_model, modes_of


@pytest.fixture
def named():
    """Kling 4.0 enabled for one test, then removed again (the catalogue is module data)."""
    before_catalogue, before_prices, before_models = dict(CATALOGUE), dict(PRICES), dict(wire.MODELS)
    yield
    for table, before in (
        (CATALOGUE, before_catalogue),
        (PRICES, before_prices),
        (wire.MODELS, before_models),
    ):
        table.clear()
        table.update(before)


def test_without_the_setting_there_is_no_kling_4():
    assert load_config({}, dotenv=None).kling_4_model_names == ()
    assert get_model("kling-4.0") is None and "kling-4.0" not in wire.MODELS


def test_the_setting_names_the_slugs_and_refuses_anything_else():
    config = load_config(
        {"KLING_4_MODEL_NAMES": "kling-4.0=kling-v4, kling-4.0-flash=kling-v4-flash"}, dotenv=None
    )
    assert config.kling_4_model_names == (("kling-4.0", "kling-v4"), ("kling-4.0-flash", "kling-v4-flash"))
    for bad in ("kling-5=kling-v5", "kling-4.0=", "kling-4.0=has space", "kling-4.0"):
        with pytest.raises(ConfigError, match="KLING_4_MODEL_NAMES"):
            load_config({"KLING_4_MODEL_NAMES": bad}, dotenv=None)


def test_named_slugs_become_a_catalogue_row_and_the_wire_model_name(named):
    assert enable_kling_4(["kling-4.0"]) == ["kling-4.0"] and enable_kling_4(["kling-4.0"]) == []
    model = get_model("kling-4.0")
    assert model.seconds == tuple(range(3, 31)) and "kling-4.0-flash" not in CATALOGUE
    assert estimate_cost(model, seconds=10, resolution="1080p", audio=True) == 2.35
    assert modes_of(model) == ["end_image", "image", "text"]
    wire.add_model_names([("kling-4.0", "slug-from-the-docs")])
    spec = RenderSpec(model="kling-4.0", mode=Mode.TEXT, prompt="a harbour", seconds=20, resolution="1080p")
    route, body = wire.build_request(spec)
    assert route == wire.TEXT2VIDEO
    assert (body["model_name"], body["mode"], body["duration"], body["sound"]) == (
        "slug-from-the-docs", "pro", "20", "off",
    )  # fmt: skip
