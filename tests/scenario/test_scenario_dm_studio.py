"""Issue 22, the DM with Dailies as a private studio, as Slack drives it: a message in the DM is a
request (same grammar), its thread works like a channel's, the thread shows Slack's status line while
it renders, and Post to #channel shares a delivered version as a normal job card with its thread."""

from __future__ import annotations

from storage import channels
from storage.clock import month_start_iso
from tests.fakes.slack_requests import TEAM_ID, message_event
from tests.scenario.test_scenario_thread_talk import ALICE, BOB, CHANNEL, ts

DM = "D0ALICE"  # Alice's DM with Dailies


async def dm_draft(bot, slack, text: str = "a lighthouse at dusk --seconds 2 --model preview") -> dict:
    status, _ = await bot.event(message_event(text, channel=DM, user=ALICE, ts=ts()))
    assert status == 200
    job = await bot.wait_job("delivered")
    await bot.settle()
    return job


def dm_card(slack) -> dict:
    (card,) = [m for m in slack.messages[DM] if m.get("bot_id") and m.get("thread_ts", m["ts"]) == m["ts"]]
    return card


def share_controls(card: dict) -> tuple[dict, dict]:
    (block,) = [b for b in card["blocks"] if b.get("block_id", "").startswith("share-")]
    menu, button = block["elements"]
    return block, button


async def press_share(bot, card: dict, channel: str | None, user: str = ALICE):
    block, button = share_controls(card)
    picked = {"type": "conversations_select", "selected_conversation": channel} if channel else {}
    state = {block["block_id"]: {"share_channel": picked}} if channel else {}
    return await bot.action(
        button["action_id"], button["value"], user_id=user, channel_id=DM, message_ts=card["ts"],
        block_id=block["block_id"], state=state,
    )  # fmt: skip


async def test_a_dm_message_is_a_request_and_its_thread_shows_the_status_line(bot, slack):
    job = await dm_draft(bot, slack)
    assert (job["channel_id"], job["user_id"], job["kind"]) == (DM, ALICE, "generate")
    card = dm_card(slack)
    statuses = slack.calls_to("assistant.threads.setStatus")
    assert statuses, "the DM thread shows Slack's status line while it renders"
    assert {(c.params["channel_id"], c.params["thread_ts"]) for c in statuses} == {(DM, card["ts"])}
    assert any(c.params["status"].startswith("is ") for c in statuses)
    assert slack.status(DM, card["ts"]) == "", "gone once the clip is in the thread"
    edits = [
        c.params.get("text", "") for c in slack.calls_to("chat.update") if c.params.get("ts") == card["ts"]
    ]
    assert not any(word in e.lower() for e in edits for word in ("rendering", "uploading")), edits
    assert "delivered" in card["text"].lower()
    assert [m for m in slack.thread(DM, card["ts"]) if m.get("files")], "the clip is in the DM thread"
    # the same thread rules: the requester's reply edits, nothing is posted to any channel
    await bot.event(message_event("make it warmer", channel=DM, user=ALICE, ts=ts(), thread_ts=card["ts"]))
    edit = await bot.wait_job("delivered", job_index=1)
    assert (edit["kind"], edit["channel_id"], edit["shot_id"]) == ("edit", DM, job["shot_id"])
    assert CHANNEL not in slack.messages


async def test_post_to_channel_shares_a_delivered_version_as_a_normal_job_card(bot, slack):
    draft = await dm_draft(bot, slack)
    card = dm_card(slack)
    await press_share(bot, card, None)
    await slack.wait_for(lambda: slack.count("response_url") == 1)
    assert "Pick a channel" in slack.calls_to("response_url")[-1].params["text"]
    await press_share(bot, card, CHANNEL)
    shared = await bot.wait_job("delivered", job_index=1)
    await bot.settle()
    assert (shared["channel_id"], shared["user_id"], shared["model"]) == (CHANNEL, ALICE, draft["model"])
    assert shared["shot_id"] != draft["shot_id"] and shared["cost_usd"] == 0
    (take,) = await bot.takes(shared["id"])
    assert take["version"] == 1 and take["slack_file_id"]
    channel_card = slack.messages[CHANNEL][0]
    assert "share-" not in str(channel_card["blocks"]), "Post to #channel is the DM's alone"
    assert f"<@{ALICE}>" in str(channel_card["blocks"]) and "DM with Dailies" in str(channel_card["blocks"])
    clips = [m for m in slack.thread(CHANNEL, channel_card["ts"]) if m.get("files")]
    assert len(clips) == 1, "v1 is the draft's clip, uploaded into the card's thread"
    assert "Posted to <#C0CHANNEL>" in slack.calls_to("response_url")[-1].params["text"]
    # each line pays for its own work: the draft on Alice's DM, nothing in the channel
    since = month_start_iso()
    assert await bot.dailies.store.run(channels.month_spend, TEAM_ID, CHANNEL, since) == 0
    # pressing it again posts nothing twice
    await press_share(bot, card, CHANNEL)
    await slack.wait_for(
        lambda: "already posted" in slack.calls_to("response_url")[-1].params.get("text", "")
    )
    assert len(await bot.jobs()) == 2
    # a normal job card with its thread: the requester's reply there edits v1 in the channel
    await bot.event(
        message_event("make it warmer", channel=CHANNEL, user=ALICE, ts=ts(), thread_ts=channel_card["ts"])
    )
    edit = await bot.wait_job("delivered", job_index=2)
    assert (edit["kind"], edit["channel_id"], edit["shot_id"]) == ("edit", CHANNEL, shared["shot_id"])
    # a colleague's reply there is a note, as in any channel thread
    await bot.event(
        message_event("love it", channel=CHANNEL, user=BOB, ts=ts(), thread_ts=channel_card["ts"])
    )
    await bot.settle()
    assert len(await bot.jobs()) == 3


async def test_subcommands_work_in_the_dm_too(bot, slack):
    await bot.event(message_event("help dm", channel=DM, user=ALICE, ts=ts()))
    await slack.wait_for(lambda: slack.count("chat.postEphemeral") == 1)
    answer = slack.calls_to("chat.postEphemeral")[0].params
    assert (answer["channel"], answer["user"]) == (DM, ALICE) and "Post to #channel" in answer["text"]
    assert await bot.jobs() == []


async def test_opening_the_messages_tab_pins_requests_to_start_from(bot, slack):
    await bot.event({"type": "app_home_opened", "user": ALICE, "channel": DM, "tab": "messages"})
    await slack.wait_for(lambda: DM in slack.suggested_prompts)
    prompts = slack.suggested_prompts[DM]["prompts"]
    assert prompts and all(p["title"] and p["message"] for p in prompts)
    assert slack.count("views.publish") == 0, "the Messages tab is not the Home tab"
    # a suggested prompt, sent as Alice's message, is a request like any
    await bot.event(message_event(prompts[0]["message"], channel=DM, user=ALICE, ts=ts()))
    job = await bot.wait_job("delivered")
    assert (job["channel_id"], job["user_id"]) == (DM, ALICE)
