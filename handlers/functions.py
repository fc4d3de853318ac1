"""The Workflow Builder step "Render a video" (`function_executed`): Bolt acks it; the step fails
at once with the reason when its inputs can't make a job, else it completes when the job ends
(bot/delivery/workflow_steps.py, with the installation's token)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.studio.studio import Studio
from bot.studio.workflow_steps import CALLBACK_ID
from handlers.replies import tell


async def render_video(
    event: dict, inputs: dict | None, body: dict, context: AsyncBoltContext, studio: Studio
):
    if not await studio.first_time(
        f"ev:{body.get('event_id') or event['function_execution_id']}", "function"
    ):
        return
    refused = await studio.workflow_steps.render(
        event["function_execution_id"], inputs or {}, body.get("team_id", ""), context.bot_user_id or ""
    )
    if refused:
        await tell(context, body, refused)  # the step fails with its own token, while the execution runs


def register(app: AsyncApp) -> None:
    app.function(CALLBACK_ID)(render_video)
