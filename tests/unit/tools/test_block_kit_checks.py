"""The Block Kit checker every test's Slack payloads go through: good payloads pass, bad ones are named."""

from __future__ import annotations

import pytest

from tests.fakes.block_kit import PAYLOADS, problems
from tests.fakes.slack import ScriptedSlack, web_client

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "*Rendering* a fox"}}
BUTTON = {"type": "button", "text": {"type": "plain_text", "text": "Approve"}, "action_id": "approve"}


def test_a_card_shaped_message_passes():
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "A fox"}},
        SECTION,
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "kling-v3 · 5s"}]},
        {"type": "actions", "elements": [{**BUTTON, "value": "J1"}]},
    ]
    assert problems("chat.postMessage", {"channel": "C1", "text": "a fox", "blocks": blocks}) == []
    assert problems("views.publish", {"user_id": "U1", "view": {"type": "home", "blocks": blocks}}) == []


@pytest.mark.parametrize(
    "method, params, named",
    [
        ("chat.postMessage", {"text": "x" * 4001}, "text is 4001 characters"),
        ("chat.update", {"blocks": [SECTION] * 51}, "51 blocks"),
        ("chat.postEphemeral", {"blocks": [{"type": "sektion"}]}, "not a Block Kit block type"),
        ("chat.postMessage", {"blocks": [{**SECTION, "txt": "typo"}]}, "does not have: ['txt']"),
        (
            "chat.postMessage",
            {"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]},
            "cannot exceed 3000",
        ),
        (
            "chat.postMessage",
            {"blocks": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}]},
            "cannot exceed 150",
        ),
        (
            "chat.update",
            {"blocks": [{"type": "actions", "elements": [{**BUTTON, "value": "v" * 2001}]}]},
            "cannot exceed 2000",
        ),
        (
            "chat.update",
            {"blocks": [{"type": "actions", "elements": [{**BUTTON, "action_id": "a" * 256}]}]},
            "cannot exceed 255",
        ),
        ("views.publish", {"view": {"type": "home", "blocks": [SECTION] * 101}}, "between 1 and 100"),
        ("views.open", {"view": "not json"}, "not an object"),
        ("response_url", {"blocks": '[{"type": "section"}]'}, "text or fields"),
    ],
)
def test_each_broken_rule_is_named(method, params, named):
    found = problems(method, params)
    assert found and any(named in p for p in found), found


def test_calls_without_block_kit_are_not_checked():
    assert problems("reactions.add", {"name": "x" * 5000}) == []


async def test_the_stand_in_logs_what_the_bot_sends_for_the_end_of_test_check(slack: ScriptedSlack):
    client = web_client(slack)
    await client.chat_postMessage(channel="C1", text="fine", blocks=[SECTION])
    assert PAYLOADS.problems() == []
    await client.chat_postMessage(channel="C1", text="y" * 4001)
    assert PAYLOADS.problems() == ["chat.postMessage #2: text is 4001 characters; Slack's limit is 4000"]
    PAYLOADS.clear()  # this test's bad payload was sent on purpose
