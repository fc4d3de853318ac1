"""Working in a job's thread, the way Slack drives it: replies become edits, takes, extensions
and final renders on the same shot, each a new version in the same thread."""

from __future__ import annotations

import itertools
from pathlib import Path

from tests.fakes.aimlapi import FakeAimlApi
from tests.fakes.kling import FakeKling
from tests.fakes.media_server import png_bytes
from tests.fakes.openai_videos import FakeOpenAIVideos
from tests.fakes.slack_requests import TEAM_ID, app_mention_event, message_event
from tests.harness import running_bot

CHANNEL = "C0CHANNEL"
_ts = itertools.count(1)


def ts() -> str:
    return f"1800000000.{next(_ts):06d}"


async def first_shot(bot, slack, text: str = "a lighthouse at dusk --seconds 2 --model preview") -> str:
    """A delivered v1; returns the card's ts (the thread)."""
    await bot.command(text)
    await bot.wait_job("delivered")
    await bot.settle()
    return slack.messages[CHANNEL][0]["ts"]


async def reply(bot, card_ts: str, text: str, **fields) -> None:
    fields.setdefault("user", "U0ALICE")
    status, _ = await bot.event(message_event(text, channel=CHANNEL, ts=ts(), thread_ts=card_ts, **fields))
    assert status == 200


def uploads(slack) -> list[dict]:
    return [c.params for c in slack.calls_to("files.completeUploadExternal")]


async def test_reply_edits_latest_version_into_same_thread(bot, slack):
    card_ts = await first_shot(bot, slack)
    await reply(bot, card_ts, "make it dusk, slow the camera down")
    job = await bot.wait_job("delivered", job_index=1)
    await bot.settle()
    assert job["kind"] == "edit" and job["model"] == "preview" and job["shot_id"] == 1
    assert job["request"]["instruction"] == "make it dusk, slow the camera down"
    v1 = (await bot.takes(1))[0]
    assert job["parent_take_id"] == v1["id"]
    v2 = (await bot.takes(job["id"]))[0]
    assert v2["version"] == 2
    done = uploads(slack)
    assert [u["thread_ts"] for u in done] == [card_ts, card_ts]
    assert done[1]["initial_comment"].startswith("v2 ·")
    assert "_edit of v1:_ make it dusk, slow the camera down" in done[1]["initial_comment"]
    # the source clip was deleted after upload, so it came back from Slack with the bot token
    assert slack.count("files.download") == 1
    assert slack.count("chat.postMessage") == 1, "no second card: the version lands in the thread"
    card = slack.message(CHANNEL, card_ts)
    assert "v2" in str(card["blocks"]) and "current" in str(card["blocks"])


async def test_reply_naming_a_version_edits_that_version(bot, slack):
    card_ts = await first_shot(bot, slack)
    await reply(bot, card_ts, "warmer light")
    await bot.wait_job("delivered", job_index=1)
    await reply(bot, card_ts, "v1: colder light")
    job = await bot.wait_job("delivered", job_index=2)
    v1 = (await bot.takes(1))[0]
    assert job["parent_take_id"] == v1["id"] and job["request"]["parent_version"] == 1
    assert [t["version"] for t in await bot.takes(job["id"])] == [3]


async def test_again_and_n_three_make_new_versions(bot, slack):
    card_ts = await first_shot(bot, slack)
    await reply(bot, card_ts, "again")
    again = await bot.wait_job("delivered", job_index=1)
    assert again["kind"] == "again" and again["request"]["prompt"] == "a lighthouse at dusk"
    first, second = (await bot.takes(1))[0], (await bot.takes(again["id"]))[0]
    assert first["seed"] != second["seed"], "another take gets a new seed"
    await reply(bot, card_ts, "again --n 3")
    three = await bot.wait_job("delivered", job_index=2)
    assert three["takes"] == 3
    assert [t["version"] for t in await bot.takes(three["id"])] == [3, 4, 5]
    await bot.settle()
    assert len(uploads(slack)) == 5 and {u["thread_ts"] for u in uploads(slack)} == {card_ts}


