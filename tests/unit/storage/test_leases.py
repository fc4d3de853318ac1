"""Claims, leases and the installation id on both engines; the engine layer's own rules."""

from __future__ import annotations

import asyncio
import os
import subprocess
import threading

import pytest

from bot.config import ConfigError, load_config
from storage import jobs as jobs_db
from storage import leases, meta, migrations
from storage.db import StorageError, pyformat
from storage.engines import connect
from tests.unit.storage.test_storage import new_job

A, B = "host-a/101/aaa", "host-b/202/bbb"
NOW = 1_800_000_000.0


def three_takes(db) -> list[int]:
    return jobs_db.create_job(db, new_job(takes=3))[2]


def test_a_take_is_claimed_by_one_replica_until_its_lease_lapses(fresh_db):
    takes = three_takes(fresh_db)
    assert leases.claim_takes(fresh_db, A, NOW, 60, 2) == takes[:2]
    assert leases.claim_takes(fresh_db, B, NOW + 1, 60, 10) == takes[2:]
    assert leases.claim_takes(fresh_db, B, NOW + 59, 60, 10) == []  # A's lease still runs
    assert leases.held(fresh_db, A) == 2
    # A stops renewing (killed): after its lease, B takes both over
    assert leases.claim_takes(fresh_db, B, NOW + 61, 60, 10) == takes[:2]
    assert leases.held(fresh_db, A) == 0 and leases.held(fresh_db, B) == 3


def test_renewing_keeps_the_claim_and_reports_takes_another_replica_took_over(fresh_db):
    first, second, third = three_takes(fresh_db)
    leases.claim_takes(fresh_db, A, NOW, 60, 3)
    assert leases.renew(fresh_db, A, NOW + 50, 60, [first, second, third]) == []
    assert leases.claim_takes(fresh_db, B, NOW + 100, 60, 10) == []  # renewed until NOW + 110
    assert leases.claim_takes(fresh_db, B, NOW + 111, 60, 10) == [first, second, third]
    jobs_db.update_take(fresh_db, third, "delivered")
    # A was too slow: it learns that B holds the takes still running (not the one that ended)
    assert leases.renew(fresh_db, A, NOW + 112, 60, [first, second, third]) == [first, second]


def test_a_replica_whose_take_was_taken_over_cannot_write_it(fresh_db):
    (take, *_) = three_takes(fresh_db)
    leases.claim_takes(fresh_db, A, NOW, 60, 1)
    leases.claim_takes(fresh_db, B, NOW + 61, 60, 1)
    assert not jobs_db.update_take(fresh_db, take, "rendering", holder=A)
    assert jobs_db.update_take(fresh_db, take, "rendering", holder=B)
    assert jobs_db.get_take(fresh_db, take)["state"] == "rendering"


def test_ended_and_held_takes_are_never_claimed(fresh_db):
    _, _, (done,) = jobs_db.create_job(fresh_db, new_job(source_key="k1"))
    jobs_db.create_job(fresh_db, new_job(source_key="k2", state="awaiting_approval"))
    jobs_db.update_take(fresh_db, done, "delivered")
    assert leases.claim_takes(fresh_db, A, NOW, 60, 10) == []


def test_one_replica_posts_a_card_the_other_waits_then_a_gone_posters_card_is_looked_for(fresh_db):
    shot_id, _, _ = jobs_db.create_job(fresh_db, new_job())
    claim, nonce = leases.claim_card_post(fresh_db, shot_id, A, NOW, 60)
    assert claim == "post" and nonce
    assert leases.claim_card_post(fresh_db, shot_id, B, NOW + 1, 60) == ("wait", None)
    # A died before storing the ts: after its hold, B looks for the card by the same nonce
    assert leases.claim_card_post(fresh_db, shot_id, B, NOW + 61, 60) == ("recover", nonce)
    jobs_db.set_card_ts(fresh_db, shot_id, "1700000000.000100")
    assert leases.claim_card_post(fresh_db, shot_id, A, NOW + 62, 60) == ("posted", "1700000000.000100")


