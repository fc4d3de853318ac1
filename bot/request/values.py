"""Single values inside a command: web addresses, subject names, whole numbers and model ids, each
either converted or refused with a message for the user."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from bot.outcomes import Refusal
from bot.request.catalogue import Catalogue, shipped_catalogue
from bot.request.lexer import SLACK_REF, unescape

_NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")


def shorten(text: str, limit: int) -> str:
    """Text quoted back to the user, cut to `limit` characters with an ellipsis."""
    return text if len(text) <= limit else text[:limit] + "…"


def first_refusal(values: Iterable[object]) -> Refusal | None:
    """The first Refusal among converted values, if any."""
    return next((v for v in values if isinstance(v, Refusal)), None)


def url(text: str, what: str) -> str | Refusal:
    """An http(s) address, bare or as Slack sent it (<https://x|label>)."""
    ref = SLACK_REF.fullmatch(text)
    address = unescape(ref.group(1) if ref else text).strip()
    if not re.fullmatch(r"https?://[^\s/?#]+[^\s]*", address, re.IGNORECASE) or len(address) > 2000:
        return Refusal(f"{what} needs a web address starting with https:// (you gave `{shorten(text, 40)}`).")
    return address


def subject_name(text: str) -> str | Refusal:
    """A subject's name, with or without braces, lowercased."""
    name = text[1:-1] if text.startswith("{") and text.endswith("}") else text
    if not _NAME.fullmatch(name):
        return Refusal(
            f"`{{{shorten(name, 40)}}}` isn't a valid subject name: use 1 to 32 letters, digits, - or _ "
            "(e.g. `{maya}`)."
        )
    return name.lower()


def subject_names(texts: Iterable[str]) -> list[str] | Refusal:
    """Several subject names in order, or the first name's refusal."""
    names: list[str] = []
    for text in texts:
        name = subject_name(text)
        if isinstance(name, Refusal):
            return name
        names.append(name)
    return names


def whole_number(text: str, flag: str, lo: int, hi: int, suffix: str = "") -> int | Refusal:
    """Whole numbers only; the digit cap keeps 10**30 (and int()'s 4300-digit limit) harmless."""
    match = re.fullmatch(rf"([+-]?\d{{1,12}})\s*(?:{suffix})?", text.strip(), re.IGNORECASE)
    value = int(match.group(1)) if match else None
    if value is None or not lo <= value <= hi:
        return Refusal(f"{flag} takes a whole number from {lo} to {hi}; you gave `{shorten(text, 20)}`.")
    return value


def model_id(text: str, catalogue: Catalogue | None = None) -> str | Refusal:
    """A catalogue model id from its id or alias; an unknown one gets the closest match as a hint."""
    catalogue = shipped_catalogue() if catalogue is None else catalogue
    model = catalogue.get(unescape(text))
    if model is not None:
        return model.id
    known = ", ".join(catalogue)
    close = difflib.get_close_matches(text.strip().lower()[:40], list(catalogue), n=1, cutoff=0.6)
    hint = f" Did you mean `{close[0]}`?" if close else ""
    return Refusal(
        f"I don't know the model `{shorten(text, 40)}`.{hint} Models: {known}. `/video models` compares them."
    )
