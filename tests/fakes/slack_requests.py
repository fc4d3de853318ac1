"""Build what Slack sends to the app (signed HTTP bodies and Socket Mode envelopes), shaped like Slack's own."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import uuid
from urllib.parse import quote, urlencode

import aiohttp

SIGNING_SECRET = "test-signing-secret"
TEAM_ID = "T0DAILIES"
APP_ID = "A0DAILIES"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def signed_headers(
    body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None, content_type: str | None = None
) -> dict[str, str]:
    """The three headers Slack adds; the signature covers `v0:<timestamp>:<raw body>`."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    if content_type is None:
        content_type = JSON if body.lstrip().startswith("{") else FORM
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
    }


def _trigger_id() -> str:
    return f"{secrets.randbelow(10**13)}.{secrets.randbelow(10**9)}.{secrets.token_hex(16)}"


def slash_command_payload(
    text: str,
    *,
    response_url: str,
    channel_id: str = "C0CHANNEL",
    user_id: str = "U0ALICE",
    team_id: str = TEAM_ID,
    trigger_id: str | None = None,
    command: str = "/video",
) -> dict[str, str]:
    """The fields of a slash command, in the order Slack sends them (slash_command.txt)."""
    return {
        "token": "verification-token",
        "team_id": team_id,
        "team_domain": "dailies",
        "channel_id": channel_id,
        "channel_name": "video",
        "user_id": user_id,
        "user_name": user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or _trigger_id(),
    }


def slash_command_body(text: str, *, response_url: str, **fields: str | None) -> str:
    """A urlencoded slash-command body, as posted to the Request URL."""
    return urlencode(
        slash_command_payload(text, response_url=response_url, **fields), quote_via=quote, safe="/:"
    )


def event_payload(
    event: dict, *, event_id: str | None = None, team_id: str = TEAM_ID, bot_user_id: str = "UBOT"
) -> dict:
    """The event_callback envelope around an event (message_thread_reply.json)."""
    kind = event.get("type", "message")
    return {
        "token": "verification-token",
        "team_id": team_id,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or "Ev" + secrets.token_hex(5).upper(),
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{kind}-{team_id}-{event.get('channel', '')}",
    }


def event_body(event: dict, **envelope: str | None) -> str:
    return json.dumps(event_payload(event, **envelope))


def _channel_type(channel: str) -> str:
    return {"D": "im", "G": "group"}.get(channel[:1], "channel")