def test_one_replica_edits_a_card_at_a_time(fresh_db):
    shot_id, _, _ = jobs_db.create_job(fresh_db, new_job())
    assert leases.claim_card_edit(fresh_db, shot_id, A, NOW, 10)
    assert not leases.claim_card_edit(fresh_db, shot_id, B, NOW + 5, 10)
    assert leases.claim_card_edit(fresh_db, shot_id, A, NOW + 6, 10)  # each edit renews the hold
    assert not leases.claim_card_edit(fresh_db, shot_id, B, NOW + 15, 10)
    assert leases.claim_card_edit(fresh_db, shot_id, B, NOW + 17, 10)  # A stopped editing


def test_a_restart_takes_its_dead_predecessors_card_hold_at_once_and_waits_for_a_live_one(fresh_db):
    ended = subprocess.Popen(["true"])
    ended.wait()  # a pid no process has any more: the killed predecessor
    shot_id, _, _ = jobs_db.create_job(fresh_db, new_job())
    assert leases.claim_card_edit(fresh_db, shot_id, f"box/{ended.pid}/old", NOW, 10)
    assert leases.claim_card_edit(fresh_db, shot_id, "box/1/new", NOW + 1, 10)
    # the holder is alive (this test's own process), or on another machine: its hold stands
    assert leases.claim_card_edit(fresh_db, shot_id, f"box/{os.getpid()}/live", NOW + 12, 10)
    assert not leases.claim_card_edit(fresh_db, shot_id, "box/2/newer", NOW + 13, 10)
    assert leases.claim_card_edit(fresh_db, shot_id, f"far/{ended.pid}/x", NOW + 23, 10)
    assert not leases.claim_card_edit(fresh_db, shot_id, f"box/{ended.pid}/again", NOW + 24, 10)


def test_a_restart_on_the_same_machine_takes_its_dead_predecessors_takes_back_at_once(fresh_db):
    takes = three_takes(fresh_db)
    leases.claim_takes(fresh_db, "box/4242/old", NOW, 60, 1)  # a process that is gone
    leases.claim_takes(fresh_db, "box/4343/live", NOW, 60, 1)  # a process still running
    leases.claim_takes(fresh_db, "other/4242/x", NOW, 60, 1)  # another machine: wait out its lease
    released = leases.release_dead_predecessors(fresh_db, "box/5000/new", alive=lambda pid: pid == 4343)
    assert released == 1
    assert leases.claim_takes(fresh_db, "box/5000/new", NOW + 1, 60, 10) == takes[:1]


