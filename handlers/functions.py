"""The Workflow Builder step "Render a video" (`function_executed`): Bolt acks it; the step fails
at once with the reason when its inputs can't make a job, else it completes when the job ends
(bot/delivery/workflow_steps.py, with the installation's token)."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp

from bot.studio.studio import SOMETHING_WRONG, Studio
from bot.studio.workflow_steps import CALLBACK_ID
from handlers.context import with_studio

log = logging.getLogger(__name__)


async def render_video(event, inputs, fail, body, context, studio: Studio):
    if not await studio.first_time(
        f"ev:{body.get('event_id') or event['function_execution_id']}", "function"
    ):
        return
    try:
        refused = await studio.workflow_steps.render(
            event["function_execution_id"], inputs or {}, body.get("team_id", ""), context.bot_user_id or ""
        )
    except Exception:
        log.exception("workflow step %s failed to start", event.get("function_execution_id"))
        refused = SOMETHING_WRONG
    if refused:
        await fail(error=refused)  # with the step's own token, while the execution runs


def register(app: AsyncApp, studio: Studio) -> None:
    app.function(CALLBACK_ID, middleware=with_studio(studio))(render_video)
