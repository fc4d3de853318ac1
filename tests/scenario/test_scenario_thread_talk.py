"""Issue 22, a job's thread as a conversation, the way Slack drives it: colleagues' replies are
review notes that start and cost nothing, a note asking for a change earns its author alone a
priced offer, the requester talks to Dailies unless they talk to someone else, plain requests
become re-renders, notes reach the screening room and follow their messages' edits and deletions."""

from __future__ import annotations

import asyncio
import itertools
import json
import re

import aiohttp

from storage import audit, review_notes
from tests.fakes.kling import FakeKling
from tests.fakes.slack_requests import TEAM_ID, message_event
from tests.harness import running_bot

CHANNEL = "C0CHANNEL"
ALICE, BOB = "U0ALICE", "U0BOB"  # Alice asked for the shot (the harness's /video user)
PUBLIC = "https://dailies.example.test"
_ts = itertools.count(1)


def ts() -> str:
    return f"1800000100.{next(_ts):06d}"


async def first_shot(bot, slack, text: str = "a lighthouse at dusk --seconds 2 --model preview") -> str:
    await bot.command(text)
    await bot.wait_job("delivered")
    await bot.settle()
    return slack.messages[CHANNEL][0]["ts"]


async def say(bot, card_ts: str, text: str, user: str = BOB, at: str | None = None) -> str:
    at = at or ts()
    status, _ = await bot.event(message_event(text, channel=CHANNEL, user=user, ts=at, thread_ts=card_ts))
    assert status == 200
    return at


async def notes(bot) -> list[dict]:
    return await bot.dailies.store.run(review_notes.for_shot, 1)


async def until_notes(bot, n: int) -> list[dict]:
    for _ in range(200):
        rows = await notes(bot)
        if len(rows) == n:
            return rows
        await asyncio.sleep(0.05)
    raise AssertionError(f"expected {n} notes, have {await notes(bot)}")


def card_text(slack, card_ts: str) -> str:
    return str(slack.message(CHANNEL, card_ts)["blocks"])


def offers(slack) -> list[dict]:
    return [c.params for c in slack.calls_to("chat.postEphemeral") if c.params.get("blocks")]


def offer_button(offer: dict) -> dict:
    blocks = offer["blocks"] if isinstance(offer["blocks"], list) else json.loads(offer["blocks"])
    return next(e for b in blocks if b["type"] == "actions" for e in b["elements"])


async def test_colleagues_chat_and_praise_start_nothing_and_cost_nothing(bot, slack):
    card_ts = await first_shot(bot, slack)
    before = len(slack.calls)
    await say(bot, card_ts, "love it!")
    await say(bot, card_ts, "love the light here, <@U0MARIA> what do you think?")
    await say(bot, card_ts, ":fire: :fire:")
    rows = await until_notes(bot, 3)
    await bot.settle()
    assert len(await bot.jobs()) == 1, "conversation starts no job"
    assert {r["user_id"] for r in rows} == {BOB} and {r["take_id"] for r in rows} == {
        (await bot.takes(1))[0]["id"]
    }
    methods = [c.method for c in slack.calls[before:]]
    assert "chat.postEphemeral" not in methods and "chat.postMessage" not in methods
    assert set(methods) <= {"chat.update"}, methods  # only the card's note count
    assert ":speech_balloon: 3 notes" in card_text(slack, card_ts)
    await bot.command("jobs")
    await slack.wait_for(lambda: any("3 notes" in r["body"].get("text", "") for r in slack.responses))


