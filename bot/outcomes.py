"""What a person or a take can end in: an error the user caused (as a value or raised), and the two
exceptions that end a take.

    Refusal              an error the user caused, as a value: `message` says what went wrong and what to do
    UserError            the same, raised from deep in a step; `message` is written for the Slack user
    ├── MediaRejected    a file no provider will take (bot.media.check)
    ├── FetchRefused     media that could not or must not be fetched (bot.media.netpolicy)
    └── Unresolved       a request names what the subject library cannot give (bot.studio.subjects)
    Answer               an answer for one person that carries buttons (Block Kit) besides its text
    TakeEnded            a take was cancelled (or otherwise ended) while being worked on: stop quietly
    TakeFailed           a take ends as failed; its message is shown on the card and in the thread

A leaf: imports nothing from Dailies.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Refusal:
    """An error the user caused, as a value; `message` says what went wrong and what to do."""

    message: str


class Answer(str):
    """An ephemeral answer with buttons: the text (what every surface shows, and what a caller that
    only knows strings passes on) and the Block Kit `blocks` a listener sends with it."""

    blocks: list[dict]

    def __new__(cls, text: str, blocks: list[dict]) -> Answer:
        answer = super().__new__(cls, text)
        answer.blocks = blocks
        return answer


class UserError(Exception):
    """An error the user caused, raised; `message` says what went wrong and what to do, for Slack."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TakeEnded(Exception):
    """The take was cancelled (or otherwise ended) while it was being worked on: stop quietly."""


class TakeFailed(Exception):
    """Ends a take as failed; the message is shown on the card and in the thread."""
