"""Review notes on each engine: kept once per message, by workspace and channel, counted per
version wherever versions are listed, edited and deleted with their message; the `replies` setting."""

from __future__ import annotations

from storage import channels, home, review_notes
from storage import jobs as jobs_db

CHANNEL = "C0SAME"
A, B = "T0ACME", "T0BETA"
TS = "1700000000.000200"


def shot_of(db, team: str) -> tuple[int, int]:
    new = jobs_db.NewJob(
        channel_id=CHANNEL, team_id=team, user_id="U0ALICE", kind="generate", model="preview",
        backend="preview", request={"prompt": "a fox"}, takes=1, estimate_usd=0.0,
        source_key=f"cmd:{team}", title="a fox",
    )  # fmt: skip
    shot_id, _job_id, (take_id,) = jobs_db.create_job(db, new)
    return shot_id, take_id


def note(db, team: str, shot_id: int, take_id: int, ts: str = TS, text: str = "0:03 too dark"):
    return review_notes.add(
        db, team, CHANNEL, ts, shot_id=shot_id, take_id=take_id, user_id="U0BOB", text=text, timecode=3.0
    )


def test_a_note_is_kept_once_per_message_and_per_workspace(fresh_db):
    shot_a, take_a = shot_of(fresh_db, A)
    shot_b, take_b = shot_of(fresh_db, B)
    first = note(fresh_db, A, shot_a, take_a)
    assert first is not None
    assert note(fresh_db, A, shot_a, take_a) is None, "Slack's retry of the same message"
    assert note(fresh_db, B, shot_b, take_b) is not None, "the same ts in another workspace is another note"
    (row,) = review_notes.for_shot(fresh_db, shot_a)
    assert (row["user_id"], row["text"], row["timecode"], row["take_id"]) == (
        "U0BOB",
        "0:03 too dark",
        3.0,
        take_a,
    )
    assert review_notes.counts(fresh_db, [shot_a]) == {take_a: 1}
    _shot, _jobs, takes = jobs_db.shot_view(fresh_db, shot_a)
    assert takes[0]["notes"] == 1
    (mine,) = home.recent_shots_of_user(fresh_db, A, "U0ALICE", 5)
    assert mine["take"]["notes"] == 1


def test_a_note_follows_its_message(fresh_db):
    shot_id, take_id = shot_of(fresh_db, A)
    note_id = note(fresh_db, A, shot_id, take_id)
    review_notes.set_offer(fresh_db, note_id, 2)
    assert review_notes.edit(fresh_db, A, CHANNEL, TS, "at 4s, too dark", 4.0) == shot_id
    row = review_notes.get(fresh_db, note_id)
    assert (row["text"], row["timecode"], row["offer_version"]) == ("at 4s, too dark", 4.0, 2)
    assert row["edited_at"]
    assert review_notes.edit(fresh_db, B, CHANNEL, TS, "x", None) is None, "not that workspace's note"
    assert review_notes.remove(fresh_db, B, CHANNEL, TS) is None
    assert review_notes.remove(fresh_db, A, CHANNEL, TS) == shot_id
    assert review_notes.for_shot(fresh_db, shot_id) == []
    assert review_notes.remove(fresh_db, A, CHANNEL, TS) is None


def test_who_may_talk_is_a_channel_setting(fresh_db):
    assert channels.get_settings(fresh_db, A, CHANNEL).replies == "requester"
    channels.set_setting(fresh_db, A, CHANNEL, "replies", "mention")
    assert channels.get_settings(fresh_db, A, CHANNEL).replies == "mention"
    assert channels.get_settings(fresh_db, B, CHANNEL).replies == "requester"
