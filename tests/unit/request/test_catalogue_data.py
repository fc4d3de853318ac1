"""The catalogue as data: the shipped file loads, an operator's DAILIES_MODELS_FILE adds rows or
overrides fields, and a broken file is refused in one line naming the file, the row and the field."""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

import pytest

from bot.request import parse_command
from bot.request.catalogue import CatalogueError, load_catalogue, shipped_catalogue
from bot.request.pricing import estimate_cost

NEW_MODEL = """
[models."kling-2.5-turbo"]
title = "Kling 2.5 Turbo"
family = "kling"
seconds = [5, 10]
default_seconds = 5
aspects = ["16:9", "9:16", "1:1"]
resolutions = ["720p", "1080p"]
default_resolution = "720p"
audio = "none"
inputs = ["text", "image"]
negative = true
typical_seconds = 90
aliases = ["kling-turbo"]
backends = { kling = ["kling-v2-5-turbo"] }
prices = { "720p" = { any = 0.042 }, "1080p" = { any = 0.07 } }
"""


def write(tmp_path, text: str) -> str:
    path = tmp_path / "models.toml"
    path.write_text(text)
    return str(path)


def test_the_shipped_catalogue_is_immutable():
    catalogue = shipped_catalogue()
    assert isinstance(catalogue.models, MappingProxyType) and isinstance(catalogue.aliases, MappingProxyType)
    with pytest.raises(TypeError):
        catalogue.models["x"] = catalogue["preview"]  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        catalogue.default_draft = "preview"  # type: ignore[misc]


def test_veo_lists_the_ids_after_the_retirement_in_order():
    assert shipped_catalogue()["veo-3.1"].provider_ids("gemini") == (
        "veo-3.1-generate-001", "veo-3.1-generate-preview",
    )  # fmt: skip
    assert shipped_catalogue()["kling-v3"].provider_ids("gemini") == ()


def test_an_override_file_adds_a_model_that_the_grammar_and_pricing_know(tmp_path):
    catalogue = load_catalogue(write(tmp_path, NEW_MODEL))
    model = catalogue.get("Kling-Turbo ")
    assert model is not None and model.id == "kling-2.5-turbo"
    assert model.provider_ids("kling") == ("kling-v2-5-turbo",)
    assert estimate_cost(model, seconds=10, resolution="1080p", audio=False) == 0.70
    assert (
        parse_command("a fox --model kling-turbo --seconds 10", catalogue=catalogue).model
        == "kling-2.5-turbo"
    )
    refused = parse_command("a fox --model kling-2.5-turbo --seconds 7", catalogue=catalogue)
    assert refused.message.startswith("kling-2.5-turbo renders 5 or 10 seconds")
    assert "kling-2.5-turbo" not in shipped_catalogue()  # the shipped object is untouched
    assert "I don't know the model" in parse_command("a fox --model kling-2.5-turbo").message


def test_an_override_changes_one_field_one_provider_id_or_one_price(tmp_path):
    text = """
[models."veo-3.1"]
backends = { gemini = ["veo-3.1-generate-preview"] }
prices = { "1080p" = { any = 0.5 } }

[models."kling-v3"]
seconds = "3-10"
"""
    catalogue = load_catalogue(write(tmp_path, text))
    veo = catalogue["veo-3.1"]
    assert veo.provider_ids("gemini") == ("veo-3.1-generate-preview",)
    assert estimate_cost(veo, seconds=8, resolution="1080p", audio=True) == 4.0
    assert estimate_cost(veo, seconds=8, resolution="720p", audio=True) == 3.2  # the other price stays
    assert catalogue["kling-v3"].seconds == tuple(range(3, 11))
    assert catalogue["kling-v3"].title == shipped_catalogue()["kling-v3"].title


def test_kling_4_model_names_is_a_shorthand_for_an_override(tmp_path):
    text = '[models."kling-4.0"]\nbackends = { kling = ["kling-v4"] }\n'
    by_file = load_catalogue(write(tmp_path, text))
    by_shorthand = load_catalogue(model_names=[("kling-4.0", "kling-v4")])
    assert by_file == by_shorthand and "kling-4.0" in by_file and "kling-4.0-flash" not in by_file


@pytest.mark.parametrize(
    ("text", "row", "field", "problem"),
    [
        ('[models."kling-v3"]\nseconds = "fifteen"\n', "kling-v3", "seconds", "whole seconds"),
        ('[models."kling-v3"]\naudio = "loud"\n', "kling-v3", "audio", "not one of native"),
        ('[models."kling-v3"]\nbackends = { klign = ["x"] }\n', "kling-v3", "backends", "`klign`"),
        ('[models."kling-v3"]\nprices = { "720p" = { any = "cheap" } }\n', "kling-v3", "prices", "USD"),
        ('[models."kling-v3"]\nresolutions = ["720p", "1080p"]\n', "kling-v3", "prices", "no price at 1080p"),
        ('[models."kling-v3"]\nspeed = 2\n', "kling-v3", "speed", "not a catalogue field"),
        ('[models."new-one"]\ntitle = "New"\n', "new-one", "seconds", "missing"),
        ('[models."kling-v3"]\naliases = ["sora2"]\n', "kling-v3", "aliases", "already names"),
        (
            '[models."kling-v3"]\nalternatives = ["kling-9"]\n',
            "kling-v3",
            "alternatives",
            "not another model",
        ),
    ],
)
def test_a_broken_row_is_one_line_naming_file_row_and_field(tmp_path, text, row, field, problem):
    path = write(tmp_path, text)
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)
    message = str(caught.value)
    assert message.startswith(f'{path}: model "{row}", field "{field}":'), message
    assert problem in message and "\n" not in message


def test_a_file_that_is_not_toml_or_not_there_is_named(tmp_path):
    with pytest.raises(CatalogueError, match=r"models\.toml: not valid TOML"):
        load_catalogue(write(tmp_path, "[models.\n"))
    with pytest.raises(CatalogueError, match="DAILIES_MODELS_FILE .*missing.toml: cannot read it"):
        load_catalogue(str(tmp_path / "missing.toml"))
    with pytest.raises(CatalogueError, match="default_draft `nope`"):
        load_catalogue(write(tmp_path, 'default_draft = "nope"\n'))
