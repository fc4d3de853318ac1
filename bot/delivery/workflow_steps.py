"""Telling Slack how a Workflow Builder step's job ended: `functions.completeSuccess` with the
clip's permalink, the job id and its cost, or `functions.completeError` with the job's reason.

It is called when a job ends (delivered, failed, cancelled) and once at start-up for steps a
restart left open. The call uses the installation's bot token, never the step's own
`bot_access_token`: that workflow token lives about 15 minutes and ends with the step, while a
render may take longer, and Slack lists bot tokens as able to complete a function."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from datetime import UTC, datetime, timedelta

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from storage import jobs as jobs_db
from storage import workflow_steps as steps_db
from storage.db import Store
from storage.rows import JobRow
from storage.states import ENDED, JobState

log = logging.getLogger(__name__)
ENDED_BY_SLACK = ("function_execution_not_found", "execution_not_in_running_state")
NEVER_STORED = "Dailies restarted before this step's render was stored; run the step again."
# a step without its job this long after it started was cut short by a restart (not still starting)
STARTING_SECONDS = 300
# `clip_permalink` is a required output: Slack refuses an empty one, so the link is asked for again
# (a file just shared may not have one yet) before the step ends on the error path instead
PERMALINK_TRIES, PERMALINK_WAIT = 3, 0.5


def outputs(job: JobRow, permalink: str) -> dict:
    """The step's outputs for a delivered job (pure): `clip_permalink`, `job_id`, `cost`."""
    return {"clip_permalink": permalink, "job_id": f"J{job['id']}", "cost": round(job["cost_usd"] or 0.0, 2)}


def no_link(job: JobRow) -> str:
    """Why a delivered job's step still fails: Slack gave no link to hand on (pure)."""
    return (
        f"J{job['id']} was delivered, but Slack gave no link to its clip to pass on: "
        "open the clip from the job's card in its channel."
    )


def reason(job: JobRow) -> str:
    """Why the step failed, in the words the job's thread uses (pure)."""
    if job["state"] == JobState.CANCELLED:
        return f"J{job['id']} was cancelled before its clip was delivered."
    return f"J{job['id']} failed: {job.get('error') or 'the render did not finish'}"


class StepCompletion:
    def __init__(
        self,
        slack: AsyncWebClient,
        store: Store,
        serving: Callable[[str], AbstractAsyncContextManager] | None = None,
    ) -> None:
        self.slack = slack  # the bot's durable client (installation token, retries through the budget)
        self.store = store
        # calls made inside are for that workspace, with its installation's token (distribution mode)
        self.serving = serving or (lambda team_id: nullcontext())

    async def job_ended(self, job_id: int) -> None:
        """Complete the step waiting for this job, if one is and the job has ended."""
        job = await self.store.run(jobs_db.get_job, job_id)
        if job is None or job["state"] not in ENDED:
            return
        step = await self.store.run(steps_db.step_for_job, job["source_key"] or "")
        if step is None or step["completed_at"]:
            return
        async with self.serving(step["team_id"] or ""):
            if job["state"] == JobState.DELIVERED:
                link = await self._permalink_retried(job)
                if link:
                    done = outputs(job, link)
                    await self._send(
                        step, "success", function_execution_id=step["execution_id"], outputs=done
                    )
                else:
                    await self._send(
                        step, "error", function_execution_id=step["execution_id"], error=no_link(job)
                    )
            else:
                await self._send(step, "error", function_execution_id=step["execution_id"], error=reason(job))

    async def sweep(self) -> None:
        """Steps a restart left open: their job ended meanwhile, or was never stored."""
        before = (datetime.now(UTC) - timedelta(seconds=STARTING_SECONDS)).isoformat(timespec="milliseconds")
        for step in await self.store.run(steps_db.steps_to_settle, before):
            if step["job_id"] is not None:
                await self.job_ended(step["job_id"])
            else:
                async with self.serving(step["team_id"] or ""):
                    await self._send(
                        step, "error", function_execution_id=step["execution_id"], error=NEVER_STORED
                    )

    async def _send(self, step: dict, outcome: str, **args) -> None:
        method = (
            self.slack.functions_completeSuccess
            if outcome == "success"
            else self.slack.functions_completeError
        )
        try:
            await method(**args)
        except SlackApiError as exc:
            error = exc.response.get("error", "")
            if error not in ENDED_BY_SLACK:
                log.warning("could not complete workflow step %s (%s)", step["execution_id"], error)
                return  # left open: the next start-up sweep tries again
            outcome = "gone"  # Slack ended the execution itself (timed out, or told by another replica)
        await self.store.run(steps_db.finish_step, step["execution_id"], outcome)

    async def _permalink_retried(self, job: JobRow) -> str:
        """The permalink, asked for up to PERMALINK_TRIES times; "" when Slack never gives one."""
        for attempt in range(PERMALINK_TRIES):
            if attempt:
                await asyncio.sleep(PERMALINK_WAIT * attempt)
            link = await self._permalink(job)
            if link:
                return link
        log.warning("no permalink for J%s after %s tries", job["id"], PERMALINK_TRIES)
        return ""

    async def _permalink(self, job: JobRow) -> str:
        """The delivered clip's Slack permalink, else the job card's ("" when neither has one)."""
        for take in await self.store.run(jobs_db.takes_of_job, job["id"]):
            file_id = take.get("slack_file_id")
            if take["state"] == "delivered" and file_id:
                try:
                    info = await self.slack.files_info(file=file_id)
                    if info["file"].get("permalink"):
                        return info["file"]["permalink"]
                except SlackApiError as exc:
                    log.info("no permalink for %s (%s)", take["slack_file_id"], exc.response.get("error"))
        shot = await self.store.run(jobs_db.get_shot, job["shot_id"])
        if shot is None or not shot["card_ts"]:
            log.info("no permalink for J%s's card (no card)", job["id"])
            return ""
        try:
            found = await self.slack.chat_getPermalink(channel=shot["channel_id"], message_ts=shot["card_ts"])
            return found.get("permalink") or ""
        except SlackApiError as exc:
            log.info("no permalink for J%s's card (%s)", job["id"], exc.response.get("error"))
            return ""
