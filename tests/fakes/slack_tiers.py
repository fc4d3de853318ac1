"""A Slack stand-in that enforces Slack's published rate tiers, as Slack does: per method per
workspace (chat.postMessage also per channel), a token bucket with a short burst, and beyond it
HTTP 429 `{"ok": false, "error": "ratelimited"}` with `Retry-After` in whole seconds."""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from aiohttp import web

from tests.fakes.slack import ScriptedSlack


@dataclass
class Limit:
    per_minute: float
    burst: float
    tokens: float = -1.0
    at: float = field(default_factory=time.monotonic)

    def take(self, now: float) -> float:
        """0.0 when a call may go now (and takes its token), else seconds until one may."""
        if self.tokens < 0:
            self.tokens = self.burst
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.per_minute / 60)
        self.at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) * 60 / self.per_minute


# Slack's tiers at their published floor (Tier 2: 20, Tier 3: 50, Tier 4: 100 a minute), as token
# buckets; the bursts stand for Slack's unpublished "temporary burst".
TIER_2, TIER_3, TIER_4 = (20, 5), (50, 10), (100, 20)
WORKSPACE = {
    "chat.postMessage": (600, 40),
    "chat.update": TIER_3,
    "chat.postEphemeral": TIER_4,
    "files.getUploadURLExternal": TIER_4,
    "files.completeUploadExternal": TIER_4,
    "files.info": TIER_4,
    "conversations.history": TIER_3,
    "conversations.replies": TIER_3,
    "reactions.add": TIER_3,
    "reactions.remove": TIER_2,
    "views.publish": TIER_4,
    "users.info": TIER_4,
    "auth.test": TIER_4,
}
PER_CHANNEL = {"chat.postMessage": (60, 5)}  # "one message per second per channel", a short burst


@dataclass(frozen=True)
class Limited:
    method: str
    at: float  # monotonic, like Call.at
    retry_after: int


class TieredSlack(ScriptedSlack):
    """ScriptedSlack answering 429 beyond Slack's tiers; `limited` lists every call it refused."""

    def __init__(self, *, workspace: dict | None = None, per_channel: dict | None = None, **options) -> None:
        super().__init__(**options)
        self._workspace_tiers = {**WORKSPACE, **(workspace or {})}
        self._channel_tiers = {**PER_CHANNEL, **(per_channel or {})}
        self._limits: dict[tuple[str, str], Limit] = {}
        self.limited: list[Limited] = []

    def _limit(self, method: str, channel: str) -> Limit | None:
        tier = self._channel_tiers.get(method) if channel else self._workspace_tiers.get(method)
        if tier is None:
            return None
        return self._limits.setdefault((method, channel), Limit(*tier))

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        now = time.monotonic()
        wait = 0.0
        workspace = self._limit(method, "")
        if workspace is not None:
            wait = workspace.take(now)
        if not wait and method in self._channel_tiers:
            wait = self._limit(method, await _channel(request)).take(now)  # type: ignore[union-attr]
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            self.limited.append(Limited(method, now, retry_after))
            return self._json(
                {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}, status=429
            )
        return await super()._handle_api(request)

    def limited_for(self, method: str) -> list[Limited]:
        return [x for x in self.limited if x.method == method]


async def _channel(request: web.Request) -> str:
    raw = await request.read()  # aiohttp keeps the body, so the handler reads it again
    if request.content_type == "application/json" and raw:
        return str(json.loads(raw).get("channel") or "")
    return dict(parse_qsl(raw.decode(), keep_blank_values=True)).get("channel", "")
