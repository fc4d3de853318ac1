"""The event inbox: one row per event_id however often Slack delivers it, held by one replica at a
time, taken over when its holder's lease lapses, and a broken-off attempt's delivery record dropped."""

from __future__ import annotations

from storage import deliveries, event_inbox

BODY = {"type": "event_callback", "event_id": "Ev1", "team_id": "T1", "event": {"type": "app_mention"}}


def test_a_retried_delivery_is_one_row_held_by_the_replica_that_stored_it(fresh_db):
    assert event_inbox.receive(fresh_db, "T1", "Ev1", BODY, "a", 100.0, 60.0)
    assert not event_inbox.receive(fresh_db, "T1", "Ev1", BODY, "b", 101.0, 60.0)  # Slack's retry
    assert event_inbox.waiting(fresh_db) == 1
    assert not event_inbox.reclaim(fresh_db, "Ev1", "b", 120.0, 60.0), "a still holds it"
    assert event_inbox.reclaim(fresh_db, "Ev1", "a", 120.0, 60.0)
    assert event_inbox.claim_stale(fresh_db, "b", 150.0, 60.0, 10) == []


def test_an_event_whose_holder_stopped_is_claimed_once_oldest_first(fresh_db):
    event_inbox.receive(fresh_db, "T1", "Ev2", {**BODY, "event_id": "Ev2"}, "a", 101.0, 60.0)
    event_inbox.receive(fresh_db, "T1", "Ev1", BODY, "a", 100.0, 60.0)
    claimed = event_inbox.claim_stale(fresh_db, "b", 200.0, 60.0, 10)
    assert [event_id for event_id, _ in claimed] == ["Ev1", "Ev2"]
    assert claimed[0][1] == BODY
    assert event_inbox.claim_stale(fresh_db, "c", 201.0, 60.0, 10) == [], "b holds them now"
    assert not event_inbox.reclaim(fresh_db, "Ev1", "a", 202.0, 60.0), "the old holder lost it"


def test_handled_events_leave_and_a_retry_drops_only_the_attempts_own_record(fresh_db):
    event_inbox.receive(fresh_db, "T1", "Ev1", BODY, "a", 100.0, 60.0)
    assert deliveries.claim(fresh_db, "ev:Ev1", "app_mention")
    assert deliveries.claim(fresh_db, "ev:Ev9", "app_mention")
    event_inbox.retry(fresh_db, "ev:Ev1")
    assert deliveries.claim(fresh_db, "ev:Ev1", "app_mention"), "the retry is not taken for a repeat"
    assert not deliveries.claim(fresh_db, "ev:Ev9", "app_mention")
    event_inbox.handled(fresh_db, "Ev1")
    assert event_inbox.waiting(fresh_db) == 0
    assert not event_inbox.reclaim(fresh_db, "Ev1", "a", 101.0, 60.0)
