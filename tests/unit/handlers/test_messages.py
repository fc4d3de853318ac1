"""Mentions (the same text as /video, or a reply in a job's thread) and replies in a job's thread."""

from __future__ import annotations

from bot.request import VideoRequest
from handlers.messages import handle_mention, handle_message
from handlers.replies import SOMETHING_WRONG
from tests.fakes.slack_requests import TEAM_ID as TEAM
from tests.fakes.slack_requests import app_mention_event, event_payload, message_event

from .conftest import Broken, FakeStudio, bolt_request, run, run_failing

CARD_TS = "1800000000.000100"


def mention(text: str, **fields) -> dict:
    return event_payload(app_mention_event(text, channel="C0CHANNEL", user="U0ALICE", ts="1800000001.000200", **fields))  # fmt: skip


def reply(text: str, **fields) -> dict:
    event = message_event(text, channel="C0CHANNEL", user="U0ALICE", ts="1800000002.000300", thread_ts=CARD_TS, **fields)  # fmt: skip
    return event_payload(event)


async def test_a_mention_hands_its_request_to_the_studio():
    studio = FakeStudio()
    await run(handle_mention, bolt_request(mention("a fox --model preview"), studio))
    assert studio.handed() == ["first_time", "handle"]
    origin, parsed = studio.calls[-1][1]
    assert origin.source_key == "msg:C0CHANNEL:1800000001.000200"
    assert isinstance(parsed, VideoRequest) and parsed.prompt == "a fox"


async def test_a_mention_answer_is_an_ephemeral_in_its_thread():
    studio = FakeStudio()
    studio.answer("handle", "Say what the video should show.")
    request = bolt_request(mention("a fox --model preview", thread_ts="1799999999.000001"), studio)
    await run(handle_mention, request)
    request.context.client.chat_postEphemeral.assert_awaited_once_with(
        channel="C0CHANNEL",
        user="U0ALICE",
        text="Say what the video should show.",
        thread_ts="1799999999.000001",
    )


async def test_a_mention_in_a_job_thread_is_a_reply_to_that_job():
    studio = FakeStudio()
    studio.answer("in_job_thread", True)
    await run(handle_mention, bolt_request(mention("again", thread_ts=CARD_TS), studio))
    assert studio.handed() == ["first_time", "in_job_thread", "thread_reply"]
    assert studio.calls[-1][1][1:3] == (CARD_TS, "again")


async def test_a_reply_in_a_job_thread_goes_to_the_studio():
    studio = FakeStudio()
    studio.answer("in_job_thread", True)
    studio.answer("thread_message", "That version is still rendering.")
    request = bolt_request(reply("make it slower"), studio)
    await run(handle_message, request)
    assert studio.handed() == ["in_job_thread", "first_time", "thread_message"]
    request.context.client.chat_postEphemeral.assert_awaited_once_with(
        channel="C0CHANNEL", user="U0ALICE", text="That version is still rendering.", thread_ts=CARD_TS
    )


async def test_an_edited_or_deleted_message_moves_its_note():
    studio = FakeStudio()
    changed = reply("make it slower")
    changed["event"] = {
        "type": "message",
        "subtype": "message_changed",
        "channel": "C0CHANNEL",
        "message": {"type": "message", "user": "U0ALICE", "text": "make it faster", "ts": "1.5"},
    }
    await run(handle_message, bolt_request(changed, studio))
    deleted = reply("x")
    deleted["event"] = {
        "type": "message",
        "subtype": "message_deleted",
        "channel": "C0CHANNEL",
        "deleted_ts": "1.5",
    }
    await run(handle_message, bolt_request(deleted, studio))
    assert [c for c in studio.calls if c[0] != "first_time"] == [
        ("message_edited", (TEAM, "C0CHANNEL", "1.5", "make it faster")),
        ("message_deleted", (TEAM, "C0CHANNEL", "1.5")),
    ]


async def test_other_messages_do_nothing():
    studio = FakeStudio()
    await run(handle_message, bolt_request(reply("chatting in some other thread"), studio))
    assert studio.handed() == ["in_job_thread"]
    bot_post = event_payload(message_event("done", channel="C0CHANNEL", user="U0OTHER", ts="1.2", thread_ts=CARD_TS, bot_id="B0OTHER"))  # fmt: skip
    await run(handle_message, bolt_request(bot_post, studio))
    assert studio.handed() == ["in_job_thread"]


async def test_a_failed_reply_is_the_one_ephemeral_in_its_thread():
    studio = FakeStudio()
    studio.answer("in_job_thread", True)
    studio.answer("thread_message", Broken("disk on fire"))
    request = bolt_request(reply("make it slower"), studio)
    await run_failing(handle_message, request)
    request.context.client.chat_postEphemeral.assert_awaited_once_with(
        channel="C0CHANNEL", user="U0ALICE", text=SOMETHING_WRONG, thread_ts=CARD_TS
    )


async def test_a_failed_mention_is_the_one_ephemeral():
    studio = FakeStudio()
    studio.answer("handle", Broken("disk on fire"))
    request = bolt_request(mention("a fox --model preview"), studio)
    await run_failing(handle_mention, request)
    request.context.client.chat_postEphemeral.assert_awaited_once_with(
        channel="C0CHANNEL", user="U0ALICE", text=SOMETHING_WRONG, thread_ts=None
    )
