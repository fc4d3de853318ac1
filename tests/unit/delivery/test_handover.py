"""The hand-over to Slack on the Slack stand-in: the clip lands once in the card's thread with its
caption, an interrupted upload is finished rather than repeated, and a failure is said in the thread."""

from __future__ import annotations

import hashlib

import pytest
from slack_sdk.errors import SlackApiError

from bot.delivery.handover import Handover, Presented
from bot.outcomes import TakeFailed
from storage import jobs as jobs_db
from tests.fakes.slack import web_client
from tests.unit.take_fixtures import CHANNEL, new_take

CLIP = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 64


async def downloaded(ctx, tmp_path) -> dict:
    """The take as the download step leaves it: uploading, with its clip on disk."""
    path = tmp_path / f"take{ctx.take_id}.mp4"
    path.write_bytes(CLIP)
    await ctx.update("uploading", media_path=str(path), bytes=len(CLIP), cost_usd=0.42, seconds=5.0)
    return await ctx.take()


@pytest.fixture
def handover(slack, http):
    return Handover(web_client(slack), http, keep_media=False)


async def test_the_clip_lands_in_the_cards_thread_and_the_take_is_delivered(
    handover, slack, store, cards, tmp_path
):
    ctx, _ = await new_take(store, cards)
    take = await downloaded(ctx, tmp_path)
    await handover.deliver(ctx, take)
    shot = await store.run(jobs_db.get_shot, ctx.job["shot_id"])
    (posted,) = slack.thread(CHANNEL, shot["card_ts"])
    assert posted["files"] and "$0.42" in posted["text"] and f"J{ctx.job['id']}" in posted["text"]
    stored = slack.files[posted["files"][0]["id"]]
    assert stored.sha256 == hashlib.sha256(CLIP).hexdigest()
    take = await ctx.take()
    assert take["state"] == "delivered" and take["slack_file_id"] == stored.file_id
    assert not (tmp_path / f"take{ctx.take_id}.mp4").exists(), "the local copy is dropped"


async def test_an_interrupted_upload_is_completed_not_repeated(handover, slack, store, cards, tmp_path):
    ctx, _ = await new_take(store, cards)
    take = await downloaded(ctx, tmp_path)
    slack.fail_next("files.completeUploadExternal", body={"ok": False, "error": "internal_error"})
    with pytest.raises(SlackApiError):
        await handover.deliver(ctx, take)  # the bytes reached Slack; the completion did not
    take = await ctx.take()
    assert take["upload_file_id"] and take["state"] == "uploading"
    uploads = len(slack.files)
    await handover.deliver(ctx, take)  # after a restart
    assert len(slack.files) == uploads, "no second upload"
    assert (await ctx.take())["slack_file_id"] == take["upload_file_id"]


async def test_a_lost_clip_fails_with_a_reason(handover, store, cards, tmp_path):
    ctx, _ = await new_take(store, cards)
    take = await downloaded(ctx, tmp_path)
    (tmp_path / f"take{ctx.take_id}.mp4").unlink()
    with pytest.raises(TakeFailed, match="lost before it could be uploaded"):
        await handover.deliver(ctx, take)


async def test_a_failure_is_free_and_said_in_the_thread(handover, slack, store, cards):
    ctx, _ = await new_take(store, cards)
    await ctx.update("rendering", cost_usd=0.5)
    await handover.fail(ctx, "kling refused this request: risk control")
    take = await ctx.take()
    assert take["state"] == "failed" and take["cost_usd"] == 0.0
    shot = await store.run(jobs_db.get_shot, ctx.job["shot_id"])
    (said,) = slack.thread(CHANNEL, shot["card_ts"])
    assert said["text"] == ":x: v1 failed: kling refused this request: risk control"


async def test_a_take_that_already_ended_stays_as_it_was(handover, slack, store, cards):
    ctx, _ = await new_take(store, cards)
    await store.run(jobs_db.set_job_state, ctx.job["id"], "cancelled", "by U0USER", "cancelled")
    await handover.fail(ctx, "too late")
    assert (await ctx.take())["state"] == "cancelled"
    shot = await store.run(jobs_db.get_shot, ctx.job["shot_id"])
    assert slack.thread(CHANNEL, shot["card_ts"]) == []


async def test_a_presented_clip_shares_its_attachments_in_its_own_message_once(
    handover, slack, store, cards, tmp_path
):
    """A cut: its caption as given, its edit lists in the clip's message, and a completion that
    failed after the upload finished later with the same files, not uploaded again."""
    ctx, _ = await new_take(store, cards)
    take = await downloaded(ctx, tmp_path)
    edl = tmp_path / "the-cut-v1.edl"
    edl.write_text("TITLE: Spring drop\n", encoding="utf-8")
    attached = await handover.upload_attachments([edl])
    assert [a["title"] for a in attached] == ["the-cut-v1.edl"]
    presented = Presented("the cut v1", "the cut v1 · 0:06 · S1 v1 · S2 v1", attached)
    slack.fail_next("files.completeUploadExternal", body={"ok": False, "error": "internal_error"})
    with pytest.raises(SlackApiError):
        await handover.deliver(ctx, take, presented)
    uploads = len(slack.files)
    await handover.deliver(ctx, await ctx.take(), presented)
    assert len(slack.files) == uploads
    shot = await store.run(jobs_db.get_shot, ctx.job["shot_id"])
    (posted,) = slack.thread(CHANNEL, shot["card_ts"])
    assert posted["text"] == "the cut v1 · 0:06 · S1 v1 · S2 v1"
    assert [f["name"] for f in posted["files"]] == ["the-cut-v1.mp4", "the-cut-v1.edl"]
