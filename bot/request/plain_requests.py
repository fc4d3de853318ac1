"""`read_plain`: a reply in plain words that asks for a new render rather than an edit: another
aspect (`vertical`, `for TikTok`), another length (`make it 10 seconds`) or more takes (`3 more`).
Pure and table-driven: a new phrase is one row. Anything with other words left over stays an edit."""

from __future__ import annotations

import re
from dataclasses import dataclass

# word or phrase -> aspect; the first row that matches wins, so `YouTube Shorts` is 9:16
ASPECT_WORDS: tuple[tuple[str, str], ...] = (
    (r"vertical", "9:16"), (r"portrait", "9:16"), (r"tik ?tok", "9:16"), (r"reels?", "9:16"),
    (r"(?:youtube )?shorts", "9:16"), (r"(?:insta(?:gram)? )?stories", "9:16"), (r"9:16", "9:16"),
    (r"square", "1:1"), (r"1:1", "1:1"),
    (r"landscape", "16:9"), (r"widescreen", "16:9"), (r"youtube", "16:9"), (r"horizontal", "16:9"),
    (r"16:9", "16:9"),
)  # fmt: skip
# a length: `10 seconds`, `10s`, `10-second`, `10 sec`
LENGTH = r"(\d{1,2})\s*-?\s*(?:s|secs?|seconds?)\b(?:\s+long)?"
# `3 more`, `three more like this`, `more variations`: how many takes
NUMBER_WORDS = {"a couple": 2, "a few": 3, "two": 2, "three": 3, "four": 4, "one": 1}
MORE = (
    r"(\d{1,2}|two|three|four|one|a couple|a few)?\s*more\s*(?:like (?:this|that|it)|"
    r"variations?|versions?|takes?|options?|of (?:these|this|them|it))?"
)
MORE_DEFAULT = 3
# words that may surround a plain request without making it an edit; one entry per phrase
FILLER = (
    r"can|could|would|will|we|you|i|please|pls|get|have|make|do|render|give|me|us|it|this|that|"
    r"one|a|an|the|version|cut|copy|edit|also|too|and|for|as|in|at|of|same|thing|shot|clip|now|"
    r"just|maybe|try|how|about|another|again|let's|lets|need|want|like|to|be|instead|"
    r"format|ratio|aspect|please\?|thanks|thank|ok|okay|so|but|with|mode|variant|plus|hey"
)
_FILLER = re.compile(rf"\b(?:{FILLER})\b", re.IGNORECASE)
_ASPECTS = [(re.compile(rf"(?<![\w:])(?:{p})(?![\w:])", re.IGNORECASE), a) for p, a in ASPECT_WORDS]
_LENGTH = re.compile(rf"(?<![\w.:])(?:{LENGTH})", re.IGNORECASE)
_MORE = re.compile(rf"\b{MORE}", re.IGNORECASE)
_LEFTOVER = re.compile(r"[\w]+")


@dataclass(frozen=True)
class PlainRequest:
    """What the words ask for: a re-render of the version at an aspect or length, or more takes."""

    aspect: str | None = None
    seconds: int | None = None
    takes: int = 1

    @property
    def reading(self) -> str:
        """How the card says the reply was read: `re-render at 9:16`, `3 more`."""
        if self.aspect is None and self.seconds is None:
            return f"{self.takes} more"
        at = " · ".join(x for x in (self.aspect, f"{self.seconds} s" if self.seconds else None) if x)
        return f"re-render at {at}" + (f" ×{self.takes}" if self.takes > 1 else "")


def read_plain(text: str) -> PlainRequest | None:
    """The plain request `text` makes, or None when it is something else (then it is an edit)."""
    rest = f" {text or ''} ".replace("’", "'")
    aspect = seconds = None
    takes = 1
    for pattern, value in _ASPECTS:
        if pattern.search(rest):
            aspect = aspect or value
            rest = pattern.sub(" ", rest)
    if match := _LENGTH.search(rest):
        seconds = int(match.group(1))
        rest = _LENGTH.sub(" ", rest, count=1)
    if more := _MORE.search(rest):
        count = (more.group(1) or "").lower()
        takes = int(count) if count.isdigit() else NUMBER_WORDS.get(count, MORE_DEFAULT)
        rest = rest[: more.start()] + " " + rest[more.end() :]
    if aspect is None and seconds is None and more is None:
        return None
    if _LEFTOVER.search(_FILLER.sub(" ", rest)):
        return None
    return PlainRequest(aspect, seconds, takes)
