"""FetchBack: a delivered clip downloaded again from Slack (files.info, then the token-bearing
fetch from Slack's file host), and the messages when Slack no longer has it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.delivery.fetch_back import FetchBack
from storage import jobs as jobs_db
from storage.db import Store
from storage.engines import connect
from tests.fakes.slack import BOT_TOKEN, web_client


@pytest.fixture
def store(tmp_path):
    store = Store(connect(tmp_path / "dailies.db"))
    yield store
    store.close()


async def delivered_take(store: Store, **fields) -> dict:
    new = jobs_db.NewJob(
        channel_id="C0CHANNEL", team_id="T0DAILIES", user_id="U0ALICE", kind="generate", model="preview",
        backend="preview", request={"mode": "text", "prompt": "a fox"}, takes=1, estimate_usd=0.0,
        source_key="cmd:T1",
    )  # fmt: skip
    _, _, (take_id,) = await store.run(jobs_db.create_job, new)
    await store.run(jobs_db.update_take, take_id, "delivered", "test", **fields)
    return await store.run(jobs_db.get_take, take_id)


def fetch_back(slack, store: Store, tmp_path: Path) -> FetchBack:
    host = slack.base_url.split("://", 1)[1]
    return FetchBack(
        web_client(slack),
        store,
        media_dir=tmp_path,
        token=BOT_TOKEN,
        slack_file_hosts=("files.slack.com", host),
    )


async def test_the_clip_comes_back_and_its_place_is_remembered(slack, store, tmp_path):
    slack.add_file("F0CLIP", b"\x00\x00\x00\x18ftypmp42" + bytes(4096), name="v1.mp4", mimetype="video/mp4")
    take = await delivered_take(store, slack_file_id="F0CLIP")
    path = await fetch_back(slack, store, tmp_path).clip(take)
    assert isinstance(path, Path) and path.read_bytes() == slack.files["F0CLIP"].path.read_bytes()
    assert (await store.run(jobs_db.get_take, take["id"]))["media_path"] == str(path)


async def test_a_deleted_file_or_one_never_delivered_is_a_message(slack, store, tmp_path):
    back = fetch_back(slack, store, tmp_path)
    gone = await delivered_take(store, slack_file_id="F0GONE")
    assert (
        await back.clip(gone) == "I couldn't get v1 back from Slack (file_not_found); was the file deleted?"
    )
    never = dict(gone, slack_file_id=None)
    assert await back.clip(never) == "v1 was never delivered to Slack, so there is no clip to work on."
    assert (await store.run(jobs_db.get_take, gone["id"]))["media_path"] is None
