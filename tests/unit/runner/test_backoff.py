"""Backoff before asking a busy backend again: grows, stays under the ceiling, honours Retry-After."""

from __future__ import annotations

from bot.runner.backoff import backoff


def test_backoff_grows_with_jitter_and_stays_under_the_ceiling():
    for attempt in range(12):
        delay = backoff(attempt, 1.0, 30.0)
        assert min(30.0, 2**attempt) * 0.75 <= delay <= min(30.0, 2**attempt) * 1.25


def test_backoff_never_waits_less_than_the_backend_asked():
    assert backoff(0, 1.0, 30.0, retry_after=90.0) == 90.0
    assert 0.75 <= backoff(0, 1.0, 30.0, retry_after=0.1) <= 1.25
