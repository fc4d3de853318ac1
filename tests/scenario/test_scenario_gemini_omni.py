"""Gemini Omni on the Gemini API's Interactions API: signed /video and thread replies in, the
stand-in's recorded interaction bodies checked field by field, real MP4s in the same thread; an edit
continues the version's interaction (also after a restart on the same database), and an expired
interaction falls back to the clip itself, said on the card."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

from tests.fakes.gemini import FakeGemini
from tests.fakes.media_server import MediaServer, png_bytes
from tests.fakes.slack_requests import message_shortcut_payload, view_submission_payload
from tests.harness import running_bot
from tests.scenario.test_scenario_backends import deliver
from tests.scenario.test_scenario_subjects import ask
from tests.scenario.test_scenario_thread_talk import card_text
from tests.scenario.test_scenario_threads import CHANNEL, reply, uploads
from tests.scenario.test_scenario_veo import gemini_env
from tests.scenario.test_slack_surfaces import interact, opened_modal


def interaction_posts(fake: FakeGemini) -> list:
    return [r for r in fake.requests if r.method == "POST" and r.path == "/v1beta/interactions"]


async def _edited(bot, job_index: int) -> dict:
    job = await bot.wait_job(("delivered", "failed"), job_index=job_index)
    assert job["state"] == "delivered", job["error"]
    await bot.settle()
    return job


async def test_gemini_omni_renders_text_and_first_frame_on_a_gemini_key(tmp_path, slack):
    async with (
        FakeGemini() as fake,
        MediaServer() as media,
        running_bot(tmp_path, slack, **gemini_env(fake)) as bot,
    ):
        job, _ = await deliver(
            bot, slack, "a red kite rises over a beach --model gemini-omni --seconds 12 --aspect 9:16"
        )
        assert job["backend"] == "gemini" and job["model"] == "gemini-omni"
        assert job["estimate_usd"] == 1.21  # 12 s x $0.101, to the cent
        (create,) = interaction_posts(fake)
        assert (
            create.headers["x-goog-api-key"] == fake.api_key
            and create.headers["Api-Revision"] == "2026-05-20"
        )
        assert create.json == {
            "model": "gemini-omni-1.2-flash",
            "background": True,
            "store": True,
            "input": "a red kite rises over a beach",
            "response_format": {
                "type": "video", "aspect_ratio": "9:16", "duration": "12s", "resolution": "720p", "delivery": "uri",
            },
            "generation_config": {"video_config": {"task": "text_to_video"}},
        }  # fmt: skip
        (take,) = await bot.takes(job["id"])
        assert take["provider_task_id"] == take["interaction_id"] == next(iter(fake.interactions))
        assert fake.downloads == 1 and "gemini-omni" in uploads(slack)[0]["initial_comment"]
        frame = media.url("/img/1280x720.png")
        await deliver(
            bot,
            slack,
            f"the kite lands --model gemini-omni --seconds 6 --image {frame} --res 4k",
            job_index=1,
        )
        sent = interaction_posts(fake)[-1].json
        image, text = sent["input"][0]["content"]
        assert base64.b64decode(image["data"]) == png_bytes(1280, 720) and image["mime_type"] == "image/png"
        assert text == {"type": "text", "text": "<FIRST_FRAME> the kite lands"}
        assert sent["generation_config"]["video_config"]["task"] == "image_to_video"
        assert sent["response_format"]["resolution"] == "4k"
        # refused before any call: a first frame renders at most 10 s, and Omni has no 1:1
        for text, expected in [
            (f"a kite --model gemini-omni --seconds 12 --image {frame}", "with a first frame"),
            ("a kite --model gemini-omni --aspect 1:1", "16:9 or 9:16"),
        ]:
            answer = await ask(bot, slack, text, channel=CHANNEL)
            assert expected in answer, (text, answer)
        assert len(interaction_posts(fake)) == 2 and len(await bot.jobs()) == 2


async def test_a_thread_edit_continues_the_interaction_also_after_a_restart(tmp_path, slack):
    async with FakeGemini() as fake:
        env = gemini_env(fake)
        async with running_bot(tmp_path, slack, **env) as bot:
            await deliver(bot, slack, "a red kite over a beach at dusk --model gemini-omni --seconds 8")
            card_ts = slack.messages[CHANNEL][0]["ts"]
            v1 = (await bot.takes(1))[0]
            await reply(bot, card_ts, "make the kite green")
            edit = await _edited(bot, job_index=1)
            assert edit["kind"] == "edit" and edit["model"] == "gemini-omni" and edit["backend"] == "gemini"
            body = interaction_posts(fake)[-1].json
            assert body == {
                "model": "gemini-omni-1.2-flash",
                "background": True,
                "store": True,
                "previous_interaction_id": v1["interaction_id"],
                "input": "make the kite green. Keep everything else the same.",
                "response_format": {"type": "video", "delivery": "uri"},
                "generation_config": {"video_config": {"task": "edit"}},
            }
            v2 = (await bot.takes(edit["id"]))[0]
            assert v2["interaction_id"] and v2["interaction_id"] != v1["interaction_id"]
        # a new bot on the same database continues the same chain from v2
        async with running_bot(tmp_path, slack, **env) as bot:
            await reply(bot, card_ts, "now add a second kite")
            again = await _edited(bot, job_index=2)
            assert again["request"]["parent_version"] == 2
            body = interaction_posts(fake)[-1].json
            assert body["previous_interaction_id"] == v2["interaction_id"]
            await reply(bot, card_ts, "extend the kites fly out to sea --seconds 5")
            extend = await _edited(bot, job_index=3)
            body = interaction_posts(fake)[-1].json
            v3 = (await bot.takes(again["id"]))[0]
            assert extend["kind"] == "extend" and body["previous_interaction_id"] == v3["interaction_id"]
            assert body["generation_config"] == {"video_config": {"task": "extend"}}
            assert body["response_format"] == {"type": "video", "duration": "5s", "delivery": "uri"}
        done = uploads(slack)
        assert len(done) == 4 and {u["thread_ts"] for u in done} == {card_ts}
        assert "edit of v1" in done[1]["initial_comment"] and "edit of v2" in done[2]["initial_comment"]


async def test_an_expired_interaction_falls_back_to_the_clip_and_says_so(tmp_path, slack):
    async with FakeGemini() as fake, running_bot(tmp_path, slack, **gemini_env(fake)) as bot:
        await deliver(bot, slack, "a red kite over a beach --model gemini-omni --seconds 8")
        card_ts = slack.messages[CHANNEL][0]["ts"]
        v1 = (await bot.takes(1))[0]
        # the API forgot the interaction before our 55 days were up: it answers the expired shape
        fake.expire_interaction(v1["interaction_id"])
        await reply(bot, card_ts, "make the kite green")
        edit = await _edited(bot, job_index=1)
        refused, fallback = interaction_posts(fake)[-2:]
        assert refused.json["previous_interaction_id"] == v1["interaction_id"]
        assert "previous_interaction_id" not in fallback.json
        video, text = fallback.json["input"][0]["content"]
        assert video["type"] == "video" and video["mime_type"] == "video/mp4"
        # v1 itself, as delivered (fetched back from Slack once our copy was cleared after upload)
        assert base64.b64decode(video["data"])[4:8] == b"ftyp"
        assert text["text"] == "make the kite green. Keep everything else the same."
        assert "conversation there has expired" in card_text(slack, card_ts)
        assert edit["cost_usd"] is not None and uploads(slack)[-1]["thread_ts"] == card_ts
        # past the 55 days the API keeps it, the edit starts from the clip without asking
        v2 = (await bot.takes(edit["id"]))[0]
        old = (datetime.now(UTC) - timedelta(days=56)).isoformat(timespec="milliseconds")
        await bot.dailies.store.run(
            lambda db: db["takes"].update(v2["id"], {"submitted_at": old, "finished_at": old})
        )
        before = len(interaction_posts(fake))
        await reply(bot, card_ts, "a little more wind")
        late = await _edited(bot, job_index=2)
        (sent,) = interaction_posts(fake)[before:]
        assert "previous_interaction_id" not in sent.json and late["request"]["from_clip"] is True
        assert "has expired (kept 55 days)" in card_text(slack, card_ts)


async def test_edit_this_clip_on_an_omni_version_continues_its_interaction(tmp_path, slack):
    async with FakeGemini() as fake, running_bot(tmp_path, slack, **gemini_env(fake)) as bot:
        await deliver(bot, slack, "a red kite over a beach --model gemini-omni --seconds 8")
        card_ts = slack.messages[CHANNEL][0]["ts"]
        clip = next(m for m in slack.thread(CHANNEL, card_ts) if m.get("files"))
        payload = message_shortcut_payload(
            "edit_clip", clip, channel_id=CHANNEL, user_id="U0ALICE", response_url=slack.response_url(),
            trigger_id=slack.issue_trigger(),
        )  # fmt: skip
        assert (await interact(bot, payload))[0] == 200
        modal = await opened_modal(slack)
        assert "gemini-omni" in json.dumps(modal["blocks"])  # offered as an edit engine here
        good = view_submission_payload(modal, {"instruction": "make the kite green"}, user_id="U0ALICE")
        assert await interact(bot, good) == (200, "")
        edit = await _edited(bot, job_index=1)
        v1 = (await bot.takes(1))[0]
        assert edit["model"] == "gemini-omni" and edit["request"]["parent_version"] == 1
        assert interaction_posts(fake)[-1].json["previous_interaction_id"] == v1["interaction_id"]
        assert uploads(slack)[-1]["thread_ts"] == card_ts
