"""Who asked, where, and which Slack delivery it came from: what every studio feature is given."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Origin:
    channel_id: str
    user_id: str
    team_id: str = ""
    source_key: str = ""  # one job per trigger: "cmd:<trigger_id>", "msg:<channel>:<ts>"
    files: tuple[dict, ...] = field(default_factory=tuple)  # Slack file objects attached to a mention
