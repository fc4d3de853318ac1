"""The Slack app manifest (Socket Mode by default; HTTP with request URLs), as YAML text (pure)."""

from __future__ import annotations

import json

SCOPES = (
    "app_mentions:read",
    "channels:history",
    "chat:write",
    "chat:write.public",
    "commands",
    "files:read",
    "files:write",
    "groups:history",
    "im:history",
    "mpim:history",
    "reactions:read",
    "reactions:write",
    "users:read",
)
EVENTS = (
    "app_home_opened",
    "app_mention",
    "message.channels",
    "message.groups",
    "message.im",
    "message.mpim",
    "reaction_added",
    "reaction_removed",
)


def manifest(http_url: str | None = None) -> dict:
    command = {
        "command": "/video",
        "description": "Generate or edit a video clip with Kling, Sora or the local preview",
        "usage_hint": '"a red fox in the snow" --model kling-v3 --seconds 5 | help',
        "should_escape": True,  # mentions arrive as <@U123|name>: `settings approvers @ann` needs it
    }
    settings: dict = {
        "event_subscriptions": {"bot_events": list(EVENTS)},
        "interactivity": {"is_enabled": True},
        "org_deploy_enabled": False,
        "socket_mode_enabled": http_url is None,
        "token_rotation_enabled": False,
    }
    if http_url:
        url = http_url.rstrip("/") + "/slack/events"
        command["url"] = url
        settings["event_subscriptions"]["request_url"] = url
        settings["interactivity"]["request_url"] = url
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": "Dailies",
            "description": "An AI video studio in your channel: draft, review and render clips with Kling and Sora.",
            "background_color": "#1d1c1d",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": False,
            },
            "bot_user": {"display_name": "Dailies", "always_online": True},
            "slash_commands": [command],
        },
        "oauth_config": {"scopes": {"bot": list(SCOPES)}},
        "settings": settings,
    }


def to_yaml(value, indent: int = 0) -> str:
    """A small YAML writer for the manifest's plain dicts, lists, strings, numbers and booleans."""
    pad = "  " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict | list) and item:
                lines.append(f"{pad}{key}:")
                lines.append(to_yaml(item, indent + 1))
            else:
                lines.append(f"{pad}{key}: {_scalar(item)}")
    else:
        for item in value:
            if isinstance(item, dict):
                body = to_yaml(item, indent + 1).splitlines()
                lines.append(f"{pad}- {body[0].strip()}")
                lines.extend(body[1:])
            else:
                lines.append(f"{pad}- {_scalar(item)}")
    return "\n".join(lines)


def _scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if value in ([], {}):
        return json.dumps(value)
    return json.dumps(str(value), ensure_ascii=False)


def manifest_yaml(http_url: str | None = None) -> str:
    return to_yaml(manifest(http_url)) + "\n"
