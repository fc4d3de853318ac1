"""The pure rules behind thread replies (issue 22): who a reply is for, what a note reads like,
the moment it names, and the plain requests that become re-renders instead of edits."""

from __future__ import annotations

import pytest

from bot.outcomes import Refusal
from bot.request import parse_command, parse_reply
from bot.request.addressee import for_dailies, named_version
from bot.request.commands import SettingsSet
from bot.request.note_kinds import (
    CHANGE,
    CHAT,
    EMOJI,
    PRAISE,
    QUESTION,
    TO_SOMEONE,
    note_kind,
    without_people,
)
from bot.request.plain_requests import PlainRequest, read_plain
from bot.request.timecode import find_timecode, format_timecode

BOT, ALICE, BOB = "UBOT", "U0ALICE", "U0BOB"


@pytest.mark.parametrize(
    ("text", "author", "replies", "expected"),
    [
        ("make it warmer", ALICE, "requester", True),  # the requester talks to Dailies
        ("thanks <@U0BOB>", ALICE, "requester", False),  # ... unless they talk to someone else
        ("make it warmer", BOB, "requester", False),  # a colleague's reply is conversation
        ("<@UBOT> make it warmer", BOB, "requester", True),  # ... unless it mentions the bot
        ("make it warmer", BOB, "anyone", True),
        ("<@U0ALICE> make it warmer?", BOB, "anyone", False),
        ("make it warmer", ALICE, "mention", False),  # nobody talks to it unmentioned
        ("<@UBOT|dailies> make it warmer", ALICE, "mention", True),
        ("<!here> make it warmer", ALICE, "requester", False),
    ],
)
def test_who_is_talking_to_dailies(text, author, replies, expected):
    assert for_dailies(text, author=author, requester=ALICE, bot_user_id=BOT, replies=replies) is expected


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("love it!", PRAISE),
        ("looks great, thanks", PRAISE),
        ("love the light here, <@U0MARIA> what do you think?", TO_SOMEONE),
        (":fire: :fire: :raised_hands:", EMOJI),
        ("🔥🔥", EMOJI),
        ("the sky should be darker", CHANGE),
        ("make it warmer", CHANGE),
        ("love it, but the ending is too fast", CHANGE),
        ("can we get a vertical version for TikTok?", CHANGE),
        ("v2: too dark at 0:03", CHANGE),
        ("haha yes", CHAT),
        ("what model is this?", QUESTION),
        ("which version do you prefer?", QUESTION),  # not a request, though it says "version"
        ("is it too dark?", QUESTION),
        ("could we get a square one?", CHANGE),
        ("<@UBOT> make it warmer", CHANGE),  # the bot is not "someone"
    ],
)
def test_what_a_note_reads_like(text, kind):
    assert note_kind(text, BOT) == kind


def test_an_offer_renders_the_note_without_its_mentions():
    assert without_people("<@U0BOB> the sky should be darker") == "the sky should be darker"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0:03 the sky flickers", 3.0),
        ("at 3s it jumps", 3.0),
        ("00:00:03 pop", 3.0),
        ("2.5s: a blur", 2.5),
        ("around 4 seconds in", 4.0),
        ("1:02.5 there", 62.5),
        ("v2: 0:04 too dark", 4.0),
        ("make it 10 seconds", None),  # a length, not a moment
        ("10s version", None),
        ("v2: love it", None),
        ("nothing timed here", None),
    ],
)
def test_the_moment_a_note_names(text, seconds):
    assert find_timecode(text) == seconds


def test_timecodes_are_shown_as_minutes_and_seconds():
    assert [format_timecode(t) for t in (0, 3, 62.5, 2.25)] == ["0:00", "0:03", "1:02.5", "0:02.25"]


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("vertical", PlainRequest("9:16")),
        ("portrait", PlainRequest("9:16")),
        ("can we get a vertical version for TikTok?", PlainRequest("9:16")),
        ("for Reels", PlainRequest("9:16")),
        ("YouTube Shorts please", PlainRequest("9:16")),
        ("Instagram Stories", PlainRequest("9:16")),
        ("square", PlainRequest("1:1")),
        ("landscape", PlainRequest("16:9")),
        ("widescreen", PlainRequest("16:9")),
        ("for YouTube", PlainRequest("16:9")),
        ("make it 10 seconds", PlainRequest(seconds=10)),
        ("10s version", PlainRequest(seconds=10)),
        ("a 10-second version please", PlainRequest(seconds=10)),
        ("3 more", PlainRequest(takes=3)),
        ("3 more like this", PlainRequest(takes=3)),
        ("more variations", PlainRequest(takes=3)),
        ("two more", PlainRequest(takes=2)),
        ("vertical 8s version", PlainRequest("9:16", 8)),
        # other words left over: an edit
        ("make the clouds square", None),
        ("make it warmer", None),
        ("more light", None),
        ("make it darker and vertical", None),
    ],
)
def test_plain_requests(text, plain):
    assert read_plain(text) == plain


def test_how_the_card_says_a_plain_request_was_read():
    assert PlainRequest("9:16").reading == "re-render at 9:16"
    assert PlainRequest(seconds=10).reading == "re-render at 10 s"
    assert PlainRequest(takes=3).reading == "3 more"


def test_plain_requests_become_re_renders_and_the_rest_stays_an_edit():
    vertical = parse_reply("can we get a vertical version for TikTok?")
    assert (vertical.kind, vertical.aspect, vertical.reading) == ("again", "9:16", "re-render at 9:16")
    ten = parse_reply("v1: make it 10 seconds")
    assert (ten.kind, ten.seconds, ten.version, ten.aspect) == ("again", 10, 1, None)
    more = parse_reply("3 more like this")
    assert (more.kind, more.takes) == ("again", 3)
    assert parse_reply("make it warmer").kind == "edit"
    assert isinstance(parse_reply("9 more"), Refusal)
    assert "at most 4" in parse_reply("9 more").message


def test_a_note_names_its_version():
    assert named_version("v2: too dark") == 2
    assert named_version("too dark") is None


def test_the_replies_setting():
    assert parse_command("settings replies anyone") == SettingsSet("replies", "anyone")
    assert parse_command("settings replies Mention") == SettingsSet("replies", "mention")
    refused = parse_command("settings replies everybody")
    assert isinstance(refused, Refusal) and "requester" in refused.message and "mention" in refused.message
