"""Installations, OAuth states and the per-workspace refresh claim, on SQLite and PostgreSQL."""

from __future__ import annotations

from storage import installations
from storage import jobs as jobs_db
from storage.states import JobState


def row(team_id: str = "T1", **kw) -> dict:
    values = dict(
        team_id=team_id, team_name="Acme", app_id="A1", bot_id="B1", bot_user_id="UBOT",
        bot_token="xoxb-1", bot_scopes="chat:write,commands", bot_refresh_token="xoxe-1",
        bot_token_expires_at=1000.0, user_id="U0ADMIN", installed_at=1.0,
    )  # fmt: skip
    values.update(kw)
    return values


def test_an_installation_is_saved_replaced_and_deleted_per_workspace(fresh_db):
    installations.save_installation(fresh_db, row())
    installations.save_installation(fresh_db, row("T2", bot_token="xoxb-2"))
    installations.save_installation(fresh_db, row(bot_token="xoxb-1b"))  # installed again: latest wins
    assert installations.find_installation(fresh_db, "T1")["bot_token"] == "xoxb-1b"
    assert installations.find_installation(fresh_db, "T2")["bot_token"] == "xoxb-2"
    assert installations.delete_installation(fresh_db, "T1") is True
    assert installations.delete_installation(fresh_db, "T1") is False
    assert installations.find_installation(fresh_db, "T1") is None
    assert [t["team_id"] for t in installations.installed_teams(fresh_db)] == ["T2"]


def test_a_state_works_once_and_not_after_it_expired(fresh_db):
    installations.issue_state(fresh_db, "s1", expires_at=100.0)
    installations.issue_state(fresh_db, "s2", expires_at=100.0)
    assert installations.consume_state(fresh_db, "s1", now=50.0) is True
    assert installations.consume_state(fresh_db, "s1", now=50.0) is False
    assert installations.consume_state(fresh_db, "s2", now=150.0) is False
    assert installations.consume_state(fresh_db, "never-issued", now=50.0) is False


def test_one_replica_at_a_time_holds_a_workspaces_refresh(fresh_db):
    installations.save_installation(fresh_db, row())
    assert installations.claim_refresh(fresh_db, "T1", "r1", now=10.0, seconds=30.0) is True
    assert installations.claim_refresh(fresh_db, "T1", "r2", now=11.0, seconds=30.0) is False
    assert installations.claim_refresh(fresh_db, "T1", "r2", now=41.0, seconds=30.0) is True  # r1's lapsed
    # r1 comes back late: its refreshed token is not stored over r2's claim
    assert installations.finish_refresh(fresh_db, "T1", "r1", "xoxb-late", "xoxe-late", 9e9) is False
    assert installations.finish_refresh(fresh_db, "T1", "r2", "xoxb-new", "xoxe-new", 5000.0) is True
    stored = installations.find_installation(fresh_db, "T1")
    assert (stored["bot_token"], stored["bot_refresh_token"], stored["refresher"]) == (
        "xoxb-new",
        "xoxe-new",
        None,
    )
    assert installations.expiring(fresh_db, before=6000.0) == ["T1"]
    assert installations.expiring(fresh_db, before=4000.0) == []


def test_a_removed_workspaces_unfinished_jobs_are_cancelled_and_no_others(fresh_db):
    def job(team_id: str, key: str) -> int:
        new = jobs_db.NewJob(
            channel_id="C1", team_id=team_id, user_id="U1", kind="generate", model="preview",
            backend="preview", request={"prompt": "x"}, takes=1, estimate_usd=0.0, source_key=key,
        )  # fmt: skip
        return jobs_db.create_job(fresh_db, new)[1]

    gone, kept = job("T1", "cmd:1"), job("T2", "cmd:2")
    assert installations.stop_team_jobs(fresh_db, "T1", "removed") == [gone]
    assert jobs_db.get_job(fresh_db, gone)["state"] == JobState.CANCELLED
    assert jobs_db.get_job(fresh_db, kept)["state"] == JobState.QUEUED
    assert installations.team_of_take(fresh_db, jobs_db.take_ids_of_job(fresh_db, kept)[0]) == "T2"
