"""storage/voices.py on a fresh database of each engine: a subject's sample and its backends' voices."""

from __future__ import annotations

import pytest

from storage import subjects as subjects_db
from storage import voices as voices_db

IMG = subjects_db.NewImage("ab" * 32, "/m/subjects/ab.png", "image/png", 800, 600)
SAMPLE = voices_db.VoiceSample("/m/voices/aa.wav", "audio/wav", 8.0, None, "Slack file maya.wav")


@pytest.fixture
def maya(fresh_db):
    return fresh_db, subjects_db.add_subject(fresh_db, "T1", "C1", "maya", "", "U1", [IMG])["id"]


def test_a_voice_is_cached_per_backend_and_replaced_with_its_sample(maya):
    db, sid = maya
    assert voices_db.sample_of(db, sid) is None
    assert voices_db.set_sample(db, sid, SAMPLE, "U1") is None
    voices_db.save_voice(db, sid, "kling", "8501", SAMPLE.path)
    assert (
        voices_db.voice_ids(db, [sid], "kling") == {sid: "8501"} and voices_db.voice_ids(db, [sid], "x") == {}
    )
    assert voices_db.sample_of(db, sid)["voice_ids"] == {"kling": "8501"}
    newer = voices_db.VoiceSample(
        "/m/voices/bb.wav", "audio/wav", 12.0, "https://a.test/v.wav", "https://a.test/v.wav"
    )
    assert voices_db.set_sample(db, sid, newer, "U2") == SAMPLE.path  # the caller deletes it when unused
    assert voices_db.sample_of(db, sid)["voice_ids"] == {}  # the old voice spoke the old sample
    voices_db.save_voice(db, sid, "kling", "8502", SAMPLE.path)  # made from the replaced sample: dropped
    assert voices_db.voice_ids(db, [sid], "kling") == {}
    assert voices_db.sample_in_use(db, newer.path) and not voices_db.sample_in_use(db, SAMPLE.path)


def test_removing_the_subject_removes_its_voice(maya):
    db, sid = maya
    voices_db.set_sample(db, sid, SAMPLE, "U1")
    voices_db.save_voice(db, sid, "kling", "8501", SAMPLE.path)
    assert subjects_db.remove_subject(db, "T1", "C1", "maya") is not None
    assert voices_db.sample_of(db, sid) is None and voices_db.voice_ids(db, [sid], "kling") == {}
    voices_db.save_voice(db, sid, "kling", "8503", SAMPLE.path)  # a job finishing after the removal
    assert voices_db.voice_ids(db, [sid], "kling") == {}
