"""Issue 16: Workflow Builder steps and App Home reads, on a fresh database of each engine."""

from __future__ import annotations

from storage import approvals, channels, home
from storage import jobs as jobs_db
from storage import workflow_steps as steps
from tests.unit.storage.test_storage import new_job


def test_a_step_is_recorded_once_and_found_by_its_jobs_source_key(fresh_db):
    assert steps.begin_step(fresh_db, "Fx1", "fn:Fx1", "C1", "T1")
    assert not steps.begin_step(fresh_db, "Fx1", "fn:Fx1", "C1", "T1")  # Slack's retry of the event
    jobs_db.create_job(fresh_db, new_job(source_key="fn:Fx1"))
    step = steps.step_for_job(fresh_db, "fn:Fx1")
    assert step["execution_id"] == "Fx1" and step["completed_at"] is None
    assert steps.step_for_job(fresh_db, "cmd:other") is None


def test_the_sweep_finds_ended_jobs_and_steps_whose_job_never_came(fresh_db):
    steps.begin_step(fresh_db, "FxRUN", "fn:FxRUN", "C1", "T1")
    steps.begin_step(fresh_db, "FxDONE", "fn:FxDONE", "C1", "T1")
    steps.begin_step(fresh_db, "FxLOST", "fn:FxLOST", "C1", "T1")
    jobs_db.create_job(fresh_db, new_job(source_key="fn:FxRUN"))
    _, done, _ = jobs_db.create_job(fresh_db, new_job(source_key="fn:FxDONE"))
    jobs_db.set_job_state(fresh_db, done, "failed", "provider refused", "failed")
    assert [s["execution_id"] for s in steps.steps_to_settle(fresh_db, "0000")] == ["FxDONE"]
    found = steps.steps_to_settle(fresh_db, "9999")
    assert {s["execution_id"]: s["job_state"] for s in found} == {"FxDONE": "failed", "FxLOST": None}
    steps.finish_step(fresh_db, "FxDONE", "error")
    steps.finish_step(fresh_db, "FxDONE", "success")  # the first outcome stays
    assert steps.step_for_job(fresh_db, "fn:FxDONE")["outcome"] == "error"
    assert [s["execution_id"] for s in steps.steps_to_settle(fresh_db, "9999")] == ["FxLOST"]


def test_home_reads_a_users_shots_with_their_latest_job_and_version(fresh_db):
    shot, job, takes = jobs_db.create_job(fresh_db, new_job(source_key="cmd:a", takes=2))
    jobs_db.create_job(fresh_db, new_job(source_key="cmd:b", user_id="U2"))
    [mine] = home.recent_shots_of_user(fresh_db, "T1", "U1", 10)
    assert mine["id"] == shot and mine["job"]["id"] == job and mine["take"]["version"] == 2


def test_review_queue_holds_what_waits_for_an_approver_and_drops_what_they_decided(fresh_db):
    channels.set_setting(fresh_db, "T1", "C1", "approvers", ["UBOSS"])
    channels.set_setting(fresh_db, "T1", "C2", "approvers", ["UBOSSY"])  # a prefix of nobody's id matches
    shot, job, [take] = jobs_db.create_job(fresh_db, new_job(source_key="cmd:a"))
    jobs_db.update_take(fresh_db, take, "delivered", cost_usd=0.42)
    held = new_job(source_key="cmd:b", state="awaiting_approval")
    _, held_job, _ = jobs_db.create_job(fresh_db, held)
    jobs_db.create_job(fresh_db, new_job(source_key="cmd:c", channel_id="C2"))
    assert home.channels_approved_by(fresh_db, "T1", "UBOSS") == ["C1"]
    queue = home.awaiting_review(fresh_db, "T1", "UBOSS", 10)
    assert {(r["job_id"], r["take_id"]) for r in queue} == {(job, take), (held_job, None)}
    approvals.record_decision(
        fresh_db, team_id="T1", channel_id="C1", shot_id=shot, job_id=job, take_id=take, user_id="UBOSS",
        decision="reject", via="button", label="v1",
    )  # fmt: skip
    assert [(r["job_id"], r["take_id"]) for r in home.awaiting_review(fresh_db, "T1", "UBOSS", 10)] == [
        (held_job, None)
    ]
    assert home.awaiting_review(fresh_db, "T1", "UNOBODY", 10) == []
