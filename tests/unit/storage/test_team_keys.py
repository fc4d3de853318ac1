"""Two workspaces with a channel of the same id keep their data apart on each engine: settings,
subjects, jobs, spend, audit and App Home read by (team, channel); a one-workspace database's
rows from before the team keys belong to its team."""

from __future__ import annotations

import pytest

from storage import approvals, audit, channels, home, migrations
from storage import jobs as jobs_db
from storage import subjects as subjects_db

CHANNEL = "C0SAME"
A, B = "T0ACME", "T0BETA"
IMG_A = subjects_db.NewImage("aa" * 32, "/m/subjects/aa.png", "image/png", 800, 1000)
IMG_B = subjects_db.NewImage("bb" * 32, "/m/subjects/bb.png", "image/png", 600, 600)


def job_of(team: str, n: int, **kw) -> jobs_db.NewJob:
    fields = dict(
        channel_id=CHANNEL, team_id=team, user_id="U0SAME", kind="generate", model="kling-v3",
        backend="preview", request={"prompt": f"{team} fox"}, takes=1, estimate_usd=0.5,
        source_key=f"cmd:{team}:{n}", title=f"{team} fox",
    )  # fmt: skip
    fields.update(kw)
    return jobs_db.NewJob(**fields)


def test_the_same_subject_name_in_the_same_channel_id_is_two_subjects(fresh_db):
    a = subjects_db.add_subject(fresh_db, A, CHANNEL, "hero", "acme hero", "U1", [IMG_A])
    b = subjects_db.add_subject(fresh_db, B, CHANNEL, "Hero", "beta hero", "U1", [IMG_B])
    assert a["id"] != b["id"]
    assert subjects_db.get_subject(fresh_db, A, CHANNEL, "HERO")["images"][0]["path"] == IMG_A.path
    assert subjects_db.get_subject(fresh_db, B, CHANNEL, "hero")["images"][0]["path"] == IMG_B.path
    assert [s["description"] for s in subjects_db.list_subjects(fresh_db, A, CHANNEL)] == ["acme hero"]
    with pytest.raises(subjects_db.SubjectExists):
        subjects_db.add_subject(fresh_db, A, CHANNEL, "HERO", "", "U1", [IMG_A])
    assert subjects_db.rename_subject(fresh_db, B, CHANNEL, "hero", "villain")["name"] == "villain"
    assert subjects_db.get_subject(fresh_db, A, CHANNEL, "hero") is not None
    assert subjects_db.remove_subject(fresh_db, A, CHANNEL, "villain") is None
    assert subjects_db.remove_subject(fresh_db, A, CHANNEL, "hero")["id"] == a["id"]
    assert subjects_db.get_subject(fresh_db, B, CHANNEL, "villain")["id"] == b["id"]


def test_settings_jobs_spend_and_audit_are_the_teams_own(fresh_db):
    channels.set_setting(fresh_db, A, CHANNEL, "budget", 100.0)
    channels.set_setting(fresh_db, A, CHANNEL, "approvers", ["U0BOSS"])
    channels.set_setting(fresh_db, B, CHANNEL, "job-limit", 3.0)
    assert channels.get_settings(fresh_db, A, CHANNEL).budget_usd == 100.0
    assert channels.get_settings(fresh_db, A, CHANNEL).job_limit_usd is None
    assert channels.get_settings(fresh_db, B, CHANNEL).budget_usd is None
    assert channels.get_settings(fresh_db, B, CHANNEL).approvers == ()

    shot_a, job_a, (take_a,) = jobs_db.create_job(fresh_db, job_of(A, 1))
    shot_b, job_b, (take_b,) = jobs_db.create_job(fresh_db, job_of(B, 1))
    shot_running, _, _ = jobs_db.create_job(fresh_db, job_of(B, 2))
    jobs_db.set_card_ts(fresh_db, shot_a, "1700000000.000100")
    jobs_db.set_card_ts(fresh_db, shot_b, "1700000000.000100")  # the same ts in the same channel id
    jobs_db.update_take(fresh_db, take_a, "delivered", cost_usd=1.25, slack_file_id="F0A")
    jobs_db.update_take(fresh_db, take_b, "delivered", cost_usd=2.5, slack_file_id="F0B")

    assert jobs_db.shot_by_card(fresh_db, A, CHANNEL, "1700000000.000100")["id"] == shot_a
    assert jobs_db.shot_by_card(fresh_db, B, CHANNEL, "1700000000.000100")["id"] == shot_b
    assert [j["id"] for j in jobs_db.recent_jobs(fresh_db, A, CHANNEL)] == [job_a]
    assert [s["id"] for s in jobs_db.recent_shots(fresh_db, B, CHANNEL)] == [shot_running, shot_b]
    assert channels.month_spend(fresh_db, A, CHANNEL, "2000-01-01") == pytest.approx(1.25)
    assert channels.month_spend(fresh_db, B, CHANNEL, "2000-01-01") == pytest.approx(2.5)
    assert approvals.reserved(fresh_db, A, CHANNEL) == 0
    assert approvals.reserved(fresh_db, B, CHANNEL) == pytest.approx(0.5)
    report = approvals.month_spend_report(fresh_db, A, CHANNEL, "2000-01-01")
    assert report.by_model == [("kling-v3", pytest.approx(1.25), 1)]
    assert approvals.take_by_file(fresh_db, A, CHANNEL, "F0B") is None
    assert approvals.take_by_file(fresh_db, B, CHANNEL, "F0B")["id"] == take_b
    assert [c["id"] for c in approvals.unindexed_clips(fresh_db, A, CHANNEL, 10)] == [take_a]

    audit.record(fresh_db, A, CHANNEL, "U1", "settings", "budget = 100.0")
    audit.record(fresh_db, B, CHANNEL, "U1", "settings", "job-limit = 3.0")
    assert [r["detail"] for r in audit.latest(fresh_db, B, CHANNEL)] == ["job-limit = 3.0"]

    # App Home: the approver of Acme's C0SAME is asked about Acme's versions only
    assert home.channels_approved_by(fresh_db, A, "U0BOSS") == [CHANNEL]
    assert home.channels_approved_by(fresh_db, B, "U0BOSS") == []
    assert [r["take_id"] for r in home.awaiting_review(fresh_db, A, "U0BOSS", 10)] == [take_a]
    assert [s["id"] for s in home.recent_shots_of_user(fresh_db, A, "U0SAME", 10)] == [shot_a]
    assert subjects_db.channels_of_user(fresh_db, B, "U0SAME") == [CHANNEL]
    assert subjects_db.channels_of_user(fresh_db, "T0OTHER", "U0SAME") == []


