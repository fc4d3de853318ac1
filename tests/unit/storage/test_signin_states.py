"""Sign in with Slack's pending states: each is consumed once, with its nonce and room, and not after it expired."""

from __future__ import annotations

from storage import signin_states


def test_a_state_is_consumed_once_with_its_nonce_and_room(fresh_db):
    signin_states.issue(fresh_db, "s1", "n1", "pass-token", 200.0)
    assert signin_states.consume(fresh_db, "s1", 100.0) == ("n1", "pass-token")
    assert signin_states.consume(fresh_db, "s1", 100.0) is None
    assert signin_states.consume(fresh_db, "never-issued", 100.0) is None


def test_an_expired_state_is_refused_and_swept(fresh_db):
    signin_states.issue(fresh_db, "old", "n", "p", 50.0)
    signin_states.issue(fresh_db, "new", "n", "p", 500.0)
    assert signin_states.consume(fresh_db, "old", 100.0) is None
    assert [r["state"] for r in fresh_db.query("SELECT state FROM signin_states")] == ["new"]
