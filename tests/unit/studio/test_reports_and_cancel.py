"""Reports (jobs, settings, spend, audit) and Cancellation, over a migrated database and the
Slack stand-in."""

from __future__ import annotations

from bot.studio.reports import Reports
from storage import audit, channels
from storage import jobs as jobs_db
from tests.unit.studio.conftest import ALICE, BOB, CHANNEL, TEAM, cancellation, deliver, origin, posted_job


async def test_jobs_lists_only_this_channels_shots(parts):
    _, mine = await posted_job(parts)
    _, theirs = await posted_job(parts, channel="C0OTHER")
    text = await Reports(parts.store, parts.routes).jobs_text(origin())
    assert f"J{mine['id']}" in text and f"J{theirs['id']}" not in text


async def test_a_model_setting_is_checked_saved_and_audited(parts):
    reports = Reports(parts.store, parts.routes)
    assert await reports.change_setting(origin(), "model", "no-such-model") == (
        "`no-such-model` is not a model I know; see `/video models`."
    )
    answer = await reports.change_setting(origin(), "model", "preview")
    assert answer.startswith("Saved.\n")
    assert (await parts.store.run(channels.get_settings, TEAM, CHANNEL)).default_model == "preview"
    entries = await parts.store.run(audit.latest, TEAM, CHANNEL)
    assert [(e["action"], e["detail"], e["user_id"]) for e in entries] == [
        ("settings", "model = preview", ALICE)
    ]


async def test_spend_counts_delivered_clips_by_model_and_person(parts):
    await parts.store.run(channels.set_setting, TEAM, CHANNEL, "budget", 10.0)
    _, job = await posted_job(parts)
    await deliver(parts, job["id"], cost=1.25)
    text = await Reports(parts.store, parts.routes).spend_text(origin())
    assert text.splitlines() == [
        "*Spend this month:* $1.25 of $10.00 · remaining $8.75",
        "*By model*",
        "• `preview`: $1.25 (1 clip)",
        "*By person*",
        f"• <@{ALICE}>: $1.25 (1 clip)",
    ]


async def test_audit_is_empty_until_something_is_decided(parts):
    reports = Reports(parts.store, parts.routes)
    assert await reports.audit_text(origin()) == "No decisions recorded in this channel yet."
    await reports.change_setting(origin(), "budget", 5.0)
    assert f"<@{ALICE}> settings: budget = 5.0" in await reports.audit_text(origin())


async def test_cancel_stops_the_job_and_tells_its_thread(parts):
    shot, job = await posted_job(parts)
    answer = await cancellation(parts).cancel(origin(), f"J{job['id']}")
    assert answer == f"Cancelled J{job['id']}."
    assert (await parts.store.run(jobs_db.get_job, job["id"]))["state"] == "cancelled"
    assert parts.stopped == [job["id"]]
    assert parts.slack.thread(CHANNEL, shot["card_ts"])[-1]["text"] == (
        f":no_entry_sign: J{job['id']} was cancelled by <@{ALICE}>."
    )
    assert (
        await cancellation(parts).cancel(origin(), f"J{job['id']}") == f"J{job['id']} has already cancelled."
    )


async def test_cancel_refuses_bad_ids_other_channels_and_non_approvers(parts):
    _, job = await posted_job(parts)
    cancel = cancellation(parts).cancel
    assert (
        await cancel(origin(), "soon") == "`soon` is not a job id; job ids look like J42 (see `/video jobs`)."
    )
    assert await cancel(origin(channel="C0OTHER"), f"J{job['id']}") == (
        f"There is no job J{job['id']} in this channel; see `/video jobs`."
    )
    await parts.store.run(channels.set_setting, TEAM, CHANNEL, "approvers", [BOB])
    assert "cancel" in await cancel(origin("U0CAROL"), f"J{job['id']}")
    assert (await parts.store.run(jobs_db.get_job, job["id"]))["state"] == "queued"
    assert parts.stopped == []
