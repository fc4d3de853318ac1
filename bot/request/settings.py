"""`/video settings [KEY VALUE…]`: a channel's default models, budgets, approvers and who may
talk to Dailies in a job's thread."""

from __future__ import annotations

import re

from bot.outcomes import Refusal
from bot.request.catalogue import Catalogue, shipped_catalogue
from bot.request.commands import MAX_USD, Command, SettingsSet, SettingsShow
from bot.request.lexer import Token, unescape
from bot.request.values import model_id

SETTINGS_ALIASES = {"draft-model": "model", "default-model": "model", "final": "final-model",
                    "approver": "approvers", "limit": "job-limit"}  # fmt: skip
_SETTINGS_USAGE = {
    "model": "/video settings model ID",
    "final-model": "/video settings final-model ID",
    "budget": "/video settings budget USD|none",
    "job-limit": "/video settings job-limit USD|none",
    "approvers": "/video settings approvers @person… | none",
    "approval": "/video settings approval any|all",
    "replies": "/video settings replies requester|anyone|mention",
}
REPLIES = ("requester", "anyone", "mention")  # who talks to Dailies in a job's thread unmentioned
SETTINGS_KEYS = tuple(_SETTINGS_USAGE)
_USER = re.compile(r"<@([UW][A-Z0-9]{2,})(?:\|[^<>]*)?>")


def _usd(text: str, key: str) -> float | None | Refusal:
    raw = unescape(text).strip().lower()
    if raw in ("none", "off"):
        return None
    amount = raw.removeprefix("$").removesuffix("usd").strip().replace(",", "")
    if re.fullmatch(r"\d{1,7}(\.\d{1,2})?", amount) and float(amount) <= MAX_USD:
        return float(amount)
    return Refusal(
        f"{key} takes an amount in US dollars such as 50 or 12.50, or `none`; you gave `{raw[:20]}`."
    )


def _approvers(args: list[Token]) -> tuple[str, ...] | Refusal:
    if len(args) == 1 and args[0].value.lower() in ("none", "off"):
        return ()
    users = []
    for token in args:
        match = _USER.fullmatch(token.value)
        if match is None:
            return Refusal(
                f"`{unescape(token.value)[:30]}` isn't a mention: type @ and pick each person so Slack "
                "links them (or write `none`)."
            )
        users.append(match.group(1))
    return tuple(dict.fromkeys(users))


def settings(rest: list[Token], catalogue: Catalogue | None = None) -> Command | Refusal:
    """The settings view, or one setting changed; a model is checked against `catalogue`."""
    catalogue = shipped_catalogue() if catalogue is None else catalogue
    if not rest:
        return SettingsShow()
    key = rest[0].value.lower()
    key = SETTINGS_ALIASES.get(key, key)
    if key not in SETTINGS_KEYS:
        return Refusal(f"Settings you can change: {', '.join(SETTINGS_KEYS)}. `/video settings` shows them.")
    args = rest[1:]
    if not args or (key != "approvers" and len(args) != 1):
        return Refusal(f"Write it as `{_SETTINGS_USAGE[key]}`.")
    value: str | float | tuple[str, ...] | None | Refusal
    if key in ("model", "final-model"):
        value = model_id(args[0].value, catalogue)
        if isinstance(value, str) and "text" not in catalogue[value].inputs:
            value = Refusal(f"{value} only makes avatars; pick a model that renders prompts.")
    elif key in ("budget", "job-limit"):
        value = _usd(args[0].value, key)
    elif key == "approval":
        value = args[0].value.lower()
        if value not in ("any", "all"):
            value = Refusal("approval takes `any` (one approver's ✅ is enough) or `all` (every approver's).")
    elif key == "replies":
        value = args[0].value.lower()
        if value not in REPLIES:
            value = Refusal(
                "replies takes `requester` (only the shot's requester talks to me without a mention), "
                "`anyone` (anyone in the channel does) or `mention` (nobody: a reply must mention me)."
            )
    else:
        value = _approvers(args)
    return value if isinstance(value, Refusal) else SettingsSet(key, value)