async def test_a_colleagues_change_request_is_offered_to_them_alone_and_the_offer_renders_it(bot, slack):
    card_ts = await first_shot(bot, slack)
    await say(bot, card_ts, "the sky should be darker")
    await slack.wait_for(lambda: len(offers(slack)) == 1)
    (offer,) = offers(slack)
    assert offer["user"] == BOB and offer["thread_ts"] == card_ts
    button = offer_button(offer)
    assert button["text"]["text"] == "Render this as v2 ($0.00)"  # the preview renderer is free
    assert len(await bot.jobs()) == 1, "only an offer: nothing started"
    # somebody else pressing it starts nothing
    await bot.action(button["action_id"], button["value"], user_id=ALICE, channel_id=CHANNEL, message_ts=ts())
    await slack.wait_for(lambda: slack.count("response_url") == 1)
    assert "Only the note's author" in slack.calls_to("response_url")[-1].params["text"]
    # its author pressing it is them asking Dailies for the edit
    await bot.action(button["action_id"], button["value"], user_id=BOB, channel_id=CHANNEL, message_ts=ts())
    job = await bot.wait_job("delivered", job_index=1)
    assert (job["kind"], job["user_id"]) == ("edit", BOB)
    assert job["request"]["instruction"] == "the sky should be darker"
    shot = await bot.dailies.store.run(lambda db: db.one("SELECT user_id FROM shots WHERE id = 1"))
    assert shot["user_id"] == ALICE, "the thread keeps its original requester"
    # the thread has v2 now: the offer has expired
    await bot.action(button["action_id"], button["value"], user_id=BOB, channel_id=CHANNEL, message_ts=ts())
    await slack.wait_for(lambda: slack.count("response_url") == 2)
    assert "expired" in slack.calls_to("response_url")[-1].params["text"]
    assert len(await bot.jobs()) == 2


async def test_the_requester_talking_to_a_colleague_starts_nothing_but_make_it_warmer_edits(bot, slack):
    card_ts = await first_shot(bot, slack)
    await say(bot, card_ts, "thanks <@U0BOB>", user=ALICE)
    await until_notes(bot, 1)
    assert slack.count("chat.postEphemeral") == 0 and len(await bot.jobs()) == 1
    await say(bot, card_ts, "make it warmer", user=ALICE)
    job = await bot.wait_job("delivered", job_index=1)
    assert (job["kind"], job["request"]["instruction"], job["user_id"]) == ("edit", "make it warmer", ALICE)


async def test_plain_requests_become_re_renders_on_the_same_model(bot, slack):
    card_ts = await first_shot(bot, slack)
    await say(bot, card_ts, "can we get a vertical version for TikTok?", user=ALICE)
    vertical = await bot.wait_job("delivered", job_index=1)
    assert (vertical["kind"], vertical["model"], vertical["request"]["aspect"]) == (
        "again",
        "preview",
        "9:16",
    )
    assert vertical["parent_take_id"] is None, "a new render of the request, not an edit of the clip"
    await bot.settle()
    assert "v2 (re-render at 9:16 of v1)" in card_text(slack, card_ts)
    await say(bot, card_ts, "v1: make it 10 seconds", user=ALICE)
    ten = await bot.wait_job("delivered", job_index=2)
    assert (ten["kind"], ten["request"]["seconds"], ten["request"]["aspect"]) == ("again", 10, "16:9")
    assert (await bot.takes(ten["id"]))[0]["seconds"] == 10
    await say(bot, card_ts, "make it 30 seconds", user=ALICE)
    await slack.wait_for(lambda: slack.count("chat.postEphemeral") == 1)
    refusal = slack.calls_to("chat.postEphemeral")[0].params["text"]
    assert "preview renders" in refusal and "30" in refusal
    await say(bot, card_ts, "3 more like this", user=ALICE)
    more = await bot.wait_job("delivered", job_index=3)
    assert (more["kind"], more["takes"]) == ("again", 3)


async def test_the_channel_setting_changes_who_may_talk(bot, slack):
    card_ts = await first_shot(bot, slack)
    await bot.command("settings replies anyone")
    await say(bot, card_ts, "make it warmer")  # Bob, not the requester
    job = await bot.wait_job("delivered", job_index=1)
    assert (job["kind"], job["user_id"]) == ("edit", BOB)
    await bot.command("settings replies mention")
    await say(bot, card_ts, "make it colder", user=ALICE)
    await slack.wait_for(lambda: len(offers(slack)) == 1)
    assert offers(slack)[0]["user"] == ALICE and len(await bot.jobs()) == 2, "a note with an offer, no job"
    await bot.command("settings")
    await slack.wait_for(
        lambda: any(
            "Replies in a job's thread: `mention`" in r["body"].get("text", "") for r in slack.responses
        )
    )
    rows = await bot.dailies.store.run(audit.latest, TEAM_ID, CHANNEL)
    assert [r["detail"] for r in rows if r["action"] == "settings"][:2] == [
        "replies = mention",
        "replies = anyone",
    ]


