"""How long to wait before asking a busy backend again."""

from __future__ import annotations

import random


def backoff(attempt: int, first: float, ceiling: float, retry_after: float | None = None) -> float:
    """Jittered exponential backoff that never waits less than the backend asked for."""
    delay = min(ceiling, first * (2**attempt)) * (0.75 + random.random() / 2)
    return max(delay, retry_after or 0.0)