def test_replicas_claiming_at_once_never_share_a_take(engine, request):
    """Two connections (two replicas) claim the same queue at the same moment, many times over."""
    url = request.getfixturevalue("database_url") if engine == "postgresql" else ""
    path = request.getfixturevalue("tmp_path") / "shared.db"
    one, two = connect(path, database_url=url), connect(path, database_url=url)
    try:
        for i in range(40):
            jobs_db.create_job(one, new_job(source_key=f"k{i}", takes=2))
        got: dict[str, list[int]] = {A: [], B: []}

        def claim(db, replica: str) -> None:
            while batch := leases.claim_takes(db, replica, NOW, 60, 3):
                got[replica].extend(batch)

        threads = [threading.Thread(target=claim, args=(db, r)) for db, r in ((one, A), (two, B))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(got[A] + got[B]) == list(range(1, 81)), "every take claimed exactly once"
        assert not set(got[A]) & set(got[B])
    finally:
        one.close()
        two.close()


def test_the_installation_id_is_made_once_and_kept(engine, request, tmp_path):
    url = request.getfixturevalue("database_url") if engine == "postgresql" else ""
    first = connect(tmp_path / "d.db", database_url=url)
    install = meta.installation_id(first)
    first.close()
    again = connect(tmp_path / "d.db", database_url=url)
    assert meta.installation_id(again) == install and len(install) == 8
    assert migrations.migrate(again) == []
    again.close()
    other = connect(tmp_path / "other.db") if engine == "sqlite" else None
    if other is not None:
        assert meta.installation_id(other) != install
        other.close()


def test_a_file_made_when_sqlite_utils_ran_the_migrations_keeps_its_record(tmp_path):
    db = connect(tmp_path / "old.db")
    # what such a file looks like: the same tables, the record in _sqlite_migrations, none in ours
    db.execute("CREATE TABLE _sqlite_migrations (migration_set TEXT, name TEXT, applied_at TEXT)")
    for name in ("m001_core", "m003_subjects", "m002_review", "m005_subject_image_source", "m006_card_nonce"):
        db.execute("INSERT INTO _sqlite_migrations VALUES ('dailies', ?, '2026-01-01')", [name])
        db.execute("DELETE FROM schema_migrations WHERE name = ?", [name])
    jobs_db.create_job(db, new_job())
    db.close()
    reopened = connect(tmp_path / "old.db")
    assert migrations.applied(reopened)[:2] == ["m001_core", "m003_subjects"]
    assert len(migrations.applied(reopened)) == len(migrations.MIGRATIONS)
    assert jobs_db.get_job(reopened, 1)["state"] == "queued"
    reopened.close()


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT * FROM t WHERE a = ? AND b LIKE ?", "SELECT * FROM t WHERE a = %s AND b LIKE %s"),
        ("SELECT '50%', '?' FROM t WHERE a = ?", "SELECT '50%%', '?' FROM t WHERE a = %s"),
        ("SELECT 'it''s ?' WHERE x = ?", "SELECT 'it''s ?' WHERE x = %s"),
    ],
)
def test_placeholders_are_translated_for_psycopg_outside_quoted_text(sql, expected):
    assert pyformat(sql) == expected


def test_an_unreachable_postgresql_is_one_line_that_names_the_variable_and_hides_the_password():
    with pytest.raises(StorageError) as raised:
        connect(database_url="postgresql://dailies:hunter2@127.0.0.1:1/dailies")
    message = str(raised.value)
    assert message.startswith("DATABASE_URL (127.0.0.1:1/dailies) cannot be reached")
    assert "hunter2" not in message and "\n" not in message


def test_database_settings_are_read_and_checked():
    config = load_config(
        {"DATABASE_URL": "postgresql://u:pw@db:5432/d", "DAILIES_LEASE_SECONDS": "15"}, dotenv=None
    )
    assert config.database_url.endswith("@db:5432/d") and config.lease_seconds == 15
    assert "pw" not in repr(config) and "pw" in config.secrets()
    assert load_config({}, dotenv=None).lease_seconds == 60
    with pytest.raises(ConfigError, match="DATABASE_URL must be a PostgreSQL URL"):
        load_config({"DATABASE_URL": "mysql://x"}, dotenv=None)
    with pytest.raises(ConfigError, match="DAILIES_LEASE_SECONDS"):
        load_config({"DAILIES_LEASE_SECONDS": "soon"}, dotenv=None)


async def test_a_replica_listening_hears_of_new_work_stored_by_another(database_url):
    writer, listener = connect(database_url=database_url), connect(database_url=database_url)
    heard = asyncio.Event()
    listening = asyncio.create_task(listener.listen(jobs_db.WORK, heard.set))
    try:
        for n in range(100):  # until the LISTEN is in place: each new job notifies at its commit
            jobs_db.create_job(writer, new_job(source_key=f"k{n}"))
            try:
                await asyncio.wait_for(heard.wait(), 0.1)
                break
            except TimeoutError:
                continue
        assert heard.is_set()
        heard.clear()
        jobs_db.create_job(writer, new_job(source_key="held", state="awaiting_approval"))
        jobs_db.create_job(writer, new_job(source_key="later"))
        await asyncio.wait_for(heard.wait(), 10)
    finally:
        listening.cancel()
        await asyncio.gather(listening, return_exceptions=True)
        writer.close()
        listener.close()
