"""Issue 16: the stand-in's views.open / views.update and functions.complete* answer the real
slack_sdk client as Slack does (single-use, short-lived triggers; view limits; step state)."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError

from tests.fakes.block_kit import PAYLOADS
from tests.fakes.slack import web_client

MODAL = {
    "type": "modal",
    "callback_id": "video_form",
    "title": {"type": "plain_text", "text": "New video"},
    "submit": {"type": "plain_text", "text": "Render"},
    "blocks": [
        {
            "type": "input",
            "block_id": "prompt",
            "label": {"type": "plain_text", "text": "Prompt"},
            "element": {"type": "plain_text_input", "action_id": "value"},
        }
    ],
}


async def error_of(call) -> str:
    with pytest.raises(SlackApiError) as raised:
        await call
    return raised.value.response["error"]


async def test_a_trigger_opens_one_modal_and_only_once(slack):
    client = web_client(slack)
    trigger = slack.issue_trigger()
    opened = await client.views_open(trigger_id=trigger, view=MODAL)
    view = opened["view"]
    assert (
        view["id"].startswith("V")
        and view["hash"]
        and slack.modals[view["id"]]["callback_id"] == "video_form"
    )
    assert await error_of(client.views_open(trigger_id=trigger, view=MODAL)) == "exchanged_trigger_id"
    assert await error_of(client.views_open(trigger_id="1.2.made-up", view=MODAL)) == "invalid_trigger_id"


async def test_a_modal_slack_would_refuse_is_refused(slack):
    client = web_client(slack)
    long_title = {**MODAL, "title": {"type": "plain_text", "text": "A title far longer than Slack allows"}}
    no_submit = {k: v for k, v in MODAL.items() if k != "submit"}
    for view in (long_title, no_submit, {**MODAL, "blocks": [MODAL["blocks"][0]] * 2}):
        assert await error_of(client.views_open(trigger_id=slack.issue_trigger(), view=view)) == (
            "invalid_arguments"
        )
    PAYLOADS.clear()  # sent wrong on purpose: the payload check would (rightly) fail them too


async def test_views_update_needs_the_current_hash(slack):
    client = web_client(slack)
    view = (await client.views_open(trigger_id=slack.issue_trigger(), view=MODAL))["view"]
    updated = await client.views_update(view_id=view["id"], hash=view["hash"], view=MODAL)
    assert updated["view"]["id"] == view["id"] and updated["view"]["hash"] != view["hash"]
    stale = client.views_update(view_id=view["id"], hash=view["hash"], view=MODAL)
    assert await error_of(stale) == "hash_conflict"
    assert await error_of(client.views_update(view_id="VNOPE", view=MODAL)) == "not_found"


async def test_a_step_completes_once_with_its_required_outputs(slack):
    client = web_client(slack)
    event = slack.start_function("render_video", {"prompt": "a fox"}, outputs=("job_id",))
    execution = event["function_execution_id"]
    missing = client.functions_completeSuccess(function_execution_id=execution, outputs={})
    assert await error_of(missing) == "parameter_validation_failed"
    await client.functions_completeSuccess(function_execution_id=execution, outputs={"job_id": "J1"})
    assert slack.executions[execution].result == {"outputs": {"job_id": "J1"}}
    again = client.functions_completeError(function_execution_id=execution, error="late")
    assert await error_of(again) == "execution_not_in_running_state"
    unknown = client.functions_completeError(function_execution_id="FxNOPE", error="x")
    assert await error_of(unknown) == "function_execution_not_found"


async def test_a_steps_token_works_only_while_its_execution_runs(slack):
    event = slack.start_function("render_video", {"prompt": "a fox"})
    workflow = web_client(slack, token=event["bot_access_token"])
    await workflow.functions_completeError(
        function_execution_id=event["function_execution_id"], error="no channel"
    )
    assert slack.executions[event["function_execution_id"]].result == {"error": "no channel"}
    assert await error_of(workflow.auth_test()) == "invalid_auth"  # revoked with the completion
