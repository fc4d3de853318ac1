"""NewVideo, Avatars and the Starter they end in: what is stored for a request, and what is
refused before anything is stored."""

from __future__ import annotations

from pathlib import Path

from bot.outcomes import Answer
from bot.request import Avatar, parse_command
from bot.studio.avatar import Avatars
from bot.studio.new_video import NewVideo
from bot.studio.video_inputs import VideoInputs
from storage import audit, channels
from storage import consent as consent_db
from storage import jobs as jobs_db
from storage import subjects as subjects_db
from tests.fakes.media_server import png_bytes
from tests.unit.studio.conftest import CHANNEL, TEAM, consents, hosts, intake, library, new_job, origin


def new_video(parts) -> NewVideo:
    videos = VideoInputs(
        Path(parts.config.media_dir) / "inputs", token=parts.config.slack_bot_token,
        slack_file_hosts=hosts(parts), allow_private=True,
    )  # fmt: skip
    return NewVideo(intake(parts), videos)


async def stored_jobs(parts) -> list[dict]:
    return await parts.store.run(lambda db: [jobs_db.get_job(db, r["id"]) for r in db["jobs"].rows_where()])


async def test_a_preview_request_is_stored_free_posted_and_started(parts):
    reply = await new_video(parts).request(
        origin(source_key="cmd:T1"), parse_command("a red fox --model preview")
    )
    assert reply is None
    (job,) = await stored_jobs(parts)
    assert (job["model"], job["backend"], job["estimate_usd"], job["state"]) == (
        "preview",
        "preview",
        0.0,
        "queued",
    )
    assert parts.slack.count("chat.postMessage") == 1
    assert parts.woken == [1]


async def test_a_slack_retry_of_the_same_command_stores_nothing_more(parts):
    feature = new_video(parts)
    for _ in range(2):
        assert (
            await feature.request(origin(source_key="cmd:T1"), parse_command("a red fox --model preview"))
            is None
        )
    assert len(await stored_jobs(parts)) == 1
    assert parts.slack.count("chat.postMessage") == 1


async def test_an_unknown_default_model_is_refused_before_anything_is_stored(parts):
    await parts.store.run(channels.set_setting, TEAM, CHANNEL, "model", "gone-model")
    reply = await new_video(parts).request(origin(), parse_command("a red fox"))
    assert (
        reply
        == "The channel's default model `gone-model` is unknown; set one with `/video settings model ID`."
    )
    assert await stored_jobs(parts) == []


async def test_an_attached_image_is_fetched_with_the_token_and_kept_without_its_url(parts):
    file = parts.slack.add_file("F0IMG", png_bytes(320, 320))
    assert (
        await new_video(parts).request(origin(files=(file,)), parse_command("a red fox --model preview"))
        is None
    )
    (job,) = await stored_jobs(parts)
    image = job["request"]["image"]
    assert image["url"] is None and image["mime"] == "image/png"
    assert Path(image["path"]).read_bytes() == png_bytes(320, 320)
    assert job["request"]["mode"] == "image"


async def test_the_cost_gate_holds_a_job_over_the_channels_limit(parts):
    await parts.store.run(channels.set_setting, TEAM, CHANNEL, "job-limit", 1.0)
    assert await parts.starter().start(new_job(estimate=5.0)) is None
    (job,) = await stored_jobs(parts)
    assert job["state"] == "awaiting_approval"
    assert job["request"]["notes"][-1].startswith(":raised_hand: Waiting for approval:")
    (entry,) = await parts.store.run(audit.latest, TEAM, CHANNEL)
    assert entry["action"] == "gate" and entry["detail"].startswith("held: ")


async def test_an_avatar_needs_a_script_or_audio(parts):
    lib = library(parts)
    portrait = parts.slack.add_file("F0FACE", png_bytes(320, 320))
    assert (await lib.add(TEAM, CHANNEL, "U0ALICE", "ana", (), (portrait,), "")).startswith("Added")
    avatars = Avatars(intake(parts, lib), consents(parts))
    assert await avatars.request(origin(), Avatar("ana")) == (
        "Give the avatar a script in quotes, an audio link (`--audio-url URL`), or attach an audio file."
    )
    assert "ghost" in await avatars.request(origin(), Avatar("ghost", script="hello"))
    offer = await avatars.request(origin(source_key="cmd:A0"), Avatar("ana", script="hello there"))
    assert isinstance(offer, Answer) and "no consent on record" in offer
    (button,) = offer.blocks[-1]["elements"]
    assert button["text"]["text"] == "I have ana's permission: record consent and render"
    assert await stored_jobs(parts) == []
    ana = await parts.store.run(subjects_db.get_subject, TEAM, CHANNEL, "ana")
    await parts.store.run(consent_db.give, ana, "U0ALICE", "signed release")
    assert await avatars.request(origin(source_key="cmd:A1"), Avatar("ana", script="hello there")) == ""
    (job,) = await stored_jobs(parts)
    shot = await parts.store.run(jobs_db.get_shot, job["shot_id"])
    assert (job["kind"], job["request"]["script"], shot["title"]) == (
        "avatar",
        "hello there",
        '{ana} says "hello there"',
    )
