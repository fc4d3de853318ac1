"""Distribution mode's listeners: the workspace a request comes from is the one its Slack calls go
to, and a workspace removing Dailies is forgotten (Bolt skips authorization for these events)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.install.uninstall import Uninstalls
from bot.slack import workspace
from handlers.context import provide


async def serve_workspace(context: AsyncBoltContext, next):
    """Calls made while handling this request use its workspace's token (the one Bolt authorized).
    Left set for the rest of the request: Bolt runs the listener after every middleware returned,
    in a task that starts from this request's context."""
    if context.bot_token:
        workspace.enter(workspace.Workspace(context.team_id or "", context.bot_token))
    return await next()


async def app_uninstalled(body: dict, context: AsyncBoltContext, uninstalls: Uninstalls):
    """Dailies was removed from a workspace: its jobs stop and its installation is forgotten."""
    await uninstalls.removed(context.team_id or body.get("team_id", ""), context.enterprise_id)


async def tokens_revoked(body: dict, event: dict, context: AsyncBoltContext, uninstalls: Uninstalls):
    """Tokens of a workspace were revoked: the bot's going means the workspace is gone for Dailies."""
    team_id = context.team_id or body.get("team_id", "")
    await uninstalls.revoked(team_id, context.enterprise_id, event.get("tokens") or {})


def register(app: AsyncApp, uninstalls: Uninstalls) -> None:
    app.middleware(serve_workspace)
    app.middleware(provide(uninstalls=uninstalls))
    app.event("app_uninstalled")(app_uninstalled)
    app.event("tokens_revoked")(tokens_revoked)
