"""The bot scopes Dailies asks Slack for: in the manifest, the install link and `dailies doctor`."""

from __future__ import annotations

SCOPES = (
    "app_mentions:read",
    "assistant:write",  # the DM studio (agent messaging): its prompts; thread status needs chat:write
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
