"""Issue 11: a failure while a subject's images are written must leave no subject behind."""

from __future__ import annotations

import sqlite3

import pytest

from storage import subjects as subjects_db

IMAGE = subjects_db.NewImage("ab" * 32, "/m/subjects/ab.png", "image/png", 800, 600)


def test_a_failed_image_write_leaves_no_half_made_subject(fresh_db):
    # the second write (the images) fails after the first (the subject row) went through
    fresh_db.execute(
        "CREATE TRIGGER images_fail BEFORE INSERT ON subject_images BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    with pytest.raises(sqlite3.DatabaseError, match="disk full"):
        subjects_db.add_subject(fresh_db, "C1", "Maya", "red coat", "U1", [IMAGE, IMAGE])
    assert subjects_db.get_subject(fresh_db, "C1", "Maya") is None
    assert subjects_db.list_subjects(fresh_db, "C1") == []

    fresh_db.execute("DROP TRIGGER images_fail")
    added = subjects_db.add_subject(fresh_db, "C1", "Maya", "red coat", "U1", [IMAGE, IMAGE])
    assert len(added["images"]) == 2  # the name was never taken by the failed attempt