def test_a_one_workspace_database_keeps_its_rows_under_its_team(fresh_db):
    jobs_db.create_job(fresh_db, job_of(A, 1))
    fresh_db.execute("UPDATE jobs SET team_id = ''")  # as m014 leaves a job made before it
    subjects_db.add_subject(fresh_db, "", CHANNEL, "hero", "", "U1", [IMG_A])
    channels.set_setting(fresh_db, "", CHANNEL, "budget", 9.0)
    audit.record(fresh_db, "", CHANNEL, "U1", "settings", "budget = 9.0")
    migrations._one_team_backfill(fresh_db)
    assert subjects_db.get_subject(fresh_db, A, CHANNEL, "hero") is not None
    assert channels.get_settings(fresh_db, A, CHANNEL).budget_usd == 9.0
    assert len(audit.latest(fresh_db, A, CHANNEL)) == 1
    assert len(jobs_db.recent_jobs(fresh_db, A, CHANNEL)) == 1


def test_a_database_of_several_teams_is_left_as_it_is(fresh_db):
    jobs_db.create_job(fresh_db, job_of(A, 1))
    jobs_db.create_job(fresh_db, job_of(B, 1))
    subjects_db.add_subject(fresh_db, "", CHANNEL, "hero", "", "U1", [IMG_A])
    migrations._one_team_backfill(fresh_db)
    assert subjects_db.get_subject(fresh_db, "", CHANNEL, "hero") is not None
    assert subjects_db.get_subject(fresh_db, A, CHANNEL, "hero") is None


def test_a_clip_message_is_found_by_team_channel_and_ts(fresh_db):
    shot_a, _, (take_a,) = jobs_db.create_job(fresh_db, job_of(A, 1))
    shot_b, _, (take_b,) = jobs_db.create_job(fresh_db, job_of(B, 1))
    # a channel shared by two workspaces (Slack Connect): one id, one ts, a clip in each Dailies
    approvals.index_message(fresh_db, A, CHANNEL, "1700000000.000100", shot_a, take_a)
    approvals.index_message(fresh_db, B, CHANNEL, "1700000000.000100", shot_b, take_b)
    assert approvals.message_target(fresh_db, A, CHANNEL, "1700000000.000100")["take_id"] == take_a
    assert approvals.message_target(fresh_db, B, CHANNEL, "1700000000.000100")["take_id"] == take_b
    assert approvals.message_target(fresh_db, "T0OTHER", CHANNEL, "1700000000.000100") is None


def test_m015_gives_each_indexed_message_the_team_of_its_shot(fresh_db):
    shot_a, _, (take_a,) = jobs_db.create_job(fresh_db, job_of(A, 1))
    # the table as m004 made it, with a row indexed before m015
    fresh_db.execute("DROP TABLE messages")
    fresh_db.execute(
        fresh_db.ddl(
            "CREATE TABLE messages (channel_id {text} NOT NULL, ts {text} NOT NULL, shot_id {int}, "
            "take_id {int}, PRIMARY KEY (channel_id, ts))"
        )
    )
    fresh_db.execute(
        "INSERT INTO messages (channel_id, ts, shot_id, take_id) VALUES (?, ?, ?, ?)",
        [CHANNEL, "1700000000.000200", shot_a, take_a],
    )
    fresh_db.execute("DELETE FROM schema_migrations WHERE name = 'm015_messages_by_team'")
    assert migrations.migrate(fresh_db) == ["m015_messages_by_team"]
    assert approvals.message_target(fresh_db, A, CHANNEL, "1700000000.000200")["shot_id"] == shot_a
    assert approvals.message_target(fresh_db, B, CHANNEL, "1700000000.000200") is None
