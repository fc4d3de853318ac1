"""The Slack app manifest (Socket Mode by default; HTTP with request URLs), as YAML text (pure)."""

from __future__ import annotations

import json

from bot.screening.signin import CALLBACK_PATH
from bot.screening.signin import SCOPES as SIGN_IN_SCOPES
from bot.slack.scopes import SCOPES

EVENTS = (
    "app_home_opened",
    "app_mention",
    "function_executed",  # the Workflow Builder step (sent only while a workflow runs it)
    "message.channels",
    "message.groups",
    "message.im",
    "message.mpim",
    "reaction_added",
    "reaction_removed",
)


SHORTCUTS = (
    {
        "name": "Edit this clip",
        "type": "message",
        "callback_id": "edit_clip",
        "description": "Change a Dailies clip as a reply in its thread would: say what to change",
    },
    {
        "name": "Save as subject",
        "type": "message",
        "callback_id": "save_subject",
        "description": "Save a Dailies clip's first frame in the channel's subject library",
    },
)
FUNCTIONS = {
    "render_video": {
        "title": "Render a video",
        "description": "Make a Dailies clip in a channel: a job card there, the clip in its thread",
        "input_parameters": {
            "channel": {"type": "slack#/types/channel_id", "name": "channel", "title": "Channel",
                        "description": "Where the job card and the clip go", "is_required": True},
            "prompt": {"type": "string", "name": "prompt", "title": "Prompt",
                       "description": "What the video shows, as after /video", "is_required": True},
            "model": {"type": "string", "name": "model", "title": "Model",
                      "description": "A model id from /video models (default: the channel's)", "is_required": False},
            "seconds": {"type": "integer", "name": "seconds", "title": "Seconds",
                        "description": "The clip's length (default: the model's)", "is_required": False},
            "requester": {"type": "slack#/types/user_id", "name": "requester", "title": "Asked by",
                          "description": "Who the card names (e.g. the person who used the workflow)",
                          "is_required": False},
        },
        "output_parameters": {
            "clip_permalink": {"type": "string", "name": "clip_permalink", "title": "Clip link", "is_required": True},
            "job_id": {"type": "string", "name": "job_id", "title": "Job id", "is_required": True},
            "cost": {"type": "number", "name": "cost", "title": "Cost (USD)", "is_required": True},
        },
    }
}  # fmt: skip


AGENT_DESCRIPTION = (
    "Your private video studio: draft clips here with the same words as /video, reply in a clip's "
    "thread to change it, and post the one worth your team's time to a channel."
)  # at most 300 characters

# what a distributed app hears of a workspace removing it (Bolt delivers them without authorization)
DISTRIBUTED_EVENTS = ("app_uninstalled", "tokens_revoked")


def manifest(http_url: str | None = None, *, distribute: bool = False, public_url: str | None = None) -> dict:
    """The manifest; `distribute`: for many workspaces installing through OAuth (HTTP mode only):
    the redirect URL, token rotation and the uninstall events. With a public URL for the screening
    room (`public_url`, else `http_url`): Sign in with Slack's redirect URL and user scopes."""
    if distribute and not http_url:
        raise ValueError("a distributed app needs its public URL (--http-url)")
    room_url = (public_url or http_url or "").rstrip("/")
    command = {
        "command": "/video",
        "description": "Generate or edit a video clip with Kling, Sora or the local preview",
        "usage_hint": '"a red fox in the snow" --model kling-v3 --seconds 5 | help',
        "should_escape": True,  # mentions arrive as <@U123|name>: `settings approvers @ann` needs it
    }
    settings: dict = {
        "event_subscriptions": {"bot_events": list(EVENTS)},
        "interactivity": {"is_enabled": True},
        # custom workflow steps need an org-ready app whose functions run here ("remote")
        "org_deploy_enabled": True,
        "function_runtime": "remote",
        "socket_mode_enabled": http_url is None,
        "token_rotation_enabled": False,
    }
    if http_url:
        url = http_url.rstrip("/") + "/slack/events"
        command["url"] = url
        settings["event_subscriptions"]["request_url"] = url
        settings["interactivity"]["request_url"] = url
    scopes: dict = {"bot": list(SCOPES)}
    redirects: list[str] = []
    if distribute:
        redirects.append((http_url or "").rstrip("/") + "/slack/oauth_redirect")
        settings["token_rotation_enabled"] = True
        settings["event_subscriptions"]["bot_events"] += list(DISTRIBUTED_EVENTS)
    if room_url:  # deciding in the screening room: people sign in with Slack, back to this URL
        redirects.append(room_url + CALLBACK_PATH)
        scopes["user"] = list(SIGN_IN_SCOPES)
    oauth_config: dict = {"redirect_urls": redirects, "scopes": scopes} if redirects else {"scopes": scopes}
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
            # the DM with Dailies as a private studio: Slack's agent messaging (Messages tab)
            "agent_view": {"agent_description": AGENT_DESCRIPTION},
            "bot_user": {"display_name": "Dailies", "always_online": True},
            "slash_commands": [command],
            "shortcuts": [dict(s) for s in SHORTCUTS],
        },
        "oauth_config": oauth_config,
        "settings": settings,
        "functions": FUNCTIONS,
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


def manifest_yaml(
    http_url: str | None = None, *, distribute: bool = False, public_url: str | None = None
) -> str:
    return to_yaml(manifest(http_url, distribute=distribute, public_url=public_url)) + "\n"
