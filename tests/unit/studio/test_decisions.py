"""Decisions: reactions, buttons and the screening room's verdicts recorded with the same rules,
starting, cancelling or approving what they are on."""

from __future__ import annotations

import pytest

from storage import approvals, audit, channels
from storage import jobs as jobs_db
from tests.unit.studio.conftest import ALICE, BOB, CHANNEL, TEAM, decisions, deliver, origin, posted_job


async def test_a_requesters_check_mark_approves_the_delivered_version(parts):
    shot, job = await posted_job(parts)
    take = await deliver(parts, job["id"])
    await decisions(parts).reaction(origin(ALICE), shot["card_ts"], "white_check_mark", True)
    approved = await parts.store.run(jobs_db.get_take, take["id"])
    assert approved["approved_at"]
    assert parts.slack.reactions(CHANNEL, shot["card_ts"]) == {"white_check_mark": [parts.slack.bot_user_id]}
    entries = await parts.store.run(audit.latest, TEAM, CHANNEL)
    assert [(e["action"], e["detail"]) for e in entries] == [("approve", "v1 by reaction")]


async def test_withdrawing_the_reaction_withdraws_the_approval(parts):
    shot, job = await posted_job(parts)
    take = await deliver(parts, job["id"])
    review = decisions(parts)
    await review.reaction(origin(ALICE), shot["card_ts"], "white_check_mark", True)
    await review.reaction(origin(ALICE), shot["card_ts"], "white_check_mark", False)
    assert (await parts.store.run(jobs_db.get_take, take["id"]))["approved_at"] is None
    decided = await parts.store.run(approvals.decisions_on, shot["id"], job["id"], take["id"])
    assert decided == {ALICE: "withdrawn"}


async def test_only_approvers_reactions_count_when_the_channel_has_some(parts):
    await parts.store.run(channels.set_setting, TEAM, CHANNEL, "approvers", [BOB])
    shot, job = await posted_job(parts)
    await deliver(parts, job["id"])
    await decisions(parts).reaction(origin(ALICE), shot["card_ts"], "white_check_mark", True)
    assert await parts.store.run(approvals.latest_for_shot, shot["id"]) == []
    assert await decisions(parts).button(origin(ALICE), "approve", f"{shot['id']}:job:{job['id']}") == (
        "Only approvers can do that."
    )


async def test_an_approvers_button_starts_a_job_held_at_the_gate(parts):
    await parts.store.run(channels.set_setting, TEAM, CHANNEL, "approvers", [BOB])
    shot, job = await posted_job(parts, state="awaiting_approval")
    reply = await decisions(parts).button(origin(BOB), "approve", f"{shot['id']}:job:{job['id']}")
    assert reply == f"Approved: J{job['id']} is starting."
    assert (await parts.store.run(jobs_db.get_job, job["id"]))["state"] == "queued"
    assert parts.woken == [1]


async def test_an_approvers_x_cancels_a_held_job_and_says_so_in_its_thread(parts):
    await parts.store.run(channels.set_setting, TEAM, CHANNEL, "approvers", [BOB])
    shot, job = await posted_job(parts, state="awaiting_approval")
    await decisions(parts).reaction(origin(BOB), shot["card_ts"], "x", True)
    assert (await parts.store.run(jobs_db.get_job, job["id"]))["state"] == "cancelled"
    assert parts.stopped == [job["id"]]
    note = parts.slack.thread(CHANNEL, shot["card_ts"])[-1]
    assert note["text"] == f":no_entry_sign: J{job['id']} was rejected by <@{BOB}>."


