"""The app's one error handler, bound by handlers.register: a listener that raises is logged with its
traceback (never the token Slack sends in the body) and answered with the one wording."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_request import AsyncBoltRequest

import handlers
from handlers.replies import SOMETHING_WRONG, unexpected
from tests.fakes.slack import web_client
from tests.fakes.slack_requests import block_actions_payload, view_submission_payload

from .conftest import Broken, FakeStudio, bolt_request


async def authorize(enterprise_id, team_id, user_id) -> AuthorizeResult:
    return AuthorizeResult(
        enterprise_id=enterprise_id, team_id=team_id, bot_token="xoxb-test", bot_user_id="UBOT"
    )


async def test_a_listener_that_raises_is_answered_with_the_one_wording(slack, caplog):
    caplog.set_level(logging.INFO)
    studio = FakeStudio()
    studio.answer("button", Broken("disk on fire"))
    app = AsyncApp(client=web_client(slack), authorize=authorize, request_verification_enabled=False)
    handlers.register(app, studio)
    payload = block_actions_payload("approve", "7", user_id="U0BOB", channel_id="C0CHANNEL", message_ts="1800000000.000100", response_url=slack.response_url())  # fmt: skip
    response = await app.async_dispatch(AsyncBoltRequest(body=payload, mode="socket_mode"))
    assert response.status == 200  # acked before the studio failed
    await slack.wait_for(lambda: slack.count("response_url") == 1)
    answer = slack.calls_to("response_url")[0].params
    assert answer["text"] == SOMETHING_WRONG and answer["response_type"] == "ephemeral"
    failed = [r for r in caplog.records if r.name == "handlers.replies"]
    assert [r.getMessage() for r in failed] == ["block_actions approve failed"]
    assert isinstance(failed[0].exc_info[1], Broken) and "disk on fire" in caplog.text
    assert "verification-token" not in caplog.text


async def test_with_nowhere_to_answer_the_failure_is_still_logged(caplog):
    view = {
        "id": "V0FORM",
        "type": "modal",
        "callback_id": "video_form",
        "blocks": [],
        "private_metadata": "",
    }
    payload = view_submission_payload(view, {}, user_id="U0ALICE")
    request = bolt_request(payload, FakeStudio())
    await unexpected(Broken("disk on fire"), payload, request.context)
    assert [r.getMessage() for r in caplog.records] == [
        "view_submission video_form failed",
        "view_submission video_form failed with no place to tell U0ALICE",
    ]
    request.context.respond.assert_not_awaited()
    request.context.client.chat_postEphemeral.assert_not_awaited()
