"""storage/subjects.py on a fresh database of each engine."""

from __future__ import annotations

import pytest

from storage import subjects as subjects_db

IMG = subjects_db.NewImage("ab" * 32, "/m/subjects/ab.png", "image/png", 800, 600)


@pytest.fixture
def db(fresh_db):
    return fresh_db


def test_add_and_get_case_insensitively(db):
    added = subjects_db.add_subject(db, "T1", "C1", "Maya", "red coat", "U1", [IMG, IMG])
    assert added["name"] == "Maya" and [i["position"] for i in added["images"]] == [0, 1]
    assert subjects_db.get_subject(db, "T1", "C1", "maya")["id"] == added["id"]
    assert subjects_db.get_subject(db, "T1", "C2", "maya") is None  # another channel cannot see it


def test_names_are_unique_per_channel_case_insensitive(db):
    subjects_db.add_subject(db, "T1", "C1", "maya", "", "U1", [IMG])
    with pytest.raises(subjects_db.SubjectExists):
        subjects_db.add_subject(db, "T1", "C1", "MAYA", "", "U1", [IMG])
    subjects_db.add_subject(db, "T1", "C2", "maya", "", "U1", [IMG])  # fine in another channel


def test_list_counts_images_and_sorts_by_name(db):
    subjects_db.add_subject(db, "T1", "C1", "zed", "", "U1", [IMG])
    subjects_db.add_subject(db, "T1", "C1", "Anna", "tall", "U2", [IMG, IMG, IMG])
    rows = subjects_db.list_subjects(db, "T1", "C1")
    assert [(r["name"], r["image_count"]) for r in rows] == [("Anna", 3), ("zed", 1)]


def test_rename_and_remove(db):
    subjects_db.add_subject(db, "T1", "C1", "maya", "", "U1", [IMG])
    subjects_db.add_subject(db, "T1", "C1", "leo", "", "U1", [IMG])
    with pytest.raises(subjects_db.SubjectExists):
        subjects_db.rename_subject(db, "T1", "C1", "maya", "LEO")
    assert subjects_db.rename_subject(db, "T1", "C1", "maya", "Maya2")["name"] == "Maya2"
    assert subjects_db.rename_subject(db, "T1", "C1", "nobody", "x") is None
    removed = subjects_db.remove_subject(db, "T1", "C1", "maya2")
    assert removed["name"] == "Maya2"
    assert subjects_db.get_subject(db, "T1", "C1", "maya2") is None
    assert not subjects_db.image_in_use(db, "/m/other.png")
    assert subjects_db.image_in_use(db, IMG.path)  # leo still uses it


def test_elements_are_cached_per_backend(db):
    subject = subjects_db.add_subject(db, "T1", "C1", "maya", "", "U1", [IMG])
    subjects_db.save_element(db, subject["id"], "kling", "111")
    subjects_db.save_element(db, subject["id"], "kling", "222")
    assert subjects_db.get_subject(db, "T1", "C1", "maya")["element_ids"] == {"kling": "222"}
    subjects_db.remove_subject(db, "T1", "C1", "maya")
    assert list(db["subject_elements"].rows) == []


def test_a_removed_subjects_image_stays_in_use_while_an_unfinished_job_refers_to_it(db):
    from bot.studio.subjects import stored_subject
    from storage import jobs as jobs_db

    subject = subjects_db.add_subject(db, "T1", "C1", "maya", "", "U1", [IMG])
    request = {"prompt": "{maya} waves", "subjects": [stored_subject(subject)]}
    new = jobs_db.NewJob("C1", "T1", "U1", "generate", "kling-v3", "kling", request, 1, 0.5, "cmd:1")
    _shot, job_id, _takes = jobs_db.create_job(db, new)
    subjects_db.remove_subject(db, "T1", "C1", "maya")
    assert subjects_db.image_in_use(db, IMG.path)  # the queued job still needs the file
    db["jobs"].update(job_id, {"state": "delivered"})
    assert not subjects_db.image_in_use(db, IMG.path)
    subjects_db.save_element(db, subject["id"], "kling", "el-1")  # the subject is gone: not stored
    assert db["subject_elements"].count == 0


def test_limit_problem_is_pure_and_names_the_limit():
    from bot.request.catalogue import shipped_catalogue

    get_model = shipped_catalogue().get
    from bot.request.subject_limits import limit_problem, subject_names

    def subject(name: str, images: int) -> dict:
        return {"name": name, "images": [{"path": "p"}] * images}

    o1, sora = get_model("kling-o1"), get_model("sora-2")
    assert limit_problem([subject("a", 4), subject("b", 3)], o1) is None
    assert "at most 7 reference images" in limit_problem(
        [subject("a", 4), subject("b", 3)], o1, extra_images=1
    )
    assert "up to 4 subjects" in limit_problem([subject(n, 1) for n in "abcde"], o1)
    assert "4 subjects and images together" in limit_problem(
        [subject(n, 1) for n in "abc"], o1, extra_images=2, with_video=True
    )
    assert limit_problem([subject(n, 4) for n in "abcde"], sora) is None  # folded into the prompt as text
    assert subject_names("put {Maya} next to {box}, then {maya} {not valid}") == ("maya", "box")
