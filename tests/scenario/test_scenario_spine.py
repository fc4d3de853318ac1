"""The spine, the way Slack drives it: signed /video → job card → progress → MP4 in the thread."""

from __future__ import annotations

import time

import av

from tests.fakes.slack_requests import FORM, post_signed, slash_command_body
from tests.harness import running_bot

CHANNEL = "C0CHANNEL"


async def test_video_command_delivers_clip_into_card_thread(tmp_path, slack):
    async with running_bot(tmp_path, slack, DAILIES_PREVIEW_SCALE="1") as bot:  # the real frame size
        await _delivers_clip_into_card_thread(bot, slack)


async def _delivers_clip_into_card_thread(bot, slack):
    status, body = await bot.command("a red fox trotting through fresh snow --seconds 3 --aspect 9:16")
    assert status == 200
    job = await bot.wait_job("delivered")
    await bot.settle()
    posts = slack.calls_to("chat.postMessage")
    assert len(posts) == 1, "one card per job"
    card_ts = slack.messages[CHANNEL][0]["ts"]
    assert job["model"] == "kling-v3" and job["backend"] == "preview"
    assert slack.count("chat.update") >= 1
    card = slack.message(CHANNEL, card_ts)
    assert card["text"].startswith(":white_check_mark: Delivered")
    assert "kling-v3" in str(card["blocks"]) and "preview" in str(card["blocks"])
    complete = slack.calls_to("files.completeUploadExternal")
    assert len(complete) == 1
    assert complete[0].params["channel_id"] == CHANNEL
    assert complete[0].params["thread_ts"] == card_ts
    assert f"job J{job['id']}" in complete[0].params["initial_comment"]
    file_id = complete[0].params["files"][0]["id"]
    with av.open(str(slack.upload_path(file_id))) as clip:
        stream = clip.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert (stream.width, stream.height) == (720, 1280)
        assert abs(clip.duration / 1e6 - 3) < 0.2
    thread = slack.thread(CHANNEL, card_ts)
    assert [m["files"][0]["id"] for m in thread if m.get("files")] == [file_id]


async def test_card_shows_progress_states_in_order(bot, slack):
    await bot.command("a lighthouse at dusk --seconds 4")
    await bot.wait_job("delivered")
    await bot.settle()
    texts = [c.params.get("text", "") for c in slack.calls if c.method in ("chat.postMessage", "chat.update")]
    order = [":hourglass_flowing_sand: Queued", ":clapper: Rendering", ":white_check_mark: Delivered"]
    seen = [
        next(i for i, t in enumerate(texts) if t.startswith(s))
        for s in order
        if any(t.startswith(s) for t in texts)
    ]
    assert seen == sorted(seen) and texts[-1].startswith(":white_check_mark: Delivered")


async def test_bad_input_gets_ephemeral_message_and_no_job(bot, slack):
    status, body = await bot.command("a cat --seconds 7 --model kling-2.6-pro")
    assert status == 200
    assert "5 or 10" in body
    status, body = await bot.command("a cat --model nope")
    assert "kling-v3" in body  # lists known models
    assert await bot.jobs() == []
    assert slack.count("chat.postMessage") == 0


async def test_help_and_models_answer_ephemerally(bot, slack):
    _, body = await bot.command("help")
    assert "--seconds" in body
    await bot.command("models")
    await slack.wait_for(lambda: slack.count("response_url") == 1)
    text = slack.calls_to("response_url")[0].params["text"]
    assert "sora-2-pro" in text and "kling-avatar-pro" in text


async def test_jobs_lists_recent_jobs(bot, slack):
    await bot.command("a fox --seconds 2 --model preview")
    await bot.wait_job("delivered")
    await bot.command("jobs")
    await slack.wait_for(lambda: slack.count("response_url") == 1)
    assert "J1" in slack.calls_to("response_url")[0].params["text"]


async def test_wrong_or_stale_signature_is_401_and_does_nothing(bot, slack):
    body = slash_command_body("a fox", response_url=slack.response_url())
    status, _ = await post_signed(bot.url, "/slack/events", body, FORM, secret="not-the-secret")
    assert status == 401
    status, _ = await post_signed(bot.url, "/slack/events", body, FORM, timestamp=int(time.time()) - 400)
    assert status == 401
    assert await bot.jobs() == []
    assert slack.count("chat.postMessage") == 0


async def test_retried_command_creates_one_job(bot, slack):
    fields = {"trigger_id": "13345224609.738474920.8088930838d88f008e0"}
    await bot.command("a fox --seconds 2 --model preview", **fields)
    await bot.command("a fox --seconds 2 --model preview", **fields)
    await bot.wait_job("delivered")
    await bot.settle()
    assert len(await bot.jobs()) == 1
    assert slack.count("files.completeUploadExternal") == 1


async def test_mention_works_like_the_command(bot, slack):
    from tests.fakes.slack_requests import app_mention_event

    event = app_mention_event(
        "<@UBOT> a paper boat on a lake --seconds 3", channel=CHANNEL, user="U0ALICE", ts="1732500001.000100"
    )
    status, _ = await bot.event(event)
    assert status == 200
    job = await bot.wait_job("delivered")
    assert job["request"]["prompt"] == "a paper boat on a lake"


async def test_healthz(bot):
    import aiohttp

    async with aiohttp.ClientSession() as s, s.get(bot.url + "/healthz") as resp:
        assert resp.status == 200
        body = await resp.json()
    assert body["ok"] is True and "token" not in str(body).lower()


async def test_channel_the_bot_is_not_in_gets_a_clear_message(bot, slack):
    slack.fail_next("chat.postMessage", status=200, body={"ok": False, "error": "not_in_channel"})
    await bot.command("a fox on a hill --seconds 3")
    await slack.wait_for(lambda: slack.count("response_url") == 1)
    text = slack.calls_to("response_url")[0].params["text"]
    assert "/invite @Dailies" in text
    job = (await bot.jobs())[0]
    assert job["state"] == "failed"
    assert slack.count("files.getUploadURLExternal") == 0


async def test_failed_card_edit_does_not_lose_the_final_state(bot, slack):
    slack.fail_next("chat.update", status=429, headers={"Retry-After": "1"}, times=2)
    await bot.command("a kite over the dunes --seconds 2 --model preview")
    await bot.wait_job("delivered")
    await bot.settle()
    card = slack.messages[CHANNEL][0]
    assert slack.message(CHANNEL, card["ts"])["text"].startswith(":white_check_mark: Delivered")


async def test_help_with_a_topic_answers_that_section(bot, slack):
    _, everything = await bot.command("help")
    _, subjects = await bot.command("help subject")
    assert "subject add" in subjects and len(subjects) < len(everything)
