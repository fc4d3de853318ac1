"""A departed workspace's purge: every table that holds a workspace's rows is covered (a new table
keyed by team, or by a shot, job, take or subject, must join the list), the other workspace keeps
everything, and a shared subject image file stays while another row names it."""

from __future__ import annotations

import pytest

from storage import departures, event_inbox, installations

# tables that hold no one workspace's rows
SHARED = {
    "deliveries", "meta", "slack_oauth_states", "schema_migrations", "_sqlite_migrations",
    "model_lists", "model_sightings", "signin_states",
}  # fmt: skip
OWNER_COLUMNS = ("team_id", "shot_id", "job_id", "take_id", "subject_id")


def columns(db, table: str) -> set[str]:
    return {d[0] for d in db.execute(f"SELECT * FROM {table} LIMIT 0").description}


def put(db, table: str, row: dict) -> None:
    """A row in a table without an `id` key."""
    db.execute(
        f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values())
    )


def fill(db, team: str, image: str) -> None:
    """One of everything for `team` in channel C1."""
    shot = db.insert("shots", {"team_id": team, "channel_id": "C1", "user_id": "U1", "title": "t"})
    job = db.insert("jobs", {"team_id": team, "shot_id": shot, "channel_id": "C1", "source_key": f"k{team}"})
    take = db.insert("takes", {"shot_id": shot, "job_id": job, "version": 1, "media_path": f"/m/{team}.mp4"})
    db.insert("transitions", {"job_id": job, "take_id": take, "to_state": "queued"})
    subject = db.insert("subjects", {"team_id": team, "channel_id": "C1", "name": "hero", "name_key": "hero"})
    db.insert("subject_images", {"subject_id": subject, "position": 0, "path": image})
    put(db, "subject_elements", {"subject_id": subject, "backend": "kling", "element_id": "e"})
    put(db, "subject_voice_samples", {"subject_id": subject, "path": f"/m/{team}.wav"})
    put(db, "subject_voices", {"subject_id": subject, "backend": "kling", "voice_id": "v"})
    put(
        db, "subject_consents", {"subject_id": subject, "team_id": team, "channel_id": "C1", "given_by": "U1"}
    )
    put(db, "consent_offers", {"token": f"t{team}", "team_id": team, "channel_id": "C1", "user_id": "U1"})
    db.insert("approvals", {"team_id": team, "channel_id": "C1", "shot_id": shot, "user_id": "U1"})
    put(db, "messages", {"team_id": team, "channel_id": "C1", "ts": "1.1", "shot_id": shot, "take_id": take})
    put(db, "workflow_steps", {"execution_id": f"x{team}", "source_key": f"k{team}", "team_id": team})
    db.insert("audit", {"team_id": team, "channel_id": "C1", "action": "settings"})
    put(db, "channels", {"team_id": team, "channel_id": "C1", "budget_usd": 5})
    put(db, "slack_buckets", {"team_id": team, "method": "chat.update", "channel_id": ""})
    installations.save_installation(db, {"team_id": team, "bot_token": "sealed:x"})
    event_inbox.receive(db, team, f"Ev{team}", {"team_id": team}, "r1", 0.0, 60.0)


def counts(db) -> dict[str, int]:
    return {t: db.one(f"SELECT count(*) AS n FROM {t}")["n"] for t in db.table_names() if t not in SHARED}


def test_every_table_with_a_workspaces_rows_is_purged(fresh_db):
    owned = {table for table, _ in departures.OWNED}
    for table in set(fresh_db.table_names()) - SHARED:
        found = columns(fresh_db, table) & set(OWNER_COLUMNS)
        assert table in owned, f"{table} holds {sorted(found) or 'rows'} of a workspace but is never purged"


def test_a_purge_takes_one_workspace_and_leaves_the_other(fresh_db):
    fill(fresh_db, "T1", "/m/shared.png")
    fill(fresh_db, "T2", "/m/shared.png")
    departures.departed(fresh_db, "T1", 100.0)
    before = counts(fresh_db)
    deleted, files = departures.purge(fresh_db, "T1")
    after = counts(fresh_db)
    assert all(after[t] == before[t] - deleted.get(t, 0) for t in before)
    assert {t: n for t, n in after.items() if n} == {t: n // 2 for t, n in before.items() if n // 2}, after
    assert files == ["/m/T1.mp4", "/m/T1.wav"]  # the shared image is still T2's
    assert departures.purge(fresh_db, "T2")[1] == ["/m/T2.mp4", "/m/T2.wav", "/m/shared.png"]
    assert not any(counts(fresh_db).values())


def test_only_departed_workspaces_past_their_retention_are_due(fresh_db):
    departures.departed(fresh_db, "T1", 100.0)
    departures.departed(fresh_db, "T2", 200.0)
    assert departures.due(fresh_db, 150.0) == ["T1"]
    installations.save_installation(fresh_db, {"team_id": "T1"})  # installed again: kept
    assert departures.due(fresh_db, 1000.0) == ["T2"]
    assert not departures.returned(fresh_db, "T1")


@pytest.mark.parametrize("table", sorted({t for t, _ in departures.OWNED}))
def test_owned_tables_exist(fresh_db, table):
    assert table in fresh_db.table_names()
