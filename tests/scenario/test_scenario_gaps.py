"""Gaps in issues 4, 6 and 7, driven the way Slack drives them: who may cancel, a refused repeat
reaction, the version history in `/video jobs`, and hostile commands with their exact answers."""

from __future__ import annotations

import itertools

from handlers.replies import SOMETHING_WRONG
from tests.fakes.kling import FakeKling
from tests.fakes.media_server import MediaServer
from tests.fakes.slack_requests import app_mention_event, message_event, reaction_event
from tests.harness import running_bot

CHANNEL = "C0CHANNEL"
ALICE, BOSS, EVE = "U0ALICE", "U0BOSS", "U0EVE"
_ts = itertools.count(1)


def kling_env(fake: FakeKling) -> dict[str, str]:
    return {"KLING_BASE_URL": fake.url, "KLING_API_KEY": fake.api_key}


async def say(bot, slack, text: str, user: str = ALICE, channel: str = CHANNEL) -> str:
    """A /video command; its ephemeral answer (from the ack or the response_url)."""
    before = slack.count("response_url")
    status, body = await bot.command(text, user_id=user, channel_id=channel)
    assert status == 200
    if body:
        return body
    await slack.wait_for(lambda: slack.count("response_url") > before, timeout=20)
    return slack.calls_to("response_url")[-1].params["text"]


async def start(bot, text: str) -> None:
    """A /video request that starts a job (no answer comes back)."""
    status, body = await bot.command(text, user_id=ALICE)
    assert (status, body) == (200, "")


async def card_ts(bot, job: dict) -> str:
    shot = await bot.dailies.store.run(lambda db: db["shots"].get(job["shot_id"]))
    return shot["card_ts"]


async def test_only_the_requester_or_an_approver_can_cancel(tmp_path, slack):
    async with FakeKling() as fake, running_bot(tmp_path, slack, **kling_env(fake)) as bot:
        fake.never_finish = True
        await say(bot, slack, f"settings approvers <@{BOSS}>")
        await start(bot, "a slow comet --model kling-v3 --seconds 5")
        job = await bot.wait_job("rendering")
        assert await say(bot, slack, f"cancel J{job['id']}", user=EVE) == (
            f"Only the requester or an approver can cancel J{job['id']}."
        )
        assert (await bot.jobs())[0]["state"] == "rendering"
        assert await say(bot, slack, f"cancel J{job['id']}", user=BOSS) == f"Cancelled J{job['id']}."
        assert (await bot.jobs())[0]["state"] == "cancelled"


async def test_requester_cancels_own_job_without_approvers(tmp_path, slack):
    async with FakeKling() as fake, running_bot(tmp_path, slack, **kling_env(fake)) as bot:
        fake.never_finish = True
        await start(bot, "a slow comet --model kling-v3 --seconds 5")
        job = await bot.wait_job("rendering")
        assert "Only the requester" in await say(bot, slack, f"cancel J{job['id']}", user=EVE)
        assert await say(bot, slack, f"cancel J{job['id']}") == f"Cancelled J{job['id']}."


async def test_refused_repeat_reaction_tells_the_reactor_in_the_thread(tmp_path, slack):
    async with FakeKling() as fake, running_bot(tmp_path, slack, **kling_env(fake)) as bot:
        fake.never_finish = True
        await start(bot, "a slow comet --model kling-v3 --seconds 5")
        job = await bot.wait_job("rendering")
        await bot.settle()
        ts = await card_ts(bot, job)
        status, _ = await bot.event(reaction_event("repeat", user=ALICE, channel=CHANNEL, ts=ts))
        assert status == 200
        await slack.wait_for(lambda: slack.ephemerals, timeout=20)
        note = slack.ephemerals[-1]
        assert (note["channel"], note["user"], note["thread_ts"]) == (CHANNEL, ALICE, ts)
        assert (
            note["text"]
            == f"J{job['id']} is still rendering; react :repeat: on a version once it has landed."
        )
        assert len(await bot.jobs()) == 1


async def test_jobs_lists_shots_as_a_version_history(bot, slack):
    await start(bot, "a lighthouse at dusk --seconds 2 --model preview")
    first = await bot.wait_job("delivered")
    await bot.settle()
    ts = await card_ts(bot, first)
    reply = message_event(
        "make it dawn", channel=CHANNEL, ts=f"1800000000.{next(_ts):06d}", thread_ts=ts, user=ALICE
    )
    assert (await bot.event(reply))[0] == 200
    edit = await bot.wait_job("delivered", job_index=1)
    await bot.settle()
    await bot.event(reaction_event("white_check_mark", user=ALICE, channel=CHANNEL, ts=ts))
    await slack.wait_for(lambda: slack.count("reactions.add") == 1, timeout=20)
    text = await say(bot, slack, "jobs")
    lines = text.splitlines()
    assert lines[0] == "*Recent shots in this channel* (versions oldest first; ✅ approved)"
    assert len(lines) == 2, text  # one line for the shot, not one per job
    assert lines[1].startswith(f"• *J{first['id']}, J{edit['id']}* · v1 `preview` delivered · ")
    assert "· v2 edit of v1 `preview` delivered ✅ ·" in lines[1]
    assert "_a lighthouse at dusk_" in lines[1] and f"(thread {ts})" in lines[1]


async def test_command_in_a_dm_the_bot_cannot_post_in(bot, slack):
    slack.fail_next("chat.postMessage", body={"ok": False, "error": "channel_not_found"})
    text = await say(bot, slack, "a fox --seconds 2 --model preview", channel="D0DIRECT")
    assert text == (
        "I can't post here: this is a private conversation I'm not part of. "
        "Invite me with `/invite @Dailies`, or use a channel I'm in. Nothing was rendered or charged."
    )


async def test_hostile_prompts_are_refused_with_the_grammars_words(bot, slack):
    assert await say(bot, slack, "a" * 10_240) == "That's too long: prompts can be at most 2,500 characters."
    mention = await say(bot, slack, "a fox chasing <@U0BOB|bob> --model preview")
    assert mention.startswith("Prompts can't contain @mentions, #channels or @here")
    unknown = await say(bot, slack, "{unknown} walks the dog --model preview")
    assert unknown.startswith("This channel has no subject called {unknown}.")
    assert "`/video subject add NAME IMAGE_URL" in unknown
    assert await bot.jobs() == []
    assert slack.count("chat.postMessage") == 0


async def test_slack_escaped_image_link_is_fetched_unwrapped(tmp_path, slack):
    async with MediaServer() as media, running_bot(tmp_path, slack) as bot:
        url = media.url("/img/640x360.png")
        status, _ = await bot.command(f"a cat on a sofa --model preview --seconds 1 --image <{url}|cat.png>")
        assert status == 200
        job = await bot.wait_job("delivered")
        assert [r.path for r in media.requests] == ["/img/640x360.png"]
        assert job["request"]["image"]["url"] == url


async def test_a_crash_behind_the_ack_answers_the_same_for_command_and_mention(bot, slack, monkeypatch):
    async def broken(origin, command):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(bot.dailies.studio, "answer", broken)
    assert await say(bot, slack, "models") == SOMETHING_WRONG
    mention = app_mention_event("models", channel=CHANNEL, user=ALICE, ts="1800000001.000100")
    assert (await bot.event(mention))[0] == 200
    await slack.wait_for(lambda: slack.ephemerals, timeout=20)
    assert slack.ephemerals[-1]["text"] == SOMETHING_WRONG
