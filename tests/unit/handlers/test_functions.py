"""The Workflow Builder step: handed to the studio; it fails with the reason, or with the one wording."""

from __future__ import annotations

from handlers.functions import render_video
from handlers.replies import SOMETHING_WRONG
from tests.fakes.slack_requests import event_payload

from .conftest import Broken, FakeStudio, bolt_request, run, run_failing


def step(inputs: dict) -> dict:
    """`function_executed` as Slack sends it for a step of this app."""
    function = {"id": "Fn0RENDER", "callback_id": "render_video", "title": "Render a video", "type": "app", "app_id": "A0DAILIES"}  # fmt: skip
    event = {
        "type": "function_executed",
        "function": function,
        "inputs": inputs,
        "function_execution_id": "Fx0STEP",
        "workflow_execution_id": "Wx0FLOW",
        "event_ts": "1800000000.000500",
        "bot_access_token": "xwfp-step-token",
    }
    return event_payload(event)


async def test_the_step_is_handed_to_the_studio():
    studio = FakeStudio()
    request = bolt_request(step({"prompt": "a fox", "channel": "C0CHANNEL"}), studio)
    await run(render_video, request)
    assert studio.handed() == ["first_time", "workflow_steps.render"]
    assert studio.calls[-1][1] == (
        "Fx0STEP",
        {"prompt": "a fox", "channel": "C0CHANNEL"},
        "T0DAILIES",
        "UBOT",
    )
    request.context.fail.assert_not_awaited()


async def test_inputs_that_make_no_job_fail_the_step_with_the_reason():
    studio = FakeStudio()
    studio.answer("workflow_steps.render", "Give the step a prompt.")
    request = bolt_request(step({}), studio)
    await run(render_video, request)
    request.context.fail.assert_awaited_once_with(error="Give the step a prompt.")


async def test_a_failed_start_fails_the_step_with_the_one_wording():
    studio = FakeStudio()
    studio.answer("workflow_steps.render", Broken("disk on fire"))
    request = bolt_request(step({"prompt": "a fox"}), studio)
    await run_failing(render_video, request)
    request.context.fail.assert_awaited_once_with(error=SOMETHING_WRONG)