async def test_extend_and_next_shot_continue_the_latest_version(bot, slack):
    card_ts = await first_shot(bot, slack)
    await reply(bot, card_ts, "extend the camera keeps rising --seconds 3")
    job = await bot.wait_job("delivered", job_index=1)
    assert job["kind"] == "extend" and job["request"]["mode"] == "extend"
    assert job["request"]["seconds"] == 3
    await reply(bot, card_ts, "next shot: the keeper opens the door")
    nxt = await bot.wait_job("delivered", job_index=2)
    v2 = (await bot.takes(job["id"]))[0]
    assert nxt["kind"] == "extend" and nxt["parent_take_id"] == v2["id"]
    assert nxt["request"]["instruction"] == "the keeper opens the door"


async def test_final_reply_renders_on_the_final_model(bot, slack):
    card_ts = await first_shot(bot, slack)
    await reply(bot, card_ts, "final")
    job = await bot.wait_job("delivered", job_index=1)
    studio = bot.dailies.studio
    from storage import channels

    settings = await bot.dailies.store.run(channels.get_settings, TEAM_ID, CHANNEL)
    assert job["kind"] == "final" and job["model"] == studio.final_model(settings)
    await bot.settle()
    assert "*final*" in str(slack.message(CHANNEL, card_ts)["blocks"])


async def test_image_attached_to_a_reply_is_the_edit_reference(bot, slack):
    card_ts = await first_shot(bot, slack)
    file = slack.add_file("F0IMAGE1", png_bytes(400, 300), name="ref.png")
    await reply(bot, card_ts, "use this palette", files=[file])
    job = await bot.wait_job("delivered", job_index=1)
    image = job["request"]["image"]
    assert image["mime"] == "image/png" and image["url"] is None
    assert Path(image["path"]).read_bytes() == png_bytes(400, 300)


async def test_mention_in_a_job_thread_is_a_reply_once(bot, slack):
    card_ts = await first_shot(bot, slack)
    at = ts()
    text = "<@UBOT> make it snow"
    await bot.event(app_mention_event(text, channel=CHANNEL, user="U0ALICE", ts=at, thread_ts=card_ts))
    await bot.event(message_event(text, channel=CHANNEL, user="U0ALICE", ts=at, thread_ts=card_ts))
    job = await bot.wait_job("delivered", job_index=1)
    assert job["kind"] == "edit" and job["request"]["instruction"] == "make it snow"
    await bot.settle()
    assert len(await bot.jobs()) == 2


async def test_reply_while_latest_is_rendering_gets_a_clear_message(tmp_path, slack):
    async with FakeKling() as kling:
        env = {"KLING_API_KEY": kling.api_key, "KLING_BASE_URL": kling.url}
        async with running_bot(tmp_path, slack, **env) as bot:
            card_ts = await first_shot(bot, slack, "a red fox in snow --seconds 5 --model kling-v3")
            kling.never_finish = True
            await reply(bot, card_ts, "again")
            await bot.wait_job("rendering", job_index=1)
            await reply(bot, card_ts, "brighter")
            await slack.wait_for(lambda: slack.count("chat.postEphemeral") == 1)
            call = slack.calls_to("chat.postEphemeral")[0].params
            assert "v2 is still rendering" in call["text"] and "`v1: " in call["text"]
            assert call["thread_ts"] == card_ts and call["user"] == "U0ALICE"
            assert len(await bot.jobs()) == 2, "the reply started nothing"
            await reply(bot, card_ts, "v1: brighter")
            job = await bot.wait_job(("queued", "rendering"), job_index=2)
            assert job["kind"] == "edit" and job["request"]["parent_version"] == 1


