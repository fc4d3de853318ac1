"""The card's buttons: acked, handed to the studio with the version they act on, answered alone."""

from __future__ import annotations

from handlers.actions import card_button
from handlers.replies import SOMETHING_WRONG
from tests.fakes.slack_requests import block_actions_payload

from .conftest import RESPONSE_URL, Broken, FakeStudio, bolt_request, run, run_failing


def clicked(action_id: str, value: str = "7") -> dict:
    return block_actions_payload(action_id, value, user_id="U0BOB", channel_id="C0CHANNEL", message_ts="1800000000.000100", response_url=RESPONSE_URL)  # fmt: skip


async def test_a_button_is_acked_and_handed_to_the_studio():
    studio = FakeStudio()
    request = bolt_request(clicked("approve"), studio)
    await run(card_button, request)
    request.context.ack.assert_awaited_once_with()
    assert studio.handed() == ["first_time", "button"]
    origin, action_id, value = studio.calls[-1][1]
    assert (origin.channel_id, origin.user_id, action_id, value) == ("C0CHANNEL", "U0BOB", "approve", "7")
    request.context.respond.assert_not_awaited()


async def test_the_studio_answer_is_an_ephemeral_beside_the_card():
    studio = FakeStudio()
    studio.answer("button", "Only approvers can do that.")
    request = bolt_request(clicked("final_render"), studio)
    await run(card_button, request)
    request.context.respond.assert_awaited_once_with(
        text="Only approvers can do that.", response_type="ephemeral", replace_original=False
    )


async def test_a_double_click_acts_once():
    studio, payload = FakeStudio(), clicked("cancel")
    await run(card_button, bolt_request(payload, studio))
    await run(card_button, bolt_request(payload, studio))
    assert studio.handed() == ["first_time", "button", "first_time"]


async def test_a_failed_button_is_the_one_ephemeral():
    studio = FakeStudio()
    studio.answer("button", Broken("disk on fire"))
    request = bolt_request(clicked("another_take"), studio)
    await run_failing(card_button, request)
    request.context.ack.assert_awaited_once_with()
    request.context.respond.assert_awaited_once_with(
        text=SOMETHING_WRONG, response_type="ephemeral", replace_original=False
    )