def _rich_text(text: str) -> list[dict]:
    section = {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
    return [{"type": "rich_text", "block_id": secrets.token_hex(2), "elements": [section]}]


def message_event(
    text: str,
    *,
    channel: str,
    user: str,
    ts: str,
    thread_ts: str | None = None,
    files: list[dict] | None = None,
    subtype: str | None = None,
    bot_id: str | None = None,
    parent_user_id: str = "UBOT",
) -> dict:
    """A `message` event: a person's post or reply, a file share, or another app's bot post."""
    event: dict = {"type": "message", "text": text, "user": user, "ts": ts, "team": TEAM_ID}
    if bot_id:
        event.update(
            bot_id=bot_id, app_id="A0OTHER", bot_profile={"id": bot_id, "name": "other", "deleted": False}
        )
    else:
        event.update(client_msg_id=str(uuid.uuid4()), blocks=_rich_text(text))
    if files:
        event.update(files=files, upload=False, display_as_bot=False)
        subtype = subtype or "file_share"
    if subtype:
        event["subtype"] = subtype
    if thread_ts:
        event["thread_ts"] = thread_ts
        event["parent_user_id"] = parent_user_id
    event.update(channel=channel, event_ts=ts, channel_type=_channel_type(channel))
    return event


def app_mention_event(
    text: str,
    *,
    channel: str,
    user: str,
    ts: str,
    thread_ts: str | None = None,
    files: list[dict] | None = None,
    bot_user_id: str = "UBOT",
) -> dict:
    """An `app_mention`; the text starts with the bot's mention as Slack writes it, unless it has one."""
    mention = f"<@{bot_user_id}>"
    if mention not in text:
        text = f"{mention} {text}"
    event: dict = {"client_msg_id": str(uuid.uuid4()), "type": "app_mention", "text": text, "user": user}
    section = {"type": "rich_text_section", "elements": [{"type": "user", "user_id": bot_user_id}]}
    section["elements"].append({"type": "text", "text": text.replace(mention, "", 1)})
    event.update(
        ts=ts, team=TEAM_ID, blocks=[{"type": "rich_text", "block_id": "m3n", "elements": [section]}]
    )
    if files:
        event.update(files=files, upload=False)
    if thread_ts:
        event["thread_ts"] = thread_ts
    event.update(channel=channel, event_ts=ts)
    return event


def reaction_event(
    reaction: str, *, user: str, channel: str, ts: str, item_user: str = "UBOT", added: bool = True
) -> dict:
    """`reaction_added` / `reaction_removed` on a message (reaction_added.json)."""
    return {
        "type": "reaction_added" if added else "reaction_removed",
        "user": user,
        "reaction": reaction,
        "item_user": item_user,
        "item": {"type": "message", "channel": channel, "ts": ts, "channel_type": _channel_type(channel)},
        "event_ts": f"{time.time():.6f}",
    }


def block_actions_payload(
    action_id: str,
    value: str,
    *,
    user_id: str,
    channel_id: str,
    message_ts: str,
    response_url: str,
    block_id: str = "card",
    thread_ts: str | None = None,
    message: dict | None = None,
    state: dict | None = None,
) -> dict:
    """A button click on a message (block_actions_with_message.json); `message` is the card as posted,
    `state` the values of its menus ({block_id: {action_id: {...}}})."""
    container = {"type": "message", "message_ts": message_ts, "channel_id": channel_id, "is_ephemeral": False}
    shown = dict(message or {"type": "message", "text": "", "user": "UBOT", "bot_id": "BBOT", "blocks": []})
    shown["ts"] = message_ts
    if thread_ts:
        container["thread_ts"] = thread_ts
        shown["thread_ts"] = thread_ts
    return {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": "verification-token",
        "container": container,
        "trigger_id": _trigger_id(),
        "team": {"id": TEAM_ID, "domain": "dailies"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": "video"},
        "message": shown,
        "state": {"values": state or {}},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": block_id,
                "text": {"type": "plain_text", "text": action_id, "emoji": True},
                "value": value,
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


def block_actions_body(action_id: str, value: str, **fields) -> str:
    """The HTTP wire form of a button click: `payload=<urlencoded JSON>`."""
    return "payload=" + quote(json.dumps(block_actions_payload(action_id, value, **fields)))


def socket_envelope(kind: str, payload: dict, *, retry_attempt: int = 0) -> dict:
    """A Socket Mode envelope: kind is "events_api", "slash_commands" or "interactive"."""
    envelope = {
        "envelope_id": str(uuid.uuid4()),
        "payload": payload,
        "type": kind,
        "accepts_response_payload": kind == "slash_commands",
    }
    if kind == "events_api":
        envelope.update(retry_attempt=retry_attempt, retry_reason="timeout" if retry_attempt else "")
    return envelope


async def post_signed(
    session_or_base_url: aiohttp.ClientSession | str,
    path: str,
    body: str,
    content_type: str | None = None,
    *,
    secret: str = SIGNING_SECRET,
    timestamp: int | None = None,
    extra_headers: dict[str, str] | None = None,
) -> tuple[int, str]:
    """POST a signed body as Slack does; returns (status, response text)."""
    headers = {**signed_headers(body, secret=secret, timestamp=timestamp, content_type=content_type)}
    headers.update(extra_headers or {})
    if isinstance(session_or_base_url, aiohttp.ClientSession):
        async with session_or_base_url.post(path, data=body.encode(), headers=headers) as resp:
            return resp.status, await resp.text()
    async with aiohttp.ClientSession() as session:
        url = session_or_base_url.rstrip("/") + path
        async with session.post(url, data=body.encode(), headers=headers) as resp:
            return resp.status, await resp.text()


# ---- modals, shortcuts and steps (issue 16) --------------------------------------------------------


def _field_state(element: dict, value) -> dict:
    """One input's entry in `view.state.values`, as Slack fills it (initial values count)."""
    kind = element["type"]
    options = {o["value"]: o for o in element.get("options", [])}
    if kind in ("static_select", "radio_buttons"):
        chosen = options[value] if value is not None else element.get("initial_option")
        return {"type": kind, "selected_option": chosen}
    if kind in ("multi_static_select", "checkboxes"):
        chosen = [options[v] for v in value] if value is not None else element.get("initial_options", [])
        return {"type": kind, "selected_options": chosen}
    if kind == "file_input":  # the file objects Slack holds (ids and names), or none
        return {"type": kind, "files": value or []}
    if kind == "conversations_select":
        return {"type": kind, "selected_conversation": value or element.get("initial_conversation")}
    return {"type": kind, "value": value if value is not None else element.get("initial_value")}


def view_state(view: dict, values: dict) -> dict:
    """`view.state` for a modal whose fields a person filled with `values` (block id -> value;
    a list for a multi-select); every other input keeps its initial value or stays empty."""
    state: dict = {}
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            continue
        element = block["element"]
        state[block["block_id"]] = {
            element["action_id"]: _field_state(element, values.get(block["block_id"]))
        }
    unknown = set(values) - set(state)
    if unknown:
        raise KeyError(f"the view has no input blocks {sorted(unknown)}")
    return {"values": state}


def _user(user_id: str) -> dict:
    return {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": TEAM_ID}


def view_submission_payload(view: dict, values: dict, *, user_id: str, trigger_id: str | None = None) -> dict:
    """Submitting a modal Slack holds (`view` as views.open answered it) with its fields filled."""
    return {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "dailies"},
        "user": _user(user_id),
        "api_app_id": APP_ID,
        "token": "verification-token",
        "trigger_id": trigger_id or _trigger_id(),
        "view": {**view, "state": view_state(view, values)},
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def view_action_payload(
    view: dict,
    block_id: str,
    action: dict,
    *,
    user_id: str,
    values: dict | None = None,
    trigger_id: str | None = None,
) -> dict:
    """An interactive element used inside a view (a modal's select, an App Home button):
    block_actions with a `view` container and no channel."""
    return {
        "type": "block_actions",
        "user": _user(user_id),
        "api_app_id": APP_ID,
        "token": "verification-token",
        "container": {"type": "view", "view_id": view["id"]},
        "trigger_id": trigger_id or _trigger_id(),
        "team": {"id": TEAM_ID, "domain": "dailies"},
        "enterprise": None,
        "is_enterprise_install": False,
        "view": {**view, "state": view_state(view, values or {}) if view.get("type") == "modal" else view.get("state", {"values": {}})},
        "actions": [{**action, "block_id": block_id, "action_ts": f"{time.time():.6f}"}],
    }  # fmt: skip


def message_shortcut_payload(
    callback_id: str,
    message: dict,
    *,
    channel_id: str,
    user_id: str,
    response_url: str,
    trigger_id: str | None = None,
) -> dict:
    """A message shortcut used on `message` (as the channel shows it, with its blocks and files)."""
    return {
        "type": "message_action",
        "token": "verification-token",
        "action_ts": f"{time.time():.6f}",
        "team": {"id": TEAM_ID, "domain": "dailies"},
        "user": _user(user_id),
        "channel": {"id": channel_id, "name": "video"},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id or _trigger_id(),
        "response_url": response_url,
        "message_ts": message["ts"],
        "message": {k: v for k, v in message.items() if k != "channel"},
    }  # fmt: skip


def interactive_body(payload: dict) -> str:
    """Any interactivity payload in its HTTP wire form: `payload=<urlencoded JSON>`."""
    return "payload=" + quote(json.dumps(payload))
