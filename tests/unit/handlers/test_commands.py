"""/video: the ack answers refusals and help at once; a request goes to the studio after the ack."""

from __future__ import annotations

import pytest

from bot.request import VideoRequest
from bot.request.help import help_for
from handlers.commands import handle_video
from handlers.replies import DATABASE_AWAY, SOMETHING_WRONG, unexpected
from storage.db import DatabaseAway
from tests.fakes.slack_requests import slash_command_payload

from .conftest import RESPONSE_URL, Broken, FakeStudio, bolt_request, run, run_failing


def command(text: str, **fields) -> dict:
    return slash_command_payload(text, response_url=RESPONSE_URL, trigger_id="13345224609.738474920.8088930838d88f008e0", **fields)  # fmt: skip


async def test_a_request_is_acked_then_handed_to_the_studio():
    studio = FakeStudio()
    request = bolt_request(command("a fox --model preview"), studio)
    await run(handle_video, request)
    request.context.ack.assert_awaited_once_with()
    assert studio.handed() == ["first_time", "handle"]
    origin, parsed = studio.calls[-1][1]
    assert (origin.channel_id, origin.user_id, origin.team_id) == ("C0CHANNEL", "U0ALICE", "T0DAILIES")
    assert isinstance(parsed, VideoRequest) and parsed.prompt == "a fox"
    request.context.respond.assert_not_awaited()  # the job started: the card says so


async def test_the_studio_answer_is_an_ephemeral():
    studio = FakeStudio()
    studio.answer("handle", "This channel's budget is spent.")
    request = bolt_request(command("a fox --model preview"), studio)
    await run(handle_video, request)
    request.context.respond.assert_awaited_once_with(
        text="This channel's budget is spent.", response_type="ephemeral", replace_original=False
    )


async def test_a_refusal_and_help_are_the_ack_itself():
    studio = FakeStudio()
    refused = bolt_request(command("a fox --seconds abc"), studio)
    await run(handle_video, refused)
    assert refused.context.ack.await_args.kwargs["text"].startswith("--seconds takes a whole number")
    helped = bolt_request(command("help"), studio)
    await run(handle_video, helped)
    helped.context.ack.assert_awaited_once_with(text=help_for(None))
    assert studio.calls == []


async def test_video_alone_opens_the_form_on_the_trigger():
    studio = FakeStudio()
    request = bolt_request(command(""), studio)
    await run(handle_video, request)
    request.context.ack.assert_awaited_once_with()
    assert studio.handed() == ["first_time", "forms.video_view"]
    assert studio.calls[-1][1] == ("T0DAILIES", "C0CHANNEL", False)
    views_open = request.context.client.views_open
    assert views_open.await_args.kwargs["trigger_id"] == command("")["trigger_id"]


async def test_a_retried_command_does_nothing_more():
    studio = FakeStudio()
    await run(handle_video, bolt_request(command("a fox --model preview"), studio))
    await run(handle_video, bolt_request(command("a fox --model preview"), studio))
    assert studio.handed() == ["first_time", "handle", "first_time"]


async def test_a_failure_behind_the_ack_is_the_one_ephemeral():
    studio = FakeStudio()
    studio.answer("handle", Broken("disk on fire"))
    request = bolt_request(command("a fox --model preview"), studio)
    await run_failing(handle_video, request)
    request.context.ack.assert_awaited_once_with()
    request.context.respond.assert_awaited_once_with(
        text=SOMETHING_WRONG, response_type="ephemeral", replace_original=False
    )


async def test_the_database_away_behind_the_ack_says_to_try_again_in_a_minute():
    studio = FakeStudio()
    studio.answer("handle", DatabaseAway("the database at db:5432/dailies is unreachable"))
    request = bolt_request(command("a fox --model preview"), studio)
    with pytest.raises(DatabaseAway) as raised:
        await run(handle_video, request)
    await unexpected(raised.value, request.body, request.context)
    request.context.ack.assert_awaited_once_with()
    request.context.respond.assert_awaited_once_with(
        text=DATABASE_AWAY, response_type="ephemeral", replace_original=False
    )
