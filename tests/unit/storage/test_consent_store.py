"""storage/consent.py on a fresh database of each engine: consent given, renewed and withdrawn (each
an audit row), the jobs that use a subject, and held requests taken once by their own requester."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from storage import audit
from storage import consent as consent_db
from storage import subjects as subjects_db

IMG = subjects_db.NewImage("ab" * 32, "/m/subjects/ab.png", "image/png", 800, 600)


@pytest.fixture
def db(fresh_db):
    return fresh_db


def test_consent_is_given_renewed_and_withdrawn_with_an_audit_row_each(db):
    hero = subjects_db.add_subject(db, "T1", "C1", "hero", "", "U1", [IMG])
    assert consent_db.consent_of(db, hero["id"]) is None
    consent_db.give(db, hero, "U1", "signed release 2026-11")
    consent_db.give(db, hero, "U2", "", "button")  # renewed: the latest confirmation stands
    stood = consent_db.consent_of(db, hero["id"])
    assert (stood["given_by"], stood["note"]) == ("U2", "") and stood["given_at"]
    assert consent_db.consents_of(db, [hero["id"], 999]) == {hero["id"]: stood}
    assert consent_db.withdraw(db, hero, "U3") is True
    assert consent_db.withdraw(db, hero, "U3") is False  # nothing left: no second audit row
    assert consent_db.consent_of(db, hero["id"]) is None
    trail = [(r["user_id"], r["action"], r["detail"]) for r in reversed(audit.latest(db, "T1", "C1"))]
    assert trail == [
        ("U1", "consent", "{hero} via command: signed release 2026-11"),
        ("U2", "consent", "{hero} via button"),
        ("U3", "consent withdrawn", "{hero}"),
    ]


def test_removing_a_subject_removes_its_consent(db):
    hero = subjects_db.add_subject(db, "T1", "C1", "hero", "", "U1", [IMG])
    consent_db.give(db, hero, "U1")
    subjects_db.remove_subject(db, "T1", "C1", "hero")
    assert db.query("SELECT * FROM subject_consents") == []


def test_unfinished_jobs_using_a_subject_by_its_images_or_its_likeness(db):
    hero = subjects_db.add_subject(db, "T1", "C1", "hero", "", "U1", [IMG])

    def job(state, request, channel="C1", key=""):
        return db.insert(
            "jobs",
            {"team_id": "T1", "channel_id": channel, "state": state, "request": json.dumps(request),
             "source_key": key or f"k{state}{len(json.dumps(request))}{channel}"},
        )  # fmt: skip

    avatar = job("rendering", {"subjects": [{"id": hero["id"], "name": "hero"}]})
    lipsync = job("awaiting_approval", {"subjects": [], "likeness": [hero["id"]]})
    job("delivered", {"subjects": [{"id": hero["id"]}]})  # finished: nothing to stop
    job("queued", {"subjects": [{"id": hero["id"] + 1}]})  # another subject
    job("queued", {"subjects": [{"id": hero["id"]}]}, channel="C2")  # not this channel's subject
    found = consent_db.unfinished_jobs_using(db, "T1", "C1", hero["id"])
    assert [r["id"] for r in found] == [avatar, lipsync]


def test_a_held_request_is_taken_once_and_only_by_its_requester_where_it_was_made(db):
    consent_db.hold(db, "tok", "T1", "C1", "U1", "avatar", {"command": {"subject": "hero"}})
    assert consent_db.take_offer(db, "tok", "T1", "C1", "U2") is None  # someone else
    assert consent_db.take_offer(db, "tok", "T2", "C1", "U1") is None  # another workspace
    assert consent_db.take_offer(db, "tok", "T1", "C9", "U1") is None  # another channel
    assert consent_db.take_offer(db, "nope", "T1", "C1", "U1") is None
    taken = consent_db.take_offer(db, "tok", "T1", "C1", "U1")
    assert taken == {"kind": "avatar", "request": {"command": {"subject": "hero"}}}
    assert consent_db.take_offer(db, "tok", "T1", "C1", "U1") is None  # once


def test_subject_in_channel_is_only_the_channels(db):
    hero = subjects_db.add_subject(db, "T1", "C1", "hero", "", "U1", [IMG])
    assert consent_db.subject_in_channel(db, hero["id"], "T1", "C1")["name"] == "hero"
    assert consent_db.subject_in_channel(db, hero["id"], "T1", "C2") is None
    assert consent_db.subject_in_channel(db, hero["id"], "T2", "C1") is None


def test_a_held_request_older_than_a_day_is_not_run(db):
    consent_db.hold(db, "old", "T1", "C1", "U1", "avatar", {})
    later = datetime.now(UTC) + timedelta(hours=consent_db.OFFER_HOURS, minutes=1)
    assert consent_db.take_offer(db, "old", "T1", "C1", "U1", now=later) is None
    assert consent_db.take_offer(db, "old", "T1", "C1", "U1") == {"kind": "avatar", "request": {}}