async def test_ignored_messages_make_no_job_and_no_post(bot, slack):
    card_ts = await first_shot(bot, slack)
    before = len(slack.calls)
    events = [
        message_event(
            "make it dusk", channel=CHANNEL, user="U0OTHER", ts=ts(), thread_ts=card_ts, bot_id="B0X"
        ),
        message_event("make it dusk", channel=CHANNEL, user="UBOT", ts=ts(), thread_ts=card_ts),
        message_event("make it dusk", channel=CHANNEL, user="U0ALICE", ts=ts()),  # not in a thread
        message_event(
            "make it dusk", channel=CHANNEL, user="U0ALICE", ts=ts(), thread_ts="1700000000.000001"
        ),
        message_event("make it dusk", channel=CHANNEL, user="U0ALICE", ts=card_ts, thread_ts=card_ts),
        message_event(
            "make it dusk", channel=CHANNEL, user="U0ALICE", ts=ts(), thread_ts=card_ts, subtype="bot_message"
        ),
        message_event("<@UBOT> make it dusk", channel=CHANNEL, user="U0ALICE", ts=ts(), thread_ts=card_ts),
        {
            "type": "message",
            "subtype": "message_changed",
            "channel": CHANNEL,
            "ts": ts(),
            "hidden": True,
            "message": {
                "type": "message",
                "user": "U0ALICE",
                "text": "make it dusk",
                "ts": "1",
                "thread_ts": card_ts,
            },
            "previous_message": {
                "type": "message",
                "user": "U0ALICE",
                "text": "x",
                "ts": "1",
                "thread_ts": card_ts,
            },
        },
        {"type": "message", "subtype": "message_deleted", "channel": CHANNEL, "ts": ts(), "deleted_ts": "1"},
        {
            "type": "message",
            "subtype": "thread_broadcast",
            "user": "UBOT",
            "bot_id": "BBOT",
            "text": "v1 is ready",
            "channel": CHANNEL,
            "ts": ts(),
            "thread_ts": card_ts,
        },
    ]
    for event in events:
        status, _ = await bot.event(event)
        assert status == 200
    await bot.settle()
    assert len(await bot.jobs()) == 1
    assert [c.method for c in slack.calls[before:]] == []


async def test_reply_edit_goes_to_kling_o1_with_the_source_url(tmp_path, slack):
    async with FakeKling() as kling:
        env = {"KLING_API_KEY": kling.api_key, "KLING_BASE_URL": kling.url}
        async with running_bot(tmp_path, slack, **env) as bot:
            card_ts = await first_shot(bot, slack, "a red fox in snow --seconds 5 --model kling-v3")
            v1 = (await bot.takes(1))[0]
            assert v1["result_url"].startswith(kling.url)
            await reply(bot, card_ts, "make it night --no-audio")
            job = await bot.wait_job("delivered", job_index=1)
            assert job["model"] == "kling-o1" and job["backend"] == "kling"
            route, body = kling.creates[-1]
            assert route == "omni-video"
            assert body["video_list"] == [
                {"video_url": v1["result_url"], "refer_type": "base", "keep_original_sound": "no"}
            ]
            assert "make it night" in body["prompt"]
            await bot.settle()
            assert uploads(slack)[-1]["thread_ts"] == card_ts


async def test_another_take_and_final_render_buttons(bot, slack):
    card_ts = await first_shot(bot, slack)
    v1 = (await bot.takes(1))[0]
    await bot.action(
        "another_take", f"1:take:{v1['id']}", user_id="U0ALICE", channel_id=CHANNEL, message_ts=card_ts
    )
    again = await bot.wait_job("delivered", job_index=1)
    assert again["kind"] == "again" and again["shot_id"] == 1
    await bot.action(
        "final_render", f"1:take:{v1['id']}", user_id="U0ALICE", channel_id=CHANNEL, message_ts=card_ts
    )
    final = await bot.wait_job("delivered", job_index=2)
    assert final["kind"] == "final"
    assert [t["version"] for t in await bot.takes()] == [1, 2, 3]
    await bot.settle()
    assert {u["thread_ts"] for u in uploads(slack)} == {card_ts}


