"""The app manifest (`dailies manifest`, both variants) against slackapi's published manifest schema."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from bot.tools.manifest import manifest
from tests.contracts import HERE, problems

# manifest.schema.json picks a versioned schema by _metadata.major_version, by these URLs
PINNED = "https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/"


def slack_manifest_validator() -> Draft7Validator:
    folder = HERE / "slack"
    registry = Registry()
    for name in ("manifest.schema.1.0.0.json", "manifest.schema.2.0.0.json"):
        doc = json.loads((folder / name).read_text(encoding="utf-8"))
        registry = registry.with_resource(
            PINNED + name, Resource.from_contents(doc, default_specification=DRAFT7)
        )
    main = json.loads((folder / "manifest.schema.json").read_text(encoding="utf-8"))
    return Draft7Validator(main, registry=registry)


@pytest.mark.parametrize("http_url", [None, "https://dailies.example.com"])
def test_the_manifest_is_valid_under_slacks_schema(http_url):
    assert problems(slack_manifest_validator(), manifest(http_url)) == []


def test_the_distributed_manifest_is_valid_and_rotates_tokens():
    app = manifest("https://dailies.example.com", distribute=True)
    assert problems(slack_manifest_validator(), app) == []
    assert app["oauth_config"]["redirect_urls"] == ["https://dailies.example.com/slack/oauth_redirect"]
    assert app["settings"]["token_rotation_enabled"] is True
    assert {"app_uninstalled", "tokens_revoked"} <= set(app["settings"]["event_subscriptions"]["bot_events"])
    assert manifest("https://dailies.example.com")["settings"]["token_rotation_enabled"] is False


def test_the_validator_refuses_a_broken_manifest():
    broken = manifest()
    broken["display_information"] = {"name": ""}
    assert problems(slack_manifest_validator(), broken)
