"""`find_timecode`: the moment a review note points at (`0:03`, `at 3s`, `00:00:03`, `2.5s`), in
seconds from the clip's start (pure)."""

from __future__ import annotations

import re

# Tried in order; the first that matches names the moment. A new way of writing a time is one row.
_CLOCK = re.compile(r"(?<![\w:.])(?:(\d{1,2}):)?(\d{1,2}):([0-5]\d)(?:\.(\d{1,3}))?(?![\w:])")
_SPOKEN = re.compile(
    r"\b(?:at|around|about|near|from|after|before|by|@)\s*(\d{1,3}(?:\.\d{1,3})?)\s*"
    r"(?:s|sec|secs|second|seconds)\b",
    re.IGNORECASE,
)
_DECIMAL = re.compile(r"(?<![\w.])(\d{1,3}\.\d{1,3})\s*(?:s|sec|secs|seconds)\b", re.IGNORECASE)
_VERSION_PREFIX = re.compile(r"^\s*v\d{1,4}\s*[:,]\s*", re.IGNORECASE)


def find_timecode(text: str) -> float | None:
    """Seconds from the start for the first time the note names, or None when it names none.
    A bare whole `3s` is not a time (`a 10s version` is a length), but `at 3s` and `2.5s` are."""
    text = _VERSION_PREFIX.sub("", text or "")
    if match := _CLOCK.search(text):
        hours, minutes, seconds, fraction = match.groups()
        total = int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
        return total + (float(f"0.{fraction}") if fraction else 0.0)
    for pattern in (_SPOKEN, _DECIMAL):
        if match := pattern.search(text):
            return float(match.group(1))
    return None


def format_timecode(seconds: float) -> str:
    """`0:03`, `1:02.5`: how the card and the screening room show a note's moment."""
    minutes, rest = divmod(seconds, 60)
    whole = f"{int(minutes)}:{int(rest):02d}"
    fraction = round(rest - int(rest), 2)
    return whole + (f"{fraction:.2f}".lstrip("0").rstrip("0") if fraction else "")
