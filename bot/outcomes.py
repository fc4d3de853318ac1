"""What a person or a take can end in, as values and the two exceptions that end a take.

    Refusal          an error the user caused, as a value: `message` says what went wrong and what to do
    TakeEnded        a take was cancelled (or otherwise ended) while being worked on: stop quietly
    TakeFailed       a take ends as failed; its message is shown on the card and in the thread

A leaf: imports nothing from Dailies.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Refusal:
    """An error the user caused, as a value; `message` says what went wrong and what to do."""

    message: str


class TakeEnded(Exception):
    """The take was cancelled (or otherwise ended) while it was being worked on: stop quietly."""


class TakeFailed(Exception):
    """Ends a take as failed; the message is shown on the card and in the thread."""
