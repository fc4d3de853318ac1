"""The card's (and a board's) Screening room button answers the clicker with a personal link; its link button acks."""

from __future__ import annotations

from unittest.mock import AsyncMock

from handlers.replies import SOMETHING_WRONG
from handlers.screening import campaign_screening_room, screening_link_opened, screening_room
from tests.fakes.slack_requests import block_actions_payload

from .conftest import RESPONSE_URL, Broken, FakeStudio, bolt_request, run, run_failing

LINK = "https://dailies.example/review/abc.def"


def clicked(value: str = "12", action_id: str = "screening_room") -> dict:
    return block_actions_payload(action_id, value, user_id="U0BOB", channel_id="C0CHANNEL", message_ts="1800000000.000100", response_url=RESPONSE_URL)  # fmt: skip


async def test_the_clicker_gets_a_link_of_their_own():
    room = AsyncMock()
    room.personal_link.return_value = LINK
    request = bolt_request(clicked(), FakeStudio(), room=room)
    await run(screening_room, request)
    request.context.ack.assert_awaited_once_with()
    room.personal_link.assert_awaited_once_with("C0CHANNEL", "U0BOB", 12)
    answer = request.context.respond.await_args.kwargs
    assert LINK in answer["text"] and answer["response_type"] == "ephemeral"
    assert answer["blocks"][0]["accessory"]["url"] == LINK and answer["replace_original"] is False


async def test_without_a_room_or_a_shot_the_click_is_only_acked():
    request = bolt_request(clicked(), FakeStudio())
    await run(screening_room, request)
    room = AsyncMock()
    room.personal_link.return_value = None  # not this channel's shot
    unknown = bolt_request(clicked(), FakeStudio(), room=room)
    await run(screening_room, unknown)
    for r in (request, unknown):
        r.context.ack.assert_awaited_once_with()
        r.context.respond.assert_not_awaited()


async def test_the_link_button_itself_is_acked():
    request = bolt_request(clicked(action_id="screening_room_open"), FakeStudio())
    await run(screening_link_opened, request)
    request.context.ack.assert_awaited_once_with()


async def test_a_failed_link_is_the_one_ephemeral():
    room = AsyncMock()
    room.personal_link.side_effect = Broken("disk on fire")
    request = bolt_request(clicked(), FakeStudio(), room=room)
    await run_failing(screening_room, request)
    request.context.respond.assert_awaited_once_with(
        text=SOMETHING_WRONG, response_type="ephemeral", replace_original=False
    )


async def test_the_boards_button_gives_the_clicker_the_campaigns_page_as_them():
    room = AsyncMock()
    room.sign_in = None
    room.personal_campaign_link.return_value = "https://dailies.example/campaign/abc.def"
    request = bolt_request(clicked("4", "campaign_screening_room"), FakeStudio(), room=room)
    await run(campaign_screening_room, request)
    request.context.ack.assert_awaited_once_with()
    room.personal_campaign_link.assert_awaited_once_with("C0CHANNEL", "U0BOB", 4)
    answer = request.context.respond.await_args.kwargs
    assert answer["blocks"][0]["accessory"]["url"] == "https://dailies.example/campaign/abc.def"
    assert "yours alone" in str(answer["blocks"]) and answer["response_type"] == "ephemeral"
