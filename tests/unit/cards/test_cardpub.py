"""Posting a job card exactly once across a crash between chat.postMessage and storing its ts:
a nonce marker before the post, and a conversations.history lookup on the recovery path."""

from __future__ import annotations

import time

import pytest
from slack_sdk.errors import SlackApiError

from bot.cards.publisher import CARD_EVENT, CardPublisher
from storage import jobs as jobs_db
from storage.db import Store
from storage.engines import connect
from tests.fakes.slack import ScriptedSlack, web_client

CHANNEL = "C0CHANNEL"


@pytest.fixture
def store(tmp_path):
    store = Store(connect(tmp_path / "dailies.db"))
    yield store
    store.close()


async def new_shot(store: Store) -> int:
    shot_id, _, _ = await store.run(
        jobs_db.create_job,
        jobs_db.NewJob(
            channel_id=CHANNEL,
            team_id="T0DAILIES",
            user_id="U0USER",
            kind="generate",
            model="kling-v3",
            backend="kling",
            request={"mode": "text", "prompt": "a red fox", "seconds": 5, "aspect": "16:9"},
            takes=1,
            estimate_usd=0.5,
            source_key=f"cmd:{time.monotonic_ns()}",
            title="a red fox",
        ),
    )
    return shot_id


async def crashed_after_post(slack: ScriptedSlack, store: Store, shot_id: int) -> str:
    """What a process killed right after Slack stored its card leaves behind: a marker and a card."""
    await store.run(jobs_db.mark_card_posting, shot_id, "n0nce", time.time())
    metadata = {"event_type": CARD_EVENT, "event_payload": {"shot": shot_id, "nonce": "n0nce"}}
    resp = await web_client(slack).chat_postMessage(channel=CHANNEL, text="card", metadata=metadata)
    return resp["ts"]


def cards(slack: ScriptedSlack) -> list[dict]:
    return [m for m in slack.messages.get(CHANNEL, []) if m.get("thread_ts", m["ts"]) == m["ts"]]


async def test_first_post_carries_the_nonce_stored_beforehand(slack, store):
    shot_id = await new_shot(store)
    ts = await CardPublisher(web_client(slack), store).ensure_posted(shot_id)
    shot = await store.run(jobs_db.get_shot, shot_id)
    assert shot["card_ts"] == ts and shot["card_nonce"] and shot["card_posting_at"]
    sent = slack.calls_to("chat.postMessage")[0].params["metadata"]
    assert sent == {"event_type": CARD_EVENT, "event_payload": {"shot": shot_id, "nonce": shot["card_nonce"]}}
    assert slack.count("conversations.history") == 0, "no lookup on the normal path"


async def test_restart_adopts_the_card_already_in_the_channel(slack, store):
    slack.ts_base = int(time.time())  # Slack's clock, near ours
    shot_id = await new_shot(store)
    other = await new_shot(store)
    posted = await crashed_after_post(slack, store, shot_id)
    await web_client(slack).chat_postMessage(  # another shot's card, with its own nonce, posted later
        channel=CHANNEL,
        text="other",
        metadata={"event_type": CARD_EVENT, "event_payload": {"shot": other, "nonce": "x"}},
    )
    ts = await CardPublisher(web_client(slack), store).ensure_posted(shot_id)
    assert ts == posted
    assert (await store.run(jobs_db.get_shot, shot_id))["card_ts"] == posted
    assert slack.count("chat.postMessage") == 2, "nothing posted by the restarted publisher"
    lookup = slack.calls_to("conversations.history")[0].params
    assert lookup["include_all_metadata"] in (True, "true", "1") and int(lookup["limit"]) <= 15


async def test_marker_without_a_card_in_the_channel_posts_once(slack, store):
    slack.ts_base = int(time.time())
    shot_id = await new_shot(store)
    await store.run(jobs_db.mark_card_posting, shot_id, "n0nce", time.time())  # died before Slack stored it
    ts = await CardPublisher(web_client(slack), store).ensure_posted(shot_id)
    assert [c["ts"] for c in cards(slack)] == [ts]
    assert slack.count("conversations.history") == 1
    sent = slack.calls_to("chat.postMessage")[0].params["metadata"]
    assert sent["event_payload"]["nonce"] == "n0nce", "the same nonce, so a second crash is found too"


@pytest.mark.parametrize(
    "status, error", [(200, "missing_scope"), (200, "not_in_channel"), (429, "ratelimited"), (500, None)]
)
async def test_failed_lookup_still_posts_a_card(slack, store, status, error):
    slack.ts_base = int(time.time())
    shot_id = await new_shot(store)
    await crashed_after_post(slack, store, shot_id)
    body = {"ok": False, "error": error} if error else None
    slack.fail_next("conversations.history", status=status, body=body, headers={"Retry-After": "0"}, times=3)
    ts = await CardPublisher(web_client(slack), store).ensure_posted(shot_id)
    assert slack.count("conversations.history") >= 1
    assert (await store.run(jobs_db.get_shot, shot_id))["card_ts"] == ts
    assert len(cards(slack)) == 2 and cards(slack)[-1]["ts"] == ts, "a duplicate beats no card"


async def test_history_shows_top_level_messages_and_metadata_only_when_asked(slack):
    client = web_client(slack)
    meta = {"event_type": CARD_EVENT, "event_payload": {"shot": 1, "nonce": "a"}}
    first = await client.chat_postMessage(channel=CHANNEL, text="card", metadata=meta)
    await client.chat_postMessage(channel=CHANNEL, text="reply", thread_ts=first["ts"])
    second = await client.chat_postMessage(channel=CHANNEL, text="later")
    plain = await client.conversations_history(channel=CHANNEL)
    assert [m["ts"] for m in plain["messages"]] == [second["ts"], first["ts"]]
    assert all("metadata" not in m for m in plain["messages"])
    full = await client.conversations_history(channel=CHANNEL, include_all_metadata=True, oldest=first["ts"])
    assert [m["ts"] for m in full["messages"]] == [second["ts"]], "oldest is exclusive"
    full = await client.conversations_history(channel=CHANNEL, include_all_metadata=True, limit=5)
    assert full["messages"][1]["metadata"] == meta
    with pytest.raises(SlackApiError) as refused:
        await client.chat_postMessage(channel=CHANNEL, text="x", metadata={"event_payload": {}})
    assert refused.value.response["error"] == "invalid_metadata_format"