async def test_notes_follow_their_messages_edits_and_deletions(bot, slack):
    card_ts = await first_shot(bot, slack)
    at = await say(bot, card_ts, "great start")
    (row,) = await until_notes(bot, 1)
    edited = {
        "type": "message", "subtype": "message_changed", "channel": CHANNEL, "ts": ts(), "hidden": True,
        "message": {"type": "message", "user": BOB, "text": "at 1.5s the beam flickers", "ts": at, "thread_ts": card_ts},
        "previous_message": {"type": "message", "user": BOB, "text": "great start", "ts": at, "thread_ts": card_ts},
    }  # fmt: skip
    await bot.event(edited)
    for _ in range(100):
        row = (await notes(bot))[0]
        if row["timecode"] == 1.5:
            break
        await asyncio.sleep(0.05)
    assert (row["text"], row["timecode"]) == ("at 1.5s the beam flickers", 1.5)
    assert len(await bot.jobs()) == 1, "an edited message orders nothing"
    deleted = {"type": "message", "subtype": "message_deleted", "channel": CHANNEL, "ts": ts(), "deleted_ts": at,
               "hidden": True, "previous_message": {"type": "message", "user": BOB, "text": "x", "ts": at}}  # fmt: skip
    await bot.event(deleted)
    await until_notes(bot, 0)
    await bot.settle()
    assert "speech_balloon" not in card_text(slack, card_ts)


async def test_a_timecoded_note_appears_in_the_screening_room_beside_its_version(tmp_path, slack):
    async with running_bot(tmp_path, slack, DAILIES_PUBLIC_URL=PUBLIC) as bot:
        card_ts = await first_shot(bot, slack)
        await say(bot, card_ts, "again", user=ALICE)
        await bot.wait_job("delivered", job_index=1)
        await say(bot, card_ts, "v1: the beam is too bright at 0:01")
        await until_notes(bot, 1)
        await bot.settle()
        card = slack.message(CHANNEL, card_ts)
        buttons = [e for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]]
        watch = next(b for b in buttons if b["action_id"] == "screening_room")["url"]
        async with aiohttp.ClientSession() as http:
            async with http.get(bot.url + watch.removeprefix(PUBLIC)) as resp:
                assert resp.status == 200
                html = await resp.text()
        v1 = html[html.index('id="version-1"') :]
        v2 = html[html.index('id="version-2"') : html.index('id="version-1"')]
        assert (
            "the beam is too bright at 0:01" in v1 and "1 note" in v1 and "notes" not in v2.split("<dl>")[1]
        )
        assert 'class="seek" data-seek="1"' in v1
        assert 'class="mark" data-seek="1"' in html, "a marker on the timeline"


async def test_a_pressed_offer_is_priced_and_waits_over_the_job_limit_like_any_request(tmp_path, slack):
    async with FakeKling() as kling:
        env = {"KLING_API_KEY": kling.api_key, "KLING_BASE_URL": kling.url}
        async with running_bot(tmp_path, slack, **env) as bot:
            card_ts = await first_shot(bot, slack, "a red fox in snow --seconds 5 --model kling-v3")
            await bot.command("settings job-limit 0.10")
            await say(bot, card_ts, "the fox should be running, not walking")
            await slack.wait_for(lambda: len(offers(slack)) == 1)
            button = offer_button(offers(slack)[0])
            price = re.fullmatch(r"Render this as v2 \(\$(\d+\.\d\d)\)", button["text"]["text"])
            assert price and float(price.group(1)) > 0.10, button["text"]["text"]
            assert len(kling.creates) == 1, "an offer calls no provider"
            await bot.action(
                button["action_id"], button["value"], user_id=BOB, channel_id=CHANNEL, message_ts=ts()
            )
            job = await bot.wait_job("awaiting_approval", job_index=1)
            assert (job["kind"], job["model"], job["user_id"]) == ("edit", "kling-o1", BOB)
            assert job["estimate_usd"] == float(price.group(1))
            assert len(kling.creates) == 1, "held for approval: nothing sent yet"
