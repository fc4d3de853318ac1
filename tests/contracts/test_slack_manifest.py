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
    assert app["oauth_config"]["redirect_urls"] == [
        "https://dailies.example.com/slack/oauth_redirect",
        "https://dailies.example.com/review-signin/callback",  # Sign in with Slack for the screening room
    ]
    assert app["settings"]["token_rotation_enabled"] is True
    assert {"app_uninstalled", "tokens_revoked"} <= set(app["settings"]["event_subscriptions"]["bot_events"])
    assert manifest("https://dailies.example.com")["settings"]["token_rotation_enabled"] is False


@pytest.mark.parametrize(
    ("http_url", "public_url", "redirect"),
    [
        ("https://dailies.example.com", None, "https://dailies.example.com/review-signin/callback"),
        (None, "https://room.example.com/", "https://room.example.com/review-signin/callback"),
    ],
)
def test_a_public_url_adds_sign_in_with_slacks_redirect_and_user_scopes(http_url, public_url, redirect):
    app = manifest(http_url, public_url=public_url)
    assert problems(slack_manifest_validator(), app) == []
    assert app["oauth_config"]["redirect_urls"] == [redirect]
    assert app["oauth_config"]["scopes"]["user"] == ["openid", "profile"]


def test_socket_mode_without_a_public_url_has_no_sign_in():
    assert manifest()["oauth_config"] == {"scopes": {"bot": manifest()["oauth_config"]["scopes"]["bot"]}}


def test_the_validator_refuses_a_broken_manifest():
    broken = manifest()
    broken["display_information"] = {"name": ""}
    assert problems(slack_manifest_validator(), broken)