async def test_a_reaction_on_a_clip_message_is_traced_to_its_version_once(parts):
    shot, job = await posted_job(parts)
    take = await deliver(parts, job["id"], slack_file_id="F0CLIP")
    clip = parts.slack.add_message(
        CHANNEL, "", user=parts.slack.bot_user_id, thread_ts=shot["card_ts"], files=[{"id": "F0CLIP"}]
    )
    # the share Slack lists once the upload's message exists (files.info `shares`)
    parts.slack.add_file("F0CLIP", b"\x00\x00\x00\x18ftypmp42", name="v1.mp4", mimetype="video/mp4")
    share = {"ts": clip["ts"], "thread_ts": shot["card_ts"], "channel_name": CHANNEL}
    parts.slack.files["F0CLIP"].shares[CHANNEL] = [share]
    review = decisions(parts)
    await review.reaction(origin(ALICE), clip["ts"], "x", True)
    looked_up = parts.slack.count("files.info")
    await review.reaction(origin(ALICE), clip["ts"], "white_check_mark", True)
    # traced through files.info shares (Tier 4), never conversations.replies (1 a minute for
    # distributed apps); the second reaction reads the stored index and asks Slack nothing
    assert parts.slack.count("conversations.replies") == 0
    assert looked_up >= 1 and parts.slack.count("files.info") == looked_up
    assert await parts.store.run(approvals.message_target, TEAM, CHANNEL, clip["ts"]) == {
        "team_id": TEAM, "channel_id": CHANNEL, "ts": clip["ts"], "shot_id": shot["id"], "take_id": take["id"],
    }  # fmt: skip
    assert (await parts.store.run(jobs_db.get_take, take["id"]))["approved_at"]


async def test_repeat_on_a_running_job_tells_the_reactor_privately(parts):
    shot, job = await posted_job(parts)
    await decisions(parts).reaction(origin(ALICE), shot["card_ts"], "repeat", True)
    told = parts.slack.ephemerals[-1]
    assert told["user"] == ALICE and told["thread_ts"] == shot["card_ts"]
    assert told["text"] == f"J{job['id']} is still queued; react :repeat: on a version once it has landed."


async def test_a_stale_or_foreign_button_changes_nothing(parts):
    shot, job = await posted_job(parts)
    review = decisions(parts)
    assert await review.button(origin(), "approve", "garbage") == (
        "That button is out of date; use the buttons on the latest card."
    )
    foreign = origin(channel="C0OTHER")
    assert await review.button(foreign, "approve", f"{shot['id']}:job:{job['id']}") == (
        "That version is not in this channel any more."
    )
    assert await review.button(origin(), "another_take", f"{shot['id']}:job:{job['id']}") == (
        "That version has not been delivered yet."
    )
    assert await parts.store.run(approvals.latest_for_shot, shot["id"]) == []


async def test_decide_on_a_version_follows_the_reaction_rules(parts):
    await parts.store.run(channels.set_setting, TEAM, CHANNEL, "approvers", [BOB])
    shot, job = await posted_job(parts)
    take = await deliver(parts, job["id"])
    review = decisions(parts)
    assert await review.decide(origin(ALICE), take["id"], "approve") == "Only approvers can do that."
    assert await review.decide(origin(BOB, channel="C0OTHER"), take["id"], "approve") == (
        "That version is not in this channel any more."
    )
    assert await review.decide(origin(BOB), take["id"], "approve", via="screening room") == "Approved v1."
    entries = await parts.store.run(audit.latest, TEAM, CHANNEL)
    assert entries[0]["detail"] == "v1 by screening room"
    with pytest.raises(ValueError):
        await review.decide(origin(BOB), take["id"], "maybe")


async def test_without_approvers_a_colleagues_another_take_button_counts_as_their_repeat_would(parts):
    shot, job = await posted_job(parts, user=ALICE)
    take = await deliver(parts, job["id"])
    reply = await decisions(parts).button(origin(BOB), "another_take", f"{shot['id']}:take:{take['id']}")
    assert reply != "Only approvers can do that."
    jobs = await parts.store.run(lambda db: db["jobs"].rows_where("shot_id = ?", [shot["id"]], order_by="id"))
    assert len(jobs) == 2 and jobs[1]["user_id"] == BOB


async def test_with_approvers_a_colleague_may_not_press_another_take(parts):
    await parts.store.run(channels.set_setting, TEAM, CHANNEL, "approvers", [BOB])
    shot, job = await posted_job(parts, user=ALICE)
    take = await deliver(parts, job["id"])
    carol = origin("U0CAROL")
    reply = await decisions(parts).button(carol, "another_take", f"{shot['id']}:take:{take['id']}")
    assert reply == "Only approvers can do that."
