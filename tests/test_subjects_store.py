"""storage/subjects.py on a fresh in-memory database."""

from __future__ import annotations

import pytest
from sqlite_utils import Database

from storage import subjects as subjects_db
from storage.migrations import MIGRATIONS

IMG = subjects_db.NewImage("ab" * 32, "/m/subjects/ab.png", "image/png", 800, 600)


@pytest.fixture
def db():
    fresh = Database(memory=True)
    MIGRATIONS.apply(fresh)
    return fresh


def test_add_and_get_case_insensitively(db):
    added = subjects_db.add_subject(db, "C1", "Maya", "red coat", "U1", [IMG, IMG])
    assert added["name"] == "Maya" and [i["position"] for i in added["images"]] == [0, 1]
    assert subjects_db.get_subject(db, "C1", "maya")["id"] == added["id"]
    assert subjects_db.get_subject(db, "C2", "maya") is None  # another channel cannot see it


def test_names_are_unique_per_channel_case_insensitive(db):
    subjects_db.add_subject(db, "C1", "maya", "", "U1", [IMG])
    with pytest.raises(subjects_db.SubjectExists):
        subjects_db.add_subject(db, "C1", "MAYA", "", "U1", [IMG])
    subjects_db.add_subject(db, "C2", "maya", "", "U1", [IMG])  # fine in another channel


def test_list_counts_images_and_sorts_by_name(db):
    subjects_db.add_subject(db, "C1", "zed", "", "U1", [IMG])
    subjects_db.add_subject(db, "C1", "Anna", "tall", "U2", [IMG, IMG, IMG])
    rows = subjects_db.list_subjects(db, "C1")
    assert [(r["name"], r["image_count"]) for r in rows] == [("Anna", 3), ("zed", 1)]


def test_rename_and_remove(db):
    subjects_db.add_subject(db, "C1", "maya", "", "U1", [IMG])
    subjects_db.add_subject(db, "C1", "leo", "", "U1", [IMG])
    with pytest.raises(subjects_db.SubjectExists):
        subjects_db.rename_subject(db, "C1", "maya", "LEO")
    assert subjects_db.rename_subject(db, "C1", "maya", "Maya2")["name"] == "Maya2"
    assert subjects_db.rename_subject(db, "C1", "nobody", "x") is None
    removed = subjects_db.remove_subject(db, "C1", "maya2")
    assert removed["name"] == "Maya2"
    assert subjects_db.get_subject(db, "C1", "maya2") is None
    assert not subjects_db.image_in_use(db, "/m/other.png")
    assert subjects_db.image_in_use(db, IMG.path)  # leo still uses it


def test_elements_are_cached_per_backend(db):
    subject = subjects_db.add_subject(db, "C1", "maya", "", "U1", [IMG])
    subjects_db.save_element(db, subject["id"], "kling", "111")
    subjects_db.save_element(db, subject["id"], "kling", "222")
    assert subjects_db.get_subject(db, "C1", "maya")["element_ids"] == {"kling": "222"}
    subjects_db.remove_subject(db, "C1", "maya")
    assert list(db["subject_elements"].rows) == []
