"""Review reactions on a card or a clip go to the studio, added or removed."""

from __future__ import annotations

from handlers.reactions import handle_reaction
from handlers.replies import SOMETHING_WRONG
from tests.fakes.slack_requests import event_payload, reaction_event

from .conftest import Broken, FakeStudio, bolt_request, run, run_failing

CLIP_TS = "1800000000.000400"


def reacted(name: str, added: bool = True) -> dict:
    return event_payload(reaction_event(name, user="U0BOB", channel="C0CHANNEL", ts=CLIP_TS, added=added))


async def test_a_review_reaction_goes_to_the_studio():
    studio = FakeStudio()
    await run(handle_reaction, bolt_request(reacted("white_check_mark"), studio))
    await run(handle_reaction, bolt_request(reacted("white_check_mark", added=False), studio))
    assert studio.handed() == ["first_time", "reaction", "first_time", "reaction"]
    (origin, ts, name, added), (_, _, _, removed) = studio.calls[1][1], studio.calls[3][1]
    assert (origin.channel_id, origin.user_id, ts, name) == (
        "C0CHANNEL",
        "U0BOB",
        CLIP_TS,
        "white_check_mark",
    )
    assert added is True and removed is False


async def test_other_reactions_are_ignored():
    studio = FakeStudio()
    await run(handle_reaction, bolt_request(reacted("tada"), studio))
    assert studio.calls == []


async def test_a_failed_reaction_is_the_one_ephemeral_to_who_reacted():
    studio = FakeStudio()
    studio.answer("reaction", Broken("disk on fire"))
    request = bolt_request(reacted("x"), studio)
    await run_failing(handle_reaction, request)
    request.context.client.chat_postEphemeral.assert_awaited_once_with(
        channel="C0CHANNEL", user="U0BOB", text=SOMETHING_WRONG, thread_ts=None
    )
