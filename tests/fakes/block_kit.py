"""Slack's Block Kit rules, checked on every payload the bot sends to the Slack stand-in.

slack_sdk.models parses and validates each block (`Block.parse_all`, `validate_json`) and each view
(`View(**view).validate_json()`); on top of that, the documented limits the models leave out (blocks
per message, a message's `text`) and fields the models do not know (a misspelt key Slack rejects).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MESSAGE_METHODS = frozenset({"chat.postMessage", "chat.update", "chat.postEphemeral", "response_url"})
VIEW_METHODS = frozenset({"views.publish", "views.open", "views.update"})
MAX_MESSAGE_BLOCKS = 50
MAX_MESSAGE_TEXT = 4000  # Slack truncates a message's text past this
MAX_SECTION_TEXT = 3000
MAX_BLOCK_ID = 255


def problems(method: str, params: dict) -> list[str]:
    """What Slack would reject or cut in this call's payload; empty when it is fine."""
    if method in MESSAGE_METHODS:
        return _message(params)
    if method in VIEW_METHODS:
        return _view(params.get("view"))
    return []


def _message(params: dict) -> list[str]:
    found = []
    text = params.get("text")
    if isinstance(text, str) and len(text) > MAX_MESSAGE_TEXT:
        found.append(f"text is {len(text)} characters; Slack's limit is {MAX_MESSAGE_TEXT}")
    blocks = _decoded(params.get("blocks"))
    if blocks is None:
        return found
    if not isinstance(blocks, list):
        return [*found, f"blocks is a {type(blocks).__name__}, not a list"]
    if len(blocks) > MAX_MESSAGE_BLOCKS:
        found.append(f"{len(blocks)} blocks; a message holds at most {MAX_MESSAGE_BLOCKS}")
    return found + _blocks(blocks)


def _view(view) -> list[str]:
    view = _decoded(view)
    if not isinstance(view, dict):
        return [f"view is a {type(view).__name__}, not an object"]
    try:
        View(**view).validate_json()
    except (SlackObjectFormationError, TypeError) as exc:
        return [f"view: {exc}"]
    return _blocks(view.get("blocks") or [])


def _blocks(blocks: list) -> list[str]:
    found = []
    if not all(isinstance(b, dict) for b in blocks):
        return ["blocks holds something that is not an object"]
    for i, (raw, parsed) in enumerate(zip(blocks, Block.parse_all(blocks), strict=True)):
        where = f"block {i} ({raw.get('type')!r})"
        if parsed is None:
            found.append(f"{where}: not a Block Kit block type")
            continue
        try:
            parsed.validate_json()
            known = parsed.to_dict()
        except SlackObjectFormationError as exc:
            found.append(f"{where}: {exc}")
            continue
        unknown = sorted(set(raw) - set(known))
        if unknown:
            found.append(f"{where}: fields Block Kit does not have: {unknown}")
        if len(str(raw.get("block_id", ""))) > MAX_BLOCK_ID:
            found.append(f"{where}: block_id longer than {MAX_BLOCK_ID}")
        text = (raw.get("text") or {}).get("text", "") if raw.get("type") == "section" else ""
        if len(text) > MAX_SECTION_TEXT:
            found.append(f"{where}: section text is {len(text)} characters; the limit is {MAX_SECTION_TEXT}")
    return found


def _decoded(value):
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


@dataclass
class PayloadLog:
    """Every Block Kit payload the stand-ins received, across the session; a test checks its own."""

    sent: list[tuple[str, dict]] = field(default_factory=list)

    def add(self, method: str, params: dict) -> None:
        if method in MESSAGE_METHODS or method in VIEW_METHODS:
            self.sent.append((method, params))

    def clear(self) -> None:
        self.sent.clear()

    def problems(self) -> list[str]:
        return [
            f"{method} #{n}: {problem}"
            for n, (method, params) in enumerate(self.sent, 1)
            for problem in problems(method, params)
        ]


PAYLOADS = PayloadLog()
