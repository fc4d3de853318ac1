"""Issue 11: a failure while a subject's images are written must leave no subject behind."""

from __future__ import annotations

import pytest

from storage import subjects as subjects_db

IMAGE = subjects_db.NewImage("ab" * 32, "/m/subjects/ab.png", "image/png", 800, 600)

# the second write (the images) fails after the first (the subject row) went through
FAIL_IMAGES = {
    "sqlite": [
        "CREATE TRIGGER images_fail BEFORE INSERT ON subject_images"
        " BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION images_fail() RETURNS trigger LANGUAGE plpgsql"
        " AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$",
        "CREATE TRIGGER images_fail BEFORE INSERT ON subject_images"
        " FOR EACH ROW EXECUTE FUNCTION images_fail()",
    ],
}
HEAL = {"sqlite": "DROP TRIGGER images_fail", "postgresql": "DROP TRIGGER images_fail ON subject_images"}


def test_a_failed_image_write_leaves_no_half_made_subject(fresh_db):
    for statement in FAIL_IMAGES[fresh_db.engine]:
        fresh_db.execute(statement)
    with pytest.raises(Exception, match="disk full"):
        subjects_db.add_subject(fresh_db, "T1", "C1", "Maya", "red coat", "U1", [IMAGE, IMAGE])
    assert subjects_db.get_subject(fresh_db, "T1", "C1", "Maya") is None
    assert subjects_db.list_subjects(fresh_db, "T1", "C1") == []

    fresh_db.execute(HEAL[fresh_db.engine])
    added = subjects_db.add_subject(fresh_db, "T1", "C1", "Maya", "red coat", "U1", [IMAGE, IMAGE])
    assert len(added["images"]) == 2  # the name was never taken by the failed attempt
