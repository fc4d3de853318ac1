"""The schema's migrations: their full order pinned, on a new database and on one part-way through."""

from __future__ import annotations

from sqlite_utils import Database

from storage.migrations import MIGRATIONS

# m003 before m002 is how existing databases were built; a new migration goes at the end
ORDER = ["m001_core", "m003_subjects", "m002_review", "m005_subject_image_source", "m006_card_nonce"]


def test_a_new_database_gets_every_migration_in_order(fresh_db):
    assert [m.name for m in MIGRATIONS.applied(fresh_db)] == ORDER
    assert MIGRATIONS.pending(fresh_db) == []


def test_a_database_part_way_through_gets_the_rest_in_order():
    db = Database(memory=True)
    MIGRATIONS.apply(db, stop_before="m002_review")
    assert [m.name for m in MIGRATIONS.applied(db)] == ORDER[:2]
    MIGRATIONS.apply(db)
    assert [m.name for m in MIGRATIONS.applied(db)] == ORDER
    db.conn.close()
