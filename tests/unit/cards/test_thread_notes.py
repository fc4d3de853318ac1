"""ThreadNotes: the lines Dailies posts around a card, over the Slack stand-in; a Slack refusal
is reported as False (or None), never raised; a clip's message is found from its file's shares."""

from __future__ import annotations

from bot.cards.thread_notes import ThreadNotes
from tests.fakes.slack import web_client

CHANNEL = "C0CHANNEL"


async def test_a_note_lands_in_the_thread_and_an_ephemeral_for_one_person(slack):
    notes = ThreadNotes(web_client(slack))
    card = slack.add_message(CHANNEL, "the card", user=slack.bot_user_id)
    assert await notes.post(CHANNEL, card["ts"], "J1 was cancelled.") is True
    assert [m["text"] for m in slack.thread(CHANNEL, card["ts"])] == ["J1 was cancelled."]
    assert await notes.tell(CHANNEL, "U0ALICE", "only you", card["ts"]) is True
    assert slack.ephemerals[-1]["user"] == "U0ALICE" and slack.ephemerals[-1]["thread_ts"] == card["ts"]


async def test_a_refused_post_is_false_and_a_repeated_mark_is_harmless(slack):
    notes = ThreadNotes(web_client(slack))
    assert await notes.post("", "1.0", "nowhere") is False
    card = slack.add_message(CHANNEL, "the card", user=slack.bot_user_id)
    await notes.mark_approved(CHANNEL, card["ts"])
    await notes.mark_approved(CHANNEL, card["ts"])  # Slack answers already_reacted
    assert slack.reactions(CHANNEL, card["ts"]) == {"white_check_mark": [slack.bot_user_id]}


async def test_a_clip_message_is_found_from_its_file_shares_without_reading_the_thread(slack):
    client = web_client(slack)
    notes = ThreadNotes(client)
    card = slack.add_message(CHANNEL, "the card", user=slack.bot_user_id)
    up = await client.files_upload_v2(
        channel=CHANNEL, thread_ts=card["ts"], content=b"not really a clip", filename="clip.mp4"
    )
    file_id = up["files"][0]["id"]
    clip = next(m for m in slack.thread(CHANNEL, card["ts"]) if m.get("files"))
    assert await notes.clip_message_ts(CHANNEL, file_id) == clip["ts"]
    assert await notes.clip_message_ts("C0ELSEWHERE", file_id) is None  # not shared there
    assert await notes.clip_message_ts(CHANNEL, "F0GONE") is None  # file_not_found
    assert slack.count("conversations.replies") == 0 and slack.count("files.info") == 3
