"""Storage on a fresh database (in-memory SQLite, and a new PostgreSQL database): migrations, jobs and their transitions, dedupe, settings."""

from __future__ import annotations

import pytest

from storage import audit, channels, deliveries, migrations
from storage import jobs as jobs_db


def new_job(**kw) -> jobs_db.NewJob:
    fields = dict(
        channel_id="C1",
        team_id="T1",
        user_id="U1",
        kind="generate",
        model="kling-v3",
        backend="preview",
        request={"prompt": "a fox", "seconds": 5},
        takes=1,
        estimate_usd=0.42,
        source_key="cmd:1",
        title="a fox",
    )
    fields.update(kw)
    return jobs_db.NewJob(**fields)


def test_migrations_are_recorded_and_idempotent(fresh_db):
    done = migrations.applied(fresh_db)
    assert done[0] == "m001_core" and sorted(done) == sorted(name for name, _ in migrations.MIGRATIONS)
    assert migrations.migrate(fresh_db) == []
    assert migrations.applied(fresh_db) == done
    if fresh_db.engine == "sqlite":
        assert fresh_db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_create_job_stores_shot_job_takes_and_a_transition_together(fresh_db):
    shot_id, job_id, takes = jobs_db.create_job(fresh_db, new_job(takes=3, seeds=(7, 8, 9)))
    job = jobs_db.get_job(fresh_db, job_id)
    assert job["state"] == "queued" and job["request"]["prompt"] == "a fox"
    rows = [jobs_db.get_take(fresh_db, t) for t in takes]
    assert [r["version"] for r in rows] == [1, 2, 3] and [r["seed"] for r in rows] == [7, 8, 9]
    assert [t["to_state"] for t in jobs_db.transitions(fresh_db, job_id)] == ["queued"]
    # a second job on the same shot continues the version numbers
    _, _, more = jobs_db.create_job(fresh_db, new_job(source_key="cmd:2", shot_id=shot_id, kind="edit"))
    assert jobs_db.get_take(fresh_db, more[0])["version"] == 4


def test_the_same_trigger_makes_one_job(fresh_db):
    _, job_id, _ = jobs_db.create_job(fresh_db, new_job())
    with pytest.raises(jobs_db.DuplicateTrigger) as raised:
        jobs_db.create_job(fresh_db, new_job())
    assert raised.value.job_id == job_id
    assert fresh_db.execute("SELECT count(*) FROM shots").fetchone()[0] == 1


def test_take_transitions_drive_the_job_and_are_recorded(fresh_db):
    _, job_id, (take,) = jobs_db.create_job(fresh_db, new_job())
    for state in ("submitting", "rendering", "downloading", "uploading"):
        assert jobs_db.update_take(fresh_db, take, state)
    assert jobs_db.get_job(fresh_db, job_id)["state"] == "uploading"
    assert jobs_db.update_take(fresh_db, take, "delivered", cost_usd=0.42)
    job = jobs_db.get_job(fresh_db, job_id)
    assert job["state"] == "delivered" and job["cost_usd"] == pytest.approx(0.42)
    take_states = [t["to_state"] for t in jobs_db.transitions(fresh_db, job_id) if t["take_id"] == take]
    assert take_states == ["submitting", "rendering", "downloading", "uploading", "delivered"]


def test_an_ended_take_stays_ended(fresh_db):
    _, job_id, (take,) = jobs_db.create_job(fresh_db, new_job())
    jobs_db.set_job_state(fresh_db, job_id, "cancelled", "by U1", "cancelled")
    assert not jobs_db.update_take(fresh_db, take, "uploading")
    assert jobs_db.get_take(fresh_db, take)["state"] == "cancelled"
    assert jobs_db.get_job(fresh_db, job_id)["state"] == "cancelled"


@pytest.mark.parametrize(
    "states, current, expected",
    [
        (["queued", "rendering"], "queued", "queued"),
        (["rendering", "uploading"], "queued", "rendering"),
        (["submitting"], "queued", "queued"),
        (["downloading"], "rendering", "rendering"),
        (["delivered", "failed"], "rendering", "delivered"),
        (["failed", "failed"], "rendering", "failed"),
        (["cancelled", "cancelled"], "rendering", "cancelled"),
        (["held", "held"], "awaiting_approval", "awaiting_approval"),
    ],
)
def test_job_state_from_takes(states, current, expected):
    assert jobs_db.job_state_from_takes(states, current) == expected


def test_deliveries_claim_once(fresh_db):
    assert deliveries.claim(fresh_db, "ev:Ev1", "event")
    assert not deliveries.claim(fresh_db, "ev:Ev1", "event")


def test_settings_and_month_spend(fresh_db):
    assert channels.get_settings(fresh_db, "T1", "C1").approval_rule == "any"
    channels.set_setting(fresh_db, "T1", "C1", "budget", 50.0)
    channels.set_setting(fresh_db, "T1", "C1", "approvers", ("U2", "U3"))
    settings = channels.get_settings(fresh_db, "T1", "C1")
    assert settings.budget_usd == 50.0 and settings.approvers == ("U2", "U3")
    _, _, (take,) = jobs_db.create_job(fresh_db, new_job())
    jobs_db.update_take(fresh_db, take, "delivered", cost_usd=1.25)
    assert channels.month_spend(fresh_db, "T1", "C1", "2000-01-01") == pytest.approx(1.25)
    assert channels.month_spend(fresh_db, "T1", "C2", "2000-01-01") == 0


def test_audit_is_append_only_and_newest_first(fresh_db):
    audit.record(fresh_db, "T1", "C1", "U1", "settings", "budget = 50")
    audit.record(fresh_db, "T1", "C1", "U2", "approve", "v1", job_id=1)
    assert [r["action"] for r in audit.latest(fresh_db, "T1", "C1")] == ["approve", "settings"]
