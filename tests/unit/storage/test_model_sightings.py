"""The backends' model lists in the database: a read records seen and missing ids, a "gone" answer
keeps its first time while it holds, and a later read never erases it (both engines)."""

from __future__ import annotations

from storage import model_sightings as ms


def rows(db) -> dict[str, dict]:
    _, found = ms.everything(db)
    return {r["provider_id"]: r for r in found}


def test_a_read_records_what_the_list_had_and_what_it_lacked(fresh_db):
    ms.record_read(fresh_db, "gemini", "2026-12-06T07:00:00", ["veo-a"], ["veo-b"])
    ms.record_read(fresh_db, "gemini", "2026-12-06T08:00:00", ["veo-b"], ["veo-a"])
    reads, _ = ms.everything(fresh_db)
    assert reads == {"gemini": "2026-12-06T08:00:00"}
    seen = rows(fresh_db)
    assert seen["veo-a"]["last_seen"] == "2026-12-06T07:00:00"
    assert seen["veo-a"]["missing_since"] == "2026-12-06T08:00:00"
    assert seen["veo-b"]["last_seen"] == "2026-12-06T08:00:00" and seen["veo-b"]["missing_since"] is None
    ms.record_read(fresh_db, "gemini", "2026-12-06T09:00:00", [], ["veo-a"])
    assert rows(fresh_db)["veo-a"]["missing_since"] == "2026-12-06T08:00:00"  # the first read without it


def test_a_gone_answer_holds_its_first_time_and_survives_a_read(fresh_db):
    ms.mark_gone(fresh_db, "aimlapi", "google/veo", "2026-12-06T07:00:00", held_since="2026-12-05T07:00:00")
    ms.mark_gone(fresh_db, "aimlapi", "google/veo", "2026-12-06T07:30:00", held_since="2026-12-05T07:30:00")
    assert rows(fresh_db)["google/veo"]["gone_at"] == "2026-12-06T07:00:00"
    ms.record_read(fresh_db, "aimlapi", "2026-12-06T08:00:00", ["google/veo"], [])
    assert rows(fresh_db)["google/veo"]["gone_at"] == "2026-12-06T07:00:00"  # the list is not the answer
    # a day later the hold has passed: a new answer starts a new mark
    ms.mark_gone(fresh_db, "aimlapi", "google/veo", "2026-12-07T09:00:00", held_since="2026-12-06T09:00:00")
    assert rows(fresh_db)["google/veo"]["gone_at"] == "2026-12-07T09:00:00"


def test_backends_are_kept_apart(fresh_db):
    ms.mark_gone(fresh_db, "kling", "kling-v3", "2026-12-06T07:00:00", held_since="2026-12-05T07:00:00")
    ms.record_read(fresh_db, "aimlapi", "2026-12-06T07:00:00", ["kling-v3"], [])
    _, found = ms.everything(fresh_db)
    assert {(r["backend"], bool(r["gone_at"])) for r in found} == {("kling", True), ("aimlapi", False)}
