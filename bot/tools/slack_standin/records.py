"""What the Slack stand-in records and stores, and the small pure helpers its parts share."""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiohttp import web

JSON_TYPE = "application/json;charset=utf-8"
# Values that Slack clients send as JSON strings inside form or query parameters.
_JSON_PARAMS = ("files", "blocks", "attachments", "view", "metadata")
_LOGIN_PAGE = "<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in to Slack</body></html>"
_TS_BASE = 1732500000
DEFAULT_SCOPES = tuple(
    "app_mentions:read assistant:write channels:history chat:write chat:write.public commands files:read files:write"
    " groups:history im:history mpim:history reactions:read reactions:write users:read".split()
)


@dataclass
class Call:
    """One request the stand-in received."""

    method: str
    params: dict
    http_method: str
    content_type: str
    auth: str | None
    at: float
    body_size: int


@dataclass
class StoredFile:
    """A file held on disk: uploaded by the bot through an upload URL, or added by a test as a user's file."""

    file_id: str
    name: str
    title: str
    mimetype: str
    declared_length: int
    path: Path | None = None
    size: int = 0
    sha256: str = ""
    user: str = ""
    completed: bool = False
    shares: dict[str, list[dict]] = field(default_factory=dict)


def _random_id(prefix: str, length: int = 10) -> str:
    return prefix + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(length))


def _ts_key(ts: str) -> tuple[int, ...]:
    return tuple(int(part) for part in ts.split("."))


def _normalise(params: dict[str, Any]) -> dict[str, Any]:
    for name in _JSON_PARAMS:
        value = params.get(name)
        if isinstance(value, str) and value[:1] in "[{":
            try:
                params[name] = json.loads(value)
            except ValueError:
                pass  # left as sent; the method answers invalid_arguments where it matters
    return params


def _public(message: dict, *, metadata: bool = False) -> dict:
    """The message as the API returns it (the stand-in keeps `channel` on stored messages for itself;
    message metadata is shown only where the caller asked for it, as with include_all_metadata)."""
    hidden = ("channel",) if metadata else ("channel", "metadata")
    return {k: v for k, v in message.items() if k not in hidden}


class StandInState:
    """What SlackStandIn sets up and its parts (WebApi, FileHosting) share, declared once so each part
    type-checks on its own; nothing here exists at run time until SlackStandIn.__init__ sets it."""

    team_id: str
    bot_user_id: str
    bot_id: str
    token_prefix: str
    scopes: tuple[str, ...]
    base_url: str
    calls: list[Call]
    messages: dict[str, list[dict]]
    ephemerals: list[dict]
    responses: list[dict]
    files: dict[str, StoredFile]
    _reactions: dict[tuple[str, str], dict[str, list[str]]]
    _upload_tickets: dict[str, str]  # upload URL token -> file id
    _api: dict[str, Callable[[dict], dict]]
    _app_level_api: dict[str, Callable[[str], dict]]
    _credential_api: dict[str, Callable[[dict, str], dict]]
    _statuses: dict[tuple[str, str], tuple[str, float]]  # (DM, thread) -> (status line, when set)
    suggested_prompts: dict[str, dict]  # DM channel -> the prompts pinned in it

    if TYPE_CHECKING:  # methods one part calls and another (or SlackStandIn) defines

        def message(self, channel: str, ts: str) -> dict | None: ...
        def thread(self, channel: str, thread_ts: str) -> list[dict]: ...
        def _dir(self) -> Path: ...
        def _next_ts(self) -> str: ...
        def _store(self, channel: str, message: dict, thread_ts: str | None) -> dict: ...
        def _bot_message(self, params: dict) -> dict: ...
        async def _record(self, request: web.Request, method: str, params: dict, body_size: int) -> None: ...
        def _scripted(self, method: str) -> web.Response | None: ...
