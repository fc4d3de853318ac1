"""ThreadJobs and ClipSubjects: a reply or a button on a version becomes a job on the same shot,
or a subject saved from its first frame."""

from __future__ import annotations

from pathlib import Path

from storage import jobs as jobs_db
from storage import subjects as subjects_db
from tests.fakes.mp4 import write_mp4
from tests.unit.studio.conftest import ALICE, CHANNEL, TEAM, deliver, origin, posted_job, thread_jobs


async def test_a_reply_outside_a_job_thread_is_ignored(parts):
    feature = thread_jobs(parts)
    assert await feature.in_job_thread(TEAM, CHANNEL, "1700000000.000100") is False
    assert await feature.reply(origin(), "1700000000.000100", "make it warmer") is None


async def test_an_edit_before_anything_is_delivered_is_refused_with_a_reason(parts):
    shot, _ = await posted_job(parts)
    feature = thread_jobs(parts)
    assert await feature.in_job_thread(TEAM, CHANNEL, shot["card_ts"]) is True
    reply = await feature.reply(origin(), shot["card_ts"], "make it warmer")
    assert reply.startswith("Nothing in this thread has been delivered yet")
    assert len(await parts.store.run(jobs_db.recent_jobs, TEAM, CHANNEL)) == 1


async def test_another_take_is_a_new_version_on_the_same_shot(parts):
    shot, job = await posted_job(parts)
    take = await deliver(parts, job["id"])
    assert await thread_jobs(parts).another_take(origin(), take["id"]) is None
    newest = (await parts.store.run(jobs_db.recent_jobs, TEAM, CHANNEL))[0]
    assert (newest["kind"], newest["shot_id"], newest["state"]) == ("again", shot["id"], "queued")
    _, _, takes = await parts.store.run(jobs_db.shot_view, shot["id"])
    assert [t["version"] for t in takes] == [1, 2]
    assert parts.woken == [1]
    assert parts.slack.count("chat.postMessage") == 1  # the same card, no second one


async def test_a_thread_job_its_backend_refuses_is_answered_and_never_stored(parts):
    """Every job goes through the Starter, so a backend's refusal from the request alone reaches
    thread jobs too, not only /video."""
    shot, job = await posted_job(parts)
    take = await deliver(parts, job["id"])
    feature = thread_jobs(parts)
    seen = []

    def refuse(new):
        seen.append((new.kind, new.model))
        return "That backend has no id for this; use another model."

    feature.starter.refusal = refuse
    assert (
        await feature.another_take(origin(), take["id"])
        == "That backend has no id for this; use another model."
    )
    assert seen == [("again", job["model"])]
    assert len(await parts.store.run(jobs_db.recent_jobs, TEAM, CHANNEL)) == 1
    assert parts.woken == []


async def test_another_take_of_a_version_in_another_channel_is_refused(parts):
    _, job = await posted_job(parts)
    take = await deliver(parts, job["id"])
    reply = await thread_jobs(parts).another_take(origin(channel="C0OTHER"), take["id"])
    assert reply == "That version is not in this channel any more."


async def test_save_as_subject_keeps_the_versions_first_frame_and_says_so_in_the_thread(parts, tmp_path):
    shot, job = await posted_job(parts)
    clip = write_mp4(tmp_path / "clip.mp4", width=320, height=320)
    await deliver(parts, job["id"], media_path=str(clip))
    assert await thread_jobs(parts).reply(origin(), shot["card_ts"], "save as subject fox") is None
    subject = await parts.store.run(subjects_db.get_subject, TEAM, CHANNEL, "fox")
    assert subject["description"] == "a red fox"
    assert Path(subject["images"][0]["path"]).is_file()
    note = parts.slack.thread(CHANNEL, shot["card_ts"])[-1]["text"]
    assert note.startswith(f"<@{ALICE}>: Saved v1's first frame (320×320) as `{{fox}}`")


async def test_save_as_subject_fetches_a_deleted_copy_back_from_slack(parts, tmp_path):
    shot, job = await posted_job(parts)
    clip = write_mp4(tmp_path / "clip.mp4", width=320, height=320)
    parts.slack.add_file("F0CLIP", clip.read_bytes(), name="v1.mp4", mimetype="video/mp4")
    await deliver(parts, job["id"], slack_file_id="F0CLIP", media_path=str(tmp_path / "gone.mp4"))
    assert await thread_jobs(parts).reply(origin(), shot["card_ts"], "save as subject fox") is None
    assert parts.slack.count("files.info") == 1
    assert await parts.store.run(subjects_db.get_subject, TEAM, CHANNEL, "fox") is not None