async def test_sora_clip_is_edited_by_sora_with_its_own_video_id(tmp_path, slack):
    async with FakeOpenAIVideos() as oa:
        env = {"OPENAI_API_KEY": oa.api_key, "OPENAI_BASE_URL": oa.base_url}
        async with running_bot(tmp_path, slack, **env) as bot:
            card_ts = await first_shot(bot, slack, "a fox in the snow --model sora-2 --seconds 4")
            v1 = (await bot.takes(1))[0]
            await reply(bot, card_ts, "warmer light")
            job = await bot.wait_job("delivered", job_index=1)
            assert (job["model"], job["backend"], job["kind"]) == ("sora-2", "openai", "edit")
            edits = [r for r in oa.requests if r.method == "POST" and r.path.endswith(("/edits", "/remix"))]
            assert len(edits) == 1 and edits[0].json["video"]["id"] == v1["provider_task_id"]
            assert "warmer light" in edits[0].json["prompt"]


async def test_sora_cannot_edit_a_clip_it_did_not_make_and_says_why(tmp_path, slack):
    async with FakeOpenAIVideos() as oa:
        env = {"OPENAI_API_KEY": oa.api_key, "OPENAI_BASE_URL": oa.base_url}
        async with running_bot(tmp_path, slack, **env) as bot:
            card_ts = await first_shot(bot, slack)
            await reply(bot, card_ts, "warmer light --model sora-2")
            await slack.wait_for(lambda: slack.count("chat.postEphemeral") == 1)
            text = slack.calls_to("chat.postEphemeral")[0].params["text"]
            assert "Sora edits only clips Sora made" in text and "--model kling-o1" in text
            assert len(await bot.jobs()) == 1


async def test_gateway_edit_gets_the_clip_back_from_slack_as_a_data_uri(tmp_path, slack):
    async with FakeAimlApi() as gw:
        env = {"AIMLAPI_API_KEY": gw.api_key, "AIMLAPI_BASE_URL": gw.base_url}
        async with running_bot(tmp_path, slack, **env) as bot:
            card_ts = await first_shot(bot, slack)  # --model preview: rendered locally, no provider URL
            await reply(bot, card_ts, "make it rain --model kling-o1")
            job = await bot.wait_job("delivered", job_index=1)
            assert (job["model"], job["backend"]) == ("kling-o1", "aimlapi")
            (body,) = gw.created()
            assert body["video_url"].startswith("data:video/mp4;base64,")
            assert slack.count("files.download") == 1


async def test_gateway_edit_reuses_its_result_url_until_it_expires(tmp_path, slack):
    async with FakeAimlApi() as gw:
        env = {"AIMLAPI_API_KEY": gw.api_key, "AIMLAPI_BASE_URL": gw.base_url}
        async with running_bot(tmp_path, slack, **env) as bot:
            card_ts = await first_shot(bot, slack, "a fox in the snow --model kling-v3 --seconds 5")
            v1 = (await bot.takes(1))[0]
            assert v1["result_url"]
            await reply(bot, card_ts, "v1: make it rain")
            await bot.wait_job("delivered", job_index=1)
            assert gw.created()[-1]["video_url"] == v1["result_url"]
            assert slack.count("files.download") == 0
            # two days later the gateway's link is gone: the clip comes back from Slack instead
            await bot.dailies.store.run(
                lambda db: db.execute(
                    "UPDATE takes SET finished_at = '2020-01-01T00:00:00+00:00' WHERE id = ?", [v1["id"]]
                )
            )
            await reply(bot, card_ts, "v1: make it snow")
            await bot.wait_job("delivered", job_index=2)
            assert gw.created()[-1]["video_url"].startswith("data:video/mp4;base64,")
            assert slack.count("files.download") == 1
