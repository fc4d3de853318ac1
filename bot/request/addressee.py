"""`for_dailies`: whether a reply in a job's thread is spoken to Dailies or is conversation between
people (pure); the channel's `replies` setting says who may talk to it without mentioning it."""

from __future__ import annotations

import re

from bot.request.note_kinds import mentions_someone

_VERSION = re.compile(r"^\s*v(\d{1,4})\s*[:,]", re.IGNORECASE)


def for_dailies(text: str, *, author: str, requester: str, bot_user_id: str | None, replies: str) -> bool:
    """A reply that mentions the bot is for Dailies. Without that mention: with `replies` =
    "requester" (the default) the shot's requester's reply is, unless it mentions someone else;
    with "anyone" anyone's is, on the same condition; with "mention" nobody's is."""
    if bot_user_id and f"<@{bot_user_id}" in (text or ""):
        return True
    if replies == "mention" or mentions_someone(text, bot_user_id):
        return False
    return replies == "anyone" or author == requester


def named_version(text: str) -> int | None:
    """The version a `v2: …` reply is about, or None for the thread's latest."""
    match = _VERSION.match(text or "")
    return int(match.group(1)) if match else None
