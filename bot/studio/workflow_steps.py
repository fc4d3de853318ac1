"""The Workflow Builder step "Render a video": its inputs make the job `/video PROMPT --model M
--seconds N` makes in that channel (a normal card); the step completes when the job ends."""

from __future__ import annotations

import asyncio
import logging

from bot.delivery.workflow_steps import StepCompletion
from bot.request.form import FieldErrors, VideoForm, video_from_form
from bot.studio.new_video import NewVideo
from bot.studio.origin import Origin
from storage import jobs as jobs_db
from storage import workflow_steps as steps_db
from storage.db import Store

CALLBACK_ID = "render_video"
log = logging.getLogger(__name__)


class WorkflowSteps:
    def __init__(self, store: Store, new_video: NewVideo, completion: StepCompletion) -> None:
        self.store = store
        self.new_video = new_video
        self.completion = completion
        self._sweep: asyncio.Task | None = None

    def start_sweep(self) -> None:
        """At start-up, in the background: complete the steps a restart left open."""
        self._sweep = asyncio.create_task(self._settle_open(), name="workflow-steps")

    async def _settle_open(self) -> None:
        try:
            await self.completion.sweep()
        except Exception:
            log.exception("could not settle the open workflow steps")

    async def stop(self) -> None:
        if self._sweep is not None and not self._sweep.done():
            self._sweep.cancel()
            await asyncio.gather(self._sweep, return_exceptions=True)

    async def render(self, execution_id: str, inputs: dict, team_id: str, requester: str) -> str | None:
        """Start the step's job; the reason to fail the step now, or None (it completes when the
        job ends, also after a restart). A redelivered execution starts nothing more."""
        channel = str(inputs.get("channel") or "").strip()
        if not channel:
            return "Choose the channel the video's card goes to."
        seconds = inputs.get("seconds")
        form = VideoForm(
            prompt=str(inputs.get("prompt") or ""),
            model=str(inputs.get("model") or "").strip() or None,
            seconds=str(seconds) if seconds not in (None, "") else None,
        )
        request = video_from_form(form)
        if isinstance(request, FieldErrors):
            return request.message
        source_key = f"fn:{execution_id}"
        # recorded before the job, so a job that ends at once still finds the step waiting for it
        if not await self.store.run(steps_db.begin_step, execution_id, source_key, channel, team_id):
            return None
        origin = Origin(channel, str(inputs.get("requester") or requester), team_id, source_key=source_key)
        refused = await self.new_video.request(origin, request)
        if refused:
            await self.store.run(steps_db.finish_step, execution_id, "error")
            return refused
        job_id = await self.store.run(jobs_db.job_id_for_source, source_key)
        if job_id is not None:
            await self.completion.job_ended(job_id)  # it may have ended already (a free preview)
        return None
