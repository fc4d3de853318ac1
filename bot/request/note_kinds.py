"""`note_kind`: what a review note in a job's thread reads like (pure, table-driven): only emoji,
a remark to someone, a question to the team, praise, a change request, or other chat. Only a change request
earns its author an offer to render it."""

from __future__ import annotations

import re

EMOJI, TO_SOMEONE, QUESTION, PRAISE, CHANGE, CHAT = (
    "emoji",
    "to_someone",
    "question",
    "praise",
    "change",
    "chat",
)

_PERSON = re.compile(
    r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>|<!(?:here|channel|everyone)(?:\|[^>]*)?>|<!subteam\^[^>]+>"
)
_SHORTCODE = re.compile(r":[a-z0-9_+'-]+:")
_VERSION_PREFIX = re.compile(r"^\s*v\d{1,4}\s*[:,]\s*", re.IGNORECASE)

# What asks for a change: a phrase anywhere, or a verb that opens the note. One line each.
CHANGE_PHRASES = (
    r"\bshould(?:n't| not)? (?:be|have|look|feel|move|go|start|end|stay)\b", r"\bneeds? (?:to|more|less|a|an)\b",
    r"\b(?:can|could|would) (?:we|you|it) (?:get|have|make|try|add|remove|change|do|see|use|go)\b",
    r"\blet'?s (?:try|make|add|go|get|see|use|have)\b", r"\bi'?d (?:like|love|prefer|rather)\b",
    r"\btoo (?:dark|bright|fast|slow|long|short|busy|warm|cold|saturated|loud|quiet|much|shaky)\b",
    r"\b(?:more|less) \w+", r"\binstead\b", r"\bwithout (?:the|any)\b", r"\bget rid of\b",
    r"\b(?:darker|brighter|warmer|colder|cooler|slower|faster|bigger|smaller|wider|tighter|softer|sharper|louder|quieter)\b",
    r"\bversion\b", r"\bre-?render\b", r"\bvertical\b", r"\bsquare\b", r"\bportrait\b", r"\blandscape\b",
)  # fmt: skip
CHANGE_OPENERS = frozenset(
    "make add remove drop lose change try use turn give slow speed zoom pan tilt swap replace "
    "brighten darken warm cool crop move put keep fix shorten lengthen extend cut trim".split()
)
# a question to the team rather than a request: "which version do you prefer?", "is this 4k?"
QUESTION_OPENERS = frozenset(
    "what which who whom whose why where when how is are was were do does did has have anyone "
    "thoughts opinions".split()
)
PRAISE_PHRASES = (
    r"\blove\b", r"\bloving\b", r"\bgreat\b", r"\bnice\b", r"\bawesome\b", r"\bamazing\b", r"\bbeautiful\b",
    r"\bperfect\b", r"\bwell done\b", r"\bgood job\b", r"\bthanks?\b", r"\bthank you\b", r"\bty\b",
    r"\bcool\b", r"\bwow\b", r"\blgtm\b", r"\bgorgeous\b", r"\bstunning\b", r"\bexcellent\b", r"\bbravo\b",
    r"\bnailed it\b", r"\blooks? (?:good|great|amazing|fantastic)\b", r"\bso good\b", r"\bfantastic\b",
)  # fmt: skip
_CHANGE = re.compile("|".join(CHANGE_PHRASES), re.IGNORECASE)
_PRAISE = re.compile("|".join(PRAISE_PHRASES), re.IGNORECASE)
_WORD = re.compile(r"[a-z][a-z'-]*", re.IGNORECASE)


def mentions_someone(text: str, bot_user_id: str | None = None) -> bool:
    """Whether the text names a person or a group other than the bot (`<@U…>`, `@here`)."""
    return any(
        not (bot_user_id and m.group(0).startswith(f"<@{bot_user_id}")) for m in _PERSON.finditer(text or "")
    )


def note_kind(text: str, bot_user_id: str | None = None) -> str:
    """EMOJI, TO_SOMEONE (names a person: it is for them), QUESTION (to the team), PRAISE, CHANGE
    or CHAT. A note that both praises and asks ("love it, but darker") is a change request; "can we
    get a square one?" asks for a change, "which version do you prefer?" does not."""
    body = _VERSION_PREFIX.sub("", text or "")
    words = _WORD.findall(_SHORTCODE.sub(" ", _PERSON.sub(" ", body)))
    if not words:
        return EMOJI
    if mentions_someone(body, bot_user_id):
        return TO_SOMEONE
    plain = _SHORTCODE.sub(" ", body)
    if plain.rstrip().endswith("?") and words[0].lower() in QUESTION_OPENERS:
        return QUESTION
    if _CHANGE.search(plain) or words[0].lower() in CHANGE_OPENERS:
        return CHANGE
    if _PRAISE.search(plain):
        return PRAISE
    return CHAT


def without_people(text: str) -> str:
    """The note with its mentions of people removed, as the instruction an offer renders."""
    return re.sub(r"\s{2,}", " ", _PERSON.sub(" ", text or "")).strip(" ,")
