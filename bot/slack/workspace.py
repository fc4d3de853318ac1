"""Which workspace a Slack call is made for, and with which bot token: in distribution mode (many
workspaces installed through OAuth) the bot's clients carry no token of their own, so every call
takes the token of the workspace it is made for: a listener's (Bolt authorized the request), or
the one a job belongs to (the runner and the card publisher say which, `SlackClients.serving`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass

# team id -> that workspace's bot token now (refreshed if it was about to expire), None when the
# workspace never installed Dailies or removed it
TokenSource = Callable[[str], Awaitable[str | None]]


@dataclass(frozen=True)
class Workspace:
    team_id: str
    token: str


class WorkspaceGone(Exception):
    """The workspace removed Dailies (or never installed it): nothing may be sent to it."""

    def __init__(self, team_id: str) -> None:
        super().__init__(f"workspace {team_id or '(unknown)'} has no installation of Dailies")
        self.team_id = team_id


_workspace: ContextVar[Workspace | None] = ContextVar("dailies_slack_workspace", default=None)


def current() -> Workspace | None:
    """The workspace the calls made here are for, if one was named."""
    return _workspace.get()


def current_token() -> str:
    """The current workspace's bot token ("" outside any workspace): for downloads of Slack files."""
    workspace = _workspace.get()
    return workspace.token if workspace else ""


def enter(workspace: Workspace | None):
    """Make `workspace` current for this task (and the tasks it starts); returns the reset token."""
    return _workspace.set(workspace)


def leave(token) -> None:
    _workspace.reset(token)
